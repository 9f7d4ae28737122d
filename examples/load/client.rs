//! The client side of the load generator: `clients` threads posting request bodies in turn,
//! and what they measured.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// An HTTP client that reads error statuses as responses, with a 60 s limit per request.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// What one phase measured.
#[derive(Default)]
pub struct Report {
    /// Latency of each 2xx response.
    pub latencies: Vec<Duration>,
    /// Responses that were not 2xx, and requests that failed.
    pub non_2xx: usize,
    /// Of those, 429 Too Many Requests.
    pub too_many: usize,
    /// Beats judged in the 2xx responses.
    pub beats: u64,
    /// Wall-clock time of the phase.
    pub elapsed: Duration,
}

impl Report {
    /// Prints the phase's throughput, latency percentiles and refusals.
    pub fn print(&self, name: &str, clients: usize, seconds: u64) {
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
pub fn hammer(url: &str, bodies: &Arc<[String; 2]>, clients: usize, duration: Duration) -> Report {
    let start = Instant::now();
    let deadline = start + duration;
    let workers: Vec<_> = (0..clients)
        .map(|worker| {
            let (url, bodies) = (url.to_string(), bodies.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let mut report = Report::default();
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
    let mut total = Report::default();
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
