//! Builder and protocol tests on synthetic records (no data files needed).

use std::collections::HashSet;

use super::extract::nearest_within;
use super::*;
use crate::data::beat::AamiClass;
use crate::data::synthetic::{LEAD_NAME, SyntheticConfig, SyntheticEcg, SyntheticLength, generate};
use crate::data::wfdb::{Annotation, codes};
use crate::preprocess::{BandPass, BeatWindow, Normalization, SignalFilter};

pub(super) fn synthetic(seed: u64, seconds: f64) -> SyntheticEcg {
    let config = SyntheticConfig {
        seed,
        length: SyntheticLength::Seconds(seconds),
        anomaly_rate: 0.2,
        ..Default::default()
    };
    generate(&config).unwrap()
}

fn annotation(sample: usize, symbol: &str) -> Annotation {
    Annotation::new(sample, codes::code_of(symbol).unwrap())
}

/// One beat annotation per synthetic beat, at its R apex, with its MIT-BIH symbol.
pub(super) fn annotations(record: &SyntheticEcg) -> Vec<Annotation> {
    let symbol = |b: &crate::data::synthetic::SyntheticBeat| b.kind.aami_symbol().to_string();
    record
        .beats
        .iter()
        .map(|b| annotation(b.r_peak, &symbol(b)))
        .collect()
}

pub(super) fn config() -> BeatConfig {
    BeatConfig {
        lead: LEAD_NAME.into(),
        ..BeatConfig::default()
    }
}

fn expected_class(symbol: char) -> AamiClass {
    match symbol {
        'N' => AamiClass::N,
        'V' => AamiClass::V,
        _ => AamiClass::S, // A and J
    }
}

#[test]
fn beats_are_the_filtered_lead_around_each_annotation() {
    let record = synthetic(3, 60.0);
    let lead = &record.ecg.leads[0];
    let loaded = extract_beats("syn", &record.ecg, &annotations(&record), &config()).unwrap();
    let filtered = BandPass::default().apply(lead, 360.0).unwrap();
    let w = BeatWindow::default();
    let inside: Vec<_> = record
        .beats
        .iter()
        .filter(|b| b.r_peak >= w.before && b.r_peak + w.after <= lead.len())
        .collect();
    assert!(inside.len() + 2 >= record.beats.len() && inside.len() > 50);
    let set = &loaded.beats;
    assert_eq!(set.count(), inside.len());
    assert_eq!((set.beat_len(), set.centre_offset()), (320, 140));
    for ((info, samples), truth) in set.iter().zip(&inside) {
        assert_eq!(&*info.record, "syn");
        assert_eq!(info.sample, truth.r_peak);
        assert_eq!(info.class, expected_class(truth.kind.aami_symbol()));
        assert_eq!(info.symbol, truth.kind.aami_symbol().to_string());
        assert_eq!(info.r_peak, None);
        assert_eq!(samples, &filtered[truth.r_peak - 140..truth.r_peak + 180]);
    }
    let c = loaded.counts;
    assert_eq!(c.annotated.total(), record.beats.len());
    assert_eq!(c.segmentable, set.class_counts());
    assert_eq!((c.kept, c.unmapped), (c.segmentable, 0));
    assert!(c.annotated[AamiClass::V] > 0 && c.annotated[AamiClass::S] > 0);
}

#[test]
fn raw_lead_and_per_beat_normalisation_are_options() {
    let record = synthetic(4, 20.0);
    let lead = &record.ecg.leads[0];
    let mut cfg = config();
    cfg.filter = None;
    cfg.window = BeatWindow::new(50, 70);
    cfg.normalization = Normalization::MinMax;
    let set = extract_beats("syn", &record.ecg, &annotations(&record), &cfg)
        .unwrap()
        .beats;
    assert!(!set.is_empty());
    for (info, samples) in set.iter() {
        let mut want = lead[info.sample - 50..info.sample + 70].to_vec();
        crate::preprocess::Normalizer::normalize(&Normalization::MinMax, &mut want);
        assert_eq!(samples, &want[..]);
        let hi = samples.iter().copied().fold(f32::MIN, f32::max);
        assert_eq!(hi, 1.0);
    }
}

