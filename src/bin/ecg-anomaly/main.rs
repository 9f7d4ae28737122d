//! `ecg-anomaly`: train, apply, measure and describe ECG anomaly detectors from the command
//! line. Each subcommand parses its arguments and calls the library; this file holds the
//! argument types shared by all, the error type and the exit codes.

mod detect;
mod info;
mod report;
#[cfg(feature = "server")]
mod serve;
mod train;

use std::fmt::Display;
use std::io::ErrorKind;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use ecg_anomaly::Error;
use ecg_anomaly::device::{DeviceChoice, default_device};
use ecg_anomaly::prelude::Device;

/// The exit codes, shown after every `--help`.
const EXIT_STATUS: &str = "\
Exit status:
  0  success
  1  the work failed: unreadable or bad data, a bad detector folder, an I/O error
  2  usage error: an unknown flag, a missing or malformed argument";

/// Train a detector on recordings of mostly normal beats, flag the beats of other recordings it
/// cannot rebuild, measure it against reference labels, and describe a saved detector.
#[derive(Parser, Debug)]
#[command(name = "ecg-anomaly", version, after_help = EXIT_STATUS, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Fit a detector on ECG recordings (CSV files or WFDB records) and save it as a folder.
    ///
    /// Each recording is band-passed, its R-peaks found and one window cut per beat (the
    /// configuration's pipeline); the last share of the beats is held out to stop training
    /// early and to set the threshold. No label is read.
    Train(train::TrainArgs),
    /// Judge every beat of CSV files, WFDB records or folders of records; one row per beat.
    ///
    /// Each row holds the beat's score, its calibrated score (its rank among held-out normal
    /// beats, 0 to 1) and whether it is flagged. Inputs are read and judged one at a time and
    /// each one's rows written as soon as it is done: memory holds the largest input, however
    /// many there are.
    Detect(detect::DetectArgs),
    /// Judge WFDB records and write a self-contained HTML report, measured against the
    /// records' reference beat labels with --labels (needs the `report` feature).
    ///
    /// The report has a table of the records and, with --labels, the detector measured against
    /// each record's beat annotations (RECORD.atr): ROC and precision-recall curves,
    /// confusion matrix, score histogram and flagged share per AAMI class. The labels only
    /// measure: they choose nothing.
    Report(report::ReportArgs),
    /// Describe a saved detector: model, input, threshold, training run, provenance.
    ///
    /// The folder is loaded and checked as `detect` would (every file, versions, weights
    /// checksum).
    Info(info::InfoArgs),
    /// Serve a saved detector over HTTP (needs the `server` feature).
    ///
    /// Loads the detector, warms it up, then answers POST /v1/detect (JSON, CSV or a WFDB
    /// upload), the KServe v2 routes, /health/live, /health/ready and /metrics until SIGTERM or
    /// Ctrl-C, finishing the requests in flight within --shutdown-timeout. Logs one line per
    /// request on stderr.
    #[cfg(feature = "server")]
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors exit with 2 here
    let done = match cli.command {
        Command::Train(args) => train::run(args),
        Command::Detect(args) => detect::run(args),
        Command::Report(args) => report::run(args),
        Command::Info(args) => info::run(args),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(args),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`ecg-anomaly detect ... | head`) is the reader's choice, not a failure.
        Err(failure) if failure.io_kind == Some(ErrorKind::BrokenPipe) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(1)
        }
    }
}

/// Why a subcommand failed: a message in the library's `Display` form, naming the file at
/// fault, and a one-line hint.
#[derive(Debug)]
pub struct Failure {
    message: String,
    hint: Option<String>,
    io_kind: Option<ErrorKind>,
}

impl Failure {
    /// A failure that is not a library error.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            hint: Some(hint.into()),
            io_kind: None,
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let io_kind = match &error {
            Error::Io { source, .. } => Some(source.kind()),
            _ => None,
        };
        Failure {
            message: error.to_string(),
            hint: None,
            io_kind,
        }
    }
}

impl Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error: {}", self.message)?;
        let fallback = match self.io_kind {
            Some(ErrorKind::NotFound) => Some("check the path"),
            Some(ErrorKind::PermissionDenied) => Some("check the file's permissions"),
            _ => None,
        };
        match self.hint.as_deref().or(fallback) {
            Some(hint) => write!(f, "\nhint: {hint}"),
            None => Ok(()),
        }
    }
}

/// Adds what the library's error may not say: which input it concerns, and a hint.
pub trait Context<T> {
    /// Names `input` before the message, unless the message already names it.
    fn about(self, input: impl Display) -> Result<T, Failure>;
    /// Adds `hint` unless a more specific one was added first.
    fn hint(self, hint: &str) -> Result<T, Failure>;
}

impl<T, E: Into<Failure>> Context<T> for Result<T, E> {
    fn about(self, input: impl Display) -> Result<T, Failure> {
        self.map_err(|e| {
            let mut failure = e.into();
            let input = input.to_string();
            if !failure.message.contains(&input) {
                failure.message = format!("{input}: {}", failure.message);
            }
            failure
        })
    }

    fn hint(self, hint: &str) -> Result<T, Failure> {
        self.map_err(|e| {
            let mut failure = e.into();
            failure.hint.get_or_insert_with(|| hint.to_string());
            failure
        })
    }
}

/// The device `--device` names, or the crate's default (the CPU).
pub fn device(choice: Option<DeviceChoice>) -> Result<Device, Failure> {
    let Some(choice) = choice else {
        return Ok(default_device());
    };
    choice.device().hint(&format!(
        "this build has: {}",
        DeviceChoice::compiled().join(", ")
    ))
}

/// Prints a usage error for `subcommand` as clap does and exits with 2.
pub fn usage_error(subcommand: &str, message: impl Display) -> ! {
    let mut command = Cli::command();
    command.build();
    let command = command
        .find_subcommand_mut(subcommand)
        .unwrap_or_else(|| unreachable!());
    command
        .error(clap::error::ErrorKind::MissingRequiredArgument, message)
        .exit()
}

/// The leads a detector was fitted on, as the summaries print them: `MLII + V1` for several,
/// its one lead's name, or `?` when the detector does not know it.
pub fn leads_of(meta: &ecg_anomaly::detector::Metadata) -> String {
    match (meta.leads.len() > 1, &meta.lead) {
        (true, _) => meta.leads.join(" + "),
        (false, Some(lead)) => lead.clone(),
        (false, None) => "?".into(),
    }
}

/// The hint for a detector folder that does not load.
pub const DETECTOR_HINT: &str = "--detector must be a folder written by `ecg-anomaly train` (or Detector::save) with this version";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arguments_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn failures_name_the_input_once_and_keep_the_first_hint() {
        let err: Result<(), Error> = Err(Error::invalid("fs", "0 is not positive"));
        let failure = err.about("a.csv").hint("first").hint("second").unwrap_err();
        assert_eq!(
            failure.to_string(),
            "error: a.csv: invalid fs: 0 is not positive\nhint: first"
        );
        let io = std::io::Error::new(ErrorKind::NotFound, "gone");
        let err: Result<(), Error> = Err(Error::io("b.csv", io));
        let failure = err.about("b.csv").unwrap_err();
        assert_eq!(
            failure.to_string(),
            "error: b.csv: gone\nhint: check the path"
        );
    }
}
