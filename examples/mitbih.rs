//! MIT-BIH end to end: both protocols, both models and their ensemble, a printed table and a
//! self-contained HTML report per protocol.
//!
//! ```sh
//! export ECG_DATA_DIR=/path/holding/mitdb
//! cargo run --release --example mitbih                     # P1 and P2, LSTM-AE, ConvVae, ensemble
//! cargo run --release --example mitbih -- --quick          # a few records, one epoch (CI)
//! cargo run --release --example mitbih -- --noise          # and at 12, 6 and 0 dB SNR
//! cargo run --release --example mitbih -- --protocol p2 --device wgpu
//! cargo run --release --example mitbih -- --config study.json   # a StudyConfig as JSON
//! cargo run --release --example mitbih -- --protocol p2 --design --seeds 5
//! ```
//!
//! `--design` first makes the study's choices (model, scoring) by cross-validation over whole
//! DS1 records (`ecg_anomaly::study::run_design`; DS2 is not read), writes the chosen detector
//! configuration to `<out>/p2/design/chosen_config.json` and prints its hash, then runs the
//! chosen scorings on DS2 once per seed. `--seeds N` runs seeds `seed..seed+N` and prints each
//! figure as mean ± sd with a 95 % bootstrap interval over the test records.
//!
//! `--tables DIR` also writes each printed table to `DIR/<protocol>_<table>.md` (`p2_design`,
//! `p2_seeds`, `p2_results`, ...), headed by the command, the CPU and the date: the guide
//! includes those files (`docs/src/results/`), so its figures are this example's printout.
//!
//! The study itself is `ecg_anomaly::study` (beats at 180 Hz, each detector fitted on
//! normal beats only, its threshold the 95th percentile of held-out normal beats' scores; no
//! anomaly label chooses a checkpoint, a setting or the threshold) and its report
//! `ecg_anomaly::study::study_report`; this file only reads the command line.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use ecg_anomaly::detector::{DetectorConfig, ModelKind, fingerprint_bytes};
use ecg_anomaly::device::DeviceChoice;
use ecg_anomaly::study::mitbih::find_mitdb;
use ecg_anomaly::study::study_report;
use ecg_anomaly::study::{
    CHOSEN_JSON, Printout, StudyConfig, StudyProtocol, run_design, run_seeds, run_study,
    with_chosen_scorings,
};

type BoxError = Box<dyn std::error::Error>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    P1,
    P2,
    Both,
}

/// Train and evaluate both models on MIT-BIH (P1 intra-, P2 inter-patient)
#[derive(Parser, Debug, Clone)]
#[command(about = "Train and evaluate both models on MIT-BIH (P1 intra-, P2 inter-patient)")]
pub struct Args {
    /// Which protocol to run.
    #[arg(long, value_enum, default_value_t = Which::Both)]
    protocol: Which,
    /// P1's test fold (0-4).
    #[arg(long, default_value_t = 0)]
    fold: usize,
    /// Seed of the folds, the validation draw and training [default: 42, or --config's].
    #[arg(long)]
    seed: Option<u64>,
    /// Most training beats per protocol, evenly spaced through the normal training pool
    /// [default: 12,000, or --config's].
    #[arg(long)]
    max_train: Option<usize>,
    /// Most LSTM-AE epochs; early stopping on normal validation beats ends sooner as a rule
    /// [default: 100, or --config's].
    #[arg(long)]
    lstm_epochs: Option<usize>,
    /// Most ConvVae epochs [default: 100, or --config's].
    #[arg(long)]
    vae_epochs: Option<usize>,
    /// A few records, one epoch, a few thousand beats: the CI end-to-end check.
    #[arg(long)]
    quick: bool,
    /// Choose each model's scoring, and the default detector, by cross-validation over whole
    /// training records before the test records are scored (P2 only).
    #[arg(long)]
    design: bool,
    /// Folds of whole training records in the design step [default: 4, or --config's].
    #[arg(long)]
    design_folds: Option<usize>,
    /// Most training beats per fit in the design step [default: --max-train].
    #[arg(long)]
    design_max_train: Option<usize>,
    /// Seeds to run (seed, seed + 1, ...): figures as mean ± sd and bootstrap intervals.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    /// Also score the test beats with recorded-style noise at 12, 6 and 0 dB SNR.
    #[arg(long)]
    noise: bool,
    /// A StudyConfig (JSON) whose models, rate and beat budget replace the defaults.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where the models run: flex (CPU, default), ndarray, wgpu, ...
    #[arg(long, default_value = "flex")]
    device: DeviceChoice,
    /// Output folder: one sub-folder per protocol with report.html, report.md, figures/,
    /// study.json, results.json and each model's saved detector (`<model>/detector`).
    #[arg(long, default_value = "target/mitbih")]
    out: PathBuf,
    /// Also write each printed table as Markdown into this folder (e.g. docs/src/results).
    #[arg(long)]
    tables: Option<PathBuf>,
}

