//! Issue 14's bad inputs through the public API: non-regular files (FIFOs, `/dev/zero`,
//! folders), signal files outside the record's folder, every limit of `ReadLimits`, CSV first
//! rows and decimal commas, filters at absurd rates, and the fused LSTM recurrence's shape
//! contract. Each returns a typed error naming the file and the line, field or sample (or, for
//! the recurrence's violated contract, panics with a message before any unsafe code runs).

use std::io::Read;
use std::path::{Path, PathBuf};

use ecg_anomaly::Error;
use ecg_anomaly::data::csv::{CsvOptions, read_csv, read_csv_from};
use ecg_anomaly::data::matrix::{MatrixOptions, parse_beat_matrix};
use ecg_anomaly::data::wfdb::{
    Header, Record, parse_annotations_with_limits, read_annotations, read_annotations_with_limits,
    read_ecg,
};
use ecg_anomaly::limits::ReadLimits;
use ecg_anomaly::preprocess::filter::{
    BandPass, Biquad, HighPass, LowPass, MedianBaseline, Notch, SignalFilter, filtfilt,
};

/// A fresh folder under the system temp dir, unique to this process and test.
/// A one-signal format-16 record `rec` in `dir` whose signal file is `file_name`, 4 samples
/// (checksum 10: the samples `[1, 2, 3, 4]` the tests write).
fn record(dir: &Path, file_name: &str) -> PathBuf {
    let hea = format!("# a comment\nrec 1 100 4\n{file_name} 16 200 16 0 0 10 0 MLII\n");
    std::fs::write(dir.join("rec.hea"), hea).unwrap();
    dir.join("rec")
}

