//! The whole beat pipeline on MIT-BIH: all 48 records read, band-passed (0.5–40 Hz), R-peak
//! detected and cut into 140 + 180-sample beats, records in parallel (`ECG_DATA_DIR` must be
//! set). MLII for every record but 102 and 104, which have none (V5 there).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ecg_anomaly::data::mitbih::{BeatConfig, RPeakFilter, find_mitdb, load_all_records};

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

criterion_group!(benches, pipeline);
criterion_main!(benches);
