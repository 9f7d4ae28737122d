//! Quickstart: the data pipeline on a synthetic ECG (or your own CSV), end to end.
//!
//! ```sh
//! cargo run --release --example quickstart                      # 10 minutes of synthetic ECG
//! cargo run --release --example quickstart -- --csv my.csv --fs 250   # your own single-lead CSV
//! ```
//!
//! Generates (or reads) an ECG, band-passes it, finds R-peaks, segments beats, drops unusable
//! ones, normalises them, and prints what it found: detector accuracy against the generator's
//! ground truth, beats per kind, and the mean normal and abnormal beat.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use ecg_anomaly::data::Ecg;
use ecg_anomaly::data::csv::{CsvOptions, read_csv};
use ecg_anomaly::data::synthetic::{BeatKind, SyntheticConfig, SyntheticLength, generate};
use ecg_anomaly::preprocess::rpeak::{RPeakMethod, detect_r_peaks, match_peaks};
use ecg_anomaly::preprocess::{
    BandPass, BeatWindow, Normalization, Normalizer, QualityConfig, SignalFilter, assess_quality,
    segment_labelled,
};

#[derive(Parser)]
#[command(about = "Synthetic (or CSV) ECG -> filtered -> R-peaks -> beats, with a summary")]
struct Args {
    /// Minutes of synthetic ECG to generate (ignored with --csv).
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Fraction of abnormal beats injected in the synthetic ECG.
    #[arg(long, default_value_t = 0.05)]
    anomaly_rate: f64,
    /// Seed of the synthetic ECG.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// A CSV signal (one value a row, or columns: the first lead is used) instead of synthetic data.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Sampling rate of the CSV in Hz.
    #[arg(long, default_value_t = 360.0)]
    fs: f64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let start = Instant::now();

    // 1. Data in: a labelled synthetic record, or an unlabelled CSV.
    let (ecg, truth): (Ecg, Option<Vec<(usize, BeatKind)>>) = match &args.csv {
        Some(path) => (read_csv(path, args.fs, &CsvOptions::default())?, None),
        None => {
            let config = SyntheticConfig {
                length: SyntheticLength::Seconds(args.minutes * 60.0),
                anomaly_rate: args.anomaly_rate,
                seed: args.seed,
                ..Default::default()
            };
            let record = generate(&config)?;
            let truth = record.beats.iter().map(|b| (b.r_peak, b.kind)).collect();
            (record.ecg, Some(truth))
        }
    };
    let fs = ecg.fs;
    let lead = &ecg.leads[0];
    println!(
        "signal      {} lead `{}`, {:.1} min at {fs} Hz",
        if truth.is_some() { "synthetic" } else { "CSV" },
        ecg.lead_names[0],
        ecg.duration_s() / 60.0
    );

    // 2. Clean: zero-phase 0.5-40 Hz Butterworth band-pass.
    let clean = BandPass::default().apply(lead, fs)?;

    // 3. Find R-peaks, and score the detector when the truth is known.
    let peaks = detect_r_peaks(&clean, fs, RPeakMethod::default())?;
    println!("r-peaks     {} found", peaks.len());
    let window = BeatWindow::for_fs(fs)?;
    let labels: Vec<Option<BeatKind>> = match &truth {
        Some(truth) => {
            let reference: Vec<usize> = truth.iter().map(|&(s, _)| s).collect();
            let tolerance = (0.15 * fs).round() as usize;
            let counts = match_peaks(&reference, &peaks, tolerance);
            println!(
                "            Se {:.2}%  +P {:.2}% against the generator's {} beats (150 ms tolerance)",
                100.0 * counts.sensitivity(),
                100.0 * counts.positive_predictivity(),
                reference.len()
            );
            peaks
                .iter()
                .map(|&p| nearest_kind(truth, p, tolerance))
                .collect()
        }
        None => vec![None; peaks.len()],
    };

    // 4. Segment beats around the peaks (140 + 180 samples at 360 Hz, scaled to fs).
    let (beats, labels) = segment_labelled(&clean, &peaks, &labels, window)?;

    // 5. Drop unusable beats (flat line, clipping, noise), judged on the raw signal.
    let quality = QualityConfig::default();
    let mut usable = Vec::with_capacity(beats.count());
    for (i, &centre) in beats.centres.iter().enumerate() {
        let raw = &lead[centre - window.before..centre + window.after];
        if assess_quality(raw, fs, &quality)?.ok {
            usable.push(i);
        }
    }

    // 6. Normalise each beat (per-window z-score) for a model.
    let normalizer = Normalization::WindowZScore;
    let mut data = Vec::with_capacity(usable.len() * beats.len);
    for &i in &usable {
        let start = data.len();
        data.extend_from_slice(beats.get(i).unwrap_or_default());
        normalizer.normalize(&mut data[start..]);
    }
    println!(
        "beats       {} segmented ({} samples each: {} before, {} after the peak), {} usable",
        beats.count(),
        beats.len,
        window.before,
        window.after,
        usable.len()
    );

    if truth.is_some() {
        print_kinds_and_shapes(&data, beats.len, &usable, &labels);
    }
    println!("done in {:.2} s", start.elapsed().as_secs_f64());
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

/// Beats per kind, and the mean normal and abnormal beat drawn as text.
fn print_kinds_and_shapes(data: &[f32], len: usize, usable: &[usize], labels: &[Option<BeatKind>]) {
    let kinds = [BeatKind::Normal].into_iter().chain(BeatKind::ANOMALIES);
    let counts: Vec<String> = kinds
        .map(|k| {
            let n = usable.iter().filter(|&&i| labels[i] == Some(k)).count();
            format!("{k:?} {n}")
        })
        .collect();
    println!("            {}", counts.join(", "));
    for (name, abnormal) in [("mean normal  ", false), ("mean abnormal", true)] {
        let mut mean = vec![0.0f32; len];
        let mut n = 0;
        for (row, &i) in usable.iter().enumerate() {
            if labels[i].is_some_and(|k| k.is_anomaly() == abnormal) {
                mean.iter_mut()
                    .zip(&data[row * len..(row + 1) * len])
                    .for_each(|(m, v)| *m += v);
                n += 1;
            }
        }
        if n > 0 {
            mean.iter_mut().for_each(|m| *m /= n as f32);
            println!("{name} {}  ({n} beats)", sparkline(&mean, 64));
        }
    }
}

/// A one-line text plot of `values`, resampled to `width` characters.
fn sparkline(values: &[f32], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (lo, hi) = values
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let span = (hi - lo).max(f32::EPSILON);
    (0..width)
        .map(|c| {
            let v = values[c * values.len() / width];
            BARS[(((v - lo) / span) * 7.0).round() as usize]
        })
        .collect()
}
