//! CSV signals: layouts, header detection, column choice, errors with line numbers, round trip.

use ecg_anomaly::Error;
use ecg_anomaly::data::Ecg;
use ecg_anomaly::data::csv::{
    Column, CsvOptions, Header, read_csv, read_csv_from, write_csv, write_csv_to,
};
use ecg_anomaly::data::synthetic::{SyntheticConfig, generate};
use proptest::prelude::*;

fn read(text: &str, opts: &CsvOptions) -> Result<Ecg, Error> {
    read_csv_from(text.as_bytes(), 360.0, opts)
}

/// The line and message of a parse error, or a panic naming what came instead.
fn parse_error(result: Result<Ecg, Error>) -> (usize, String) {
    match result {
        Err(Error::Parse { line, message, .. }) => (line, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn one_value_a_row_without_header() {
    let ecg = read("0.1\n-0.25\n1e-3\n", &CsvOptions::default()).unwrap();
    assert_eq!(ecg.fs, 360.0);
    assert_eq!(ecg.lead_names, ["col0"]);
    assert_eq!(ecg.leads, [vec![0.1, -0.25, 0.001]]);
}

#[test]
fn header_is_detected_when_no_cell_of_the_first_row_is_a_number() {
    let ecg = read("ecg\n1\n2\n", &CsvOptions::default()).unwrap();
    assert_eq!(ecg.lead_names, ["ecg"]);
    assert_eq!(ecg.leads, [vec![1.0, 2.0]]);
    // A first row with a number in it is data, so a bad cell there is an error, not a header.
    let (line, message) = parse_error(read("1,x\n2,3\n", &CsvOptions::default()));
    assert_eq!(line, 1);
    assert!(message.contains("column 2"), "{message}");
}

#[test]
fn header_can_be_forced_either_way() {
    let present = CsvOptions::default().header(Header::Present);
    let ecg = read("1,2\n3,4\n", &present).unwrap();
    assert_eq!(ecg.lead_names, ["1", "2"]);
    assert_eq!(ecg.leads, [vec![3.0], vec![4.0]]);
    let absent = CsvOptions::default().header(Header::Absent);
    let (line, _) = parse_error(read("a,b\n3,4\n", &absent));
    assert_eq!(line, 1);
    // Without a header, skipped rows are the first data rows.
    let ecg = read("1,2\n3,4\n5,6\n", &absent.clone().skip_rows(2)).unwrap();
    assert_eq!(ecg.leads, [vec![5.0], vec![6.0]]);
}

#[test]
fn leads_chosen_by_name_or_index_or_all_with_the_time_column_left_out() {
    let text = "time,MLII,V5\n0.000,-0.145,-0.065\n0.003,-0.150,-0.070\n";
    let by_name = CsvOptions::default().lead("V5");
    let ecg = read(text, &by_name).unwrap();
    assert_eq!(ecg.lead_names, ["V5"]);
    assert_eq!(ecg.leads, [vec![-0.065, -0.070]]);
    let by_index = CsvOptions::default().lead(1);
    assert_eq!(read(text, &by_index).unwrap().leads, [vec![-0.145, -0.150]]);
    let all = CsvOptions::default().time_column("time");
    let ecg = read(text, &all).unwrap();
    assert_eq!(ecg.lead_names, ["MLII", "V5"]);
    assert_eq!(ecg.len(), 2);
    let reordered = CsvOptions::default().leads(["V5", "MLII"]);
    assert_eq!(read(text, &reordered).unwrap().lead_names, ["V5", "MLII"]);
    // Without a time column every column is a lead.
    assert_eq!(read(text, &CsvOptions::default()).unwrap().leads.len(), 3);
    // Time by index, no header: names are column positions.
    let no_header = CsvOptions::default().time_column(0);
    let ecg = read("0,1,2\n1,3,4\n", &no_header).unwrap();
    assert_eq!(ecg.lead_names, ["col1", "col2"]);
    assert_eq!(ecg.leads, [vec![1.0, 3.0], vec![2.0, 4.0]]);
}

#[test]
fn physionet_export_with_quoted_names_units_row_and_clock_times() {
    let text = "'Elapsed time','MLII','V5'\n'hh:mm:ss.mmm','mV','mV'\n\
                '0:00.000',-0.145,-0.065\n'0:00.003',-0.145,-0.065\n'0:00.006',-0.145,-0.065\n";
    let opts = CsvOptions::default()
        .time_column("Elapsed time")
        .skip_rows(1);
    let ecg = read(text, &opts).unwrap();
    assert_eq!(ecg.lead_names, ["MLII", "V5"]);
    assert_eq!(ecg.len(), 3);
    // Without skipping the units row, it is reported on line 2.
    let opts = CsvOptions::default().time_column(0);
    let (line, message) = parse_error(read(text, &opts));
    assert_eq!(line, 2);
    assert!(
        message.contains("column 2") && message.contains("mV"),
        "{message}"
    );
}

#[test]
fn semicolons_crlf_blanks_spaces_and_comments() {
    let text = "# exported by a monitor\r\nI ; II\r\n 1.5 ; 2\r\n\r\n3;4\r\n";
    let ecg = read(text, &CsvOptions::default().delimiter(b';')).unwrap();
    assert_eq!(ecg.lead_names, ["I", "II"]);
    assert_eq!(ecg.leads, [vec![1.5, 3.0], vec![2.0, 4.0]]);
}

#[test]
fn bad_cells_give_the_line_and_column() {
    // (text, bad line, bad column)
    let cases = [
        ("1,2\n3,nan\n", 2, 2),
        ("1,2\n3,4\n-inf,5\n", 3, 1),
        ("1,2\n3,\n", 2, 2),
        ("v\n1\n2\nabc\n", 4, 1),
        ("1\n2\n1e39\n", 3, 1),
        // Comment and blank lines still count.
        ("# note\n1\n\n2\nx\n", 5, 1),
    ];
    for (text, want_line, column) in cases {
        let (line, message) = parse_error(read(text, &CsvOptions::default()));
        assert_eq!(line, want_line, "{text:?}: {message}");
        assert!(
            message.contains(&format!("column {column}")),
            "{text:?}: {message}"
        );
    }
    let (line, message) = parse_error(read("1,2\n3\n", &CsvOptions::default()));
    assert_eq!(line, 2);
    assert!(message.contains("expected 2 fields"), "{message}");
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let path = crate::common::temp_path("csv", "does-not-exist.csv");
    match read_csv(&path, 360.0, &CsvOptions::default()) {
        Err(Error::Io { path: p, .. }) => assert_eq!(p, path),
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn wrong_columns_and_arguments_are_reported() {
    let text = "a,b\n1,2\n";
    let (_, message) = parse_error(read(text, &CsvOptions::default().lead("c")));
    assert!(message.contains("\"c\""), "{message}");
    let (_, message) = parse_error(read(text, &CsvOptions::default().lead(5)));
    assert!(message.contains("out of range"), "{message}");
    let no_header = CsvOptions::default().lead("a");
    assert!(matches!(
        read("1,2\n", &no_header),
        Err(Error::InvalidArgument { name: "column", .. })
    ));
    let clash = CsvOptions::default().lead("a").time_column(0);
    assert!(matches!(
        read(text, &clash),
        Err(Error::InvalidArgument { .. })
    ));
    let only_time = CsvOptions::default().time_column(0);
    parse_error(read("t\n0\n1\n", &only_time));
    let none: Vec<Column> = Vec::new();
    assert!(matches!(
        read(text, &CsvOptions::default().leads(none)),
        Err(Error::InvalidArgument { name: "leads", .. })
    ));
    for fs in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            read_csv_from("1\n".as_bytes(), fs, &CsvOptions::default()),
            Err(Error::InvalidArgument { name: "fs", .. })
        ));
    }
    parse_error(read("", &CsvOptions::default()));
    parse_error(read("name\n", &CsvOptions::default()));
}

#[test]
fn generated_record_round_trips_through_a_file() {
    let record = generate(&SyntheticConfig::default()).unwrap();
    let path = crate::common::temp_path("csv", "round-trip.csv");
    write_csv(&path, &record.ecg).unwrap();
    let back = read_csv(&path, record.ecg.fs, &CsvOptions::default());
    std::fs::remove_file(&path).unwrap();
    assert_eq!(back.unwrap(), record.ecg);
}

#[test]
fn writing_needs_finite_samples_and_equal_leads() {
    let mut ecg = Ecg {
        fs: 250.0,
        lead_names: vec!["I".into(), "II".into()],
        leads: vec![vec![0.0, 1.0, 2.0], vec![3.0, f32::NAN, 5.0]],
    };
    match write_csv_to(Vec::new(), &ecg) {
        Err(Error::Signal { sample, .. }) => assert_eq!(sample, 1),
        other => panic!("expected Signal, got {other:?}"),
    }
    ecg.leads[1].pop();
    assert!(matches!(
        write_csv_to(Vec::new(), &ecg),
        Err(Error::InvalidArgument { .. })
    ));
    ecg.leads[1] = vec![3.0, 4.0, 5.0];
    let mut out = Vec::new();
    write_csv_to(&mut out, &ecg).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "I,II\n0,3\n1,4\n2,5\n");
}

proptest! {
    #[test]
    fn random_text_never_panics(text in "\\PC*", delimiter in prop::sample::select(vec![b',', b';', b'\t']),
                                header in prop::sample::select(vec![Header::Auto, Header::Present, Header::Absent]),
                                lead in prop::option::of(0usize..4), time in prop::option::of(0usize..4)) {
        let mut opts = CsvOptions::default().delimiter(delimiter).header(header);
        if let Some(l) = lead { opts = opts.lead(l); }
        if let Some(t) = time { opts = opts.time_column(t); }
        if let Ok(ecg) = read(&text, &opts) {
            prop_assert!(!ecg.leads.is_empty());
            prop_assert!(ecg.leads.iter().all(|l| l.len() == ecg.len() && l.iter().all(|x| x.is_finite())));
        }
    }

    #[test]
    fn csv_like_token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(vec![
        "1", "-2.5", "3e-2", "nan", "inf", "x", "MLII", "", ",", ",", ";", "\n", "\n", "\r\n",
        "\"", "'", "#", " ", "\t"]), 0..60), lead in prop::option::of(0usize..3),
        time in prop::option::of(0usize..3)) {
        let text: String = tokens.concat();
        let mut opts = CsvOptions::default();
        if let Some(l) = lead { opts = opts.lead(l); }
        if let Some(t) = time { opts = opts.time_column(t); }
        for opts in [opts.clone(), opts.skip_rows(1).header(Header::Present)] {
            if let Ok(ecg) = read(&text, &opts) {
                prop_assert!(ecg.leads.iter().all(|l| l.len() == ecg.len() && !l.is_empty()));
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = read_csv_from(bytes.as_slice(), 100.0, &CsvOptions::default());
    }

    #[test]
    fn finite_samples_round_trip_exactly(leads in prop::collection::vec(
        prop::collection::vec(-1e6f32..1e6, 5), 1..4)) {
        let ecg = Ecg {
            fs: 500.0,
            lead_names: (0..leads.len()).map(|i| format!("lead {i}")).collect(),
            leads,
        };
        let mut out = Vec::new();
        write_csv_to(&mut out, &ecg).unwrap();
        let back = read_csv_from(out.as_slice(), 500.0, &CsvOptions::default()).unwrap();
        prop_assert_eq!(back, ecg);
    }
}
