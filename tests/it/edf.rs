//! EDF, EDF+ and BDF files written by an independent writer (pyedflib, EDFlib's C code; the
//! EDF+D file byte by byte from the specification), read back: samples, rates, labels, units
//! and annotations as `tests/data/edf/expected.json` says (made by
//! `tests/data/edf/make_edf.py`); then damaged files, which must give typed errors naming the
//! byte and the field, never a panic.

use std::path::{Path, PathBuf};

use ecg_anomaly::Error;
use ecg_anomaly::data::edf::{EdfKind, EdfRecording, parse_edf, read_edf};
use ecg_anomaly::data::input::{InputKind, SignalPath};
use ecg_anomaly::data::read_ecg;
use ecg_anomaly::limits::ReadLimits;
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/edf")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(data_dir().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The writer's wave: `a sin(2 pi f t) + a/4 sin(2 pi 7 f t) + offset` at `t = n / fs`.
fn wave(fs: f64, n: usize, args: &[Value]) -> f64 {
    let a = args[0].as_f64().unwrap();
    let f = args[1].as_f64().unwrap();
    let offset = args.get(2).and_then(Value::as_f64).unwrap_or(0.0);
    let t = n as f64 / fs;
    let w = 2.0 * std::f64::consts::PI * f * t;
    a * w.sin() + 0.25 * a * (7.0 * w).sin() + offset
}

