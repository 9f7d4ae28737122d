//! Beat matrices: one beat a row, as the public benchmark archives ship them (the PTB and
//! MIT-BIH heartbeat CSVs, ECG5000's tab-separated files) and as other tools export beats.
//!
//! Values are separated by semicolons, commas, tabs or spaces (the first data row decides, in
//! that order); a label column may come first or last. A first row holding text that is not a
//! number is a header and skipped. Numbers follow the CSV reader's rules
//! ([`read_csv`](crate::data::csv::read_csv)): a UTF-8 byte-order mark is dropped, values must
//! be finite `f32` (`1e39` overflows: an error), a decimal comma is read as a point when the
//! columns are not separated by commas (`0,5;0,7`) and refused when they are (`0,05`).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::batch::WindowDataset;
use crate::data::csv::check_file_size;
use crate::data::text::{self, COMMA_HINT, TextReader, cell_error, is_number, parse_error};
use crate::limits::{ReadLimits, exceeded, open_regular};
use crate::{Error, Result};

/// Where a beat matrix keeps its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelColumn {
    /// No label: every column is a sample (the default).
    #[default]
    None,
    /// The first column (ECG5000, UCR archives).
    First,
    /// The last column (the Kaggle MIT-BIH and PTB heartbeat CSVs).
    Last,
}

/// How a beat matrix is read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MatrixOptions {
    /// The label column. Default: none.
    pub label: LabelColumn,
    /// The CSV limits apply: [`ReadLimits::max_csv_line_bytes`] per line,
    /// [`ReadLimits::max_csv_rows`] rows, and [`ReadLimits::max_csv_file_bytes`] for a file or
    /// [`ReadLimits::max_csv_stream_bytes`] for a reader. Default: [`ReadLimits::default`].
    pub limits: ReadLimits,
}

/// Equal-length beats, one a row, with their labels when the file has them.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatMatrix {
    /// Samples per beat.
    pub len: usize,
    /// The beats, row-major: beat `i` is `data[i * len..(i + 1) * len]`.
    pub data: Vec<f32>,
    /// Each beat's label as written (`"0"`, `"1.0"`, `"N"`), when the file has a label column.
    pub labels: Option<Vec<String>>,
}

impl BeatMatrix {
    /// Number of beats.
    pub fn count(&self) -> usize {
        self.data.len() / self.len.max(1)
    }

    /// Per beat: true when its label is not `normal` (labels compared as numbers when both
    /// are numbers, so `"1.0"` matches `"1"`). `None` without labels.
    pub fn anomalies(&self, normal: &str) -> Option<Vec<bool>> {
        let same = |label: &str| match (label.parse::<f64>(), normal.parse::<f64>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => label == normal,
        };
        let labels = self.labels.as_ref()?;
        Some(labels.iter().map(|l| !same(l)).collect())
    }

    /// The beats as `[n, len, 1]` windows, labelled anomalous where the label is not `normal`
    /// (all unlabelled when `normal` is `None` or the file has no labels).
    pub fn to_windows(&self, normal: Option<&str>) -> Result<WindowDataset> {
        let labels = normal
            .and_then(|n| self.anomalies(n))
            .unwrap_or_else(|| vec![false; self.count()]);
        WindowDataset::new(self.data.clone(), self.len, 1, labels)
    }

    /// The beats whose index is in `keep`, in that order ([`Error::InvalidArgument`] naming the
    /// first index past the end).
    pub fn select(&self, keep: &[usize]) -> Result<BeatMatrix> {
        let count = self.count();
        let labelled = self.labels.as_ref().map_or(count, |l| l.len().min(count));
        if let Some(&i) = keep.iter().find(|&&i| i >= labelled) {
            return Err(Error::invalid("keep", format!("no beat {i}")));
        }
        let samples = keep.len().checked_mul(self.len).ok_or_else(|| {
            Error::invalid("keep", format!("{} beats overflow usize", keep.len()))
        })?;
        let mut data = Vec::with_capacity(samples);
        for &i in keep {
            // `i < count`, so the beat lies within `data`.
            data.extend_from_slice(&self.data[i * self.len..(i + 1) * self.len]);
        }
        let labels = (self.labels.as_ref()).map(|l| keep.iter().map(|&i| l[i].clone()).collect());
        Ok(BeatMatrix {
            len: self.len,
            data,
            labels,
        })
    }
}

