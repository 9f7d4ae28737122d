//! What a study found: plain data for tables, reports and tests.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::ablation::{AblationRow, markdown};
use super::config::StudyConfig;
use super::noise::{NoiseRow, noise_markdown};
use super::table::markdown_table;
use crate::data::beat::{AamiClass, ClassCounts};
use crate::detector::ModelKind;
use crate::evaluate::{ClassEvaluation, OperatingPoint};
use crate::train::TrainingHistory;

/// One study on one protocol: its settings, beats and every model's results.
#[derive(Debug, Clone, Serialize)]
pub struct StudyResult {
    /// The settings run.
    pub config: StudyConfig,
    /// The protocol as one line (records, fold, lead, seed).
    pub protocol: String,
    /// How many beats each set held and how many were used.
    pub beats: BeatCounts,
    /// Each model's results, in [`StudyConfig::models`] order, then their ensemble (when there
    /// are two models or more).
    pub models: Vec<ModelResult>,
    /// Each scoring lever on and off, per model ([`variants`](super::variants)), the rhythm
    /// alone and the ensemble.
    pub ablation: Vec<AblationRow>,
    /// Each detector clean and at every noise level asked for (empty when none was).
    pub robustness: Vec<NoiseRow>,
    /// The AAMI class of each test beat, in the order of the scores.
    pub test_classes: Vec<AamiClass>,
    /// The record of each test beat, in the order of the scores.
    pub test_records: Vec<String>,
    /// The first model's reconstruction of the first test beat of class N, S and V.
    pub reconstructions: Vec<ReconstructionSample>,
    /// The first ConvVae's latent means of up to 3,000 test beats, when there is one.
    pub latents: Option<LatentSample>,
    /// Wall-clock seconds of the whole study.
    pub seconds: f64,
}

/// Beats of the protocol's sets: in the pool, and used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BeatCounts {
    /// Normal beats of the training pool.
    pub train_pool: usize,
    /// Of which trained on (evenly spaced).
    pub train: usize,
    /// Normal beats held out of the pool.
    pub validation_pool: usize,
    /// Of which used to stop early and set thresholds and calibrations.
    pub validation: usize,
    /// Test beats scored, per class.
    pub test: ClassCounts,
    /// Samples per beat.
    pub beat_len: usize,
    /// Their rate, Hz.
    pub fs: f64,
}

/// One model's (or the ensemble's) results on the test beats. No anomaly label chose its
/// checkpoint, setting or threshold: the test labels only measure.
#[derive(Debug, Clone, Serialize)]
pub struct ModelResult {
    /// The model's name; `"Ensemble (rank mean)"` for the ensemble.
    pub name: String,
    /// The model kind; `None` for the ensemble.
    pub kind: Option<ModelKind>,
    /// ROC-AUC, AP, metrics at the threshold, recall at 1 % false alarms on N, the best F1
    /// chosen with the test labels (a bound, not a result) and the flagged share per class.
    pub evaluation: ClassEvaluation<AamiClass>,
    /// The best recall with at most 5 % of the normal test beats flagged.
    pub recall_at_5_percent_fpr: OperatingPoint,
    /// The score of every test beat.
    #[serde(skip)]
    pub test_scores: Vec<f64>,
    /// The training run; `None` for the ensemble.
    pub history: Option<TrainingHistory>,
    /// Trainable parameters (summed over the members for the ensemble).
    pub params: usize,
    /// Wall-clock seconds of fitting (summed over the members for the ensemble).
    pub train_seconds: f64,
    /// Seed of the training run.
    pub seed: u64,
    /// The saved detector's folder; `None` for the ensemble.
    pub detector: Option<PathBuf>,
}

impl ModelResult {
    /// Epochs run, and the one whose weights were kept (0 and 0 for the ensemble).
    pub fn epochs(&self) -> (usize, usize) {
        self.history
            .as_ref()
            .map_or((0, 0), |h| (h.epochs.len(), h.best_epoch))
    }

    /// The flagged share of `class` at the threshold (for N, the false-alarm rate).
    pub fn class_recall(&self, class: AamiClass) -> Option<f64> {
        let classes = &self.evaluation.classes;
        classes.iter().find(|c| c.class == class).map(|c| c.recall)
    }

