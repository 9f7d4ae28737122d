//! `ecg-anomaly train`: read the recordings, fit with `DetectorConfig::fit_records`, save.

use std::path::PathBuf;
use std::time::Instant;

use clap::{ArgGroup, Args, ValueEnum};
use ecg_anomaly::Error;
use ecg_anomaly::data::Ecg;
use ecg_anomaly::data::input::{InputKind, SignalPath};
use ecg_anomaly::detector::{DetectorConfig, ModelKind, ModelSpec};
use ecg_anomaly::device::DeviceChoice;
use ecg_anomaly::model::{ConvVaeConfig, LstmAutoencoderConfig};

use crate::{Context, EXIT_STATUS, Failure};

/// Arguments of `train` (its help text is on `Command::Train`).
#[derive(Args, Debug)]
#[command(
    after_help = EXIT_STATUS,
    group(ArgGroup::new("inputs").required(true).args(["csv", "wfdb"])),
)]
pub struct TrainArgs {
    /// CSV files, one sample a row (a header row is fine); needs --fs.
    #[arg(long, value_name = "PATH", num_args = 1.., requires = "fs")]
    csv: Vec<PathBuf>,
    /// Sampling rate of the CSV files, in Hz.
    #[arg(long, value_name = "HZ")]
    fs: Option<f64>,
    /// WFDB records (path with or without .hea), EDF/EDF+/BDF files (.edf, .bdf), or folders
    /// of them.
    #[arg(long, value_name = "RECORD", num_args = 1..)]
    wfdb: Vec<PathBuf>,
    /// The lead to read: a WFDB signal name (default MLII), an EDF lead or label (default II),
    /// or a CSV column name or 0-based index (default the first column).
    #[arg(long, value_name = "NAME")]
    lead: Option<String>,
    /// Several leads to fit on together, comma-separated (e.g. MLII,V5): R-peaks are found on
    /// the first, every lead is cut at them, and the model takes one channel per lead; `detect`
    /// then reads the same leads of each input.
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        conflicts_with = "lead"
    )]
    leads: Vec<String>,
    /// The model [default: the --config file's, else vae, `DetectorConfig::default()`'s].
    #[arg(long, value_enum)]
    model: Option<ModelArg>,
    /// Most training epochs; early stopping on held-out normal beats ends sooner as a rule
    /// [default: the config's, 100].
    #[arg(long, value_name = "N")]
    epochs: Option<usize>,
    /// Seed of the weights, the shuffling and augmentation [default: the config's, 42].
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// A DetectorConfig as JSON (model, pipeline, normalization, training, score, threshold,
    /// validation_fraction, lead); missing fields take their defaults; flags override it.
    #[arg(long, value_name = "FILE.json")]
    config: Option<PathBuf>,
    /// Where the model trains: flex (the CPU), ndarray, wgpu, wgpu:cpu, ... [default: flex]
    #[arg(long)]
    device: Option<DeviceChoice>,
    /// Folder the detector is saved into (created if needed; its files are replaced).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// The `--model` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModelArg {
    /// LSTM autoencoder.
    #[value(alias = "lstm_autoencoder")]
    Lstm,
    /// Convolutional variational autoencoder.
    #[value(alias = "conv_vae")]
    Vae,
}

