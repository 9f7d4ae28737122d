//! Flag abnormal stretches of a continuous single-column CSV signal, with no labels.
//!
//! ```sh
//! cargo run --release --example csv_signal                                 # the shipped demo CSV
//! cargo run --release --example csv_signal -- --csv my.csv --fs 360 --only-flagged
//! ```
//!
//! 1. Read the CSV (one value a row; with several columns the first is used) and band-pass it.
//! 2. Cut windows of `--window` seconds every `--stride` seconds over the whole signal.
//! 3. Fit a global z-score on the first `--train-fraction` of the signal; train an LSTM
//!    autoencoder on every window lying fully inside it (unlabelled: all of them), validating
//!    (early stopping) on the windows of the next `--valid-fraction`.
//! 4. Threshold at the `--percentile` of the validation windows' reconstruction errors,
//!    calibrate scores on them, and save the detector next to the output CSV.
//! 5. Judge every window of the signal and write `--out`: one row per window
//!    `window,start_sample,end_sample,start_s,score,calibrated,anomaly` (`end_sample` exclusive),
//!    or only the flagged rows with `--only-flagged`.
//!
//! With `--truth` (a beats CSV `sample,kind,...` like `datasets/synthetic_ecg_beats.csv`, used
//! by default for the demo CSV) it also checks the flags against that ground truth: how many
//! abnormal beats (kind other than `Normal`) have their R-peak inside a flagged window, and how
//! many flagged windows hold an abnormal R-peak.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use ecg_anomaly::data::batch::WindowDataset;
use ecg_anomaly::data::csv::{CsvOptions, read_csv};
use ecg_anomaly::detector::{Detector, Metadata, ModelSpec, Verdict, fingerprint};
use ecg_anomaly::device::DeviceChoice;
use ecg_anomaly::model::LstmAutoencoderConfig;
use ecg_anomaly::preprocess::{
    BandPass, Normalization, Normalizer, SignalFilter, Tail, ZScore, windows,
};
use ecg_anomaly::score::{BatchScorer, Calibration, ReconstructionError};
use ecg_anomaly::threshold::{Threshold, ThresholdMethod};
use ecg_anomaly::train::{Trainer, TrainingConfig};

/// The demo signal shipped with the crate, and its ground truth.
const DEMO_CSV: &str = "datasets/synthetic_ecg.csv";
const DEMO_TRUTH: &str = "datasets/synthetic_ecg_beats.csv";

