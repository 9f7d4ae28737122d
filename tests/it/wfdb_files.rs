//! The WFDB reader on generated files: every format round-trips, ranges equal slices, and bad
//! files give the error naming the file and where.

use std::path::{Path, PathBuf};

use crate::wfdb_support::{
    TempDir, encode, encode_annotations, header_text, interleave, value_range,
};
use ecg_anomaly::Error;
use ecg_anomaly::data::wfdb::{
    Annotation, Format, Header, Record, decode_signals, decode_signals_range, read_annotations,
    read_ecg,
};

/// Deterministic test signals spanning a format's whole range, invalid value included.
fn signals(format: Format, nsig: usize, n: usize) -> Vec<Vec<i16>> {
    let (lo, hi) = value_range(format);
    let span = i64::from(hi) - i64::from(lo) + 1;
    (0..nsig)
        .map(|s| {
            (0..n)
                .map(|i| (i64::from(lo) + (i as i64 * 7919 + s as i64 * 104_729) % span) as i16)
                .collect()
        })
        .collect()
}

fn write_record(dir: &Path, name: &str, format: Format, sig: &[Vec<i16>]) -> PathBuf {
    let file = format!("{name}.dat");
    std::fs::write(dir.join(&file), encode(format, &interleave(sig))).unwrap();
    std::fs::write(
        dir.join(format!("{name}.hea")),
        header_text(name, &file, format, sig),
    )
    .unwrap();
    dir.join(name)
}

