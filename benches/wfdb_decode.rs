//! Decoding speed of the WFDB reader on all 48 MIT-BIH records (`ECG_DATA_DIR` must be set).
//!
//! `decode`: format-212 decoding from bytes already in memory into new vectors; `decode_into`:
//! the same into reused vectors (no allocation, so no page faults: the decoder alone); `read`:
//! header and `.dat` read from disk (page cache) plus decoding. Throughput is in `.dat` bytes.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ecg_anomaly::data::DATA_DIR_ENV;
use ecg_anomaly::data::wfdb::{Header, Record, decode_signals, decode_signals_into};

fn mitdb_records() -> Option<Vec<PathBuf>> {
    let Some(root) = std::env::var_os(DATA_DIR_ENV) else {
        eprintln!("skipped wfdb_decode: {DATA_DIR_ENV} is not set");
        return None;
    };
    let dir = PathBuf::from(root).join("mitdb");
    let mut records: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "hea"))
        .map(|p| p.with_extension(""))
        .collect();
    records.sort();
    assert_eq!(
        records.len(),
        48,
        "expected the 48 MIT-BIH records in {}",
        dir.display()
    );
    Some(records)
}

fn wfdb_decode(c: &mut Criterion) {
    let Some(records) = mitdb_records() else {
        return;
    };
    let loaded: Vec<(Header, Vec<u8>)> = records
        .iter()
        .map(|r| {
            let header = Header::read(r.with_extension("hea")).unwrap();
            let dat = std::fs::read(r.with_extension("dat")).unwrap();
            (header, dat)
        })
        .collect();
    let bytes: usize = loaded.iter().map(|(_, d)| d.len()).sum();
    let mut group = c.benchmark_group("wfdb_mitdb_48");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("decode", |b| {
        b.iter(|| {
            for (header, dat) in &loaded {
                black_box(decode_signals(header, &[dat]).unwrap());
            }
        })
    });
    let mut out = Vec::new();
    group.bench_function("decode_into", |b| {
        b.iter(|| {
            for (header, dat) in &loaded {
                decode_signals_into(header, &[dat], &mut out).unwrap();
                black_box(&out);
            }
        })
    });
    group.bench_function("read", |b| {
        b.iter(|| {
            for r in &records {
                black_box(Record::read(r).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = wfdb_decode
}
criterion_main!(benches);