#[derive(Parser, Debug, Clone)]
#[command(about = "Train an LSTM autoencoder on a CSV signal's windows and flag unusual ones")]
pub struct Args {
    /// The signal: one value a row (a header row is skipped; with several columns the first).
    #[arg(long, default_value = DEMO_CSV)]
    pub csv: PathBuf,
    /// Sampling rate of the CSV, in Hz.
    #[arg(long, default_value_t = 250.0)]
    pub fs: f64,
    /// Window length in seconds.
    #[arg(long, default_value_t = 1.0)]
    pub window: f64,
    /// Step between window starts in seconds.
    #[arg(long, default_value_t = 0.5)]
    pub stride: f64,
    /// Leading share of the signal to fit the z-score and train on.
    #[arg(long, default_value_t = 0.6)]
    pub train_fraction: f64,
    /// Share after the training part for early stopping, threshold and calibration.
    #[arg(long, default_value_t = 0.15)]
    pub valid_fraction: f64,
    /// Percentile of the validation errors used as the threshold.
    #[arg(long, default_value_t = 95.0)]
    pub percentile: f64,
    /// Training epochs (early stopping may end sooner).
    #[arg(long, default_value_t = 15)]
    pub epochs: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// Windows per training batch.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Hidden units of the LSTMs.
    #[arg(long, default_value_t = 32)]
    pub hidden: usize,
    /// Size of the latent code.
    #[arg(long, default_value_t = 16)]
    pub latent: usize,
    /// Size of the decoder's time code (0: the plain repeat-vector decoder).
    #[arg(long, default_value_t = 8)]
    pub time_features: usize,
    /// Seed of the training run.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Where the models run: flex (CPU, default), ndarray, wgpu, wgpu:cpu, ...
    #[arg(long, default_value = "flex")]
    pub device: DeviceChoice,
    /// Output CSV of the windows; the detector is saved beside it in `detector/`.
    #[arg(long, default_value = "target/csv_signal/flagged.csv")]
    pub out: PathBuf,
    /// Write only the flagged windows.
    #[arg(long)]
    pub only_flagged: bool,
    /// Ground-truth beats CSV (`sample,kind,...`) to check the flags against (default: the
    /// demo's truth when `--csv` is the demo signal).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// No progress bar or per-epoch lines while training.
    #[arg(long)]
    pub quiet: bool,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Samples per window.
    pub window: usize,
    /// Samples between window starts.
    pub stride: usize,
    /// Windows judged (the whole signal).
    pub windows: usize,
    /// Windows flagged.
    pub flagged: usize,
    /// Training windows.
    pub train_windows: usize,
    /// Validation windows.
    pub valid_windows: usize,
    /// Epochs run.
    pub epochs: usize,
    /// Epoch with the lowest validation loss.
    pub best_epoch: usize,
    /// The score threshold.
    pub threshold: f64,
    /// The CSV written.
    pub out: PathBuf,
    /// Folder of the saved detector.
    pub detector: PathBuf,
    /// Comparison with a ground-truth file, when one was given.
    pub truth: Option<TruthCheck>,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

/// Flags against a ground-truth beats file.
#[derive(Debug, Clone, Copy)]
pub struct TruthCheck {
    /// Abnormal beats whose R-peak lies in some window.
    pub abnormal_beats: usize,
    /// Of those, the ones inside a flagged window.
    pub caught: usize,
    /// Flagged windows holding an abnormal R-peak.
    pub flagged_with_abnormal: usize,
}

fn main() -> Result<(), Box<dyn Error>> {
    let summary = run(Args::parse())?;
    println!(
        "windows   {} of {} samples every {}: {} flagged, written to {}",
        summary.windows,
        summary.window,
        summary.stride,
        summary.flagged,
        summary.out.display()
    );
    if let Some(t) = summary.truth {
        println!(
            "truth     check against the generator's beat labels: {}/{} abnormal beats in a flagged \
             window (recall {:.2}), {}/{} flagged windows hold an abnormal beat (precision {:.2})",
            t.caught,
            t.abnormal_beats,
            ratio(t.caught, t.abnormal_beats),
            t.flagged_with_abnormal,
            summary.flagged,
            ratio(t.flagged_with_abnormal, summary.flagged)
        );
    }
    println!("done in {:.1} s", summary.seconds);
    Ok(())
}

/// Reads, trains, thresholds, judges every window and writes the output CSV and detector.
pub fn run(args: Args) -> Result<Summary, Box<dyn Error>> {
    let start = Instant::now();
    let device = args.device.device()?;
    let fs = args.fs;

    // 1. The signal, band-passed (baseline wander and high-frequency noise out).
    let ecg = read_csv(&args.csv, fs, &CsvOptions::default())?;
    let clean = BandPass::default().apply(&ecg.leads[0], fs)?;
    println!(
        "signal    {} lead `{}`: {} samples, {:.1} min at {fs} Hz",
        args.csv.display(),
        ecg.lead_names[0],
        clean.len(),
        clean.len() as f64 / fs / 60.0
    );

    // 2. Windows over the whole signal.
    let (len, stride) = (
        seconds_to_samples(args.window, fs)?,
        seconds_to_samples(args.stride, fs)?,
    );
    let all = windows(&clean, len, stride, Tail::Drop)?;
    if all.is_empty() {
        return Err(format!("the signal is shorter than one window of {len} samples").into());
    }

    // 3. Chronological split by sample: train | validation | the rest.
    let fractions_ok = args.train_fraction > 0.0
        && args.valid_fraction > 0.0
        && args.train_fraction + args.valid_fraction <= 1.0;
    if !fractions_ok {
        return Err("need train and validation fractions > 0 that sum to at most 1".into());
    }
    let n = clean.len();
    let train_end = (n as f64 * args.train_fraction) as usize;
    let valid_end = (n as f64 * (args.train_fraction + args.valid_fraction)) as usize;
    let zscore = ZScore::fit(&clean[..train_end])?;
    let normalizer = Normalization::GlobalZScore(zscore);
    let inside = |lo: usize, hi: usize| -> Result<WindowDataset, Box<dyn Error>> {
        let mut data = Vec::new();
        for (&s, w) in all.starts.iter().zip(all.iter()) {
            if s >= lo && s + len <= hi {
                let first = data.len();
                data.extend_from_slice(w);
                normalizer.normalize(&mut data[first..]);
            }
        }
        let count = data.len() / len;
        if count == 0 {
            return Err(format!("no full window in samples {lo}..{hi}").into());
        }
        Ok(WindowDataset::new(data, len, 1, vec![false; count])?)
    };
    let train = inside(0, train_end)?;
    let valid = inside(train_end, valid_end)?;

    // 4. A small LSTM autoencoder, trained briefly.
    let spec = LstmAutoencoderConfig {
        hidden: args.hidden,
        latent: args.latent,
        time_features: args.time_features,
        ..Default::default()
    };
    let config = TrainingConfig {
        epochs: args.epochs,
        learning_rate: args.lr,
        batch_size: args.batch_size,
        patience: Some(5),
        seed: args.seed,
        quiet: args.quiet,
        ..Default::default()
    };
    println!(
        "training  LSTM-AE (hidden {}, latent {}) on {} windows, validating on {}, device {}",
        spec.hidden,
        spec.latent,
        train.labels().len(),
        valid.labels().len(),
        args.device
    );
    let trained = Trainer::new(config)?
        .with_devices(vec![device.clone()])
        .fit(spec.init(&device)?, &train, &valid)?;
    let history = &trained.history;
    println!(
        "          {} epochs in {:.1} s, best validation MSE {:.4} (epoch {})",
        history.epochs.len(),
        trained.wall_time.as_secs_f64(),
        history.best().map_or(f64::NAN, |e| e.valid_loss),
        history.best_epoch
    );
    let (epochs, best_epoch) = (history.epochs.len(), history.best_epoch);

    // 5. Threshold and calibration from the validation windows; save the detector.
    let score = ReconstructionError::Mse;
    let valid_scores = BatchScorer::default().score(&trained.model, &score, &valid, &device)?;
    let spec = ModelSpec::LstmAutoencoder(spec);
    let train_fingerprint = fingerprint(&clean[..train_end]);
    let detector = Detector {
        metadata: Metadata::new(
            &spec,
            len,
            fs,
            &ecg.lead_names[0],
            args.seed,
            train_fingerprint,
        ),
        model: trained.model.into(),
        spec,
        normalizer,
        score: score.into(),
        calibration: Calibration::fit(&valid_scores)?,
        threshold: Threshold::fit(
            ThresholdMethod::Percentile { q: args.percentile },
            &valid_scores,
        )?,
    };
    let folder = args.out.parent().unwrap_or(Path::new(".")).to_path_buf();
    std::fs::create_dir_all(&folder)?;
    let detector_dir = folder.join("detector");
    detector.save(&detector_dir)?;
    println!(
        "detector  threshold {:.4} ({}th percentile of validation errors), saved to {}",
        detector.threshold.value,
        args.percentile,
        detector_dir.display()
    );

    // 6. Judge every window (the detector normalises raw windows itself) and write them out.
    let verdicts = detector.detect(&all.data, 256, &device)?;
    write_windows(
        &args.out,
        &all.starts,
        len,
        fs,
        &verdicts,
        args.only_flagged,
    )?;
    let flags: Vec<bool> = verdicts.iter().map(|v| v.anomaly).collect();

    let truth_path = args
        .truth
        .clone()
        .or_else(|| (args.csv == Path::new(DEMO_CSV)).then(|| PathBuf::from(DEMO_TRUTH)));
    let truth = match truth_path {
        Some(path) => Some(check_truth(&path, &all.starts, len, &flags)?),
        None => None,
    };
    Ok(Summary {
        window: len,
        stride,
        windows: verdicts.len(),
        flagged: flags.iter().filter(|&&f| f).count(),
        train_windows: train.labels().len(),
        valid_windows: valid.labels().len(),
        epochs,
        best_epoch,
        threshold: detector.threshold.value,
        out: args.out,
        detector: detector_dir,
        truth,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Whole samples in `seconds`, at least one.
fn seconds_to_samples(seconds: f64, fs: f64) -> Result<usize, Box<dyn Error>> {
    let samples = (seconds * fs).round();
    if !(samples >= 1.0 && samples.is_finite()) {
        return Err(format!("{seconds} s at {fs} Hz is not a positive number of samples").into());
    }
    Ok(samples as usize)
}

/// One CSV row per window (or per flagged window).
fn write_windows(
    path: &Path,
    starts: &[usize],
    len: usize,
    fs: f64,
    verdicts: &[Verdict],
    only_flagged: bool,
) -> Result<(), Box<dyn Error>> {
    let mut out = csv::Writer::from_path(path)?;
    out.write_record([
        "window",
        "start_sample",
        "end_sample",
        "start_s",
        "score",
        "calibrated",
        "anomaly",
    ])?;
    for (i, (&s, v)) in starts.iter().zip(verdicts).enumerate() {
        if only_flagged && !v.anomaly {
            continue;
        }
        out.write_record([
            i.to_string(),
            s.to_string(),
            (s + len).to_string(),
            format!("{:.3}", s as f64 / fs),
            format!("{:.6}", v.score),
            format!("{:.4}", v.calibrated),
            v.anomaly.to_string(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// Counts abnormal R-peaks (kind other than `Normal`) inside flagged windows, and flagged
/// windows holding one.
fn check_truth(
    path: &Path,
    starts: &[usize],
    len: usize,
    flags: &[bool],
) -> Result<TruthCheck, Box<dyn Error>> {
    let mut abnormal = Vec::new();
    for row in csv::Reader::from_path(path)?.records() {
        let row = row?;
        let (Some(sample), Some(kind)) = (row.get(0), row.get(1)) else {
            return Err(format!("{}: a row needs sample and kind", path.display()).into());
        };
        if kind.trim() != "Normal" {
            abnormal.push(sample.trim().parse::<usize>()?);
        }
    }
    let holds = |s: usize, peak: usize| (s..s + len).contains(&peak);
    let mut check = TruthCheck {
        abnormal_beats: 0,
        caught: 0,
        flagged_with_abnormal: 0,
    };
    for &peak in &abnormal {
        let containing: Vec<bool> = starts
            .iter()
            .zip(flags)
            .filter(|(s, _)| holds(**s, peak))
            .map(|(_, &f)| f)
            .collect();
        if !containing.is_empty() {
            check.abnormal_beats += 1;
            check.caught += usize::from(containing.contains(&true));
        }
    }
    check.flagged_with_abnormal = starts
        .iter()
        .zip(flags)
        .filter(|(s, f)| **f && abnormal.iter().any(|&p| holds(**s, p)))
        .count();
    Ok(check)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}