fn samples_16(values: &[i16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn outside_folder(err: Error) -> (PathBuf, usize, String) {
    match err {
        Error::OutsideFolder {
            header,
            line,
            file_name,
            ..
        } => (header, line, file_name),
        other => panic!("expected OutsideFolder, got {other:?}"),
    }
}

#[test]
fn a_fifo_signal_file_is_refused_before_any_blocking_read() {
    let dir = crate::common::scratch("reliability", "fifo");
    let rec = record(&dir, "rec.dat");
    mkfifo(&dir.join("rec.dat"));
    // Nothing writes to the FIFO: opening or reading it would block this test forever.
    for result in [
        Record::read(&rec).map(|_| ()),
        Record::read_range(&rec, 0..2).map(|_| ()),
        read_ecg(&rec).map(|_| ()),
    ] {
        match result.unwrap_err() {
            Error::NotRegularFile { path, kind } => {
                assert_eq!(path, dir.join("rec.dat"));
                assert_eq!(kind, "a FIFO");
            }
            other => panic!("expected NotRegularFile, got {other:?}"),
        }
    }
    mkfifo(&dir.join("fifo.hea"));
    let err = Header::read(dir.join("fifo.hea")).unwrap_err();
    assert!(
        matches!(err, Error::NotRegularFile { kind: "a FIFO", .. }),
        "{err}"
    );
    mkfifo(&dir.join("fifo.atr"));
    let err = read_annotations(dir.join("fifo.atr")).unwrap_err();
    assert!(
        matches!(err, Error::NotRegularFile { kind: "a FIFO", .. }),
        "{err}"
    );
    mkfifo(&dir.join("fifo.csv"));
    let err = read_csv(dir.join("fifo.csv"), 250.0, &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(err, Error::NotRegularFile { kind: "a FIFO", .. }),
        "{err}"
    );
}

#[test]
fn devices_and_folders_are_not_read() {
    let zero = Path::new("/dev/zero");
    let device = |err: Error| match err {
        Error::NotRegularFile { path, kind } => {
            assert_eq!((path.as_path(), kind), (zero, "a character device"))
        }
        other => panic!("expected NotRegularFile, got {other:?}"),
    };
    device(Header::read(zero).unwrap_err());
    device(read_annotations(zero).unwrap_err());
    device(read_csv(zero, 250.0, &CsvOptions::default()).unwrap_err());
    let dir = crate::common::scratch("reliability", "folder");
    let rec = record(&dir, "rec.dat");
    std::fs::create_dir(dir.join("rec.dat")).unwrap();
    let err = Record::read(&rec).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotRegularFile {
                kind: "a folder",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn signal_files_outside_the_header_folder_are_refused_with_the_header_line() {
    let root = crate::common::scratch("reliability", "escape");
    let dir = root.join("records");
    std::fs::create_dir_all(&dir).unwrap();
    let data = samples_16(&[1, 2, 3, 4]);
    std::fs::write(root.join("x.dat"), &data).unwrap();
    let hea = dir.join("rec.hea");
    for name in ["../x.dat", "sub/../../x.dat", "/etc/passwd", "/dev/zero"] {
        let rec = record(&dir, name);
        let (header, line, file_name) = outside_folder(Record::read(&rec).unwrap_err());
        assert_eq!(
            (header.as_path(), line, file_name.as_str()),
            (hea.as_path(), 3, name)
        );
        let err = Record::read_range(&rec, 0..1).unwrap_err();
        assert_eq!(outside_folder(err).1, 3);
    }
    // A symbolic link inside the folder that leads out of it.
    std::os::unix::fs::symlink(root.join("x.dat"), dir.join("link.dat")).unwrap();
    let rec = record(&dir, "link.dat");
    let err = Record::read(&rec).unwrap_err();
    assert!(err.to_string().contains("resolves to"), "{err}");
    assert_eq!(outside_folder(err).2, "link.dat");
    // A linked folder on the way out.
    std::os::unix::fs::symlink(&root, dir.join("up")).unwrap();
    let err = Record::read(record(&dir, "up/x.dat")).unwrap_err();
    assert_eq!(outside_folder(err).2, "up/x.dat");
    // Links and sub-folders that stay inside are fine.
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/rec.dat"), &data).unwrap();
    std::os::unix::fs::symlink(dir.join("sub/rec.dat"), dir.join("inside.dat")).unwrap();
    for name in ["sub/rec.dat", "./sub/rec.dat", "inside.dat"] {
        let got = Record::read(record(&dir, name)).unwrap();
        assert_eq!(got.digital, [vec![1, 2, 3, 4]], "{name}");
    }
}

#[test]
fn a_signal_that_disagrees_with_its_header_checksum_is_corrupt_unless_told_otherwise() {
    // Issue 29: the header's checksums were never compared with the samples.
    let dir = crate::common::scratch("reliability", "checksum");
    let rec = record(&dir, "rec.dat"); // checksum 10
    std::fs::write(dir.join("rec.dat"), samples_16(&[1, 2, 3, 5])).unwrap();
    for err in [Record::read(&rec).unwrap_err(), read_ecg(&rec).unwrap_err()] {
        let text = err.to_string();
        match err {
            Error::Corrupt { path, .. } => assert_eq!(path, dir.join("rec.dat")),
            other => panic!("expected Corrupt, got {other:?}"),
        }
        assert!(
            text.contains("signal 0 (MLII)") && text.contains("sum to 11"),
            "{text}"
        );
        assert!(
            text.contains("checksum is 10") && text.contains("verify_checksums"),
            "{text}"
        );
    }
    // The check can be turned off, and run later by hand.
    let unchecked = ReadLimits {
        verify_checksums: false,
        ..ReadLimits::default()
    };
    let read = Record::read_with_limits(&rec, &unchecked).unwrap();
    assert_eq!(read.digital, [vec![1, 2, 3, 5]]);
    assert!(matches!(
        read.verify_checksums(),
        Err(Error::Corrupt { .. })
    ));
    // A range cannot be compared with a whole-signal checksum: read, and refused by hand.
    let part = Record::read_range(&rec, 1..3).unwrap();
    assert_eq!(part.digital, [vec![2, 3]]);
    let err = part.verify_checksums().unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument { name: "record", .. }),
        "{err}"
    );
    // Sums wrap modulo 2^16, and the header may write them signed or unsigned.
    std::fs::write(dir.join("rec.dat"), samples_16(&[30_000; 4])).unwrap();
    for sum in ["54464", "-11072"] {
        let hea = format!("rec 1 100 4\nrec.dat 16 200 16 0 0 {sum} 0 MLII\n");
        std::fs::write(dir.join("rec.hea"), hea).unwrap();
        Record::read(&rec).unwrap().verify_checksums().unwrap();
    }
    // A header without checksums has nothing to compare.
    std::fs::write(dir.join("rec.hea"), "rec 1 100 4\nrec.dat 16 200 16 0\n").unwrap();
    assert_eq!(Record::read(&rec).unwrap().digital, [vec![30_000; 4]]);
}

#[test]
fn a_gain_that_makes_physical_values_overflow_f32_is_an_error_naming_file_and_signal() {
    // Issue 29: a gain of 1e-40 turned every sample into an infinity, without an error.
    let dir = crate::common::scratch("reliability", "gain");
    let rec = record(&dir, "rec.dat");
    std::fs::write(dir.join("rec.dat"), samples_16(&[1, 2, 3, 4])).unwrap();
    let hea = "rec 2 100 4\nrec.dat 16 200 16 0 0 0 0 MLII\nrec.dat 16 1e-40 16 0 0 0 0 V5\n";
    std::fs::write(dir.join("rec.hea"), hea).unwrap();
    for err in [
        read_ecg(&rec).unwrap_err(),
        Header::read(dir.join("rec.hea")).unwrap_err(),
    ] {
        match err {
            Error::Parse {
                path,
                line,
                message,
            } => {
                assert_eq!((path, line), (dir.join("rec.hea"), 3));
                assert!(message.contains("signal 1 (V5)"), "{message}");
                assert!(message.contains("beyond a 32-bit float"), "{message}");
            }
            other => panic!("expected Parse, got {other:?}"),
        }
    }
    // A baseline far from the format's values does the same; a small gain that fits is read.
    let far = "rec 1 100 4\nrec.dat 16 1e-30(-2147483648) 16 0\n";
    assert!(Header::parse(far.as_bytes(), Path::new("far.hea")).is_err());
    let fits = "rec 1 100 4\nrec.dat 16 1e-30 16 0\n";
    std::fs::write(dir.join("rec.hea"), fits).unwrap();
    let ecg = read_ecg(&rec).unwrap();
    assert!(
        ecg.leads[0].iter().all(|v| v.is_finite()),
        "{:?}",
        ecg.leads
    );
    assert_eq!(ecg.leads[0][3], 4e30);
}

fn limit_of(err: &Error) -> &'static str {
    match err {
        Error::Limit { limit, .. } => limit,
        other => panic!("expected Limit, got {other:?}"),
    }
}

#[test]
fn every_wfdb_limit_is_enforced_and_can_be_raised() {
    let dir = crate::common::scratch("reliability", "wfdb-limits");
    let rec = record(&dir, "rec.dat");
    std::fs::write(dir.join("rec.dat"), samples_16(&[1, 2, 3, 4])).unwrap();
    let hea = dir.join("rec.hea");
    let at = |limits: ReadLimits| Record::read_with_limits(&rec, &limits);
    assert_eq!(at(ReadLimits::default()).unwrap().len(), 4);
    let small = |f: fn(&mut ReadLimits)| {
        let mut l = ReadLimits::default();
        f(&mut l);
        l
    };
    let err = at(small(|l| l.max_samples = 3)).unwrap_err();
    assert_eq!(limit_of(&err), "max_samples");
    assert!(err.to_string().contains("line 2: 4 samples"), "{err}");
    let err = at(small(|l| l.max_header_lines = 2)).unwrap_err();
    assert_eq!(limit_of(&err), "max_header_lines");
    assert!(err.to_string().contains("line 3"), "{err}");
    let err = at(small(|l| l.max_header_bytes = 10)).unwrap_err();
    assert_eq!(limit_of(&err), "max_header_bytes");
    let err = at(small(|l| l.max_signals = 0)).unwrap_err();
    assert_eq!(limit_of(&err), "max_signals");
    assert!(
        matches!(&err, Error::Limit { path, .. } if path == &hea),
        "{err}"
    );
    // A header without a sample count: the count inferred from the file is limited too.
    std::fs::write(&hea, "rec 1 100\nrec.dat 16 200 16 0 0 10 0 MLII\n").unwrap();
    assert_eq!(at(ReadLimits::default()).unwrap().len(), 4);
    let err = at(small(|l| l.max_samples = 3)).unwrap_err();
    assert_eq!(limit_of(&err), "max_samples");
    assert!(
        Record::read_range_with_limits(&rec, 0..3, &small(|l| l.max_samples = 3)).is_ok(),
        "a range within the limit is read"
    );
    // Defaults: 4096 signals at most, declared samples checked at parse time.
    let many = "rec 5000 100 4\n";
    let err = Header::parse(many.as_bytes(), Path::new("many.hea")).unwrap_err();
    assert_eq!(limit_of(&err), "max_signals");
    let huge = "rec 1 100 18446744073709551615\nrec.dat 16\n";
    let err = Header::parse(huge.as_bytes(), Path::new("huge.hea")).unwrap_err();
    assert_eq!(limit_of(&err), "max_samples");
    let raised = ReadLimits {
        max_samples: usize::MAX,
        ..ReadLimits::default()
    };
    assert!(Header::parse_with_limits(huge.as_bytes(), Path::new("h"), &raised).is_ok());
}

#[test]
fn annotation_limits_are_enforced_before_allocating() {
    // N beats one sample apart, then the end-of-file word.
    let mut bytes: Vec<u8> = std::iter::repeat_n([1u8, 4], 100).flatten().collect();
    bytes.extend([0, 0]);
    let path = Path::new("many.atr");
    let limits = |n: usize| ReadLimits {
        max_annotations: n,
        ..ReadLimits::default()
    };
    assert_eq!(
        parse_annotations_with_limits(&bytes, path, &limits(100))
            .unwrap()
            .len(),
        100
    );
    let err = parse_annotations_with_limits(&bytes, path, &limits(99)).unwrap_err();
    assert_eq!(limit_of(&err), "max_annotations");
    assert!(err.to_string().contains("100 annotations"), "{err}");
    let dir = crate::common::scratch("reliability", "atr-limits");
    std::fs::write(dir.join("rec.atr"), &bytes).unwrap();
    let small = ReadLimits {
        max_annotation_bytes: 201,
        ..ReadLimits::default()
    };
    let err = read_annotations_with_limits(dir.join("rec.atr"), &small).unwrap_err();
    assert_eq!(limit_of(&err), "max_annotation_bytes");
    assert!(err.to_string().contains("202 bytes"), "{err}");
}

fn parse_error(err: Error) -> (usize, String) {
    match err {
        Error::Parse { line, message, .. } => (line, message),
        other => panic!("expected Parse, got {other:?}"),
    }
}

fn csv(text: &str) -> ecg_anomaly::Result<ecg_anomaly::data::Ecg> {
    read_csv_from(text.as_bytes(), 250.0, &CsvOptions::default())
}

#[test]
fn a_non_finite_first_row_is_data_and_an_error_not_a_header() {
    for (text, line, what) in [
        ("NaN\n1\n2\n", 1, "not a finite number"),
        ("inf\n1\n", 1, "not a finite number"),
        ("-Infinity,1\n1,2\n", 1, "not a finite number"),
        ("1e39\n1\n", 1, "overflows a 32-bit float"),
        ("1,-1e39\n1,2\n", 1, "overflows a 32-bit float"),
        ("mV\n0.5\nnan\n", 3, "not a finite number"),
    ] {
        let (got_line, message) = parse_error(csv(text).unwrap_err());
        assert_eq!(got_line, line, "{text:?}: {message}");
        assert!(message.contains(what), "{text:?}: {message}");
        assert!(message.contains("column"), "{text:?}: {message}");
    }
    let (_, message) = parse_error(csv("1,NaN\n").unwrap_err());
    assert!(message.contains("column 2 (index 1)"), "{message}");
    // A real header (all text) is still a header, and its names are kept.
    let ecg = csv("MLII,V5\n0.5,1\n").unwrap();
    assert_eq!(ecg.lead_names, ["MLII", "V5"]);
    assert_eq!(ecg.leads, [vec![0.5], vec![1.0]]);
}

#[test]
fn decimal_commas_are_read_with_another_delimiter_and_refused_with_commas() {
    let semicolon = CsvOptions::default().delimiter(b';');
    let ecg = read_csv_from("0,5;-1,25\n1;2,0\n".as_bytes(), 250.0, &semicolon).unwrap();
    assert_eq!(ecg.leads, [vec![0.5, 1.0], vec![-1.25, 2.0]]);
    // A first row of decimal commas is data, not a header.
    let one = read_csv_from("0,5\n0,25\n".as_bytes(), 250.0, &semicolon).unwrap();
    assert_eq!(
        (one.lead_names.as_slice(), one.leads[0].as_slice()),
        (&["col0".to_string()][..], &[0.5, 0.25][..])
    );
    // With the default `,` delimiter: a one-column decimal-comma file is refused, saying why.
    for (text, line) in [
        ("0,5\n0,25\n1\n", 3), // a row without a fraction has fewer fields
        ("0,5\n0,05\n", 2),    // `05`: the tail of a decimal comma
        ("-0,05\n", 1),
        ("1,5\n2,5\n-0,075\n", 3),
    ] {
        let (got, message) = parse_error(csv(text).unwrap_err());
        assert_eq!(got, line, "{text:?}: {message}");
        assert!(message.contains("decimal"), "{text:?}: {message}");
    }
    // Integer columns without such tells are two columns, as written.
    assert_eq!(
        csv("0,5\n1,7\n").unwrap().leads,
        [vec![0.0, 1.0], vec![5.0, 7.0]]
    );
    // `-0` is what `f32`'s Display (so `write_csv`) writes for negative zero: not a tell.
    assert_eq!(csv("-0,5\n").unwrap().leads, [vec![0.0], vec![5.0]]);
}

#[test]
fn the_csv_and_beat_matrix_readers_read_text_alike() {
    // Issue 29: the beat-matrix reader dropped a first row behind a byte-order mark (taking it
    // for a header) and read `0,05` as the samples 0 and 5.
    let semicolon = CsvOptions::default().delimiter(b';');
    let comma = CsvOptions::default();
    for (text, opts, samples) in [
        ("\u{feff}1,2\n3,4\n", &comma, [1.0, 2.0, 3.0, 4.0]),
        (" 1 ,\t2 \r\n3, 4\n", &comma, [1.0, 2.0, 3.0, 4.0]),
        (
            "\u{feff}0,5;1,5\r\n2;3\r\n",
            &semicolon,
            [0.5, 1.5, 2.0, 3.0],
        ),
        ("0,5;-1,25\n1;2\n", &semicolon, [0.5, -1.25, 1.0, 2.0]),
    ] {
        let ecg = read_csv_from(text.as_bytes(), 250.0, opts).unwrap();
        let rows: Vec<f32> = (0..ecg.len())
            .flat_map(|i| ecg.leads.iter().map(move |l| l[i]))
            .collect();
        assert_eq!(rows, samples, "CSV {text:?}");
        let m = parse_beat_matrix(text.as_bytes(), &MatrixOptions::default()).unwrap();
        assert_eq!(
            (m.len, m.data.as_slice()),
            (2, &samples[..]),
            "matrix {text:?}"
        );
    }
    for (text, line, what) in [
        ("0,05,0,07\n", 1, "decimal comma"),
        ("1,2\n0,05\n", 2, "decimal comma"),
        (
            "1,2\n1e39,1\n",
            2,
            "column 1 (index 0): \"1e39\" overflows a 32-bit float",
        ),
        (
            "1,NaN\n",
            1,
            "column 2 (index 1): \"NaN\" is not a finite number",
        ),
        ("1,2\n3,\n", 2, "column 2 (index 1): empty cell"),
    ] {
        let (csv_line, csv_message) = parse_error(csv(text).unwrap_err());
        let matrix = parse_beat_matrix(text.as_bytes(), &MatrixOptions::default());
        let (matrix_line, matrix_message) = parse_error(matrix.unwrap_err());
        assert_eq!((csv_line, matrix_line), (line, line), "{text:?}");
        assert!(csv_message.contains(what), "CSV {text:?}: {csv_message}");
        assert!(
            matrix_message.contains(what),
            "matrix {text:?}: {matrix_message}"
        );
    }
}

/// An endless reader repeating `pattern`; past `fail_after` bytes it fails, so that a reader
/// that does not stop at its limit fails the test quickly instead of filling memory.
struct Endless {
    pattern: &'static [u8],
    at: usize,
    fail_after: usize,
}

impl Endless {
    fn new(pattern: &'static [u8]) -> Self {
        Self {
            pattern,
            at: 0,
            fail_after: usize::MAX,
        }
    }
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at > self.fail_after {
            return Err(std::io::Error::other("read past the limit"));
        }
        for b in buf.iter_mut() {
            *b = self.pattern[self.at % self.pattern.len()];
            self.at += 1;
        }
        Ok(buf.len())
    }
}

