//! Beat matrices: one beat a row, as the public benchmark archives ship them (the PTB and
//! MIT-BIH heartbeat CSVs, ECG5000's tab-separated files) and as other tools export beats.
//!
//! Values are separated by commas, semicolons, tabs or spaces (the first data row decides);
//! a label column may come first or last. A first row holding text that is not a number is a
//! header and skipped.

#[cfg(feature = "burn")]
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::batch::WindowDataset;
#[cfg(feature = "burn")]
use crate::detector::BeatSource;
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
    /// The CSV limits apply: [`ReadLimits::max_csv_line_bytes`] per line and
    /// [`ReadLimits::max_csv_rows`] rows. Default: [`ReadLimits::default`].
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

    /// The beats whose index is in `keep`, in that order.
    pub fn select(&self, keep: &[usize]) -> Result<BeatMatrix> {
        let mut data = Vec::with_capacity(keep.len() * self.len);
        for &i in keep {
            let row = self
                .data
                .get(i * self.len..(i + 1) * self.len)
                .ok_or_else(|| Error::invalid("keep", format!("no beat {i}")))?;
            data.extend_from_slice(row);
        }
        let labels = (self.labels.as_ref()).map(|l| keep.iter().map(|&i| l[i].clone()).collect());
        Ok(BeatMatrix {
            len: self.len,
            data,
            labels,
        })
    }
}

/// A [`BeatMatrix`] judged as it is: unlabelled windows (the labels only measure).
#[cfg(feature = "burn")]
impl BeatSource for BeatMatrix {
    fn windows(&self) -> Result<Cow<'_, WindowDataset>> {
        self.to_windows(None).map(Cow::Owned)
    }
}

/// Reads the beat matrix in file `path` (a regular file: [`Error::NotRegularFile`] otherwise,
/// before anything is read).
///
/// Errors name the file and line: rows of different lengths, a value that is not a finite
/// number, a label column in a one-column file, a line or row count over `options`' limits
/// ([`Error::Limit`]), no data row.
pub fn read_beat_matrix(path: impl AsRef<Path>, options: &MatrixOptions) -> Result<BeatMatrix> {
    let path = path.as_ref();
    let (file, _) = open_regular(path)?;
    parse_beat_matrix(file, options).map_err(|e| match e {
        Error::Parse { line, message, .. } => Error::Parse {
            path: path.into(),
            line,
            message,
        },
        Error::Limit {
            limit,
            max,
            message,
            ..
        } => exceeded(path, limit, max, message),
        other => other,
    })
}

/// Parses a beat matrix from `input` (errors name the line; the path is left empty).
pub fn parse_beat_matrix(input: impl Read, options: &MatrixOptions) -> Result<BeatMatrix> {
    let at = |line: usize, message: String| Error::Parse {
        path: Default::default(),
        line,
        message,
    };
    let mut reader = BufReader::new(input);
    let mut line = Vec::new();
    let (mut data, mut labels) = (Vec::new(), Vec::new());
    let (mut len, mut separator, mut rows) = (None::<usize>, None::<char>, 0usize);
    let (max_line, max_rows) = (
        options.limits.max_csv_line_bytes,
        options.limits.max_csv_rows,
    );
    let too_many = |limit, max, message| exceeded(Path::new(""), limit, max, message);
    for number in 1.. {
        line.clear();
        let limit = (max_line as u64).saturating_add(1);
        let read = (&mut reader)
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(|e| at(number, format!("unreadable: {e}")))?;
        if read == 0 {
            break;
        }
        if line.len() > max_line && line.last() != Some(&b'\n') {
            let msg = format!("line {number}: longer than {max_line} bytes");
            return Err(too_many("max_csv_line_bytes", max_line, msg));
        }
        let text = std::str::from_utf8(&line).map_err(|_| at(number, "not UTF-8 text".into()))?;
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let sep = *separator.get_or_insert_with(|| detect_separator(text));
        let mut fields: Vec<&str> = split(text, sep);
        let label = match options.label {
            LabelColumn::None => None,
            LabelColumn::First if fields.len() > 1 => Some(fields.remove(0)),
            LabelColumn::Last if fields.len() > 1 => fields.pop(),
            _ => {
                return Err(at(
                    number,
                    "one column: no room for a label and samples".into(),
                ));
            }
        };
        let parsed: std::result::Result<Vec<f32>, usize> = (fields.iter().enumerate())
            .map(|(i, f)| f.parse::<f32>().ok().filter(|v| v.is_finite()).ok_or(i))
            .collect();
        let values = match parsed {
            Ok(values) => values,
            // A first row of words (not `NaN`, `inf` or an overflow) is a header.
            Err(i) if rows == 0 && len.is_none() && is_word(fields[i]) => {
                len = Some(fields.len());
                continue;
            }
            Err(i) => {
                let msg = format!("column {}: {:?} is not a finite number", i + 1, fields[i]);
                return Err(at(number, msg));
            }
        };
        match len {
            Some(n) if n != values.len() => {
                let msg = format!("{} samples; the rows before have {n}", values.len());
                return Err(at(number, msg));
            }
            _ => len = Some(values.len()),
        }
        rows += 1;
        if rows > max_rows {
            let msg = format!("line {number}: more than {max_rows} rows");
            return Err(too_many("max_csv_rows", max_rows, msg));
        }
        data.extend(values);
        labels.extend(label.map(str::to_string));
    }
    let len = len
        .filter(|_| rows > 0)
        .ok_or_else(|| at(0, "no data row".into()))?;
    Ok(BeatMatrix {
        len,
        data,
        labels: (options.label != LabelColumn::None).then_some(labels),
    })
}

/// The separator of a data row: a comma, semicolon or tab if present, else whitespace (`' '`).
fn detect_separator(text: &str) -> char {
    [',', ';', '\t']
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

/// True for text that is no spelling of a number (so `NaN`, `inf` and `1e39` are not words).
fn is_word(field: &str) -> bool {
    field.parse::<f64>().is_err()
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
            ("1e39,1\n", LabelColumn::None, ":1:", "not a finite"),
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
        assert!(err.to_string().contains("longer than 8 bytes"), "{err}");
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
        let err = read_beat_matrix(&dir, &options).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