/// Reads the beat matrix in file `path` (a regular file: [`Error::NotRegularFile`] otherwise,
/// before anything is read).
///
/// Errors name the file and line: rows of different lengths, a value that is not a finite
/// `f32` (naming the column), a label column in a one-column file, a line, row count or file
/// size over `options`' limits ([`Error::Limit`]), no data row.
pub fn read_beat_matrix(path: impl AsRef<Path>, options: &MatrixOptions) -> Result<BeatMatrix> {
    let path = path.as_ref();
    let (file, meta) = open_regular(path)?;
    check_file_size(path, meta.len(), &options.limits)?;
    parse(TextReader::new(file, &options.limits, true), path, options)
}

/// Parses a beat matrix from `input` (errors name the line; the path is left empty). Reading
/// stops past [`ReadLimits::max_csv_stream_bytes`].
pub fn parse_beat_matrix(input: impl Read, options: &MatrixOptions) -> Result<BeatMatrix> {
    let input = TextReader::new(input, &options.limits, false);
    parse(input, Path::new(""), options)
}

fn parse<R: Read>(
    input: TextReader<R>,
    path: &Path,
    options: &MatrixOptions,
) -> Result<BeatMatrix> {
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    let (mut data, mut labels) = (Vec::new(), Vec::new());
    let (mut len, mut separator, mut rows) = (None::<usize>, None::<char>, 0usize);
    let max_rows = options.limits.max_csv_rows;
    // The file column of sample 0.
    let first = usize::from(options.label == LabelColumn::First);
    'lines: for number in 1.. {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| text::overrun(&e, path).unwrap_or_else(|| Error::io(path, e)))?;
        if read == 0 {
            break;
        }
        let text =
            std::str::from_utf8(&line).map_err(|_| parse_error(path, number, "not UTF-8 text"))?;
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let sep = *separator.get_or_insert_with(|| detect_separator(text));
        let decimal_comma = sep != ',';
        let mut fields: Vec<&str> = split(text, sep);
        let label = match options.label {
            LabelColumn::None => None,
            LabelColumn::First if fields.len() > 1 => Some(fields.remove(0)),
            LabelColumn::Last if fields.len() > 1 => fields.pop(),
            _ => {
                let msg = "one column: no room for a label and samples";
                return Err(parse_error(path, number, msg));
            }
        };
        let mut values = Vec::with_capacity(fields.len());
        for (i, field) in fields.iter().enumerate() {
            match text::value(field.as_bytes(), decimal_comma) {
                Ok(v) => values.push(v),
                // A first row of words (not `NaN`, `inf` or an overflow) is a header.
                Err(_)
                    if rows == 0
                        && len.is_none()
                        && !is_number(field.as_bytes(), decimal_comma) =>
                {
                    len = Some(fields.len());
                    continue 'lines;
                }
                Err(what) => return Err(cell_error(path, number, first + i, &what)),
            }
        }
        match len {
            Some(n) if n != values.len() => {
                let mut msg = format!("{} samples; the rows before have {n}", values.len());
                if !decimal_comma {
                    msg.push_str(COMMA_HINT);
                }
                return Err(parse_error(path, number, msg));
            }
            _ => len = Some(values.len()),
        }
        rows += 1;
        if rows > max_rows {
            let msg = format!("line {number}: more than {max_rows} rows");
            return Err(exceeded(path, "max_csv_rows", max_rows, msg));
        }
        data.extend(values);
        labels.extend(label.map(str::to_string));
    }
    let len = len
        .filter(|_| rows > 0)
        .ok_or_else(|| parse_error(path, 0, "no data row"))?;
    Ok(BeatMatrix {
        len,
        data,
        labels: (options.label != LabelColumn::None).then_some(labels),
    })
}

