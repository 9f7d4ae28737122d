//! Load generator for `ecg-anomaly serve`: starts the server binary on a saved detector (or
//! targets a running one), hammers `POST /v1/detect` on loopback with a 10-second 360 Hz
//! signal and a beats request, in turn, from N client threads for a set time, and prints
//! throughput, p50/p99 latency, non-2xx and 429 counts and the server's memory (VmRSS, VmHWM
//! from /proc, sampled every second).
//!
//! ```sh
//! cargo run --example quickstart                       # saves target/quickstart-detector/
//! cargo build --features cli,server --bin ecg-anomaly --example load
//! target/debug/examples/load --server-bin target/debug/ecg-anomaly \
//!     --detector target/quickstart-detector --seconds 60 --concurrency 2 --cap 2
//! ```
//!
//! A first phase runs at `--concurrency` (at most `--cap`: every request must succeed), a
//! second for `--over-seconds` at twice the cap (some requests must be refused with 429).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use ecg_anomaly::prelude::*;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "Hammer POST /v1/detect and report throughput, latency and server memory")]
struct Args {
    /// The `ecg-anomaly` binary to start (with `serve`).
    #[arg(long, default_value = "target/debug/ecg-anomaly")]
    server_bin: PathBuf,
    /// The detector folder the server loads (and the beats request is cut for).
    #[arg(long, default_value = "target/quickstart-detector")]
    detector: PathBuf,
    /// Client threads in the first phase.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// The server's --max-concurrency.
    #[arg(long, default_value_t = 2)]
    cap: usize,
    /// Seconds of the first phase.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Seconds of the second phase, at twice the cap (0: skip it).
    #[arg(long, default_value_t = 10)]
    over_seconds: u64,
    /// Port to start the server on.
    #[arg(long, default_value_t = 18_080)]
    port: u16,
}