fn corrupt_at(result: Result<impl std::fmt::Debug, Error>) -> (PathBuf, u64) {
    match result {
        Err(Error::Corrupt { path, offset, .. }) => (path, offset),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn every_format_and_signal_count_round_trips_with_exact_ranges() {
    let dir = TempDir::new("roundtrip");
    for format in Format::ALL {
        for nsig in 1..=3 {
            for n in [0, 1, 2, 7] {
                let sig = signals(format, nsig, n);
                let rec = write_record(
                    &dir,
                    &format!("r{}_{nsig}_{n}", format.code()),
                    format,
                    &sig,
                );
                let full = Record::read(&rec).unwrap();
                assert_eq!(full.digital, sig, "{format:?} {nsig} signals, {n} samples");
                for s in 0..nsig {
                    assert_eq!(full.checksum(s), full.header.signals[s].checksum);
                }
                for a in 0..=n {
                    for b in a..=n {
                        let part = Record::read_range(&rec, a..b).unwrap();
                        let want: Vec<Vec<i16>> = sig.iter().map(|s| s[a..b].to_vec()).collect();
                        assert_eq!(part.digital, want, "{format:?} {nsig} signals {a}..{b}");
                    }
                }
            }
        }
    }
}

#[test]
fn bytes_api_decodes_multi_file_records_and_infers_missing_lengths() {
    let text = "m 3 100\na.dat 16+4\nb.dat 212\nb.dat 212\n";
    let header = Header::parse(text.as_bytes(), Path::new("m.hea")).unwrap();
    let a = [vec![-5i16, 7, 300]];
    let b = [vec![1i16, -2048, 3], vec![2047, 0, -1]];
    let mut a_bytes = vec![0xee; 4];
    a_bytes.extend(encode(Format::F16, &interleave(&a)));
    let b_bytes = encode(Format::F212, &interleave(&b));
    let digital = decode_signals(&header, &[&a_bytes, &b_bytes]).unwrap();
    assert_eq!(digital, [a[0].clone(), b[0].clone(), b[1].clone()]);
    let part = decode_signals_range(&header, &[&a_bytes, &b_bytes], 1..2).unwrap();
    assert_eq!(part, [vec![7], vec![-2048], vec![0]]);
    let record = Record::from_bytes(header.clone(), &[&a_bytes, &b_bytes]).unwrap();
    assert!(
        record.physical(1).unwrap()[1].is_nan(),
        "-2048 is 212's invalid sample"
    );
    assert!(matches!(
        decode_signals(&header, &[&a_bytes]),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        decode_signals_range(&header, &[&a_bytes, &b_bytes], 2..4),
        Err(Error::InvalidArgument { name: "range", .. })
    ));
}

#[test]
fn read_ecg_names_leads_from_descriptions() {
    let dir = TempDir::new("ecg");
    let sig = signals(Format::F16, 2, 5);
    let ecg = read_ecg(write_record(&dir, "e", Format::F16, &sig)).unwrap();
    assert_eq!(
        (ecg.fs, ecg.lead_names.clone()),
        (360.0, vec!["lead0".to_string(), "lead1".into()])
    );
    assert_eq!(ecg.leads[1][2], f32::from(sig[1][2]) / 200.0);
}

#[test]
fn missing_files_give_io_errors_naming_them() {
    let dir = TempDir::new("missing");
    for (result, file) in [
        (Record::read(dir.join("nope")).map(|_| ()), "nope.hea"),
        (Header::read(dir.join("nope.hea")).map(|_| ()), "nope.hea"),
        (
            read_annotations(dir.join("nope.atr")).map(|_| ()),
            "nope.atr",
        ),
    ] {
        match result {
            Err(Error::Io { path, .. }) => assert_eq!(path, dir.join(file)),
            other => panic!("expected Io for {file}, got {other:?}"),
        }
    }
    std::fs::write(dir.join("h.hea"), "h 1 360 10\ngone.dat 16\n").unwrap();
    for result in [
        Record::read(dir.join("h")),
        Record::read_range(dir.join("h.hea"), 0..1),
    ] {
        match result {
            Err(Error::Io { path, .. }) => assert_eq!(path, dir.join("gone.dat")),
            other => panic!("expected Io naming gone.dat, got {other:?}"),
        }
    }
}

#[test]
fn truncated_dat_is_corrupt_at_its_end() {
    let dir = TempDir::new("truncated");
    let rec = write_record(&dir, "t", Format::F212, &signals(Format::F212, 2, 100));
    let dat = dir.join("t.dat");
    let bytes = std::fs::read(&dat).unwrap();
    std::fs::write(&dat, &bytes[..299]).unwrap();
    assert_eq!(corrupt_at(Record::read(&rec)), (dat.clone(), 299));
    assert_eq!(corrupt_at(Record::read_range(&rec, 0..1)), (dat, 299));
}

#[test]
fn sample_count_disagreeing_with_file_size_is_corrupt() {
    let dir = TempDir::new("oversized");
    let rec = write_record(&dir, "o", Format::F16, &signals(Format::F16, 1, 10));
    let dat = dir.join("o.dat");
    let mut bytes = std::fs::read(&dat).unwrap();
    bytes.extend([0; 6]);
    std::fs::write(&dat, &bytes).unwrap();
    // The header accounts for 20 bytes; the first unexplained byte is at offset 20.
    assert_eq!(corrupt_at(Record::read(&rec)), (dat.clone(), 20));
    let header = Header::read(dir.join("o.hea")).unwrap();
    assert_eq!(
        corrupt_at(decode_signals(&header, &[&bytes])),
        (PathBuf::from("o.dat"), 20)
    );
    // A 212 file may end with the whole 3-byte unit of an odd last sample.
    let rec = write_record(&dir, "odd", Format::F212, &signals(Format::F212, 1, 3));
    let dat = dir.join("odd.dat");
    let mut bytes = std::fs::read(&dat).unwrap();
    bytes.push(0);
    std::fs::write(&dat, &bytes).unwrap();
    assert_eq!(Record::read(&rec).unwrap().len(), 3);
}

#[test]
fn garbage_annotation_files_are_corrupt_with_offsets() {
    let dir = TempDir::new("atr");
    let cases: [(&[u8], u64); 4] = [
        (&[0xff; 7], 0),                            // AUX before any annotation
        (&[0x05, 0x04, 0x05, 0x04, 0x01], 4),       // odd trailing byte, no terminator
        (&[0x05, 0x04, 0x00, 0xec, 0x01], 2),       // SKIP cut short
        (&[0x05, 0x04, 0x09, 0xfc, b'(', b'N'], 2), // 9-byte aux string in a 6-byte file
    ];
    for (bytes, offset) in cases {
        let path = dir.join("g.atr");
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(
            corrupt_at(read_annotations(&path)),
            (path, offset),
            "{bytes:?}"
        );
    }
}

#[test]
fn written_annotations_read_back_field_for_field() {
    let dir = TempDir::new("atr_ok");
    let ann = |sample, code, subtype, chan, num, aux: Option<&str>| Annotation {
        sample,
        code,
        subtype,
        chan,
        num,
        aux: aux.map(String::from),
    };
    let anns = [
        ann(18, 28, 0, 0, 0, Some("(N")),
        ann(77, 1, 0, 0, 0, None),
        ann(2_000_000, 5, -1, 1, -3, None),
        ann(2_000_000, 14, 2, 0, 5, Some("(AFIB")),
        ann(2_001_000, 0, 0, 0, 5, None),
    ];
    let path = dir.join("w.atr");
    std::fs::write(&path, encode_annotations(&anns)).unwrap();
    assert_eq!(read_annotations(&path).unwrap(), anns);
}