#[test]
fn an_endless_stream_stops_at_the_default_byte_limit_within_seconds() {
    // Issue 29: an endless stream of `1` rows reached `max_csv_rows` only after 2^28 rows (512
    // MiB read, 1 GB held, 51 s). The default `max_csv_stream_bytes` (64 MiB) stops it first.
    let limits = ReadLimits::default();
    let max = limits.max_csv_stream_bytes;
    assert_eq!(max, 64 << 20);
    let slack = 1 << 20; // the parsers' read-ahead buffers
    let started = std::time::Instant::now();
    let rows = Endless {
        fail_after: (max + slack) as usize,
        ..Endless::new(b"1\n")
    };
    let err = read_csv_from(rows, 250.0, &CsvOptions::default()).unwrap_err();
    assert_eq!(limit_of(&err), "max_csv_stream_bytes", "{err}");
    assert!(
        err.to_string()
            .contains("more than 67108864 bytes (line 33554433)"),
        "{err}"
    );
    let csv_time = started.elapsed();
    let started = std::time::Instant::now();
    let rows = Endless {
        fail_after: (max + slack) as usize,
        ..Endless::new(b"1,2,3\n")
    };
    let err = parse_beat_matrix(rows, &MatrixOptions::default()).unwrap_err();
    assert_eq!(limit_of(&err), "max_csv_stream_bytes", "{err}");
    eprintln!(
        "endless streams stopped at 64 MiB: CSV in {:.1} s, beat matrix in {:.1} s",
        csv_time.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    // A file's size is checked before reading it.
    let dir = crate::common::scratch("reliability", "csv-bytes");
    std::fs::write(dir.join("a.csv"), "1\n2\n").unwrap();
    let small = ReadLimits {
        max_csv_file_bytes: 3,
        ..ReadLimits::default()
    };
    let opts = CsvOptions::default().limits(small);
    let err = read_csv(dir.join("a.csv"), 250.0, &opts).unwrap_err();
    assert_eq!(limit_of(&err), "max_csv_file_bytes");
    assert!(err.to_string().contains("4 bytes"), "{err}");
}

#[test]
fn csv_line_and_row_limits_stop_long_lines_and_endless_streams() {
    let limits = ReadLimits {
        max_csv_line_bytes: 100,
        max_csv_rows: 1000,
        ..ReadLimits::default()
    };
    let opts = CsvOptions::default().limits(limits);
    // Cells of 101 and 100 bytes.
    let long = format!("1\n2\n0.{}\n3\n", "7".repeat(99));
    let err = read_csv_from(long.as_bytes(), 250.0, &opts).unwrap_err();
    assert_eq!(limit_of(&err), "max_csv_line_bytes");
    assert!(
        err.to_string().contains("line 3 is longer than the limit"),
        "{err}"
    );
    let fits = format!("1\n0.{}\n", "7".repeat(98));
    assert!(read_csv_from(fits.as_bytes(), 250.0, &opts).is_ok());
    // /dev/zero as a stream: NUL bytes without a line break.
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let err = read_csv_from(zero, 250.0, &opts).unwrap_err();
    assert_eq!(limit_of(&err), "max_csv_line_bytes");
    // An endless stream of valid rows.
    let rows = Endless::new(b"0.5\n");
    let err = read_csv_from(rows, 250.0, &opts).unwrap_err();
    assert_eq!(limit_of(&err), "max_csv_rows");
    assert!(err.to_string().contains("line 1001"), "{err}");
    let thousand = "0.5\n".repeat(1000);
    let ecg = read_csv_from(thousand.as_bytes(), 250.0, &opts).unwrap();
    assert_eq!(ecg.len(), 1000);
}

/// A 10 s test signal: a 1.2 Hz wave plus a 50 Hz one.
fn signal() -> Vec<f32> {
    (0..2500)
        .map(|i| {
            let t = i as f32 / 250.0;
            (std::f32::consts::TAU * 1.2 * t).sin() + 0.2 * (std::f32::consts::TAU * 50.0 * t).sin()
        })
        .collect()
}

#[test]
fn filters_at_absurd_rates_return_errors_never_non_finite_output() {
    let x = signal();
    let filters: Vec<Box<dyn SignalFilter>> = vec![
        Box::new(BandPass::default()),
        Box::new(HighPass::default()),
        Box::new(LowPass::default()),
        Box::new(Notch::default()),
        Box::new(MedianBaseline::default()),
    ];
    for filter in &filters {
        for fs in [
            1e-300,
            1e-3,
            1e12,
            1e300,
            f64::MAX,
            0.0,
            -250.0,
            f64::NAN,
            f64::INFINITY,
        ] {
            match filter.apply(&x, fs) {
                Ok(out) => {
                    let bad = out.iter().position(|v| !v.is_finite());
                    assert_eq!(
                        bad, None,
                        "{filter:?} at {fs} Hz: Ok with a non-finite value"
                    );
                }
                Err(Error::InvalidArgument { .. } | Error::Signal { .. }) => {}
                Err(other) => panic!("{filter:?} at {fs} Hz: unexpected {other:?}"),
            }
        }
    }
    // Cutoffs at, above or within rounding of Nyquist.
    for near in [BandPass::new(0.5, 124.99999999), BandPass::new(1e-9, 40.0)] {
        assert!(near.apply(&x, 250.0).is_err(), "{near:?}");
    }
    // Cutoffs at or above Nyquist name the cutoff.
    for bad in [BandPass::new(0.5, 125.0), BandPass::new(0.5, 1e300)] {
        let err = bad.apply(&x, 250.0).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidArgument {
                    name: "high_hz",
                    ..
                }
            ),
            "{err}"
        );
    }
    // A rate so high that the 0.5 Hz design degenerates is an error on `fs`.
    let err = BandPass::default().apply(&x, 1e300).unwrap_err();
    assert!(
        matches!(err, Error::InvalidArgument { name: "fs", .. }),
        "{err}"
    );
    // An unstable cascade given by hand: an error on the sections, naming a sample.
    let unstable = Biquad {
        b: [1.0, 0.0, 0.0],
        a: [1.0, -2.5, 1.0],
    };
    let err = filtfilt(&[unstable], &x).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                name: "sections",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("at sample"), "{err}");
    // A spike at f32's top over a baseline at its bottom: their difference overflows.
    let mut big = vec![-3e38f32; 500];
    big[250] = 3e38;
    let err = MedianBaseline::default().apply(&big, 250.0).unwrap_err();
    assert!(matches!(err, Error::Signal { sample: 250, .. }), "{err}");
}

