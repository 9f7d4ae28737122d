//! Property tests: the WFDB header parser, signal decoder, annotation parser and CSV reader
//! return `Ok` or `Err` on any input, never panic; valid encodings decode to what was written,
//! and a CSV read successfully holds only finite values within the limits.

use std::path::Path;

use crate::wfdb_support::{encode, encode_annotations, interleave, value_range};
use ecg_anomaly::data::Ecg;
use ecg_anomaly::data::csv::{CsvOptions, Header as CsvHeader, read_csv_from, write_csv_to};
use ecg_anomaly::data::wfdb::{
    Annotation, Format, Header, decode_signals, decode_signals_range, parse_annotations,
};
use ecg_anomaly::limits::ReadLimits;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

const HEADER: &str = "rec 2 360/1000(3) 20 10:00:00 01/01/2000\r\n\
    rec.dat 212+2 200(1024)/mV 11 1024 995 -22131 0 MLII\n\
    rec.dat 212 200 11 1024 1011 20052 0 V5\n# 69 M\n";

const TOKENS: &[&str] = &[
    "rec",
    "rec/2",
    "2",
    "0",
    "-1",
    "360",
    "1e400",
    "NaN",
    "inf",
    "360/1000(3)",
    "650000",
    "99999999999999999999",
    "18446744073709551615",
    "r.dat",
    "~",
    "212",
    "16",
    "80",
    "61",
    "160",
    "310",
    "212x1",
    "212x2",
    "16:0",
    "16:3",
    "16+7",
    "16+18446744073709551615",
    "200",
    "200(0)/mV",
    "200(",
    "(",
    ")",
    "/",
    "0(5)/",
    "-200",
    "11",
    "1024",
    "-22131",
    "65535",
    "65536",
    "#",
    "é",
    "\t",
    "\r",
];

/// Applies `(position, kind, byte)` edits: replace, insert or delete one byte.
fn mutate(base: &[u8], edits: &[(usize, u8, u8)], cut: usize) -> Vec<u8> {
    let mut b = base.to_vec();
    for &(pos, kind, byte) in edits {
        let at = pos % (b.len() + 1);
        match kind {
            0 if at < b.len() => b[at] = byte,
            1 => b.insert(at, byte),
            _ if at < b.len() => {
                b.remove(at);
            }
            _ => {}
        }
    }
    b.truncate(cut % (b.len() + 1) + b.len() / 2);
    b
}

fn formats() -> impl Strategy<Value = Format> {
    select(Format::ALL.to_vec())
}

fn sample_annotations() -> Vec<Annotation> {
    let ann = |sample, code, aux: Option<&str>| Annotation {
        sample,
        code,
        subtype: 0,
        chan: 0,
        num: 0,
        aux: aux.map(String::from),
    };
    vec![
        ann(18, 28, Some("(N")),
        ann(77, 1, None),
        ann(5000, 5, None),
        ann(5400, 28, Some("(AFIB")),
    ]
}