/// The separator of a data row: a semicolon, comma or tab if present (in that order, so that
/// `0,5;0,7` is two decimal-comma values and `1,\t2` two values), else whitespace (`' '`).
fn detect_separator(text: &str) -> char {
    [';', ',', '\t']
        .into_iter()
        .find(|&c| text.contains(c))
        .unwrap_or(' ')
}

fn split(text: &str, separator: char) -> Vec<&str> {
    match separator {
        ' ' => text.split_whitespace().collect(),
        c => text.split(c).map(str::trim).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, label: LabelColumn) -> Result<BeatMatrix> {
        let options = MatrixOptions {
            label,
            ..MatrixOptions::default()
        };
        parse_beat_matrix(text.as_bytes(), &options)
    }

    #[test]
    fn reads_comma_tab_and_space_separated_rows_with_labels_first_or_last() {
        let last = parse("0.1,0.2,0.3,0\n0.4,0.5,0.6,1.0\n", LabelColumn::Last).unwrap();
        assert_eq!((last.len, last.count()), (3, 2));
        assert_eq!(last.data, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
        assert_eq!(last.anomalies("0"), Some(vec![false, true]));
        assert_eq!(last.anomalies("1"), Some(vec![true, false]));

        let first = parse("N\t1\t2\nV\t3\t4\n", LabelColumn::First).unwrap();
        assert_eq!(first.labels.as_deref(), Some(&["N".into(), "V".into()][..]));
        assert_eq!(first.data, [1.0, 2.0, 3.0, 4.0]);
        let windows = first.to_windows(Some("N")).unwrap();
        assert_eq!(windows.labels(), [false, true]);

        let spaces = parse("# a comment\n  1  2 3\n4 5   6\n", LabelColumn::None).unwrap();
        assert_eq!((spaces.len, spaces.count(), spaces.labels), (3, 2, None));
        let header = parse("s1;s2\n1;2\n", LabelColumn::None).unwrap();
        assert_eq!(header.data, [1.0, 2.0]);
        let picked = last.select(&[1]).unwrap();
        assert_eq!(
            (picked.data.len(), picked.labels.unwrap()),
            (3, vec!["1.0".to_string()])
        );
    }

    #[test]
    fn bad_files_are_errors_naming_the_line() {
        let cases = [
            ("1,2,3\n4,5\n", LabelColumn::None, ":2:", "2 samples"),
            ("1,2\n3,x\n", LabelColumn::None, ":2:", "column 2"),
            ("NaN,1\n2,3\n", LabelColumn::None, ":1:", "not a finite"),
            (
                "1e39,1\n",
                LabelColumn::None,
                ":1:",
                "overflows a 32-bit float",
            ),
            (
                "N,1,-1e39\n",
                LabelColumn::First,
                ":1:",
                "column 3 (index 2)",
            ),
            ("1\n2\n", LabelColumn::Last, ":1:", "one column"),
            ("\n# only a comment\n", LabelColumn::None, "", "no data row"),
        ];
        for (text, label, line, what) in cases {
            let err = parse(text, label).unwrap_err().to_string();
            assert!(err.contains(line) && err.contains(what), "{text:?}: {err}");
        }
        let small = MatrixOptions {
            limits: ReadLimits {
                max_csv_line_bytes: 8,
                ..ReadLimits::default()
            },
            ..MatrixOptions::default()
        };
        let err = parse_beat_matrix("1,2\n1,2,3,4,5,6,7\n".as_bytes(), &small).unwrap_err();
        assert!(err.to_string().contains("line 2 is longer"), "{err}");
        assert!(err.to_string().contains("max_csv_line_bytes"), "{err}");
        let few = MatrixOptions {
            limits: ReadLimits {
                max_csv_rows: 1,
                ..ReadLimits::default()
            },
            ..MatrixOptions::default()
        };
        let err = parse_beat_matrix("1,2\n3,4\n".as_bytes(), &few).unwrap_err();
        assert!(err.to_string().contains("more than 1 rows"), "{err}");
    }

    #[test]
    fn select_refuses_indices_past_the_end_without_overflow_or_panic() {
        let wide = BeatMatrix {
            len: 1 << (usize::BITS - 1),
            data: vec![],
            labels: None,
        };
        assert!(wide.select(&[1]).is_err(), "(1 + 1) * len overflowed");
        let short = BeatMatrix {
            len: 1,
            data: vec![1.0, 2.0],
            labels: Some(vec!["N".into()]),
        };
        let err = short.select(&[1]).unwrap_err();
        assert!(err.to_string().contains("no beat 1"), "{err}");
        assert_eq!(short.select(&[0, 0]).unwrap().data, [1.0, 1.0]);
    }

    #[test]
    fn a_byte_order_mark_is_dropped_not_read_as_a_header() {
        // Issue 29: the first row `\u{feff}1,2,3` failed to parse and was skipped as a header.
        for text in ["\u{feff}1,2,3\n4,5,6\n", "\u{feff}1;2;3\r\n4;5;6\r\n"] {
            let m = parse(text, LabelColumn::None).unwrap();
            assert_eq!(
                (m.count(), &m.data[..3]),
                (2, &[1.0, 2.0, 3.0][..]),
                "{text:?}"
            );
        }
        // A header after the mark is still a header.
        let m = parse("\u{feff}a,b\n1,2\n", LabelColumn::None).unwrap();
        assert_eq!(m.data, [1.0, 2.0]);
    }

    #[test]
    fn decimal_commas_are_read_with_semicolons_and_tabs_and_refused_with_commas() {
        let m = parse("0,5;-1,25;0\n1;2,0;3\n", LabelColumn::None).unwrap();
        assert_eq!(m.data, [0.5, -1.25, 0.0, 1.0, 2.0, 3.0]);
        let m = parse("N\t0.5\t0.75\nV\t1\t2,5\n", LabelColumn::First).unwrap();
        assert_eq!(m.data, [0.5, 0.75, 1.0, 2.5]);
        // A first row with tabs and commas has its columns split at the commas: refused.
        assert!(parse("N\t0,5\t0,75\n", LabelColumn::First).is_err());
        // Issue 29: `0,05,0,07` was read as the four samples 0, 5, 0, 7.
        for (text, line) in [("0,05,0,07\n", ":1:"), ("0,5,0,7\n0,05,1,0\n", ":2:")] {
            let err = parse(text, LabelColumn::None).unwrap_err().to_string();
            assert!(
                err.contains(line) && err.contains("decimal comma"),
                "{text:?}: {err}"
            );
        }
        // A row that a decimal comma made shorter says so too.
        let err = parse("0,5\n1\n", LabelColumn::None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":2:") && err.contains("decimal comma"),
            "{err}"
        );
    }

    #[test]
    fn a_stream_stops_at_the_byte_limit() {
        let options = MatrixOptions {
            limits: ReadLimits {
                max_csv_stream_bytes: 1000,
                ..ReadLimits::default()
            },
            ..MatrixOptions::default()
        };
        let stream = "1,1\n".as_bytes().repeat(251);
        let err = parse_beat_matrix(&stream[..], &options).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Limit {
                    limit: "max_csv_stream_bytes",
                    max: 1000,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            parse_beat_matrix(&stream[..1000], &options)
                .unwrap()
                .count(),
            250
        );
    }

    #[test]
    fn a_file_is_read_and_a_folder_refused() {
        let dir = std::env::temp_dir().join(format!("beat-matrix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("beats.csv");
        std::fs::write(&path, "1,2,0\n3,x,1\n").unwrap();
        let options = MatrixOptions {
            label: LabelColumn::Last,
            ..MatrixOptions::default()
        };
        let err = read_beat_matrix(&path, &options).unwrap_err().to_string();
        assert!(err.contains("beats.csv:2:"), "{err}");
        // A file over the byte limit is refused from its size.
        let small = MatrixOptions {
            limits: ReadLimits {
                max_csv_file_bytes: 11,
                ..ReadLimits::default()
            },
            ..options.clone()
        };
        let err = read_beat_matrix(&path, &small).unwrap_err();
        assert!(
            matches!(&err, Error::Limit { limit: "max_csv_file_bytes", path: p, .. } if *p == path),
            "{err}"
        );
        let err = read_beat_matrix(&dir, &options).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
