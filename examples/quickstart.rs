//! Quickstart: train an anomaly detector on a synthetic ECG (or your own CSV) and use it.
//!
//! ```sh
//! cargo run --release --example quickstart                        # 20 min of synthetic ECG
//! cargo run --release --example quickstart -- --csv my.csv --fs 250   # your own single-lead CSV
//! ```
//!
//! 1. Data: an ECG with injected abnormal beats (PVC, APC, junctional, ST shifts), whose
//!    ground truth is known, or an unlabelled CSV.
//! 2. Preprocess: band-pass, R-peaks, one window per beat, unusable beats dropped, each beat
//!    z-scored.
//! 3. Train an LSTM autoencoder briefly on the normal beats of the first 60 % of the recording
//!    (every beat of it for a CSV), validating on the next 15 %.
//! 4. Fit the threshold at the 95th percentile of the validation beats' reconstruction errors,
//!    save the detector, and flag the beats of the last 25 %.
//! 5. Print precision and recall against the injected labels, and the time taken.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use ecg_anomaly::data::Ecg;
use ecg_anomaly::data::batch::WindowDataset;
use ecg_anomaly::data::csv::{CsvOptions, read_csv};
use ecg_anomaly::data::synthetic::{BeatKind, SyntheticConfig, SyntheticLength, generate};
use ecg_anomaly::detector::{Detector, Metadata, ModelSpec, fingerprint};
use ecg_anomaly::device::DeviceChoice;
use ecg_anomaly::evaluate::{ConfusionMatrix, Ranking, class_recall};
use ecg_anomaly::model::LstmAutoencoderConfig;
use ecg_anomaly::preprocess::rpeak::{RPeakMethod, detect_r_peaks};
use ecg_anomaly::preprocess::{
    BandPass, BeatWindow, Normalization, Normalizer, QualityConfig, SignalFilter, assess_quality,
    segment_labelled,
};
use ecg_anomaly::score::{BatchScorer, Calibration, ReconstructionError};
use ecg_anomaly::threshold::{Threshold, ThresholdMethod};
use ecg_anomaly::train::{Trainer, TrainingConfig};