/// Reads `name` and checks every ordinary signal against the JSON: header fields, the first
/// samples pyedflib read (to 1e-6 of the range), every sample against the wave (within one
/// quantisation step), and the annotations.
fn check_file(name: &str) -> EdfRecording {
    let want = &expected()[name];
    let file = read_edf(data_dir().join(name)).unwrap();
    let signals: Vec<usize> = (0..file.header.signals.len())
        .filter(|&i| !file.header.signals[i].is_annotation())
        .collect();
    let ws = want["signals"].as_array().unwrap();
    assert_eq!(signals.len(), ws.len(), "{name}: ordinary signals");
    assert_eq!(
        file.header.records as u64,
        want["records"].as_u64().unwrap()
    );
    assert_eq!(
        file.header.record_duration,
        want["record_duration"].as_f64().unwrap()
    );
    for (k, (&i, w)) in signals.iter().zip(ws).enumerate() {
        let s = &file.header.signals[i];
        assert_eq!(s.label, w["label"].as_str().unwrap(), "{name} signal {i}");
        assert_eq!(s.unit, w["unit"].as_str().unwrap(), "{name} signal {i}");
        assert_eq!(
            file.fs(i).unwrap(),
            w["fs"].as_f64().unwrap(),
            "{name} {}",
            s.label
        );
        assert_eq!(f64::from(s.digital_min), w["digital_min"].as_f64().unwrap());
        assert_eq!(f64::from(s.digital_max), w["digital_max"].as_f64().unwrap());
        assert_eq!(s.physical_min, w["physical_min"].as_f64().unwrap());
        assert_eq!(s.physical_max, w["physical_max"].as_f64().unwrap());
        let x = file.physical(i).unwrap();
        assert_eq!(
            x.len() as u64,
            w["samples"].as_u64().unwrap(),
            "{name} {}",
            s.label
        );
        let range = s.physical_max - s.physical_min;
        for (j, v) in w["first"].as_array().unwrap().iter().enumerate() {
            let v = v.as_f64().unwrap();
            assert!(
                (f64::from(x[j]) - v).abs() <= 1e-6 * range,
                "{name} {} sample {j}: {} vs pyedflib's {v}",
                s.label,
                x[j]
            );
        }
        let sum: f64 = x.iter().map(|&v| f64::from(v)).sum();
        let want_sum = w["sum"].as_f64().unwrap();
        assert!(
            (sum - want_sum).abs() <= 1e-6 * range * x.len() as f64,
            "{name} {}: sum {sum} vs {want_sum}",
            s.label
        );
        let args = want["waves"][k].as_array().unwrap();
        if args.is_empty() {
            continue;
        }
        let step = s.gain().abs();
        let fs = file.fs(i).unwrap();
        for (n, &v) in x.iter().enumerate() {
            let err = (f64::from(v) - wave(fs, n, args)).abs();
            // One step of rounding by the writer (EDFlib truncates: up to one whole step), plus
            // f32's rounding of the value.
            assert!(
                err <= step * 1.01 + 1e-6 * range,
                "{name} {} sample {n}: off by {err} (step {step})",
                s.label
            );
        }
    }
    let got: Vec<(f64, f64, &str)> = file
        .annotations
        .iter()
        .map(|a| (a.onset, a.duration.unwrap_or(-1.0), a.text.as_str()))
        .collect();
    let want_a: Vec<(f64, f64, &str)> = want["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let duration = a["duration"].as_f64().unwrap();
            (
                a["onset"].as_f64().unwrap(),
                duration,
                a["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want_a, "{name}: annotations");
    file
}

#[test]
fn plain_edf_with_two_rates() {
    let file = check_file("two_rates.edf");
    assert_eq!(file.header.kind, EdfKind::Edf);
    assert_eq!(
        file.ecg_signals(),
        [(0, "II".to_string())],
        "Resp is not ECG"
    );
    assert_eq!(file.record_starts, [0.0, 1.0, 2.0, 3.0]);
    // All ECG leads share 250 Hz; Resp at 25 Hz is skipped.
    let path = data_dir().join("two_rates.edf");
    let ecg = read_ecg(&path).unwrap();
    assert_eq!(
        (ecg.fs, ecg.lead_names.as_slice()),
        (250.0, &["II".to_string()][..])
    );
    assert_eq!(ecg.len(), 1000);
    // mV stays mV.
    assert!((f64::from(ecg.leads[0][1]) - file.physical(0).unwrap()[1] as f64).abs() < 1e-6);
    // Naming Resp by label reads it, but its unit is a voltage, so it is allowed as a lead.
    let resp = file.to_ecg(&path, Some("Resp")).unwrap();
    assert_eq!((resp.fs, resp.len()), (25.0, 100));
}

#[test]
fn edf_plus_c_with_annotations_in_microvolts() {
    let file = check_file("annotated.edf");
    assert_eq!(file.header.kind, EdfKind::EdfPlusC);
    assert_eq!(file.record_starts, [0.0, 1.0, 2.0]);
    let names: Vec<String> = file.ecg_signals().into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["ECG", "V1"]);
    let path = data_dir().join("annotated.edf");
    let ecg = file.to_ecg(&path, None).unwrap();
    assert_eq!((ecg.fs, ecg.lead_names.clone()), (200.0, names));
    // uV to mV: the EKG wave's offset of 50 uV is 0.05 mV, its amplitude 800 uV 0.8 mV.
    let uv = file.physical(0).unwrap();
    for (mv, uv) in ecg.leads[0].iter().zip(&uv) {
        assert!(
            (f64::from(*mv) - f64::from(*uv) / 1000.0).abs() < 1e-6,
            "{mv} mV vs {uv} uV"
        );
    }
    assert_eq!(file.default_lead().as_deref(), Some("ECG"));
    let v1 = file.to_ecg(&path, Some("V1")).unwrap();
    assert_eq!(v1.lead_names, ["V1"]);
    assert_eq!(
        file.to_ecg(&path, Some("ecg v1")).unwrap(),
        v1,
        "labels match ignoring case"
    );
}

#[test]
fn bdf_24_bit() {
    let file = check_file("biosemi.bdf");
    assert_eq!(file.header.kind, EdfKind::Bdf);
    // The Status channel (unit `Boolean`) is not ECG.
    assert_eq!(file.ecg_signals(), [(0, "ECG".to_string())]);
    let ecg = read_ecg(data_dir().join("biosemi.bdf")).unwrap();
    assert_eq!((ecg.fs, ecg.len()), (256.0, 512));
    let peak = ecg.leads[0].iter().fold(0f32, |m, v| m.max(v.abs()));
    assert!(
        (1.5..2.0).contains(&peak),
        "1500 uV sine plus a quarter: {peak} mV"
    );
}

#[test]
fn edf_plus_d_gaps_are_refused_and_pieces_read() {
    let file = check_file("discontinuous.edf");
    assert_eq!(file.header.kind, EdfKind::EdfPlusD);
    assert_eq!(file.record_starts, [0.0, 1.0, 3.5]);
    let segments = file.segments();
    assert_eq!(segments.len(), 2);
    assert_eq!(
        (segments[0].records.clone(), segments[0].start),
        (0..2, 0.0)
    );
    assert_eq!(
        (segments[1].records.clone(), segments[1].start),
        (2..3, 3.5)
    );
    let path = data_dir().join("discontinuous.edf");
    let err = file.to_ecg(&path, None).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Unsupported { .. }), "{text}");
    assert!(
        text.contains("record 2") && text.contains("1.5 s") && text.contains("segment_ecg"),
        "{text}"
    );
    let first = file.segment_ecg(&path, None, 0).unwrap();
    let second = file.segment_ecg(&path, None, 1).unwrap();
    assert_eq!((first.len(), second.len()), (200, 100));
    assert_eq!(first.lead_names, ["I"]);
    assert!(file.segment_ecg(&path, None, 2).is_err());
}