#[cfg(feature = "flex")]
mod recurrence {
    //! The public, safe `LstmRecurrenceBackend` trait called with operands that break its
    //! contract: a panic with the contract's message at the boundary, before the kernels'
    //! unsafe matrix products (which would otherwise read and write out of bounds).

    use burn::backend::Dispatch;
    use burn::tensor::{Device, Tensor};
    use ecg_anomaly::model::recurrence::{LstmRecurrenceBackend, Output};

    fn device() -> Device {
        ecg_anomaly::device::default_device()
    }

    fn zeros<const D: usize>(shape: [usize; D]) -> Tensor<D> {
        Tensor::zeros(shape, &device())
    }

    /// `lstm_recurrence` with hidden size 4 (16 gates), batch 2, 3 steps, and `whh`'s shape.
    fn recurrence(whh: [usize; 2], h0: [usize; 2], gs: [usize; 2], seq: usize) -> Tensor<3> {
        let out = <Dispatch as LstmRecurrenceBackend>::lstm_recurrence(
            zeros([2, 3, 16]).into_dispatch(),
            zeros(gs).into_dispatch(),
            zeros(whh).into_dispatch(),
            zeros(h0).into_dispatch(),
            zeros([2, 4]).into_dispatch(),
            seq,
            Output::All,
        );
        Tensor::from_dispatch(out)
    }

