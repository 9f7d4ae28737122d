//! `ecg-anomaly detect`: judge every beat of each input with a saved detector, one input at a
//! time, writing its rows as soon as it is done.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use ecg_anomaly::Error;
use ecg_anomaly::data::input::{InputKind, SignalPath};
use ecg_anomaly::detector::{Detector, Verdict};
use ecg_anomaly::device::DeviceChoice;
use serde::Serialize;

use crate::{Context, DETECTOR_HINT, EXIT_STATUS, Failure};

/// A recording whose typical beat sits further than this from the training beats, in robust
/// standard deviations of their shape component (`ContextScore::typical_shape_z`), is warned
/// about: new patients sit a few sd away, a wrong `--fs` or lead much further.
const UNLIKE_TRAINING_Z: f64 = 6.0;

/// Arguments of `detect` (its help text is on `Command::Detect`).
#[derive(Args, Debug)]
#[command(after_help = EXIT_STATUS)]
pub struct DetectArgs {
    /// The detector folder (written by `ecg-anomaly train`).
    #[arg(long, value_name = "DIR")]
    detector: PathBuf,
    /// CSV files, WFDB records (path with or without .hea), EDF/EDF+/BDF files (.edf, .bdf) or
    /// folders (every *.hea record and *.edf/*.bdf file).
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,
    /// Sampling rate of the CSV inputs, in Hz (WFDB records carry their own).
    #[arg(long, value_name = "HZ")]
    fs: Option<f64>,
    /// The lead to read: a WFDB signal name (default MLII), or a CSV column name or 0-based
    /// index (default the first column).
    #[arg(long, value_name = "NAME")]
    lead: Option<String>,
    /// Output format: CSV with a header row, or a JSON array of one object per beat (one a
    /// line).
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Write the rows to FILE instead of the standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write only the flagged beats.
    #[arg(long)]
    only_flagged: bool,
    /// Where the model runs: flex (the CPU), ndarray, wgpu, ... [default: flex]
    #[arg(long)]
    device: Option<DeviceChoice>,
}

/// The `--format` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Csv,
    Json,
}

/// One output row: a judged beat.
#[derive(Debug, Serialize)]
struct Row<'a> {
    /// The input as named on the command line (a folder's records as `folder/record`).
    input: &'a str,
    /// The beat's index in its input.
    index: usize,
    /// Its R-peak, in the input's samples.
    sample: Option<usize>,
    /// Its R-peak, in seconds from the input's start.
    time_s: Option<f64>,
    score: f64,
    calibrated: f64,
    anomaly: bool,
    usable: bool,
}

const COLUMNS: [&str; 8] = [
    "input",
    "index",
    "sample",
    "time_s",
    "score",
    "calibrated",
    "anomaly",
    "usable",
];

/// Judges each input in turn and streams its rows.
pub fn run(args: DetectArgs) -> Result<(), Failure> {
    let mut inputs = Vec::new();
    for path in &args.inputs {
        inputs.extend(SignalPath::expand(path).hint(crate::train::read_hint(InputKind::Wfdb))?);
    }
    if args.fs.is_none()
        && let Some(csv) = inputs.iter().find(|i| i.kind == InputKind::Csv)
    {
        crate::usage_error(
            "detect",
            format!("{csv} is read as CSV, which has no sampling rate of its own: give --fs HZ"),
        );
    }
    let device = crate::device(args.device)?;
    let detector = Detector::load(&args.detector, &device)
        .about(args.detector.display())
        .hint(DETECTOR_HINT)?;

    let (destination, out): (String, Box<dyn Write>) = match &args.output {
        Some(path) => {
            let file = File::create(path).map_err(|e| Error::io(path, e))?;
            (path.display().to_string(), Box::new(BufWriter::new(file)))
        }
        None => (
            "<stdout>".into(),
            Box::new(BufWriter::new(std::io::stdout().lock())),
        ),
    };
    let mut sink = Sink::new(args.format, out, &destination)?;
    let (mut beats, mut flagged) = (0, 0);
    for input in &inputs {
        let (verdicts, fs) = judge(&detector, input, args.lead.as_deref(), args.fs)?;
        let name = input.to_string();
        let mut kept = 0;
        for v in verdicts.iter().filter(|v| v.anomaly || !args.only_flagged) {
            sink.write(&row(&name, v, fs))?;
            kept += 1;
        }
        sink.flush()?;
        let n_flagged = verdicts.iter().filter(|v| v.anomaly).count();
        let model_scores: Vec<f64> = verdicts.iter().map(|v| v.model_score).collect();
        let typical = detector.context().typical_shape_z(&model_scores);
        eprintln!(
            "{name}: {} beats, {n_flagged} flagged{}{}",
            verdicts.len(),
            if args.only_flagged {
                String::new()
            } else {
                format!(", {kept} rows")
            },
            typical.map_or(String::new(), |z| format!(
                ", typical beat {z:.1} sd from the training beats"
            ))
        );
        let unlike = typical.is_some_and(|z| z > UNLIKE_TRAINING_Z);
        if verdicts.len() >= 20 && (n_flagged * 2 > verdicts.len() || unlike) {
            eprintln!(
                "warning: {name}: {n_flagged} of {} beats flagged, its typical beat {:.1} sd \
                 from the training beats; is it like the training recordings (--fs its rate, \
                 --lead the detector's lead {})?",
                verdicts.len(),
                typical.unwrap_or(f64::NAN),
                detector.metadata().lead.as_deref().unwrap_or("?")
            );
        }
        beats += verdicts.len();
        flagged += n_flagged;
    }
    sink.finish()?;
    eprintln!(
        "{} input(s), {beats} beats, {flagged} flagged (threshold {}, {})",
        inputs.len(),
        detector.threshold().value,
        detector.threshold().method
    );
    Ok(())
}

