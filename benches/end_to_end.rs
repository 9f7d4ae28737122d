//! What a user waits for, end to end, on the default device (flex, CPU):
//!
//! - `quickstart_fit`: `examples/quickstart.rs`'s fit: 15 of 20 minutes of synthetic ECG at
//!   125 Hz (seed 42) cleaned, segmented and trained on (default LSTM autoencoder, at most 12
//!   epochs, early stopping), calibrated and thresholded: one `DetectorConfig::fit_signal`;
//! - `score_record_100`: `Detector::detect_signal` on MIT-BIH record 100's MLII lead
//!   (30 minutes at 360 Hz: band-pass, R peaks, beats, model, scores, verdicts), with the
//!   detector fitted above; throughput in beats;
//! - `stream_record_100`: the same record through `StreamingDetector`, pushed one second at a
//!   time; throughput in beats.
//!
//! `ECG_DATA_DIR` must name the folder that holds `mitdb/` for the two record benches.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecg_anomaly::prelude::*;
use ecg_anomaly::stream::{StreamConfig, StreamingDetector};
use ecg_anomaly::study::mitbih::find_mitdb;

/// The quickstart's fit, as `examples/quickstart.rs` runs it by default.
fn quickstart_fit(device: &Device) -> Detector {
    let record = generate(&SyntheticConfig {
        fs: 125.0,
        length: SyntheticLength::Seconds(20.0 * 60.0),
        anomaly_rate: 0.05,
        seed: 42,
        ..Default::default()
    })
    .unwrap();
    let lead = &record.ecg.leads[0];
    let config = DetectorConfig {
        training: TrainingConfig {
            epochs: 12,
            learning_rate: 3e-3,
            batch_size: 32,
            patience: Some(5),
            seed: 42,
            quiet: true,
            ..Default::default()
        },
        ..Default::default()
    };
    config
        .fit_signal(&lead[..lead.len() * 3 / 4], record.ecg.fs, device)
        .unwrap()
}

fn end_to_end(c: &mut Criterion) {
    let device = default_device();
    let mut group = c.benchmark_group("end_to_end");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function("quickstart_fit", |b| {
        b.iter(|| black_box(quickstart_fit(&device)))
    });

    let dir = match find_mitdb() {
        Ok(dir) => dir,
        Err(e) => return eprintln!("skipped the record benches: {e}"),
    };
    let ecg = read_ecg(dir.join("100")).unwrap();
    let lead = ecg.lead("MLII").unwrap().to_vec();
    let detector = Arc::new(quickstart_fit(&device));
    let beats = detector.detect_signal(&lead, ecg.fs).unwrap().len();
    group.throughput(Throughput::Elements(beats as u64));
    group.bench_function("score_record_100", |b| {
        b.iter(|| black_box(detector.detect_signal(&lead, ecg.fs).unwrap().len()))
    });
    let second = ecg.fs.round() as usize;
    group.bench_function("stream_record_100", |b| {
        b.iter(|| {
            let mut stream =
                StreamingDetector::new(detector.clone(), ecg.fs, StreamConfig::default()).unwrap();
            let mut judged = 0;
            for chunk in lead.chunks(second) {
                judged += stream.push(chunk).unwrap().len();
            }
            judged + stream.finish().unwrap().len()
        })
    });
    group.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
