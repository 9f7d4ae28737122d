//! Beats one a row, as the public benchmark archives ship them: train on the normal rows,
//! report ROC-AUC and AP against the labels.
//!
//! ```sh
//! cargo run --release --example beat_matrix                     # a generated matrix
//! cargo run --release --example beat_matrix -- --file mitbih_test.csv --label last --normal 0
//! cargo run --release --example beat_matrix -- --file ECG5000_TRAIN.tsv --label first --normal 1
//! ```
//!
//! Without `--file` it writes a matrix of synthetic beats (label last, `0` normal) to the
//! output folder and reads it back. The detector is fitted on the first 70 % of the normal rows
//! (the last fifth of those held out for early stopping and the threshold); the other rows are
//! judged. The labels pick the normal training rows and measure; they choose nothing else.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use ecg_anomaly::data::matrix::{LabelColumn, MatrixOptions, read_beat_matrix};
use ecg_anomaly::evaluate::Ranking;
use ecg_anomaly::prelude::*;
use ecg_anomaly::preprocess::{BeatWindow, segment_beats};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Label {
    First,
    Last,
}

#[derive(Parser)]
#[command(about = "Fit a detector on the normal rows of a beat matrix, judge the others")]
struct Args {
    /// A beat matrix (comma, semicolon, tab or space separated); a generated one without it.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Where the file keeps its labels.
    #[arg(long, value_enum, default_value_t = Label::Last)]
    label: Label,
    /// The label of normal beats (compared as a number when it is one: 0 matches 0.0).
    #[arg(long, default_value = "0")]
    normal: String,
    /// Most training epochs (early stopping may end sooner).
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Seed of the generated beats and of the training run.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the model runs: flex (CPU, default), ndarray, wgpu, ...
    #[arg(long, default_value = "flex")]
    device: DeviceChoice,
    /// Output folder (the generated matrix is written there).
    #[arg(long, default_value = "target/beat-matrix")]
    out: PathBuf,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let start = Instant::now();
    let device = args.device.device()?;
    std::fs::create_dir_all(&args.out)?;
    let path = match &args.file {
        Some(path) => path.clone(),
        None => write_synthetic(&args)?,
    };
    let label = match args.label {
        Label::First => LabelColumn::First,
        Label::Last => LabelColumn::Last,
    };
    let options = MatrixOptions {
        label,
        ..MatrixOptions::default()
    };
    let matrix = read_beat_matrix(&path, &options)?;
    let abnormal = matrix
        .anomalies(&args.normal)
        .ok_or("the file has no labels")?;
    println!(
        "read      {} beats of {} samples from {} ({} abnormal)",
        matrix.count(),
        matrix.len,
        path.display(),
        abnormal.iter().filter(|&&a| a).count()
    );

    // The first 70 % of the normal rows train; everything else is judged.
    let normal: Vec<usize> = (0..matrix.count()).filter(|&i| !abnormal[i]).collect();
    let train_rows = &normal[..normal.len() * 7 / 10];
    let test_rows: Vec<usize> = (0..matrix.count())
        .filter(|i| train_rows.binary_search(i).is_err())
        .collect();
    let train = matrix.select(train_rows)?;
    let test = matrix.select(&test_rows)?;
    let config = DetectorConfig {
        training: TrainingConfig {
            epochs: args.epochs,
            learning_rate: 3e-3,
            patience: Some(4),
            seed: args.seed,
            ..Default::default()
        },
        ..Default::default()
    };
    let detector = config.fit(&train, &device)?;
    let verdicts = detector.detect(&test)?;
    let scores: Vec<f64> = verdicts.iter().map(|v| v.score).collect();
    let labels: Vec<bool> = test_rows.iter().map(|&i| abnormal[i]).collect();
    let ranking = Ranking::new(&scores, &labels)?;
    let flagged_normal = (verdicts.iter().zip(&labels))
        .filter(|&(v, &a)| v.anomaly && !a)
        .count();
    let normals = labels.iter().filter(|&&a| !a).count().max(1);
    println!(
        "fitted    on {} normal beats in {:.1} s",
        train.count(),
        start.elapsed().as_secs_f64()
    );
    println!(
        "judged    {} beats: ROC-AUC {:.3}, AP {:.3}, normal beats flagged {:.1} % \
         (threshold from held-out normal rows; labels only measure)",
        test.count(),
        ranking.roc_auc(),
        ranking.average_precision(),
        100.0 * flagged_normal as f64 / normals as f64
    );
    Ok(())
}

/// Synthetic beats, one a row, label last (0 normal, 1 abnormal), written to the output folder.
fn write_synthetic(args: &Args) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let record = generate(&SyntheticConfig {
        fs: 125.0,
        length: SyntheticLength::Seconds(15.0 * 60.0),
        anomaly_rate: 0.1,
        seed: args.seed,
        ..Default::default()
    })?;
    // 0.25 s before and 0.45 s after each R-peak at 125 Hz.
    let window = BeatWindow::new(31, 56);
    let centres: Vec<usize> = record.beats.iter().map(|b| b.r_peak).collect();
    let cut = segment_beats(&record.ecg.leads[0], &centres, window)?;
    let mut text = String::new();
    for (row, &k) in cut.data.chunks(cut.len).zip(&cut.kept) {
        for v in row {
            write!(text, "{v:.5},")?;
        }
        writeln!(text, "{}", u8::from(record.beats[k].is_anomaly()))?;
    }
    let path = args.out.join("synthetic_beats.csv");
    std::fs::write(&path, text)?;
    Ok(path)
}
