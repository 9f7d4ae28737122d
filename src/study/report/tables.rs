//! The tables and text of a study's report.

use crate::data::beat::AamiClass;
use crate::detector::{DetectorConfig, ModelSpec};
use crate::report::Table;
use crate::study::noise::NOISE_COLUMNS;
use crate::study::result::RESULTS_COLUMNS;
use crate::study::{ABLATION_COLUMNS, StudyResult};

/// ROC-AUC, AP, recall at 1 % and 5 % false alarms, the metrics at the threshold and the
/// best F1 chosen with the test labels, one row per model.
pub(super) fn results_table(result: &StudyResult) -> Table {
    let mut table = Table::new(RESULTS_COLUMNS);
    for r in &result.models {
        table = table.row(r.results_row());
    }
    table
}

/// The flagged share of each AAMI class at the threshold, with its counts.
pub(super) fn class_table(result: &StudyResult) -> Table {
    let mut table = Table::new(["model", "N (false alarms)", "S", "V", "F", "Q"]);
    for r in &result.models {
        let cell = |c: AamiClass| {
            let found = r.evaluation.classes.iter().find(|x| x.class == c);
            found.map_or("-".to_string(), |x| {
                format!("{:.3} ({}/{})", x.recall, x.detected, x.n)
            })
        };
        let cells = AamiClass::ALL.iter().map(|&c| cell(c));
        table = table.row(std::iter::once(r.name.clone()).chain(cells));
    }
    table
}

/// The ablation: each scoring lever on and off ([`crate::study::variants`]).
pub(super) fn ablation_table(result: &StudyResult) -> Table {
    let mut table = Table::new(ABLATION_COLUMNS);
    for r in &result.ablation {
        table = table.row(r.table_row(4));
    }
    table
}

/// Each detector clean and at every noise level.
pub(super) fn robustness_table(result: &StudyResult) -> Table {
    let mut table = Table::new(NOISE_COLUMNS);
    for r in &result.robustness {
        table = table.row(r.table_row(4));
    }
    table
}

/// Parameters, epochs, best epoch, training time and seed, one row per model.
pub(super) fn models_table(result: &StudyResult) -> Table {
    let mut table = Table::new([
        "model",
        "parameters",
        "epochs run",
        "best epoch",
        "training time",
        "seed",
    ]);
    for r in &result.models {
        let (run, best) = match r.epochs() {
            (0, _) => ("-".to_string(), "-".to_string()),
            (run, best) => (run.to_string(), best.to_string()),
        };
        table = table.row([
            r.name.clone(),
            r.params.to_string(),
            run,
            best,
            format!("{:.0} s", r.train_seconds),
            r.seed.to_string(),
        ]);
    }
    table
}

/// One sentence per model: its architecture, training and score, as fitted.
pub(super) fn model_description(name: &str, d: &DetectorConfig) -> String {
    let t = &d.training;
    let architecture = match &d.model {
        ModelSpec::LstmAutoencoder(c) => format!(
            "LSTM autoencoder, hidden {}, latent {}, {} layer(s), decoder time code {}",
            c.hidden, c.latent, c.layers, c.time_features
        ),
        ModelSpec::ConvVae(c) => format!(
            "convolutional VAE, blocks {:?}, kernel {}, stride {}, latent {}, beta {}",
            c.block_channels, c.kernel_size, c.stride, c.latent, c.beta
        ),
    };
    let patience = t.patience.map_or("none".into(), |p| p.to_string());
    format!(
        "{}: {architecture}. Adam, learning rate {}, batch {}, at most {} epochs, early-stopping \
         patience {patience} on the normal validation loss; {:?} normalisation, score {:?}, \
         threshold {:?} of the normal validation scores.",
        name, t.learning_rate, t.batch_size, t.epochs, d.normalization, d.score, d.threshold
    )
}

/// `N 1234, S 56, ...` for the classes present.
pub(super) fn class_counts(result: &StudyResult) -> String {
    let counts = result.beats.test;
    AamiClass::ALL
        .iter()
        .map(|&c| format!("{c:?} {}", counts[c]))
        .collect::<Vec<_>>()
        .join(", ")
}
