//! Flag abnormal beats in a continuous single-lead CSV signal, with no labels.
//!
//! ```sh
//! cargo run --release --example csv_signal                              # the shipped demo CSV
//! cargo run --release --example csv_signal -- --csv my.csv --fs 360 --only-flagged
//! ```
//!
//! A detector is fitted, unlabelled, on the first `--train-fraction` of the signal (it cuts the
//! beats, holds out its last ones, sets its threshold on them), saved beside `--out`, loaded
//! back and run over the whole signal; `--out` gets one row per beat. `--truth` (a beats CSV
//! `sample,kind,...`; the demo's by default) measures the flags after the training part.

use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use ecg_anomaly::evaluate::Ranking;
use ecg_anomaly::prelude::*;

const DEMO_CSV: &str = "datasets/synthetic_ecg.csv";
const DEMO_TRUTH: &str = "datasets/synthetic_ecg_beats.csv";

/// Fit a detector on the start of a CSV signal, flag odd beats in all of it
#[derive(Parser)]
#[command(about = "Fit a detector on the start of a CSV signal, flag odd beats in all of it")]
pub struct Args {
    /// The signal: one value a row (a header row is skipped; with several columns, the first).
    #[arg(long, default_value = DEMO_CSV)]
    pub csv: PathBuf,
    /// Sampling rate of the CSV, in Hz.
    #[arg(long, default_value_t = 250.0)]
    pub fs: f64,
    /// Leading share of the signal the detector is fitted on (it holds out its own last beats).
    #[arg(long, default_value_t = 0.6)]
    pub train_fraction: f64,
    /// Most training epochs (early stopping may end sooner).
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Seed of the training run.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where the model runs: flex (CPU, default), ndarray, wgpu, wgpu:cpu, ...
    #[arg(long, default_value = "flex")]
    pub device: DeviceChoice,
    /// Output CSV, one row per beat; the detector is saved beside it in `detector/`.
    #[arg(long, default_value = "target/csv_signal/flagged.csv")]
    pub out: PathBuf,
    /// Write only the flagged beats.
    #[arg(long)]
    pub only_flagged: bool,
    /// Ground-truth beats CSV (`sample,kind,...`; default: the demo's, for the demo signal).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// No progress bar or per-epoch lines while training.
    #[arg(long)]
    pub quiet: bool,
}

/// What a run did.
pub struct Summary {
    /// Every beat of the whole signal, as the reloaded detector judged it.
    pub verdicts: Vec<Verdict>,
    /// The score threshold: `anomaly` is `score > threshold`.
    pub threshold: f64,
    /// Folder of the saved detector.
    pub detector: PathBuf,
    /// The flags after the training part against `--truth`, when there is one.
    pub truth: Option<TruthCheck>,
}

/// The beats after the training part against a ground truth.
#[derive(Debug)]
pub struct TruthCheck {
    /// Abnormal beats (kind other than `Normal`) in the truth.
    pub abnormal: usize,
    /// Flagged beats on one of them (R-peaks at most 0.1 s apart): the detector's hits.
    pub abnormal_flagged: usize,
    /// Detected beats on no abnormal beat of the truth.
    pub normal: usize,
    /// How many of those `normal` beats are flagged: the detector's false alarms.
    pub normal_flagged: usize,
    /// ROC-AUC of the detected beats' scores (None with one class only).
    pub roc_auc: Option<f64>,
}

fn main() -> Result<(), Box<dyn Error>> {
    run(Args::parse()).map(|_| ())
}

