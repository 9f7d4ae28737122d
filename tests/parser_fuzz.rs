//! Property tests: the WFDB header parser, signal decoder and annotation parser return `Ok` or
//! `Err` on any input, never panic; valid encodings decode to what was written.

mod wfdb_support;

use std::path::Path;

use ecg_anomaly::data::wfdb::{
    Annotation, Format, Header, decode_signals, decode_signals_range, parse_annotations,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use wfdb_support::{encode, encode_annotations, interleave, value_range};

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
        let header = Header::parse(text.as_bytes(), Path::new("r.hea")).unwrap();
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
