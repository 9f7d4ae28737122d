//! Header parsing on hand-written headers: every field, defaults, CRLF and malformed lines.

use std::path::Path;

use ecg_anomaly::Error;
use ecg_anomaly::data::wfdb::{Format, Header, SignalSpec};

fn parse(text: &str) -> Result<Header, Error> {
    Header::parse(text.as_bytes(), Path::new("rec.hea"))
}

fn parse_error_line(text: &str) -> usize {
    match parse(text) {
        Err(Error::Parse { line, path, .. }) => {
            assert_eq!(path, Path::new("rec.hea"));
            line
        }
        other => panic!("expected Parse for {text:?}, got {other:?}"),
    }
}

const FULL: &str = "#wfdb 10.7\n\
    rec 3 500/1000(5) 1000 12:30:00 01/02/2003\n\
    a.dat 16+24 1000(-5)/uV 16 2 -3 1234 512 ECG lead I\n\
    # a comment between signal lines\n\
    b.dat 212 200 11 1024 995 -22131 0 MLII\n\
    b.dat 212\n\
    # 69 M 1085 1629 x1\n";

#[test]
fn every_field_and_default_is_read() {
    let h = parse(FULL).unwrap();
    assert_eq!(
        (h.record_name.as_str(), h.fs, h.n_samples),
        ("rec", 500.0, Some(1000))
    );
    assert_eq!((h.counter_freq, h.base_counter), (Some(1000.0), Some(5.0)));
    assert_eq!(
        (h.base_time.as_deref(), h.base_date.as_deref()),
        (Some("12:30:00"), Some("01/02/2003"))
    );
    assert_eq!(
        h.comments,
        [
            "wfdb 10.7",
            "a comment between signal lines",
            "69 M 1085 1629 x1"
        ]
    );
    let a = SignalSpec {
        file_name: "a.dat".into(),
        format: Format::F16,
        byte_offset: 24,
        adc_gain: 1000.0,
        baseline: -5,
        units: "uV".into(),
        adc_resolution: 16,
        adc_zero: 2,
        initial_value: -3,
        checksum: Some(1234),
        block_size: 512,
        description: "ECG lead I".into(),
    };
    assert_eq!(h.signals[0], a);
    let b = &h.signals[1];
    // No baseline: it defaults to the ADC zero; no units: mV.
    assert_eq!(
        (
            b.baseline,
            b.units.as_str(),
            b.checksum,
            b.description.as_str()
        ),
        (1024, "mV", Some(-22131), "MLII")
    );
    let c = &h.signals[2];
    // Only file and format: WFDB's defaults.
    assert_eq!(
        (
            c.adc_gain,
            c.gain(),
            c.adc_resolution,
            c.adc_zero,
            c.initial_value
        ),
        (0.0, 200.0, 12, 0, 0)
    );
    assert_eq!(
        (c.checksum, c.description.as_str()),
        (None, "record rec, signal 2")
    );
    let groups = h.groups();
    assert_eq!(
        groups.iter().map(|g| g.signals.clone()).collect::<Vec<_>>(),
        [0..1, 1..3]
    );
    assert_eq!(
        (groups[0].byte_offset, groups[1].format),
        (24, Format::F212)
    );
}

#[test]
fn record_line_optional_fields_default_like_wfdb() {
    let h = parse("r 0").unwrap();
    assert_eq!(
        (h.fs, h.counter_freq, h.n_samples, h.signals.len()),
        (250.0, None, None, 0)
    );
    let h = parse("r 1 128 0\nr.dat 80\n").unwrap();
    assert_eq!(
        (
            h.n_samples,
            h.signals[0].format,
            h.signals[0].adc_resolution
        ),
        (None, Format::F80, 8)
    );
}

#[test]
fn unsigned_checksums_wrap_to_the_signed_convention() {
    let h = parse("r 1 360 10\nr.dat 16 200 16 0 0 43405 0 x\n").unwrap();
    assert_eq!(h.signals[0].checksum, Some(43405u16 as i16));
}

#[test]
fn crlf_header_parses_like_lf() {
    let crlf = FULL.replace('\n', "\r\n");
    assert_eq!(parse(&crlf).unwrap(), parse(FULL).unwrap());
}

#[test]
fn malformed_lines_give_parse_errors_with_line_numbers() {
    assert_eq!(parse_error_line(""), 1);
    assert_eq!(parse_error_line("# only a comment\n"), 1);
    assert_eq!(parse_error_line("# c\nr\n"), 2);
    assert_eq!(parse_error_line("r two 360\n"), 1);
    assert_eq!(parse_error_line("r 1 -360\n"), 1);
    assert_eq!(parse_error_line("r 1 360/0\n"), 1);
    assert_eq!(parse_error_line("r 1 360 -5\n"), 1);
    assert_eq!(parse_error_line("r 1 360 10 a b c\n"), 1);
    assert_eq!(parse_error_line("# c\nr 1 360\n\nr.dat 212 abc\n"), 4);
    assert_eq!(parse_error_line("r 1 360\nr.dat 212 200(1\n"), 2);
    assert_eq!(parse_error_line("r 1 360\nr.dat 212 200(x)/mV\n"), 2);
    assert_eq!(parse_error_line("r 1 360\nr.dat 212 200junk\n"), 2);
    assert_eq!(
        parse_error_line("r 1 360\nr.dat 212 200 11 1024 0 70000\n"),
        2
    );
    assert_eq!(parse_error_line("r 1 360\nr.dat\n"), 2);
    assert_eq!(parse_error_line("r 1 360\nr.dat 212y3\n"), 2);
    assert_eq!(parse_error_line("r 2 360\nr.dat 212\n"), 2);
    assert_eq!(parse_error_line("r 1 360\nr.dat 212\nr.dat 212\n"), 3);
    assert_eq!(parse_error_line("r 2 360\nr.dat 212\nr.dat 16\n"), 3);
    assert_eq!(
        parse_error_line("r 3 360\na.dat 16\nb.dat 16\na.dat 16\n"),
        4
    );
}

#[test]
fn invalid_utf8_is_a_parse_error_on_its_line() {
    let bytes = b"r 1 360 10\nr.dat 212 200 11 0 0 0 0 \xff\xfe\n";
    match Header::parse(bytes, Path::new("rec.hea")) {
        Err(Error::Parse { line: 2, .. }) => {}
        other => panic!("expected Parse on line 2, got {other:?}"),
    }
}

#[test]
fn multi_segment_and_unsupported_formats_are_unsupported() {
    for text in [
        "rec/3 2 360 1000\nseg1 500\nseg2 500\n",
        "r 1 360\nr.dat 310\n",
        "r 1 360\nr.dat 24\n",
        "r 1 360\nr.dat 212x2\n",
        "r 1 360\nr.dat 16:3\n",
    ] {
        assert!(
            matches!(parse(text), Err(Error::Unsupported { .. })),
            "{text:?}"
        );
    }
    // One sample per frame and zero skew are the plain layout.
    assert_eq!(
        parse("r 1 360\nr.dat 16x1:0+2\n").unwrap().signals[0].byte_offset,
        2
    );
}

#[test]
fn physical_conversion_uses_gain_baseline_and_maps_invalid_samples_to_nan() {
    let h = parse("r 2 360\nr.dat 212 100(-10)/mV\nr.dat 212 0\n").unwrap();
    assert_eq!(h.signals[0].to_physical(90), 1.0);
    assert_eq!(h.signals[1].to_physical(-400), -2.0);
    assert!(h.signals[0].to_physical(-2048).is_nan());
}