fn annotations() -> impl Strategy<Value = Vec<Annotation>> {
    let one = (
        0usize..3000,
        0u8..=49,
        any::<i8>(),
        any::<u8>(),
        any::<i8>(),
        proptest::option::of("[ -~]{0,20}"),
    );
    vec(one, 0..30).prop_map(|items| {
        let mut sample = 0;
        let to_ann = |(delta, code, subtype, chan, num, aux)| {
            sample += delta;
            Annotation {
                sample,
                code,
                subtype,
                chan,
                num,
                aux,
            }
        };
        items.into_iter().map(to_ann).collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn header_parser_survives_random_bytes(bytes in vec(any::<u8>(), 0..400)) {
        let _ = Header::parse(&bytes, Path::new("f.hea"));
    }

    #[test]
    fn header_parser_survives_mutated_headers(
        edits in vec((any::<usize>(), 0u8..3, any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let _ = Header::parse(&mutate(HEADER.as_bytes(), &edits, cut), Path::new("f.hea"));
    }

    #[test]
    fn header_parser_survives_token_soup(lines in vec(vec(select(TOKENS), 0..11), 1..6)) {
        let text: Vec<String> = lines.iter().map(|l| l.join(" ")).collect();
        let _ = Header::parse(text.join("\n").as_bytes(), Path::new("f.hea"));
    }

    #[test]
    fn decoder_survives_random_files(
        format in formats(),
        nsig in 1usize..4,
        n in prop_oneof![Just(None), (0u64..60).prop_map(Some), any::<u64>().prop_map(Some)],
        offset in prop_oneof![0u64..6, any::<u64>()],
        bytes in vec(any::<u8>(), 0..300),
        range in (0usize..70, 0usize..70),
    ) {
        let mut text = format!("r {nsig} 360 {}\n", n.map_or(String::new(), |n| n.to_string()));
        for _ in 0..nsig {
            text += &format!("r.dat {}+{offset}\n", format.code());
        }
        // No limit on the declared count: the decoder's own size checks are what is tested.
        let unlimited = ReadLimits::unlimited();
        let header = Header::parse_with_limits(text.as_bytes(), Path::new("r.hea"), &unlimited)
            .unwrap();
        if let Ok(d) = decode_signals(&header, &[&bytes]) {
            prop_assert_eq!(d.len(), nsig);
            prop_assert!(d.iter().all(|s| s.len() == d[0].len()));
        }
        let _ = decode_signals_range(&header, &[&bytes], range.0..range.1);
    }

    #[test]
    fn decoder_round_trips_valid_files(
        format in formats(),
        nsig in 1usize..4,
        raw in vec(any::<i16>(), 0..120),
        range in (0usize..45, 0usize..45),
    ) {
        let (lo, hi) = value_range(format);
        let n = raw.len() / nsig;
        let sig: Vec<Vec<i16>> = (0..nsig)
            .map(|s| (0..n).map(|i| raw[i * nsig + s].clamp(lo, hi)).collect())
            .collect();
        let bytes = encode(format, &interleave(&sig));
        let mut text = format!("r {nsig} 360 {n}\n");
        for _ in 0..nsig {
            text += &format!("r.dat {}\n", format.code());
        }
        let header = Header::parse(text.as_bytes(), Path::new("r.hea")).unwrap();
        prop_assert_eq!(&decode_signals(&header, &[&bytes]).unwrap(), &sig);
        let (a, b) = (range.0.min(range.1).min(n), range.0.max(range.1).min(n));
        let part = decode_signals_range(&header, &[&bytes], a..b).unwrap();
        prop_assert!(part.iter().zip(&sig).all(|(p, s)| p[..] == s[a..b]));
    }

    #[test]
    fn annotation_parser_survives_random_bytes(bytes in vec(any::<u8>(), 0..400)) {
        let _ = parse_annotations(&bytes, Path::new("f.atr"));
    }

    #[test]
    fn annotation_parser_survives_mutated_files(
        edits in vec((any::<usize>(), 0u8..3, any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let base = encode_annotations(&sample_annotations());
        let _ = parse_annotations(&mutate(&base, &edits, cut), Path::new("f.atr"));
    }

    #[test]
    fn annotations_round_trip(anns in annotations()) {
        let parsed = parse_annotations(&encode_annotations(&anns), Path::new("f.atr")).unwrap();
        prop_assert_eq!(parsed, anns);
    }
}

/// Cells the CSV properties build rows from: numbers, non-finite and overflowing values,
/// decimal commas, text, quotes and blanks.
const CELLS: &[&str] = &[
    "0",
    "1.5",
    "-0.25",
    "1e-3",
    "05",
    "-0",
    "NaN",
    "inf",
    "-Infinity",
    "1e39",
    "-1e39",
    "3.4e38",
    "0,5",
    "1,25",
    "",
    " ",
    "MLII",
    "time",
    "\"",
    "\"a,b\"",
    "'V5'",
    "#",
    "é",
    "\u{0}",
    "99999999999999999999",
];

fn csv_options() -> impl Strategy<Value = CsvOptions> {
    (
        select(vec![b',', b';', b'\t']),
        select(vec![CsvHeader::Auto, CsvHeader::Present, CsvHeader::Absent]),
        0usize..3,
        proptest::option::of(0usize..3),
    )
        .prop_map(|(delimiter, header, skip, lead)| {
            let opts = CsvOptions::default()
                .delimiter(delimiter)
                .header(header)
                .skip_rows(skip);
            match lead {
                Some(c) => opts.lead(c),
                None => opts,
            }
        })
}

/// Small limits, so that the line and row limits are crossed too.
fn small_limits() -> ReadLimits {
    ReadLimits {
        max_csv_line_bytes: 64,
        max_csv_rows: 20,
        ..ReadLimits::default()
    }
}

/// What every successful CSV read guarantees: one or more leads of equal length, each value
/// finite, at most the rows the limits allow.
fn check_ecg(ecg: &Ecg) -> Result<(), TestCaseError> {
    prop_assert!(!ecg.leads.is_empty());
    prop_assert_eq!(ecg.lead_names.len(), ecg.leads.len());
    let n = ecg.leads[0].len();
    prop_assert!(n >= 1 && n <= small_limits().max_csv_rows);
    prop_assert!(ecg.leads.iter().all(|l| l.len() == n));
    prop_assert!(ecg.leads.iter().flatten().all(|v| v.is_finite()));
    Ok(())
}

proptest! {
    // 256 cases each: the CSV reader is fast (all three take well under a second).
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn csv_reader_survives_random_bytes(
        bytes in vec(any::<u8>(), 0..300),
        opts in csv_options(),
    ) {
        if let Ok(ecg) = read_csv_from(&bytes[..], 250.0, &opts.limits(small_limits())) {
            check_ecg(&ecg)?;
        }
    }

    #[test]
    fn csv_reader_survives_cell_soup(
        rows in vec(vec(select(CELLS), 1..5), 1..30),
        opts in csv_options(),
        crlf in any::<bool>(),
    ) {
        let delimiter = char::from(opts.delimiter).to_string();
        let end = if crlf { "\r\n" } else { "\n" };
        let text: String = rows.iter().map(|r| r.join(&delimiter) + end).collect();
        let result = read_csv_from(text.as_bytes(), 250.0, &opts.limits(small_limits()));
        if let Ok(ecg) = result {
            check_ecg(&ecg)?;
        }
    }

    #[test]
    fn csv_round_trips_finite_values(
        values in vec(vec(-1e30f32..1e30, 2), 1..20),
    ) {
        let leads: Vec<Vec<f32>> = (0..2).map(|c| values.iter().map(|r| r[c]).collect()).collect();
        let ecg = Ecg { fs: 250.0, lead_names: vec!["a".into(), "b".into()], leads };
        let mut text = Vec::new();
        write_csv_to(&mut text, &ecg).unwrap();
        let back = read_csv_from(&text[..], 250.0, &CsvOptions::default()).unwrap();
        prop_assert_eq!(back, ecg);
    }
}