    /// The row of the results table ([`RESULTS_COLUMNS`]): the name, then ROC-AUC, AP, recall
    /// at 1 % and 5 % false alarms, precision, recall and F1 at the threshold and the best F1
    /// chosen with the test labels, with 4 decimals.
    pub(crate) fn results_row(&self) -> impl Iterator<Item = String> {
        let e = &self.evaluation.report;
        let values = [
            e.roc_auc,
            e.average_precision,
            e.recall_at_fpr.recall,
            self.recall_at_5_percent_fpr.recall,
            e.metrics.precision,
            e.metrics.recall,
            e.metrics.f1,
            e.oracle_best_f1.f1,
        ];
        std::iter::once(self.name.clone()).chain(values.map(|v| format!("{v:.4}")))
    }
}

/// Column names of the study's results table, printed and in its report
/// ([`ModelResult::results_row`]).
pub(crate) const RESULTS_COLUMNS: [&str; 9] = [
    "model",
    "ROC-AUC",
    "AP",
    "recall @ 1% FPR",
    "recall @ 5% FPR",
    "precision",
    "recall",
    "F1",
    "best F1 (test labels)",
];

/// A test beat as the model saw it (normalised) and as it rebuilt it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReconstructionSample {
    /// The beat's class.
    pub class: AamiClass,
    /// Its anomaly score.
    pub score: f64,
    /// The normalised beat.
    pub input: Vec<f32>,
    /// The model's reconstruction.
    pub output: Vec<f32>,
}

/// Latent means of test beats with their classes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatentSample {
    /// The model they come from.
    pub model: String,
    /// One code per beat.
    pub codes: Vec<Vec<f64>>,
    /// The class of each beat.
    pub classes: Vec<AamiClass>,
}

impl StudyResult {
    /// One line: the protocol, the seed and each model's ROC-AUC / AP and N flagged.
    pub fn brief(&self) -> String {
        let models: Vec<String> = (self.models.iter())
            .map(|m| {
                let e = &m.evaluation.report;
                let n = 100.0 * m.class_recall(AamiClass::N).unwrap_or(0.0);
                format!(
                    "{} {:.3} / {:.3}, N {n:.1} %",
                    m.name, e.roc_auc, e.average_precision
                )
            })
            .collect();
        let name = self.config.protocol.name();
        format!(
            "{name} seed {}: {} ({:.1} min)",
            self.config.seed,
            models.join("; "),
            self.seconds / 60.0
        )
    }
}

impl fmt::Display for StudyResult {
    /// The beats used, the results table (with the recall at 5 % false alarms) and the flagged
    /// share per class.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.config.protocol.name();
        writeln!(
            f,
            "{name} ({}), {:.1} min",
            self.protocol,
            self.seconds / 60.0
        )?;
        let b = &self.beats;
        writeln!(
            f,
            "beats of {} samples at {} Hz: trained on {} of {} normal, validated on {} of {}, \
             tested on {}",
            b.beat_len, b.fs, b.train, b.train_pool, b.validation, b.validation_pool, b.test
        )?;
        writeln!(
            f,
            "\n{name} results (thresholds set on normal validation beats; the best F1 is chosen \
             with the test labels, a bound):\n"
        )?;
        let rows = self.models.iter().map(ModelResult::results_row);
        write!(f, "{}", markdown_table(&RESULTS_COLUMNS, rows))?;
        writeln!(f)?;
        for r in &self.models {
            let classes: Vec<String> = (r.evaluation.classes.iter())
                .map(|c| format!("{:?} {:.3}", c.class, c.recall))
                .collect();
            writeln!(
                f,
                "      {:<22} flagged share per class: {}",
                r.name,
                classes.join(", ")
            )?;
        }
        if !self.ablation.is_empty() {
            writeln!(
                f,
                "\n{name} ablation (thresholds on normal validation beats; labels only measure):\n"
            )?;
            write!(f, "{}", markdown(&self.ablation))?;
        }
        if !self.robustness.is_empty() {
            writeln!(
                f,
                "\n{name} noise robustness (recorded-style noise on the test beats; clean thresholds):\n"
            )?;
            write!(f, "{}", noise_markdown(&self.robustness))?;
        }
        Ok(())
    }
}