#[derive(Parser)]
#[command(
    about = "Train an LSTM autoencoder on synthetic (or CSV) ECG beats and flag abnormal ones"
)]
struct Args {
    /// Minutes of synthetic ECG to generate (ignored with --csv).
    #[arg(long, default_value_t = 20.0)]
    minutes: f64,
    /// Fraction of abnormal beats injected in the synthetic ECG.
    #[arg(long, default_value_t = 0.05)]
    anomaly_rate: f64,
    /// Seed of the synthetic ECG and of the training run.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// A CSV signal (one value a row, or columns: the first lead is used) instead of synthetic data.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Sampling rate in Hz: of the CSV, or of the generated ECG.
    #[arg(long, default_value_t = 125.0)]
    fs: f64,
    /// Training epochs (early stopping may end sooner).
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 3e-3)]
    lr: f64,
    /// Beats per training batch.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Hidden units of the LSTMs.
    #[arg(long, default_value_t = 64)]
    hidden: usize,
    /// Size of the decoder's time code (0: the plain repeat-vector decoder).
    #[arg(long, default_value_t = 8)]
    time_features: usize,
    /// Where the models run: flex (CPU, default), ndarray, wgpu, wgpu:cpu, ...
    #[arg(long, default_value = "flex")]
    device: DeviceChoice,
    /// Folder the trained detector is saved to.
    #[arg(long, default_value = "target/quickstart-detector")]
    out: PathBuf,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let start = Instant::now();
    let device = args.device.device()?;

    // 1. Data in: a labelled synthetic record, or an unlabelled CSV.
    let (ecg, truth) = load(&args)?;
    let fs = ecg.fs;
    let lead = &ecg.leads[0];
    println!(
        "signal    {} lead `{}`, {:.1} min at {fs} Hz",
        if truth.is_some() { "synthetic" } else { "CSV" },
        ecg.lead_names[0],
        ecg.duration_s() / 60.0
    );

    // 2. Clean, find R-peaks, cut one window per beat, drop unusable beats, z-score each beat.
    let clean = BandPass::default().apply(lead, fs)?;
    let peaks = detect_r_peaks(&clean, fs, RPeakMethod::default())?;
    let window = BeatWindow::for_fs(fs)?;
    let kinds: Vec<Option<BeatKind>> = match &truth {
        Some(truth) => peaks
            .iter()
            .map(|&p| nearest_kind(truth, p, (0.15 * fs) as usize))
            .collect(),
        None => vec![None; peaks.len()],
    };
    let (beats, kinds) = segment_labelled(&clean, &peaks, &kinds, window)?;
    let normalizer = Normalization::WindowZScore;
    let quality = QualityConfig::default();
    let (mut data, mut labels) = (Vec::new(), Vec::new());
    for (i, &centre) in beats.centres.iter().enumerate() {
        let raw = &lead[centre - window.before..centre + window.after];
        if assess_quality(raw, fs, &quality)?.ok {
            let start = data.len();
            data.extend_from_slice(beats.get(i).unwrap_or_default());
            normalizer.normalize(&mut data[start..]);
            labels.push(kinds[i]);
        }
    }
    let seq = beats.len;
    println!(
        "beats     {} found, {} usable, {seq} samples each",
        peaks.len(),
        labels.len()
    );

    // 3. Chronological split: train | validation | test = 60 | 15 | 25 %. Training and
    //    validation keep normal beats only when the truth is known (as annotations would give).
    let n = labels.len();
    let (train_end, valid_end) = (n * 60 / 100, n * 75 / 100);
    let normal = |i: &usize| labels[*i].is_none_or(|k| !k.is_anomaly());
    let pick = |range: std::ops::Range<usize>, normal_only: bool| -> ecg_anomaly::Result<_> {
        let rows: Vec<usize> = range.filter(|i| !normal_only || normal(i)).collect();
        let samples = rows
            .iter()
            .flat_map(|&i| data[i * seq..(i + 1) * seq].iter().copied())
            .collect();
        let anomaly = rows
            .iter()
            .map(|&i| labels[i].is_some_and(BeatKind::is_anomaly))
            .collect();
        Ok((WindowDataset::new(samples, seq, 1, anomaly)?, rows))
    };
    let (train, _) = pick(0..train_end, true)?;
    let (valid, _) = pick(train_end..valid_end, true)?;
    let (test, test_rows) = pick(valid_end..n, false)?;

    // 4. Train an LSTM autoencoder briefly, on `--device`.
    let spec = LstmAutoencoderConfig {
        hidden: args.hidden,
        time_features: args.time_features,
        ..Default::default()
    };
    let config = TrainingConfig {
        epochs: args.epochs,
        learning_rate: args.lr,
        batch_size: args.batch_size,
        patience: Some(5),
        seed: args.seed,
        ..Default::default()
    };
    println!(
        "training  LSTM-AE (hidden {}, latent {}) on {} beats, validating on {}, device {}",
        spec.hidden,
        spec.latent,
        train.labels().len(),
        valid.labels().len(),
        args.device
    );
    let trained = Trainer::new(config)?
        .with_devices(vec![device.clone()])
        .fit(spec.init(&device)?, &train, &valid)?;
    let best = trained.history.best().map_or(f64::NAN, |e| e.valid_loss);
    println!(
        "          {} epochs in {:.1} s, best validation MSE {best:.4} (epoch {})",
        trained.history.epochs.len(),
        trained.wall_time.as_secs_f64(),
        trained.history.best_epoch
    );

    // 5. Threshold and calibration from the validation beats' errors; save the detector.
    let score = ReconstructionError::Mse;
    let valid_scores = BatchScorer::default().score(&trained.model, &score, &valid, &device)?;
    let spec = ModelSpec::LstmAutoencoder(spec);
    let detector = Detector {
        metadata: Metadata::new(
            &spec,
            seq,
            fs,
            &ecg.lead_names[0],
            args.seed,
            fingerprint(&data),
        ),
        model: trained.model.into(),
        spec,
        normalizer,
        score: score.into(),
        calibration: Calibration::fit(&valid_scores)?,
        threshold: Threshold::fit(ThresholdMethod::Percentile { q: 95.0 }, &valid_scores)?,
    };
    detector.save(&args.out)?;
    println!(
        "detector  threshold {:.4} (95th percentile of validation errors), saved to {}",
        detector.threshold.value,
        args.out.display()
    );

    // 6. Flag the test beats: the detector normalises raw beats itself.
    let raw: Vec<f32> = test_rows
        .iter()
        .flat_map(|&i| beats.get(i).unwrap_or_default().iter().copied())
        .collect();
    let verdicts = detector.detect(&raw, 256, &device)?;
    let flags: Vec<bool> = verdicts.iter().map(|v| v.anomaly).collect();
    println!(
        "test      {} beats, {} flagged",
        flags.len(),
        flags.iter().filter(|&&f| f).count()
    );
    if truth.is_some() {
        report(&verdicts, &flags, test.labels(), &test_rows, &labels)?;
    }
    println!("done in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

type Truth = Vec<(usize, BeatKind)>;

/// The ECG and, for synthetic data, each beat's R-peak and kind.
fn load(args: &Args) -> ecg_anomaly::Result<(Ecg, Option<Truth>)> {
    if let Some(path) = &args.csv {
        return Ok((read_csv(path, args.fs, &CsvOptions::default())?, None));
    }
    let config = SyntheticConfig {
        fs: args.fs,
        length: SyntheticLength::Seconds(args.minutes * 60.0),
        anomaly_rate: args.anomaly_rate,
        seed: args.seed,
        ..Default::default()
    };
    let record = generate(&config)?;
    let truth = record.beats.iter().map(|b| (b.r_peak, b.kind)).collect();
    Ok((record.ecg, Some(truth)))
}

/// Precision, recall, AUC and recall per kind of the test beats.
fn report(
    verdicts: &[ecg_anomaly::detector::Verdict],
    flags: &[bool],
    truth: &[bool],
    rows: &[usize],
    labels: &[Option<BeatKind>],
) -> ecg_anomaly::Result<()> {
    let cm = ConfusionMatrix::from_flags(flags, truth)?;
    println!(
        "          precision {:.3}, recall {:.3}, F1 {:.3} against the injected labels ({} abnormal)",
        cm.precision(),
        cm.recall(),
        cm.f1(),
        cm.positives()
    );
    let scores: Vec<f64> = verdicts.iter().map(|v| v.score).collect();
    if let Ok(ranking) = Ranking::new(&scores, truth) {
        println!(
            "          ROC-AUC {:.3}, average precision {:.3} (threshold-free)",
            ranking.roc_auc(),
            ranking.average_precision()
        );
    }
    let kinds: Vec<String> = rows
        .iter()
        .map(|&i| labels[i].map_or("unmatched".into(), |k| format!("{k:?}")))
        .collect();
    let per_kind: Vec<String> = class_recall(flags, &kinds)?
        .iter()
        .map(|c| format!("{} {}/{}", c.class, c.detected, c.n))
        .collect();
    println!("          flagged per kind: {}", per_kind.join(", "));
    Ok(())
}

/// The kind of the true beat nearest to `peak` within `tolerance` samples.
fn nearest_kind(truth: &[(usize, BeatKind)], peak: usize, tolerance: usize) -> Option<BeatKind> {
    let i = truth.partition_point(|&(s, _)| s < peak);
    [i.checked_sub(1), Some(i)]
        .into_iter()
        .flatten()
        .filter_map(|j| truth.get(j))
        .filter(|(s, _)| s.abs_diff(peak) <= tolerance)
        .min_by_key(|(s, _)| s.abs_diff(peak))
        .map(|&(_, kind)| kind)
}