/// Reads, fits on the training part, saves, reloads, judges every beat, writes `--out`.
pub fn run(args: Args) -> Result<Summary, Box<dyn Error>> {
    let start = Instant::now();
    let device = args.device.device()?;
    let ecg = read_csv(&args.csv, args.fs, &CsvOptions::default())?;
    let (lead, fs, minutes) = (&ecg.leads[0], ecg.fs, ecg.duration_s() / 60.0);
    if !(args.train_fraction > 0.0 && args.train_fraction < 1.0) {
        return Err("--train-fraction must be strictly between 0 and 1".into());
    }
    let cut = (lead.len() as f64 * args.train_fraction) as usize;
    let name = args.csv.display();
    println!("signal    {name}: {minutes:.1} min at {fs} Hz; fit on samples 0..{cut}");

    // Clean, find the beats, train, hold out, calibrate, threshold: one seeded call.
    let training = TrainingConfig {
        epochs: args.epochs,
        learning_rate: 3e-3,
        batch_size: 32,
        patience: Some(5),
        seed: args.seed,
        quiet: args.quiet,
        ..Default::default()
    };
    let config = DetectorConfig {
        training,
        ..Default::default()
    };
    let fitted = config.fit_signal(&lead[..cut], fs, &device)?;
    let (meta, threshold) = (fitted.metadata(), fitted.threshold().value);
    let epochs = fitted.history().map_or(0, |h| h.epochs.len());
    println!(
        "fitted    {} beats, {} held out, {epochs} epochs in {:.1} s; threshold {threshold:.4}",
        meta.training_windows,
        meta.validation_windows,
        start.elapsed().as_secs_f64()
    );

    // Save, load back as a service would, and judge every beat of the whole signal.
    let dir = args.out.parent().unwrap_or(Path::new(".")).join("detector");
    fitted.save(&dir)?;
    let verdicts = Detector::load(&dir, &device)?.detect_signal(lead, fs)?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&args.out)?);
    writeln!(out, "beat,sample,time_s,score,calibrated,anomaly,usable")?;
    for v in verdicts.iter().filter(|v| v.anomaly || !args.only_flagged) {
        let (at, flag, ok) = (v.position.unwrap_or_default(), v.anomaly, v.usable);
        let (i, t, score, cal) = (v.index, at as f64 / fs, v.score, v.calibrated);
        writeln!(out, "{i},{at},{t:.3},{score:.6},{cal:.4},{flag},{ok}")?;
    }
    out.flush()?;
    let flagged = verdicts.iter().filter(|v| v.anomaly).count();
    let unusable = verdicts.iter().filter(|v| !v.usable).count();
    let (n, path) = (verdicts.len(), args.out.display());
    println!("detect    {n} beats ({unusable} unusable), {flagged} flagged, written to {path}");

    let demo = args.csv == Path::new(DEMO_CSV);
    let truth_csv = args.truth.or_else(|| demo.then(|| DEMO_TRUTH.into()));
    let truth = match truth_csv {
        Some(path) => Some(check(&path, &verdicts, cut, (0.1 * fs) as usize)?),
        None => None,
    };
    if let Some(t) = &truth {
        let auc = t.roc_auc.map_or("n/a".into(), |a| format!("{a:.3}"));
        let (a, af, n, nf) = (t.abnormal, t.abnormal_flagged, t.normal, t.normal_flagged);
        println!(
            "truth     after sample {cut}: {af}/{a} abnormal beats flagged, {af}/{} flagged beats \
             abnormal, {nf}/{n} normal beats flagged, ROC-AUC {auc}",
            af + nf
        );
        println!("          (labels only measure here: nothing was fitted or chosen with them)");
    }
    println!("done in {:.1} s", start.elapsed().as_secs_f64());
    Ok(Summary {
        verdicts,
        threshold,
        detector: dir,
        truth,
    })
}

/// Detected beats from sample `from` on against the truth's R-peaks, at most `tol` apart.
fn check(
    path: &Path,
    verdicts: &[Verdict],
    from: usize,
    tol: usize,
) -> Result<TruthCheck, Box<dyn Error>> {
    let mut abnormal = Vec::new();
    for row in csv::Reader::from_path(path)?.records() {
        let row = row?;
        if row.get(1).is_some_and(|kind| kind.trim() != "Normal") {
            abnormal.push(row[0].trim().parse::<usize>()?);
        }
    }
    abnormal.sort_unstable();
    abnormal.retain(|&s| s >= from);
    let on_abnormal = |at: usize| {
        let i = abnormal.partition_point(|&s| s + tol < at);
        abnormal.get(i).is_some_and(|&s| s <= at + tol)
    };
    let after: Vec<(&Verdict, bool)> = verdicts
        .iter()
        .filter_map(|v| {
            v.position
                .filter(|&p| p >= from)
                .map(|p| (v, on_abnormal(p)))
        })
        .collect();
    let (scores, labels): (Vec<f64>, Vec<bool>) = after.iter().map(|(v, l)| (v.score, *l)).unzip();
    let count = |label: bool, flagged: bool| {
        after
            .iter()
            .filter(|(v, l)| *l == label && (v.anomaly || !flagged))
            .count()
    };
    Ok(TruthCheck {
        abnormal: abnormal.len(),
        abnormal_flagged: count(true, true),
        normal: count(false, false),
        normal_flagged: count(false, true),
        roc_auc: Ranking::new(&scores, &labels).ok().map(|r| r.roc_auc()),
    })
}