#[test]
fn r_peak_filter_drops_listed_classes_without_a_nearby_peak() {
    let record = synthetic(5, 60.0);
    let mut anns = annotations(&record);
    // Move every third annotation 40 samples (111 ms) off its R apex: no peak is that close.
    for a in anns.iter_mut().step_by(3) {
        a.sample += 40;
    }
    let mut cfg = config();
    cfg.r_peak_filter = Some(RPeakFilter::default());
    let loaded = extract_beats("syn", &record.ecg, &anns, &cfg).unwrap();
    let moved = |sample: usize| anns.iter().step_by(3).any(|a| a.sample == sample);
    let c = loaded.counts;
    let mut dropped_normal = 0;
    for a in &anns {
        let class = cfg.mapping.classify(a).unwrap();
        let inside = a.sample >= 140 && a.sample + 180 <= record.ecg.len();
        let kept = loaded.beats.beats().iter().find(|b| b.sample == a.sample);
        match (inside, moved(a.sample), class) {
            (false, ..) => assert!(kept.is_none()),
            (true, true, AamiClass::N) => {
                assert!(kept.is_none(), "moved N beat at {}", a.sample);
                dropped_normal += 1;
            }
            (true, true, _) => assert_eq!(kept.unwrap().r_peak, None),
            (true, false, _) => {
                let peak = kept.unwrap().r_peak.expect("a detected peak at the R apex");
                assert!(peak.abs_diff(a.sample) <= 10, "{peak} vs {}", a.sample);
            }
        }
    }
    assert!(dropped_normal > 10);
    assert_eq!(c.kept.normal() + dropped_normal, c.segmentable.normal());
    assert_eq!(c.kept.abnormal(), c.segmentable.abnormal());
    assert_eq!(c.kept, loaded.beats.class_counts());
}

#[test]
fn unmapped_and_non_beat_annotations_are_left_out() {
    let record = synthetic(6, 10.0);
    let mut anns = annotations(&record);
    let mid = anns[anns.len() / 2].sample;
    anns.push(annotation(mid + 5, "?")); // beat, but in no AAMI class
    anns.push(annotation(mid + 9, "+")); // rhythm change, not a beat
    anns.sort_by_key(|a| a.sample);
    let loaded = extract_beats("syn", &record.ecg, &anns, &config()).unwrap();
    assert_eq!(loaded.counts.unmapped, 1);
    assert_eq!(loaded.counts.annotated.total(), record.beats.len());
    assert!(loaded.beats.beats().iter().all(|b| b.sample != mid + 5));
}

#[test]
fn bad_inputs_are_typed_errors() {
    let record = synthetic(7, 10.0);
    let anns = annotations(&record);
    let mut cfg = config();
    cfg.lead = "MLII".into();
    let err = extract_beats("syn", &record.ecg, &anns, &cfg).unwrap_err();
    assert!(matches!(&err, Error::Dataset(m) if m.contains("MLII") && m.contains("synthetic")));
    let mut nan = record.ecg.clone();
    nan.leads[0][1234] = f32::NAN;
    let err = extract_beats("syn", &nan, &anns, &config()).unwrap_err();
    assert!(matches!(&err, Error::Dataset(m) if m.contains("syn") && m.contains("1234")));
    let mut cfg = config();
    cfg.filter = Some(BandPass::new(0.5, 400.0));
    assert!(matches!(
        extract_beats("syn", &record.ecg, &anns, &cfg),
        Err(Error::InvalidArgument { .. })
    ));

    let nowhere = std::env::temp_dir().join(format!("ecg-anomaly-no-such-{}", std::process::id()));
    let err = load_beats(&nowhere, &["100"], &config()).unwrap_err();
    assert!(
        matches!(&err, Error::Dataset(m) if m.contains("no such folder")),
        "{err}"
    );
    let err = mitdb_in(&nowhere).unwrap_err();
    assert!(
        matches!(&err, Error::Dataset(m) if m.contains("mitdb")),
        "{err}"
    );
    // An existing folder without the record: the I/O error names the header file.
    let err = load_beats(&std::env::temp_dir(), &["no-such-record"], &config()).unwrap_err();
    assert!(matches!(&err, Error::Io { path, .. } if path.ends_with("no-such-record.hea")));
}

#[test]
fn nearest_peak_within_tolerance() {
    let peaks = [100, 200, 230];
    assert_eq!(nearest_within(&peaks, 105, 10), Some(100));
    assert_eq!(nearest_within(&peaks, 111, 10), None);
    assert_eq!(nearest_within(&peaks, 215, 15), Some(200)); // tie: the earlier
    assert_eq!(nearest_within(&peaks, 216, 15), Some(230));
    assert_eq!(nearest_within(&peaks, 0, 100), Some(100));
    assert_eq!(nearest_within(&peaks, usize::MAX, 10), None);
    assert_eq!(nearest_within(&[], 5, 10), None);
}