/// What a run found, per protocol and model.
#[derive(Debug, Clone)]
pub struct Summary {
    /// `(protocol, model, ROC-AUC, average precision)` rows.
    pub rows: Vec<(String, String, f64, f64)>,
    /// The reports written.
    pub reports: Vec<PathBuf>,
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mitbih: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the chosen protocols and writes their reports.
pub fn run(args: Args) -> Result<Summary, BoxError> {
    let dir = find_mitdb()?;
    let device = args.device.device()?;
    let mut summary = Summary {
        rows: Vec::new(),
        reports: Vec::new(),
    };
    let args_text: Vec<String> = std::env::args().skip(1).collect();
    let command = format!("cargo run --example mitbih -- {}", args_text.join(" "));
    let tables = Printout::new(args.tables.clone(), &command)?;
    for mut config in configs(&args)? {
        let name = config.protocol.name();
        let out = args.out.join(name.to_lowercase());
        if args.design && config.protocol == StudyProtocol::InterPatient {
            println!(
                "{name}: design step, {} models on the training records",
                config.models.len()
            );
            let design = run_design(&config, &dir, &out.join("design"), &device)?;
            println!(
                "\n{name} design ({:.1} min; {} folds of whole training records, rule {:?}; \
                      labels of the training records only measure):\n",
                design.seconds / 60.0,
                design.folds.len(),
                design.rule
            );
            println!("{}", design.markdown());
            tables.write(
                &format!("{}_design", name.to_lowercase()),
                &design.markdown(),
            )?;
            let chosen = design.chosen_row();
            let file = out.join("design").join(CHOSEN_JSON);
            let hash = fingerprint_bytes(&std::fs::read(&file)?);
            println!(
                "chosen: {} with {}; frozen in {} (FNV-1a {hash})",
                chosen.model,
                chosen.scoring,
                file.display()
            );
            let default = DetectorConfig::default() == design.frozen;
            println!("DetectorConfig::default() is the chosen configuration: {default}");
            config = with_chosen_scorings(&config, &design)?;
        }
        println!("{name}: fitting {} models on {out:?}", config.models.len());
        let seeds: Vec<u64> = (0..args.seeds.max(1)).map(|k| config.seed + k).collect();
        let result = match seeds.len() {
            1 => run_study(&config, &dir, &out, &device)?,
            _ => {
                let seeded = run_seeds(&config, &seeds, &dir, &out, &device)?;
                println!("\n{name} over seeds (labels only measure):\n\n{seeded}");
                tables.write(
                    &format!("{}_seeds", name.to_lowercase()),
                    &seeded.to_string(),
                )?;
                seeded.first
            }
        };
        println!("\n{result}");
        tables.write(
            &format!("{}_results", name.to_lowercase()),
            &result.to_string(),
        )?;
        study_report(&result)?.save(&out)?;
        println!(
            "{name}: report written to {}",
            out.join("report.html").display()
        );
        for r in &result.models {
            let e = &r.evaluation.report;
            let row = (name.into(), r.name.clone(), e.roc_auc, e.average_precision);
            summary.rows.push(row);
        }
        summary.reports.push(out.join("report.html"));
    }
    Ok(summary)
}

/// One study configuration per protocol asked for, from the defaults or `--config`.
fn configs(args: &Args) -> Result<Vec<StudyConfig>, BoxError> {
    let mut base = match &args.config {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => StudyConfig::default(),
    };
    base.seed = args.seed.unwrap_or(base.seed);
    base.max_train_beats = args.max_train.unwrap_or(base.max_train_beats);
    base.quick |= args.quick;
    if args.design {
        let mut design = base.design.clone().unwrap_or_default();
        design.folds = args.design_folds.unwrap_or(design.folds);
        design.max_train_beats = args.design_max_train.or(design.max_train_beats);
        base.design = Some(design);
    }
    if args.noise {
        base.noise_snr_db = vec![12.0, 6.0, 0.0];
    }
    for model in &mut base.models {
        let epochs = match model.detector.model.kind() {
            ModelKind::LstmAutoencoder => args.lstm_epochs,
            ModelKind::ConvVae => args.vae_epochs,
        };
        if let Some(epochs) = epochs {
            model.detector.training.epochs = epochs;
        }
    }
    let mut protocols = Vec::new();
    if args.protocol != Which::P2 {
        protocols.push(StudyProtocol::IntraPatient { fold: args.fold });
    }
    if args.protocol != Which::P1 {
        protocols.push(StudyProtocol::InterPatient);
    }
    let configs = protocols.into_iter().map(|protocol| StudyConfig {
        protocol,
        ..base.clone()
    });
    Ok(configs.collect())
}
