//! Crate-internal JSON files: every saved value (normaliser, calibration, threshold, detector
//! parts, training history) goes through these two, so I/O and parse errors name the file the
//! same way everywhere.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// Writes `value` as pretty JSON to `path`.
pub(crate) fn save_json<T: Serialize>(value: &T, path: &Path) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, value).map_err(|source| Error::Json {
        path: path.into(),
        source,
    })?;
    std::io::Write::flush(&mut writer).map_err(|e| Error::io(path, e))
}

/// Reads a JSON value from `path`.
pub(crate) fn load_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_reader(std::io::BufReader::new(file)).map_err(|source| Error::Json {
        path: path.into(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_the_file_in_errors() {
        let dir = std::env::temp_dir().join(format!("ecg-anomaly-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("value.json");
        save_json(&vec![1.5_f64, -0.25], &path).unwrap();
        assert_eq!(load_json::<Vec<f64>>(&path).unwrap(), vec![1.5, -0.25]);

        std::fs::write(&path, "{ not json").unwrap();
        match load_json::<Vec<f64>>(&path) {
            Err(Error::Json { path: p, .. }) => assert_eq!(p, path),
            other => panic!("expected a JSON error, got {other:?}"),
        }
        let missing = dir.join("missing.json");
        assert!(matches!(
            load_json::<Vec<f64>>(&missing),
            Err(Error::Io { .. })
        ));
        let unwritable = dir.join("no-such-folder").join("value.json");
        assert!(matches!(save_json(&1, &unwritable), Err(Error::Io { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