/// Beats of several synthetic records, named `r0`, `r1`, ...
fn records(n: usize) -> BeatSet {
    let mut set = BeatSet::new(BeatWindow::default());
    for i in 0..n {
        let record = synthetic(10 + i as u64, 60.0);
        let name = format!("r{i}");
        let loaded = extract_beats(&name, &record.ecg, &annotations(&record), &config()).unwrap();
        set.append(loaded.beats).unwrap();
    }
    set
}

#[test]
fn beat_set_selects_filters_and_converts() {
    let set = records(2);
    assert_eq!(set.records(), ["r0", "r1"]);
    let picked = set.select(&[3, 0, 3]).unwrap();
    assert_eq!(picked.count(), 3);
    assert_eq!(picked.samples(0), set.samples(3));
    assert_eq!(picked.beats()[1], set.beats()[0]);
    assert!(matches!(
        set.select(&[set.count()]),
        Err(Error::InvalidArgument { .. })
    ));

    let abnormal = set.filter(BeatInfo::is_abnormal);
    let mut retained = set.clone();
    retained.retain(BeatInfo::is_abnormal);
    assert_eq!(abnormal, retained);
    assert_eq!(abnormal.count(), set.class_counts().abnormal());
    let want: Vec<f32> = set
        .iter()
        .filter(|(b, _)| b.is_abnormal())
        .flat_map(|(_, s)| s.to_vec())
        .collect();
    assert_eq!(retained.data(), &want[..]);

    let ds = set.to_window_dataset().unwrap();
    assert_eq!((ds.len(), ds.seq(), ds.channels()), (set.count(), 320, 1));
    assert_eq!(ds.labels(), &set.anomaly_labels()[..]);
    assert_eq!(ds.window(5), set.samples(5));

    let mut other = BeatSet::new(BeatWindow::new(10, 10));
    assert!(other.append(set.clone()).is_err());
    assert!(other.push(set.beats()[0].clone(), &[0.0; 19]).is_err());
    other.push(set.beats()[0].clone(), &[1.0; 20]).unwrap();
    assert!(BeatSet::from_parts(BeatWindow::new(1, 1), vec![0.0; 3], vec![]).is_err());
}

#[test]
fn normal_folds_partition_the_normal_beats() {
    let set = records(4);
    let protocol = |fold, seed| Protocol {
        partition: Partition::NormalFolds {
            records: vec!["r0".into(), "r1".into(), "r2".into()],
            folds: 3,
            fold,
        },
        beats: config(),
        seed,
        validation_fraction: 0.25,
        validation_by_record: false,
    };
    let used: Vec<usize> = (0..set.count())
        .filter(|&i| &*set.beats()[i].record != "r3")
        .collect();
    let normal: Vec<usize> = used
        .iter()
        .copied()
        .filter(|&i| !set.beats()[i].is_abnormal())
        .collect();
    let abnormal: Vec<usize> = used
        .iter()
        .copied()
        .filter(|&i| set.beats()[i].is_abnormal())
        .collect();
    let mut test_normals = Vec::new();
    for fold in 0..3 {
        let s = protocol(fold, 1).split(&set).unwrap();
        let (tn, ta): (Vec<usize>, Vec<usize>) =
            s.test.iter().partition(|&&i| !set.beats()[i].is_abnormal());
        assert_eq!(ta, abnormal);
        let mut training: Vec<usize> = s.train.iter().chain(&s.validation).copied().collect();
        training.sort_unstable();
        let mut rest = normal.clone();
        rest.retain(|i| !tn.contains(i));
        assert_eq!(training, rest);
        let share = s.validation.len() as f64 / training.len() as f64;
        assert!((share - 0.25).abs() < 0.01, "{share}");
        assert!(tn.len().abs_diff(normal.len() / 3) <= 1);
        test_normals.extend(tn);
    }
    test_normals.sort_unstable();
    assert_eq!(test_normals, normal);
    assert_eq!(
        protocol(0, 1).split(&set).unwrap(),
        protocol(0, 1).split(&set).unwrap()
    );
    assert_ne!(
        protocol(0, 1).split(&set).unwrap().test,
        protocol(0, 2).split(&set).unwrap().test
    );
    assert!(protocol(3, 1).split(&set).is_err());
}