    #[test]
    fn matching_shapes_run() {
        assert_eq!(recurrence([4, 16], [2, 4], [3, 16], 3).dims(), [2, 4, 4]);
    }

    #[test]
    #[should_panic(expected = "LSTM recurrence: whh is [1, 16], needs [4, 16]")]
    fn a_short_recurrent_weight_panics_before_the_kernel() {
        recurrence([1, 16], [2, 4], [3, 16], 3);
    }

    #[test]
    #[should_panic(expected = "LSTM recurrence: h0 is [1, 4], needs [2, 4]")]
    fn a_short_initial_state_panics_before_the_kernel() {
        recurrence([4, 16], [1, 4], [3, 16], 3);
    }

    #[test]
    #[should_panic(expected = "LSTM recurrence: gx [2, 3, 16] holds neither 1000 steps nor 1")]
    fn more_steps_than_the_inputs_hold_panics_before_the_kernel() {
        recurrence([4, 16], [2, 4], [1, 16], 1000);
    }

    #[test]
    #[should_panic(expected = "LSTM recurrence: wih is [2, 16]")]
    fn a_sequence_with_a_mismatched_input_weight_panics_before_the_kernel() {
        <Dispatch as LstmRecurrenceBackend>::lstm_sequence(
            zeros([2, 3, 5]).into_dispatch(),
            zeros([2, 16]).into_dispatch(),
            zeros([1, 16]).into_dispatch(),
            zeros([4, 16]).into_dispatch(),
            zeros([2, 4]).into_dispatch(),
            zeros([2, 4]).into_dispatch(),
            Output::All,
        );
    }
}
