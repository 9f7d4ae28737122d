//! The whole beat pipeline on MIT-BIH: all 48 records read, band-passed (0.5–40 Hz), R-peak
//! detected and cut into 140 + 180-sample beats, records in parallel (`ECG_DATA_DIR` must be
//! set). MLII for every record but 102 and 104, which have none (V5 there).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ecg_anomaly::data::mitbih::{
    ALL_RECORDS, BeatConfig, NO_MLII_RECORDS, RPeakFilter, find_mitdb, load_beats,
};

fn all_48(dir: &Path, mlii: &BeatConfig, v5: &BeatConfig, with_mlii: &[&str]) -> usize {
    let a = load_beats(dir, with_mlii, mlii).unwrap();
    let b = load_beats(dir, &NO_MLII_RECORDS, v5).unwrap();
    a.beats.count() + b.beats.count()
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
    let v5 = BeatConfig {
        lead: "V5".into(),
        ..mlii.clone()
    };
    let with_mlii: Vec<&str> = ALL_RECORDS
        .into_iter()
        .filter(|r| !NO_MLII_RECORDS.contains(r))
        .collect();
    let mut group = c.benchmark_group("mitbih");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    group.bench_function("48_records_load_bandpass_rpeak_segment", |b| {
        b.iter(|| black_box(all_48(&dir, &mlii, &v5, &with_mlii)))
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
