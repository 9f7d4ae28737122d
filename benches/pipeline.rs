//! The whole beat pipeline on MIT-BIH: all 48 records read, band-passed (0.5–40 Hz), R-peak
//! detected and cut into 140 + 180-sample beats, records in parallel (`ECG_DATA_DIR` must be
//! set). MLII for every record but 102 and 104, which have none (V5 there).
//!
//! And the resampler alone, on 30 minutes of synthetic ECG at 360 Hz (a MIT-BIH record's
//! length) taken to 125 Hz, the rate the quickstart's detector runs at.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecg_anomaly::data::synthetic::{SyntheticConfig, SyntheticLength, generate};
use ecg_anomaly::preprocess::resample;
use ecg_anomaly::study::mitbih::{BeatConfig, RPeakFilter, find_mitdb, load_all_records};

fn resampling(c: &mut Criterion) {
    let signal = generate(&SyntheticConfig {
        length: SyntheticLength::Seconds(1800.0),
        fs: 360.0,
        ..SyntheticConfig::default()
    })
    .unwrap()
    .clean;
    let mut group = c.benchmark_group("resample");
    group.sample_size(10);
    group.throughput(Throughput::Elements(signal.len() as u64));
    group.bench_function("30_min_360_to_125_hz", |b| {
        b.iter(|| black_box(resample(black_box(&signal), 360.0, 125.0).unwrap()))
    });
    group.finish();
}

fn pipeline(c: &mut Criterion) {
    let dir = match find_mitdb() {
        Ok(dir) => dir,
        Err(e) => return eprintln!("skipped pipeline: {e}"),
    };
    // Detect R-peaks and match them to the annotations, without dropping beats.
    let mlii = BeatConfig {
        r_peak_filter: Some(RPeakFilter {
            classes: Vec::new(),
            ..RPeakFilter::default()
        }),
        ..BeatConfig::default()
    };
    let mut group = c.benchmark_group("mitbih");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    group.bench_function("48_records_load_bandpass_rpeak_segment", |b| {
        b.iter(|| black_box(load_all_records(&dir, &mlii).unwrap().beats.count()))
    });
    group.finish();
}

criterion_group!(benches, resampling, pipeline);
criterion_main!(benches);