#[test]
fn inputs_take_edf_files_by_extension_and_in_folders() {
    let dir = std::env::temp_dir().join(format!("ecg-edf-inputs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(data_dir().join("two_rates.edf"), dir.join("b.EDF")).unwrap();
    std::fs::copy(data_dir().join("biosemi.bdf"), dir.join("a.bdf")).unwrap();
    let input = SignalPath::classify(dir.join("b.EDF"));
    assert_eq!(input.kind, InputKind::Edf);
    assert_eq!(SignalPath::record(dir.join("a.bdf")).kind, InputKind::Edf);
    assert_eq!(SignalPath::record(dir.join("rec")).kind, InputKind::Wfdb);
    let lead = input.read_lead(None, None).unwrap();
    assert_eq!(
        (lead.name.as_str(), lead.fs, lead.samples.len()),
        ("II", 250.0, 1000)
    );
    let by_label = input.read_lead(Some("ECG II"), Some(1.0)).unwrap();
    assert_eq!(by_label, lead, "the label finds the lead; --fs is ignored");
    let err = input.read_lead(Some("V5"), None).unwrap_err().to_string();
    assert!(
        err.contains("V5") && err.contains("\"ECG II\" (lead II, 250 Hz") && err.contains("Resp"),
        "{err}"
    );
    assert!(input.annotations("atr").is_err());
    let inputs = SignalPath::expand(&dir).unwrap();
    let names: Vec<_> = inputs
        .iter()
        .map(|i| (i.path.file_name().unwrap().to_owned(), i.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("a.bdf".into(), InputKind::Edf),
            ("b.EDF".into(), InputKind::Edf)
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn leads_at_different_rates_are_refused_together() {
    // two_rates.edf with Resp relabelled `ECG V1`: two ECG leads, 250 and 25 Hz.
    let mut bytes = std::fs::read(data_dir().join("two_rates.edf")).unwrap();
    bytes[256 + 16..256 + 32].copy_from_slice(b"ECG V1          ");
    let path = Path::new("mixed.edf");
    let file = parse_edf(&bytes, path, &ReadLimits::default()).unwrap();
    let err = file.to_ecg(path, None).unwrap_err().to_string();
    assert!(
        err.contains("II 250 Hz") && err.contains("V1 25 Hz") && err.contains("--lead"),
        "{err}"
    );
    assert_eq!(file.to_ecg(path, Some("V1")).unwrap().fs, 25.0);
}

/// `bytes` with `width` bytes at `at` replaced by `text`, space-padded.
fn with_field(bytes: &[u8], at: usize, width: usize, text: &str) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let mut field = text.as_bytes().to_vec();
    field.resize(width, b' ');
    b[at..at + width].copy_from_slice(&field);
    b
}

fn edf_error(bytes: &[u8]) -> (u64, String, String) {
    match parse_edf(bytes, Path::new("bad.edf"), &ReadLimits::default()) {
        Err(Error::Edf {
            offset,
            field,
            message,
            path,
        }) => {
            assert_eq!(path, Path::new("bad.edf"));
            (offset, field, message)
        }
        Err(other) => panic!("not an Edf error: {other}"),
        Ok(_) => panic!("read"),
    }
}

#[test]
fn damaged_headers_name_the_byte_and_the_field() {
    let good = std::fs::read(data_dir().join("annotated.edf")).unwrap();
    // 3 signals: per-signal fields start at 256; digital minimum at 256 + 3 x (16+80+8+8+8).
    let ns = 3;
    let dig_min = 256 + ns * (16 + 80 + 8 + 8 + 8);
    let spr = 256 + ns * (16 + 80 + 8 + 8 + 8 + 8 + 8 + 80);
    for (bytes, offset, field, message) in [
        (
            good[..100].to_vec(),
            88,
            "local recording identification",
            "ends at byte 100",
        ),
        (
            good[..800].to_vec(),
            184,
            "number of bytes in header record",
            "the file only 800",
        ),
        (
            with_field(&good, 0, 8, "1"),
            0,
            "version",
            "EDF file starts",
        ),
        (
            with_field(&good, 184, 8, "768"),
            184,
            "number of bytes in header record",
            "3 signals",
        ),
        (
            with_field(&good, 236, 8, "-5"),
            236,
            "number of data records",
            "outside -1",
        ),
        (
            with_field(&good, 236, 8, "4"),
            236,
            "number of data records",
            "truncated",
        ),
        (
            with_field(&good, 236, 8, "2"),
            236,
            "number of data records",
            "left over",
        ),
        (
            with_field(&good, 236, 8, "NaN"),
            236,
            "number of data records",
            "not an integer",
        ),
        (
            with_field(&good, 244, 8, "nan"),
            244,
            "duration of a data record",
            "not a number",
        ),
        (
            with_field(&good, 244, 8, "1e999"),
            244,
            "duration of a data record",
            "not finite",
        ),
        (
            with_field(&good, 244, 8, "-1"),
            244,
            "duration of a data record",
            "negative",
        ),
        (
            with_field(&good, 252, 4, "0"),
            252,
            "number of signals",
            "outside 1",
        ),
        (
            with_field(&good, 252, 4, "x"),
            252,
            "number of signals",
            "not an integer",
        ),
        (
            with_field(&good, dig_min, 8, "99999"),
            dig_min,
            "signal 0 digital minimum",
            "outside",
        ),
        (
            with_field(&good, dig_min, 8, "40000"),
            dig_min,
            "signal 0 digital minimum",
            "outside",
        ),
        (
            with_field(&good, dig_min, 8, "32767"),
            dig_min + 3 * 8,
            "signal 0 digital maximum",
            "not above",
        ),
        (
            with_field(&good, spr, 8, "0"),
            spr,
            "signal 0 number of samples in each data record",
            "outside 1",
        ),
        (
            with_field(&good, spr, 8, "201"),
            236,
            "number of data records",
            "bytes",
        ),
    ] {
        let (o, f, m) = edf_error(&bytes);
        assert_eq!((o, f.as_str()), (offset as u64, field), "{m}");
        assert!(m.contains(message), "{field}: {m}");
    }
    // The reserved field says EDF+ but there is no annotation signal.
    let plain = std::fs::read(data_dir().join("two_rates.edf")).unwrap();
    let (o, f, m) = edf_error(&with_field(&plain, 192, 44, "EDF+C"));
    assert_eq!((o, f.as_str()), (192, "reserved"), "{m}");
}

#[test]
fn damaged_records_and_annotations_are_errors() {
    let good = std::fs::read(data_dir().join("annotated.edf")).unwrap();
    let header = 256 * 4;
    let record = (200 + 200 + expected_tal_samples(&good)) * 2;
    let tal = header + 800;
    // Record 1's time-keeping TAL says +7: not continuous in an EDF+C file.
    let mut b = good.clone();
    b[tal + record..tal + record + 2].copy_from_slice(b"+7");
    let (o, f, m) = edf_error(&b);
    assert_eq!(
        (o, f.as_str()),
        ((header + record) as u64, "data record 1 time-keeping TAL"),
        "{m}"
    );
    // A TAL's onset that is not a number.
    let mut b = good.clone();
    b[tal] = b'x';
    let (o, f, m) = edf_error(&b);
    assert_eq!(
        (o, f.as_str()),
        (tal as u64, "annotation signal, data record 0"),
        "{m}"
    );
    // An annotation signal with no 0x00: the TAL runs off its end.
    let mut b = good.clone();
    let samples = expected_tal_samples(&good);
    for x in &mut b[tal..tal + samples * 2] {
        if *x == 0 {
            *x = b'1';
        }
    }
    let (_, f, m) = edf_error(&b);
    assert_eq!(f, "annotation signal, data record 0", "{m}");
    // Truncated data: one byte short.
    let (o, f, _) = edf_error(&good[..good.len() - 1]);
    assert_eq!((o, f.as_str()), (236, "number of data records"));
}

/// Samples per record of annotated.edf's annotation signal (its third).
fn expected_tal_samples(bytes: &[u8]) -> usize {
    let at = 256 + 3 * (16 + 80 + 8 * 5 + 80) + 2 * 8;
    std::str::from_utf8(&bytes[at..at + 8])
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn limits_are_checked_before_allocating() {
    let good = std::fs::read(data_dir().join("two_rates.edf")).unwrap();
    let small = ReadLimits {
        max_signals: 1,
        ..ReadLimits::default()
    };
    let err = parse_edf(&good, Path::new("x.edf"), &small).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Limit {
                limit: "max_signals",
                ..
            }
        ),
        "{err}"
    );
    let small = ReadLimits {
        max_samples: 999,
        ..ReadLimits::default()
    };
    let err = parse_edf(&good, Path::new("x.edf"), &small).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Limit {
                limit: "max_samples",
                ..
            }
        ) && err.to_string().contains("1000 samples"),
        "{err}"
    );
    let small = ReadLimits {
        max_edf_file_bytes: 1000,
        ..ReadLimits::default()
    };
    let err =
        ecg_anomaly::data::edf::read_edf_with_limits(data_dir().join("two_rates.edf"), &small)
            .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Limit {
                limit: "max_edf_file_bytes",
                ..
            }
        ),
        "{err}"
    );
    let small = ReadLimits {
        max_annotations: 2,
        ..ReadLimits::default()
    };
    let annotated = std::fs::read(data_dir().join("annotated.edf")).unwrap();
    let err = parse_edf(&annotated, Path::new("x.edf"), &small).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Limit {
                limit: "max_annotations",
                ..
            }
        ),
        "{err}"
    );
    // 9999 signals declared in a 256-byte file: refused from the sizes, nothing allocated.
    let huge = with_field(&good[..256], 252, 4, "9999");
    let huge = with_field(&huge, 184, 8, &(256 * 10_000).to_string());
    let err = parse_edf(&huge, Path::new("x.edf"), &ReadLimits::unlimited()).unwrap_err();
    assert!(err.to_string().contains("the file only 256"), "{err}");
    // 99 999 999 records of a 1-sample signal in a small file: the byte count is refused.
    let big = with_field(&good, 236, 8, "99999999");
    let err = parse_edf(&big, Path::new("x.edf"), &ReadLimits::unlimited()).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn every_truncation_and_byte_flip_is_ok_or_an_error() {
    for name in [
        "two_rates.edf",
        "annotated.edf",
        "biosemi.bdf",
        "discontinuous.edf",
    ] {
        let good = std::fs::read(data_dir().join(name)).unwrap();
        for n in 0..good.len() {
            let _ = parse_edf(&good[..n], Path::new(name), &ReadLimits::default());
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut b = good.clone();
            let at = (state as usize >> 8) % b.len().min(1200);
            b[at] = state as u8;
            if let Ok(file) = parse_edf(&b, Path::new(name), &ReadLimits::default()) {
                let _ = file.to_ecg(Path::new(name), None);
                let _ = file.segments();
            }
        }
    }
}
