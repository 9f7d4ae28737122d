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
use ecg_anomaly::data::DATA_DIR_ENV;
use ecg_anomaly::data::edf::parse_edf;
use ecg_anomaly::data::wfdb::{Header, Record, decode_signals, decode_signals_into};
use ecg_anomaly::limits::ReadLimits;

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
        .map(|(header, dat)| to_edf(&decode_signals(header, &[dat]).unwrap()))
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

/// An EDF file of `signals` (16-bit digital values) at 360 Hz, in 1-s data records.
fn to_edf(signals: &[Vec<i16>]) -> Vec<u8> {
    let spr = 360;
    let ns = signals.len();
    let records = signals[0].len() / spr;
    let field = |text: &str, width: usize| format!("{text:<width$}").into_bytes();
    let mut out = Vec::new();
    for (text, width) in [
        ("0", 8),
        ("X X X X", 80),
        ("Startdate X X X X", 80),
        ("01.01.00", 8),
        ("00.00.00", 8),
        (&(256 * (ns + 1)).to_string(), 8),
        ("", 44),
        (&records.to_string(), 8),
        ("1", 8),
        (&ns.to_string(), 4),
    ] {
        out.extend(field(text, width));
    }
    for (text, width) in [
        ("ECG", 16),
        ("", 80),
        ("mV", 8),
        ("-163.84", 8),
        ("163.835", 8),
        ("-32768", 8),
        ("32767", 8),
        ("", 80),
        ("360", 8),
        ("", 32),
    ] {
        for _ in 0..ns {
            out.extend(field(text, width));
        }
    }
    for r in 0..records {
        for s in signals {
            for v in &s[r * spr..(r + 1) * spr] {
                out.extend(v.to_le_bytes());
            }
        }
    }
    out
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = wfdb_decode
}
criterion_main!(benches);