fn row<'a>(input: &'a str, v: &Verdict, fs: f64) -> Row<'a> {
    Row {
        input,
        index: v.index,
        sample: v.position,
        time_s: v.position.map(|p| p as f64 / fs),
        score: v.score,
        calibrated: v.calibrated,
        anomaly: v.anomaly,
        usable: v.usable,
    }
}

/// Where rows go, in their format.
#[allow(
    clippy::large_enum_variant,
    reason = "one Sink a run, made once and never moved in bulk: boxing the CSV writer would \
              buy nothing"
)]
enum Sink {
    Csv {
        writer: csv::Writer<Box<dyn Write>>,
        path: PathBuf,
    },
    Json {
        out: Box<dyn Write>,
        path: PathBuf,
        rows: usize,
    },
}

impl Sink {
    /// Starts the output: the CSV header, or the JSON array's opening bracket.
    fn new(format: Format, out: Box<dyn Write>, destination: &str) -> Result<Sink, Failure> {
        let path = PathBuf::from(destination);
        Ok(match format {
            Format::Csv => {
                let mut writer = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(out);
                writer
                    .write_record(COLUMNS)
                    .map_err(|e| csv_error(&path, e))?;
                Sink::Csv { writer, path }
            }
            Format::Json => {
                let mut out = out;
                out.write_all(b"[").map_err(|e| Error::io(&path, e))?;
                Sink::Json { out, path, rows: 0 }
            }
        })
    }

    fn write(&mut self, row: &Row<'_>) -> Result<(), Failure> {
        match self {
            Sink::Csv { writer, path } => writer.serialize(row).map_err(|e| csv_error(path, e)),
            Sink::Json { out, path, rows } => {
                let sep: &[u8] = if *rows == 0 { b"\n" } else { b",\n" };
                out.write_all(sep).map_err(|e| Error::io(&*path, e))?;
                serde_json::to_writer(&mut *out, row).map_err(|e| {
                    let source = std::io::Error::other(e);
                    Failure::from(Error::io(&*path, source))
                })?;
                *rows += 1;
                Ok(())
            }
        }
    }

    fn flush(&mut self) -> Result<(), Failure> {
        match self {
            Sink::Csv { writer, path } => writer.flush().map_err(|e| Error::io(&*path, e).into()),
            Sink::Json { out, path, .. } => out.flush().map_err(|e| Error::io(&*path, e).into()),
        }
    }

    /// Ends the output (the JSON array's closing bracket) and flushes it.
    fn finish(mut self) -> Result<(), Failure> {
        if let Sink::Json { out, path, .. } = &mut self {
            out.write_all(b"\n]\n").map_err(|e| Error::io(&*path, e))?;
        }
        self.flush()
    }
}

fn csv_error(path: &Path, error: csv::Error) -> Failure {
    let source = match error.into_kind() {
        csv::ErrorKind::Io(source) => source,
        other => std::io::Error::other(format!("{other:?}")),
    };
    Error::io(path, source).into()
}

/// Reads `input` as `detector` takes it and judges it: the leads it was fitted on when it has
/// several, else `lead` (the input's default when none); `fs` is a CSV's rate. Returns the
/// verdicts and the input's rate; errors name the input and hint at the likely cause.
pub(crate) fn judge(
    detector: &Detector,
    input: &SignalPath,
    lead: Option<&str>,
    fs: Option<f64>,
) -> Result<(Vec<Verdict>, f64), Failure> {
    let leads = &detector.metadata().leads;
    let read_hint = crate::train::read_hint(input.kind);
    let (verdicts, fs) = if leads.len() > 1 {
        let ecg = input.read_leads(leads, fs).about(input).hint(read_hint)?;
        (detector.detect_ecg(&ecg), ecg.fs)
    } else {
        let lead = input.read_lead(lead, fs).about(input).hint(read_hint)?;
        (detector.detect_signal(&lead.samples, lead.fs), lead.fs)
    };
    let verdicts = verdicts.about(input).hint(match input.kind {
        InputKind::Csv => "is --fs the CSV's sampling rate?",
        InputKind::Wfdb | InputKind::Edf => {
            "is --lead a lead like the one the detector was trained on?"
        }
    })?;
    Ok((verdicts, fs))
}
