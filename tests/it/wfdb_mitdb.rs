//! The WFDB reader on the 48 MIT-BIH Arrhythmia records (skipped when `ECG_DATA_DIR` is unset).

use std::collections::BTreeMap;

use crate::common::{MITDB_RECORDS, mitdb_dir};
use ecg_anomaly::Error;
use ecg_anomaly::data::beat::{AamiClass, AamiMapping};
use ecg_anomaly::data::wfdb::{Annotation, Record, codes, read_annotations};
use ecg_anomaly::limits::ReadLimits;

fn annotations(dir: &std::path::Path, record: &str) -> Vec<Annotation> {
    read_annotations(dir.join(format!("{record}.atr"))).unwrap()
}

#[test]
fn every_signal_matches_its_header_checksum_and_initial_value() {
    let Some(dir) = mitdb_dir("every_signal_matches_its_header_checksum_and_initial_value") else {
        return;
    };
    for name in MITDB_RECORDS {
        // `Record::read` compares the checksums itself; this test states them.
        let r = Record::read(dir.join(name)).unwrap();
        assert_eq!(
            (r.len(), r.digital.len(), r.header.fs),
            (650_000, 2, 360.0),
            "{name}"
        );
        for (s, spec) in r.header.signals.iter().enumerate() {
            // WFDB checksum: sum of the digital samples mod 2^16, written as a signed 16-bit value.
            assert_eq!(r.checksum(s), spec.checksum, "{name} signal {s}");
            assert_eq!(
                i32::from(r.digital[s][0]),
                spec.initial_value,
                "{name} signal {s}"
            );
        }
    }
}

#[test]
fn a_damaged_copy_of_record_100_fails_its_checksum() {
    let Some(dir) = mitdb_dir("a_damaged_copy_of_record_100_fails_its_checksum") else {
        return;
    };
    let copy = crate::common::scratch("mitdb", "checksum");
    std::fs::copy(dir.join("100.hea"), copy.join("100.hea")).unwrap();
    let mut dat = std::fs::read(dir.join("100.dat")).unwrap();
    // Byte 3000 starts frame 1000: its low bit is the low bit of MLII's sample 1000.
    dat[3000] ^= 1;
    std::fs::write(copy.join("100.dat"), &dat).unwrap();
    let err = Record::read(copy.join("100")).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, Error::Corrupt { path, .. } if *path == copy.join("100.dat")),
        "{err}"
    );
    // The header's -22131 against the damaged samples' sum, one off.
    assert!(
        text.contains("signal 0 (MLII)") && text.contains("checksum is -22131"),
        "{text}"
    );
    assert!(
        text.contains("sum to -22132") || text.contains("sum to -22130"),
        "{text}"
    );
    let unchecked = ReadLimits {
        verify_checksums: false,
        ..ReadLimits::default()
    };
    let damaged = Record::read_with_limits(copy.join("100"), &unchecked).unwrap();
    let intact = Record::read(dir.join("100")).unwrap();
    assert_eq!(damaged.digital[1], intact.digital[1]);
    let diff: Vec<usize> = (0..intact.len())
        .filter(|&i| damaged.digital[0][i] != intact.digital[0][i])
        .collect();
    assert_eq!(diff, [1000]);
    std::fs::remove_dir_all(&copy).unwrap();
}

/// MLII is signal 0 in 45 records and signal 1 in 114; the paced records 102 and 104 have no
/// MLII at all (their leads are V5 and V2).
#[test]
fn mlii_is_signal_0_except_in_114_and_absent_from_102_and_104() {
    let Some(dir) = mitdb_dir("mlii_is_signal_0_except_in_114_and_absent_from_102_and_104") else {
        return;
    };
    for name in MITDB_RECORDS {
        let ecg = Record::read_range(dir.join(name), 0..1).unwrap().to_ecg();
        let expected = match name {
            "114" => Some(1),
            "102" | "104" => None,
            _ => Some(0),
        };
        assert_eq!(
            ecg.lead_index("MLII"),
            expected,
            "{name}: {:?}",
            ecg.lead_names
        );
    }
}

#[test]
fn range_reads_equal_slices_of_the_full_read() {
    let Some(dir) = mitdb_dir("range_reads_equal_slices_of_the_full_read") else {
        return;
    };
    for name in ["100", "114", "232"] {
        let full = Record::read(dir.join(name)).unwrap();
        for range in [
            0..10,
            1..2,
            12_345..99_999,
            649_990..650_000,
            650_000..650_000,
        ] {
            let part = Record::read_range(dir.join(name), range.clone()).unwrap();
            assert_eq!(part.start, range.start);
            for s in 0..2 {
                assert_eq!(
                    part.digital[s],
                    full.digital[s][range.clone()],
                    "{name} {range:?}"
                );
            }
        }
    }
}