/// Trains and saves; prints one line per input read, per epoch and a summary.
pub fn run(args: TrainArgs) -> Result<(), Failure> {
    let mut config = match &args.config {
        Some(path) => DetectorConfig::load_json(path).hint(
            "--config must hold a DetectorConfig as JSON; missing fields take their defaults",
        )?,
        None => DetectorConfig::default(),
    };
    match args.model {
        Some(ModelArg::Lstm) if config.model.kind() != ModelKind::LstmAutoencoder => {
            config.model = ModelSpec::LstmAutoencoder(LstmAutoencoderConfig::default());
        }
        Some(ModelArg::Vae) if config.model.kind() != ModelKind::ConvVae => {
            config.model = ModelSpec::ConvVae(ConvVaeConfig::default());
        }
        _ => {}
    }
    if let Some(epochs) = args.epochs {
        config.training.epochs = epochs;
    }
    if let Some(seed) = args.seed {
        config.training.seed = seed;
    }
    let device = crate::device(args.device)?;

    let inputs = inputs(&args)?;
    if !args.leads.is_empty() {
        config.leads = args.leads.clone();
        config.lead = None;
    }
    let wanted = args.lead.clone().or(config.lead.clone());
    let mut records: Vec<Ecg> = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let ecg = match config.leads.as_slice() {
            [] => {
                let lead = input.read_lead(wanted.as_deref(), args.fs);
                lead.map(|lead| Ecg {
                    fs: lead.fs,
                    lead_names: vec![lead.name],
                    leads: vec![lead.samples],
                })
            }
            names => input.read_leads(names, args.fs),
        }
        .about(input)
        .hint(read_hint(input.kind))?;
        println!(
            "read {input}: lead {}, {} samples at {} Hz ({:.1} min)",
            ecg.lead_names.join(", "),
            ecg.len(),
            ecg.fs,
            ecg.len() as f64 / ecg.fs / 60.0
        );
        records.push(ecg);
    }
    let first = &records[0];
    if config.leads.is_empty() {
        config.lead = first.lead_names.first().cloned();
    }
    if let ModelSpec::ConvVae(vae) = &mut config.model {
        // A ConvVae is built for one input length: the beats the pipeline cuts.
        let fs = config.pipeline.output_fs(first.fs);
        vae.seq = config.pipeline.window(fs).about("pipeline")?.len();
    }
    // The trainer prints each epoch to stderr as it ends (and draws a progress bar when stderr
    // is a terminal), then what ended the run: a file or a pipe sees the work as it goes; and
    // --out gets training_log.csv, a row per epoch, from the first epoch on.
    config.training.log_dir = Some(args.out.clone());

    let started = Instant::now();
    let detector = config.fit_ecgs(&records, &device).map_err(|e| {
        let hint = fit_hint(&e, inputs[0].kind);
        Failure::from(e).hint_or(hint)
    })?;
    let seconds = started.elapsed().as_secs_f64();
    drop(records);

    let history = detector.history();
    detector
        .save(&args.out)
        .hint("--out must be a folder this user can create and write")?;

    let meta = detector.metadata();
    let threshold = detector.threshold();
    let epochs = history.map_or(String::new(), |h| {
        let best = h.best().map_or(String::new(), |b| {
            format!(" (valid loss {:.6})", b.valid_loss)
        });
        format!("{} epochs, best {}{best}, ", h.epochs.len(), h.best_epoch)
    });
    println!(
        "trained {} on {} beats of {} input(s) ({} held out), {} samples at {} Hz, lead {}: \
         {epochs}{seconds:.1} s; threshold {} ({}); saved to {}",
        meta.model_kind,
        meta.training_windows + meta.validation_windows,
        inputs.len(),
        meta.validation_windows,
        meta.seq,
        meta.fs.map_or("?".to_string(), |f| f.to_string()),
        crate::leads_of(meta),
        threshold.value,
        threshold.method,
        args.out.display()
    );
    Ok(())
}

/// The inputs named by --csv or --wfdb (folders expanded to their records).
fn inputs(args: &TrainArgs) -> Result<Vec<SignalPath>, Failure> {
    let mut inputs = Vec::new();
    for path in &args.csv {
        if !path.is_file() {
            let source = std::io::Error::new(std::io::ErrorKind::NotFound, "no such CSV file");
            return Err(Error::io(path, source).into());
        }
        inputs.push(SignalPath::csv(path));
    }
    for path in &args.wfdb {
        match path.is_dir() {
            true => inputs.extend(SignalPath::expand(path)?),
            false => inputs.push(SignalPath::record(path)),
        }
    }
    Ok(inputs)
}

/// The hint for an input that cannot be read.
pub fn read_hint(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Csv => {
            "is --fs the CSV's sampling rate, and --lead one of its columns (name or 0-based index)?"
        }
        InputKind::Wfdb => {
            "a WFDB record is named by its path without extension (mitdb/100) or its .hea file; \
             --lead picks the signal (default MLII)"
        }
        InputKind::Edf => {
            "an EDF/BDF file is named by its path (.edf, .bdf); --lead picks the ECG signal by \
             lead (II for `ECG II`) or label (default II, else MLII, else the first ECG signal)"
        }
    }
}

/// The hint for a training run that fails.
fn fit_hint(error: &Error, kind: InputKind) -> &'static str {
    match error {
        Error::Training(_) => "try a smaller learning rate or fewer epochs in --config",
        Error::InvalidArgument { name: "data", .. } => {
            "too few usable beats: give longer recordings, or check --fs and --lead"
        }
        _ if kind == InputKind::Csv => "is --fs the CSV's sampling rate?",
        _ => "check the recordings and --config",
    }
}

impl Failure {
    /// Adds `hint` unless there is one already.
    fn hint_or(mut self, hint: &str) -> Self {
        self.hint.get_or_insert_with(|| hint.to_string());
        self
    }
}
