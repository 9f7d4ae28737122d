//! `ecg-anomaly serve`: an HTTP inference server over a saved detector (feature `server`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use ecg_anomaly::device::DeviceChoice;
use ecg_anomaly::serve::ServeConfig;

use crate::{Context, DETECTOR_HINT, EXIT_STATUS, Failure};

/// Arguments of `serve` (its help text is on `Command::Serve`).
#[derive(Args, Debug)]
#[command(after_help = EXIT_STATUS)]
pub struct ServeArgs {
    /// The detector folder (written by `ecg-anomaly train`).
    #[arg(long, value_name = "DIR")]
    detector: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Requests judged at once, 1 to 4096; one more is answered 429 [default: the CPU count]
    #[arg(long, value_name = "N")]
    max_concurrency: Option<usize>,
    /// Largest request body in bytes, 1 to 1 GiB (413 above, at once when declared).
    #[arg(long, value_name = "B", default_value_t = ServeConfig::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Longest signal in seconds, over 0 and at most 86400 (413 above).
    #[arg(long, value_name = "S", default_value_t = ServeConfig::default().max_signal_seconds)]
    max_signal_seconds: f64,
    /// Request bodies read at once, 1 to 4096, apart from the judging (429 above).
    #[arg(long, value_name = "N", default_value_t = ServeConfig::default().max_uploads)]
    max_uploads: usize,
    /// Seconds a request body may take to arrive, 1 to 3600 (408 past it); for a stream, the
    /// longest gap between its chunks.
    #[arg(long, value_name = "S", default_value_t = ServeConfig::default().body_timeout_s)]
    body_timeout: u64,
    /// Largest request head (request line and headers) in bytes, 1024 to 262144 (431 above).
    #[arg(long, value_name = "B", default_value_t = ServeConfig::default().max_header_bytes)]
    max_header_bytes: usize,
    /// Seconds a connection may take to send a request's headers or sit idle, 1 to 600; then
    /// it is closed.
    #[arg(long, value_name = "S", default_value_t = ServeConfig::default().header_timeout_s)]
    header_timeout: u64,
    /// Streams (POST /v1/stream) open at once, 1 to 4096 (429 above).
    #[arg(long, value_name = "N", default_value_t = ServeConfig::default().max_streams)]
    max_streams: usize,
    /// Seconds SIGTERM or Ctrl-C waits for the requests in flight, 0 to 3600; then the
    /// server closes their connections and exits.
    #[arg(long, value_name = "S", default_value_t = ServeConfig::default().shutdown_timeout_s)]
    shutdown_timeout: u64,
    /// The model's name in /v1/model and the KServe routes (/v2/models/NAME).
    #[arg(long, default_value = "ecg-anomaly")]
    name: String,
    /// Where the model runs: flex (the CPU), ndarray, wgpu, ... [default: flex]
    #[arg(long)]
    device: Option<DeviceChoice>,
}

/// Serves until SIGTERM or Ctrl-C. Logs go to stderr, one line per request; `ECG_LOG`
/// (error, warn, info, debug, trace) sets the level, info by default.
pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let level = std::env::var("ECG_LOG")
        .ok()
        .and_then(|l| l.parse::<tracing_subscriber::filter::LevelFilter>().ok())
        .unwrap_or(tracing_subscriber::filter::LevelFilter::INFO);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let defaults = ServeConfig::default();
    let config = ServeConfig {
        addr: args.addr,
        name: args.name,
        max_concurrency: args.max_concurrency.unwrap_or(defaults.max_concurrency),
        max_body_bytes: args.max_body_bytes,
        max_signal_seconds: args.max_signal_seconds,
        max_uploads: args.max_uploads,
        body_timeout_s: args.body_timeout,
        max_header_bytes: args.max_header_bytes,
        header_timeout_s: args.header_timeout,
        max_streams: args.max_streams,
        shutdown_timeout_s: args.shutdown_timeout,
        ..defaults
    };
    config.validate()?;
    let device = crate::device(args.device)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                format!("starting the runtime: {e}"),
                "is the system out of threads?",
            )
        })?;
    let dir = args.detector.clone();
    let served = runtime.block_on(ecg_anomaly::serve::serve(config, dir, device));
    // The drain's deadline has passed: an inference still running on a blocking thread is not
    // waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    served.about(args.detector.display()).hint(DETECTOR_HINT)
}