/// Kills the server when the generator ends, however it ends.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let base = format!("http://127.0.0.1:{}", args.port);
    let child = Command::new(&args.server_bin)
        .args(["serve", "--detector"])
        .arg(&args.detector)
        .args(["--addr", &format!("127.0.0.1:{}", args.port)])
        .args(["--max-concurrency", &args.cap.to_string()])
        .env("ECG_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let _server = ServerProcess(child);
    let agent = agent();
    let start = Instant::now();
    while !matches!(agent.get(format!("{base}/health/ready")).call(), Ok(r) if r.status() == 200) {
        if start.elapsed() > Duration::from_secs(120) {
            return Err("the server was not ready within 120 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!(
        "server pid {pid} ready in {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let bodies = Arc::new(bodies(&args.detector)?);
    let memory = Arc::new(Mutex::new(Vec::<(u64, u64)>::new()));
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (memory, running) = (memory.clone(), running.clone());
        std::thread::spawn(move || {
            while running.load(Ordering::Relaxed) {
                if let Some(m) = rss_kib(pid) {
                    memory.lock().unwrap().push(m);
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    let url = format!("{base}/v1/detect");
    let phase = |name: &str, clients: usize, seconds: u64| {
        let report = hammer(&url, &bodies, clients, Duration::from_secs(seconds));
        report.print(name, clients, seconds);
        report
    };
    let valid = phase("at or below the cap", args.concurrency, args.seconds);
    let over =
        (args.over_seconds > 0).then(|| phase("over the cap", 2 * args.cap, args.over_seconds));
    running.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let memory = memory.lock().unwrap();
    if let (Some(first), Some(last)) = (memory.first(), memory.last()) {
        let peak = memory.iter().map(|m| m.0).max().unwrap_or(0);
        let tenth = memory.get(memory.len() / 10).unwrap_or(first);
        println!(
            "server memory: VmRSS {} MiB at start, {} MiB after 10% of the run, {} MiB at the end, peak {} MiB; VmHWM {} MiB ({} samples, 1 s apart)",
            first.0 / 1024,
            tenth.0 / 1024,
            last.0 / 1024,
            peak / 1024,
            last.1 / 1024,
            memory.len()
        );
    }
    let mut failed = false;
    if valid.non_2xx > 0 {
        eprintln!(
            "FAIL: {} non-2xx answers to valid requests below the cap",
            valid.non_2xx
        );
        failed = true;
    }
    if let Some(over) = over
        && over.too_many == 0
    {
        eprintln!("FAIL: no 429 at twice the cap");
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
    Ok(())
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// The two request bodies: 10 s of synthetic ECG at 360 Hz, and its beats cut at the
/// detector's rate and length by the detector's own pipeline.
fn bodies(detector: &std::path::Path) -> Result<[String; 2], Box<dyn std::error::Error>> {
    let ecg = generate(&SyntheticConfig {
        fs: 360.0,
        length: SyntheticLength::Seconds(10.0),
        seed: 3,
        ..Default::default()
    })?;
    let lead = &ecg.ecg.leads[0];
    let detector = Detector::load(detector, &default_device())?;
    let processed = detector.pipeline().run(lead, 360.0)?;
    let seq = detector.metadata().seq;
    let beats: Vec<&[f32]> = processed.beats.data.chunks(seq).collect();
    println!(
        "requests: a signal of {} samples at 360 Hz; {} beats of {seq} samples",
        lead.len(),
        beats.len()
    );
    Ok([
        json!({"signal": lead, "fs": 360.0}).to_string(),
        json!({"beats": beats}).to_string(),
    ])
}

/// What one phase measured.
struct Report {
    latencies: Vec<Duration>,
    non_2xx: usize,
    too_many: usize,
    beats: u64,
    elapsed: Duration,
}

impl Report {
    fn print(&self, name: &str, clients: usize, seconds: u64) {
        let mut ok: Vec<Duration> = self.latencies.clone();
        ok.sort();
        let q = |p: f64| ok.get(((ok.len() as f64 * p) as usize).min(ok.len().saturating_sub(1)));
        let ms = |d: Option<&Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1e3);
        let total = self.latencies.len() + self.non_2xx;
        let secs = self.elapsed.as_secs_f64();
        println!(
            "{name}: {clients} clients for {seconds} s: {total} requests, {:.1} req/s, {:.0} beats/s; 2xx latency p50 {:.1} ms, p99 {:.1} ms; non-2xx {} (429: {})",
            total as f64 / secs,
            self.beats as f64 / secs,
            ms(q(0.5)),
            ms(q(0.99)),
            self.non_2xx,
            self.too_many
        );
    }
}

/// `clients` threads posting the bodies in turn for `duration`.
fn hammer(url: &str, bodies: &Arc<[String; 2]>, clients: usize, duration: Duration) -> Report {
    let start = Instant::now();
    let deadline = start + duration;
    let workers: Vec<_> = (0..clients)
        .map(|worker| {
            let (url, bodies) = (url.to_string(), bodies.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let mut report = Report {
                    latencies: Vec::new(),
                    non_2xx: 0,
                    too_many: 0,
                    beats: 0,
                    elapsed: Duration::ZERO,
                };
                let mut i = worker;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let response = agent
                        .post(&url)
                        .header("content-type", "application/json")
                        .send(bodies[i % 2].as_bytes());
                    i += 1;
                    match response {
                        Ok(mut r) if r.status().is_success() => {
                            let body: Value = r.body_mut().read_json().unwrap_or(Value::Null);
                            report.latencies.push(sent.elapsed());
                            report.beats += body["summary"]["beats"].as_u64().unwrap_or(0);
                        }
                        Ok(r) => {
                            report.non_2xx += 1;
                            if r.status() == 429 {
                                report.too_many += 1;
                                // As Retry-After asks, but briefly: the point is the pressure.
                                std::thread::sleep(Duration::from_millis(5));
                            }
                        }
                        Err(e) => {
                            eprintln!("request failed: {e}");
                            report.non_2xx += 1;
                        }
                    }
                }
                report
            })
        })
        .collect();
    let mut total = Report {
        latencies: Vec::new(),
        non_2xx: 0,
        too_many: 0,
        beats: 0,
        elapsed: Duration::ZERO,
    };
    for worker in workers {
        let r = worker.join().expect("a client thread");
        total.latencies.extend(r.latencies);
        total.non_2xx += r.non_2xx;
        total.too_many += r.too_many;
        total.beats += r.beats;
    }
    total.elapsed = start.elapsed();
    total
}

/// (VmRSS, VmHWM) of process `pid`, in KiB.
fn rss_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