#[test]
fn record_100_physical_values_follow_gain_and_baseline() {
    let Some(dir) = mitdb_dir("record_100_physical_values_follow_gain_and_baseline") else {
        return;
    };
    let ecg = Record::read(dir.join("100")).unwrap().to_ecg();
    assert_eq!(
        (ecg.fs, ecg.lead_names.clone()),
        (360.0, vec!["MLII".into(), "V5".into()])
    );
    // 100.hea: gain 200, no baseline (so ADC zero 1024), initial values 995 and 1011.
    assert_eq!(ecg.leads[0][0], (995.0 - 1024.0) / 200.0);
    assert_eq!(ecg.leads[1][0], (1011.0 - 1024.0) / 200.0);
    assert_eq!(ecg.leads[0].len(), 650_000);
}

#[test]
fn record_100_has_2239_normal_33_apc_and_1_pvc_beats() {
    let Some(dir) = mitdb_dir("record_100_has_2239_normal_33_apc_and_1_pvc_beats") else {
        return;
    };
    let mut counts = BTreeMap::new();
    for a in annotations(&dir, "100").iter().filter(|a| a.is_beat()) {
        *counts.entry(a.symbol()).or_insert(0) += 1;
    }
    assert_eq!(counts, BTreeMap::from([("A", 33), ("N", 2239), ("V", 1)]));
}

/// The widely quoted 109,494 beats are PhysioNet's beat annotations (`N L R B A a J S V r F e
/// j n E / f Q ?`, i.e. `codes::is_beat`). In MIT-BIH these are exactly the 15 symbols AAMI EC57
/// classifies (B, r, n and ? never occur). WFDB's `isqrs` also counts the 472 `!` flutter waves.
#[test]
fn mitdb_holds_109494_beats_in_the_published_aami_classes() {
    let Some(dir) = mitdb_dir("mitdb_holds_109494_beats_in_the_published_aami_classes") else {
        return;
    };
    let ec57 = AamiMapping::aami_ec57();
    let (mut total, mut beats, mut qrs) = (0, 0, 0);
    let mut classes = BTreeMap::new();
    for name in MITDB_RECORDS {
        for a in annotations(&dir, name) {
            total += 1;
            beats += usize::from(a.is_beat());
            qrs += usize::from(codes::is_qrs(a.code));
            if let Some(c) = ec57.classify(&a) {
                *classes.entry(c).or_insert(0) += 1;
            }
        }
    }
    assert_eq!((total, beats, qrs), (112_647, 109_494, 109_966));
    let expected = [
        (AamiClass::N, 90_631),
        (AamiClass::S, 2_781),
        (AamiClass::V, 7_236),
    ];
    let expected = expected
        .into_iter()
        .chain([(AamiClass::F, 803), (AamiClass::Q, 8_043)]);
    assert_eq!(classes, expected.collect());
}

/// Known answers from wfdb-python 4 (`wfdb.rdann`) over all 48 `.atr` files: sums of sample
/// indices and subtypes, and counts of rhythm/aux strings (trailing NULs removed).
#[test]
fn mitdb_annotation_fields_match_wfdb_python() {
    let Some(dir) = mitdb_dir("mitdb_annotation_fields_match_wfdb_python") else {
        return;
    };
    let (mut samples, mut subtypes, mut nonzero_subtypes) = (0u64, 0i64, 0);
    let mut aux = BTreeMap::new();
    for name in MITDB_RECORDS {
        for a in annotations(&dir, name) {
            samples += a.sample as u64;
            subtypes += i64::from(a.subtype);
            nonzero_subtypes += usize::from(a.subtype != 0);
            assert_eq!((a.chan, a.num), (0, 0));
            if let Some(text) = a.aux {
                *aux.entry(text).or_insert(0) += 1;
            }
        }
    }
    assert_eq!(
        (samples, subtypes, nonzero_subtypes),
        (36_667_396_582, 7_054, 4_232)
    );
    assert_eq!(aux.values().sum::<usize>(), 1_728);
    assert_eq!(
        (aux["(N"], aux["MISSB"], aux["(AFIB"], aux["(SBR"]),
        (530, 428, 107, 1)
    );
}
