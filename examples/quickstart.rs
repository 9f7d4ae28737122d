//! Quickstart: fit an anomaly detector on a synthetic ECG (or your own CSV), save it, load it
//! and judge the beats of a part of the recording it has not seen.
//!
//! ```sh
//! cargo run --release --example quickstart                            # 20 min of synthetic ECG
//! cargo run --release --example quickstart -- --csv my.csv --fs 250   # your own single-lead CSV
//! ```
//!
//! The detector is fitted on the first 75 % of the recording, unlabelled: it learns what most
//! beats look like (the 5 % injected abnormal ones included, as in a real recording), holds out
//! the last fifth of them to stop training and to set its threshold at the 95th percentile of
//! their scores. The labels of the synthetic ECG only measure the verdicts on the last 25 %.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use ecg_anomaly::data::synthetic::SyntheticBeat;
use ecg_anomaly::evaluate::{ConfusionMatrix, Ranking, class_recall};
use ecg_anomaly::prelude::*;

#[derive(Parser)]
#[command(about = "Fit a detector on synthetic (or CSV) ECG, then flag the beats of a later part")]
struct Args {
    /// Minutes of synthetic ECG to generate (ignored with --csv).
    #[arg(long, default_value_t = 20.0)]
    minutes: f64,
    /// Share of abnormal beats injected in the synthetic ECG.
    #[arg(long, default_value_t = 0.05)]
    anomaly_rate: f64,
    /// Seed of the synthetic ECG and of the training run.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// A CSV signal (one value a row, or columns: the first lead is used) instead.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Sampling rate in Hz: of the CSV, or of the generated ECG.
    #[arg(long, default_value_t = 125.0)]
    fs: f64,
    /// Most training epochs; early stopping on held-out normal beats ends sooner as a rule.
    #[arg(long, default_value_t = TrainingConfig::default().epochs)]
    epochs: usize,
    /// Where the model runs: flex (CPU, default), ndarray, wgpu, wgpu:cpu, ...
    #[arg(long, default_value = "flex")]
    device: DeviceChoice,
    /// Folder the fitted detector is saved to.
    #[arg(long, default_value = "target/quickstart-detector")]
    out: PathBuf,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let start = Instant::now();
    let device = args.device.device()?;

    // 1. A lead: synthetic with known beats, or yours.
    let (ecg, truth) = match &args.csv {
        Some(path) => (read_csv(path, args.fs, &CsvOptions::default())?, None),
        None => {
            let record = generate(&SyntheticConfig {
                fs: args.fs,
                length: SyntheticLength::Seconds(args.minutes * 60.0),
                anomaly_rate: args.anomaly_rate,
                seed: args.seed,
                ..Default::default()
            })?;
            (record.ecg, Some(record.beats))
        }
    };
    let (lead, fs) = (&ecg.leads[0], ecg.fs);
    let cut = lead.len() * 3 / 4;
    println!(
        "signal    {:.1} min at {fs} Hz; fit on the first 75 %",
        ecg.duration_s() / 60.0
    );

    // 2. Configure and fit: clean, find beats, train, threshold - one call, seeded.
    // The library's default detector (the one MIT-BIH's protocol chose), seeded.
    let config = DetectorConfig {
        training: TrainingConfig {
            epochs: args.epochs,
            seed: args.seed,
            // training_log.csv in the output folder, a row per epoch as it ends.
            log_dir: Some(args.out.clone()),
            ..Default::default()
        },
        ..Default::default()
    };
    let detector = config.fit_signal(&lead[..cut], fs, &device)?;
    let meta = detector.metadata();
    println!(
        "fitted    on {} beats of {} samples (held out {}) in {:.1} s, threshold {:.4}",
        meta.training_windows,
        meta.seq,
        meta.validation_windows,
        start.elapsed().as_secs_f64(),
        detector.threshold().value
    );

    // 3. Save, load back (as a service would) and judge the unseen last 25 %.
    detector.save(&args.out)?;
    let detector = Detector::load(&args.out, &device)?;
    let verdicts = detector.detect_signal(&lead[cut..], fs)?;
    let flagged = verdicts.iter().filter(|v| v.anomaly).count();
    println!(
        "detect    {} beats, {flagged} flagged; saved to {}",
        verdicts.len(),
        args.out.display()
    );
    if let Some(truth) = truth {
        measure(&verdicts, &truth, cut, (0.1 * fs) as usize)?;
    }
    println!("done in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// Precision, recall, ROC-AUC and recall per beat kind against the generated beats: labels
/// only measure here.
fn measure(verdicts: &[Verdict], truth: &[SyntheticBeat], offset: usize, tol: usize) -> Result<()> {
    let (mut flags, mut labels, mut scores, mut kinds) = (vec![], vec![], vec![], vec![]);
    for v in verdicts {
        let at = v.position.unwrap_or_default() + offset;
        let i = truth.partition_point(|b| b.r_peak < at);
        let near = [i.wrapping_sub(1), i]
            .into_iter()
            .filter_map(|j| truth.get(j));
        let Some(beat) = near.min_by_key(|b| b.r_peak.abs_diff(at)) else {
            continue;
        };
        if beat.r_peak.abs_diff(at) <= tol {
            flags.push(v.anomaly);
            labels.push(beat.kind.is_anomaly());
            scores.push(v.score);
            kinds.push(format!("{:?}", beat.kind));
        }
    }
    let cm = ConfusionMatrix::from_flags(&flags, &labels)?;
    let ranking = Ranking::new(&scores, &labels)?;
    println!(
        "truth     precision {:.3}, recall {:.3}, ROC-AUC {:.3}, AP {:.3} ({} abnormal of {})",
        cm.precision(),
        cm.recall(),
        ranking.roc_auc(),
        ranking.average_precision(),
        cm.positives(),
        labels.len()
    );
    let per_kind: Vec<String> = class_recall(&flags, &kinds)?
        .iter()
        .map(|c| format!("{} {}/{}", c.class, c.detected, c.n))
        .collect();
    println!("          flagged per kind: {}", per_kind.join(", "));
    Ok(())
}
