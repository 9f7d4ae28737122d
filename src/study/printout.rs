//! Printed tables as files a guide includes: each headed by the command that printed it, the
//! CPU it ran on and the date, so a figure names its run.

use std::path::PathBuf;

use crate::{Error, Result};

/// Writes each table to `<dir>/<name>.md` under one header line; without a folder it writes
/// nothing (the tables are printed anyway).
#[derive(Debug, Clone)]
pub struct Printout {
    dir: Option<PathBuf>,
    header: String,
}

impl Printout {
    /// Tables printed by `command` (as a user would type it) into `dir`, created if needed.
    pub fn new(dir: Option<PathBuf>, command: &str) -> Result<Self> {
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let header = format!(
            "*Printed by `{command}` on {}, {} (UTC).*\n\n",
            machine(),
            today()
        );
        Ok(Self { dir, header })
    }

    /// Writes `table` as `<name>.md` under the header.
    pub fn write(&self, name: &str, table: &str) -> Result<()> {
        if let Some(dir) = &self.dir {
            let path = dir.join(format!("{name}.md"));
            std::fs::write(&path, format!("{}{table}\n", self.header))
                .map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    }
}

/// The CPU's model name, its widest vector set and the cores this process may use, from
/// `/proc/cpuinfo` where there is one (else the architecture's name).
pub fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        info.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let name = field("model name").unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let flags = field("flags").unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let widest = if has("avx512f") {
        "AVX-512"
    } else if has("avx2") {
        "AVX2"
    } else {
        "no AVX2"
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{name}, {widest}, {cores} cores")
}

/// Today's date (UTC), `YYYY-MM-DD`, from the system clock: days since 1970 to the civil date
/// (Howard Hinnant's algorithm).
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_date_after_the_crate_was_written() {
        let date = today();
        let parts: Vec<u32> = date.split('-').map(|p| p.parse().unwrap()).collect();
        assert_eq!(parts.len(), 3, "{date}");
        assert!(parts[0] >= 2026 && (1..=12).contains(&parts[1]) && (1..=31).contains(&parts[2]));
    }

    #[test]
    fn tables_are_written_under_one_header_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("ecg-printout-{}", std::process::id()));
        let printout = Printout::new(Some(dir.clone()), "cargo run --example x").unwrap();
        printout.write("t", "| a |\n|---|").unwrap();
        let text = std::fs::read_to_string(dir.join("t.md")).unwrap();
        assert!(
            text.starts_with("*Printed by `cargo run --example x` on "),
            "{text}"
        );
        assert!(text.ends_with(" (UTC).*\n\n| a |\n|---|\n"), "{text}");
        Printout::new(None, "x")
            .unwrap()
            .write("t", "ignored")
            .unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
