//! Decoding speed of the WFDB reader on all 48 MIT-BIH records (`ECG_DATA_DIR` must be set).
//!
//! `decode`: format-212 decoding from bytes already in memory into new vectors; `decode_into`:
//! the same into reused vectors (no allocation, so no page faults: the decoder alone); `read`:
//! header and `.dat` read from disk (page cache) plus decoding. Throughput is in `.dat` bytes.
//!
//! `edf_mitdb_48/parse`: the same 48 records written as EDF in memory (two 16-bit signals, 1-s
//! data records of 360 samples; the last partial second dropped), parsed whole by
//! `data::edf::parse_edf` (header checks, decoding to `i32`). Throughput is in EDF bytes (4/3 of
//! the `.dat` bytes: 16 bits a sample instead of 12).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "../tests/common/edf_writer.rs"]
#[allow(
    dead_code,
    reason = "the bench writes digital samples; `quantised` is for float leads"
)]
mod edf_writer;
use ecg_anomaly::data::DATA_DIR_ENV;
use ecg_anomaly::data::edf::parse_edf;
use ecg_anomaly::data::wfdb::{Header, Record, decode_signals, decode_signals_into};
use ecg_anomaly::limits::ReadLimits;
use edf_writer::edf_file;

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

    let edfs: Vec<Vec<u8>> = loaded
        .iter()
        .map(|(header, dat)| {
            let signals = decode_signals(header, &[dat]).unwrap();
            edf_file(&signals, 360, "ECG", (-163.84, 163.835))
        })
        .collect();
    let bytes: usize = edfs.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("edf_mitdb_48");
    group.throughput(Throughput::Bytes(bytes as u64));
    let limits = ReadLimits::default();
    group.bench_function("parse", |b| {
        b.iter(|| {
            for edf in &edfs {
                black_box(parse_edf(edf, std::path::Path::new("x.edf"), &limits).unwrap());
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