#[test]
fn by_record_trains_on_normal_beats_of_training_records() {
    let set = records(3);
    let mut protocol = Protocol::inter_patient(9);
    protocol.partition = Partition::ByRecord {
        train: vec!["r0".into(), "r1".into()],
        test: vec!["r2".into()],
    };
    protocol.validation_by_record = false;
    protocol.validation_fraction = 0.1;
    let data = protocol
        .assemble(&LoadedBeats {
            beats: set.clone(),
            counts: BuildCounts::default(),
        })
        .unwrap();
    for b in data.train.beats().iter().chain(data.validation.beats()) {
        assert!(!b.is_abnormal() && &*b.record != "r2");
    }
    assert!(data.test.beats().iter().all(|b| &*b.record == "r2"));
    let in_r2 = set.beats().iter().filter(|b| &*b.record == "r2").count();
    assert_eq!(data.test.count(), in_r2);
    let normal_r01 = set
        .beats()
        .iter()
        .filter(|b| &*b.record != "r2" && !b.is_abnormal())
        .count();
    assert_eq!(data.train.count() + data.validation.count(), normal_r01);
    assert_eq!(
        data.validation.count(),
        (normal_r01 as f64 * 0.1).round() as usize
    );

    protocol.partition = Partition::ByRecord {
        train: vec!["r0".into(), "r2".into()],
        test: vec!["r2".into()],
    };
    assert!(matches!(
        protocol.split(&set),
        Err(Error::InvalidArgument { .. })
    ));
    protocol.partition = Partition::ByRecord {
        train: vec!["r0".into()],
        test: vec!["r2".into()],
    };
    protocol.validation_fraction = 1.0;
    assert!(protocol.split(&set).is_err());
}

#[test]
fn by_record_validation_holds_out_whole_training_records() {
    let set = records(6);
    let train: Vec<String> = (0..5).map(|i| format!("r{i}")).collect();
    let protocol = |seed| Protocol::by_record(train.clone(), vec!["r5".into()], seed);
    let loaded = LoadedBeats {
        beats: set.clone(),
        counts: BuildCounts::default(),
    };
    let records_of = |b: &BeatSet| -> HashSet<String> {
        b.beats().iter().map(|b| b.record.to_string()).collect()
    };
    let mut held_out = HashSet::new();
    for seed in 0..8 {
        let data = protocol(seed).assemble(&loaded).unwrap();
        let (trained, validated) = (records_of(&data.train), records_of(&data.validation));
        // A fifth of 5 records: one held out, never trained on; every other one trained on.
        assert_eq!((trained.len(), validated.len()), (4, 1), "seed {seed}");
        assert!(trained.is_disjoint(&validated), "seed {seed}");
        assert!(!trained.contains("r5") && !validated.contains("r5"));
        let all_normal = |b: &BeatSet| b.beats().iter().all(|b| !b.is_abnormal());
        assert!(all_normal(&data.train) && all_normal(&data.validation));
        let in_validated = set
            .beats()
            .iter()
            .filter(|b| validated.contains(&*b.record) && !b.is_abnormal())
            .count();
        assert_eq!(
            data.validation.count(),
            in_validated,
            "every normal beat of it"
        );
        assert_eq!(records_of(&data.test), HashSet::from(["r5".to_string()]));
        assert_eq!(
            protocol(seed).split(&set).unwrap(),
            protocol(seed).split(&set).unwrap()
        );
        held_out.extend(validated);
    }
    assert!(
        held_out.len() > 1,
        "the seed draws the record: {held_out:?}"
    );
    let mut one = protocol(0);
    one.partition = Partition::ByRecord {
        train: vec!["r0".into()],
        test: vec!["r5".into()],
    };
    assert!(matches!(
        one.split(&set),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn protocols_hold_the_standard_settings_and_round_trip_through_json() {
    let p1 = Protocol::intra_patient(2, 7);
    assert_eq!(p1.records(), NON_PACED_RECORDS);
    assert_eq!(p1.beats.mapping, crate::data::beat::AamiMapping::beatgan());
    assert_eq!(p1.beats.r_peak_filter.as_ref().unwrap().tolerance, 10);
    let p2 = Protocol::inter_patient(7);
    let mut both = DS1.to_vec();
    both.extend(DS2);
    assert_eq!(p2.records(), both);
    assert_eq!(p2.beats.r_peak_filter, None);
    assert_eq!(p2.beats.lead, "MLII");
    for p in [p1, p2] {
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            serde_json::from_str::<Protocol>(&json).unwrap(),
            p,
            "{json}"
        );
    }
    let json = serde_json::to_string(&Protocol::intra_patient(0, 0)).unwrap();
    assert!(
        json.contains("\"tolerance\":10")
            && json.contains("\"method\"")
            && json.contains("normal_folds"),
        "{json}"
    );
    let partial: BeatConfig = serde_json::from_str(r#"{"lead": "V1"}"#).unwrap();
    assert_eq!(partial.window, BeatWindow::default());
    let filter: RPeakFilter = serde_json::from_str(r#"{"tolerance": 4}"#).unwrap();
    assert_eq!((filter.tolerance, filter.classes), (4, vec![AamiClass::N]));
}
