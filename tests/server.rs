//! The HTTP server end to end: a real server on a loopback port (in this process), a small
//! detector fitted in seconds on synthetic ECG, and a real HTTP client. Every endpoint, every
//! kind of bad input (4xx with the error format, never a 5xx, and the server keeps serving),
//! the concurrency cap (429), graceful shutdown with a request in flight, the metrics, a WFDB
//! upload, and with `ECG_DATA_DIR` MIT-BIH record 100 uploaded with its annotations. A second
//! detector, fitted on two leads (MLII and V1), is served for the several-lead requests (JSON
//! `leads`, CSV columns, WFDB and EDF records, streams of frames; MIT-BIH 101 and 100).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::Duration;

use ecg_anomaly::prelude::*;
use ecg_anomaly::serve::{AppState, ServeConfig};
use serde_json::{Value, json};

use common::synthetic;

/// One detector for the whole file: hidden 16, latent 8, 3 epochs on 3 minutes at 125 Hz,
/// resampled to the default pipeline's 180 Hz.
fn detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        let train = synthetic(125.0, 180.0, 0.02, 1);
        let config = common::small_detector_config(TrainingConfig::default().seed);
        config
            .fit_signal(&train.ecg.leads[0], train.ecg.fs, &default_device())
            .unwrap()
    })
}

/// Ten seconds of ECG at 360 Hz.
fn signal() -> Vec<f32> {
    synthetic(360.0, 10.0, 0.1, 5).ecg.leads[0].clone()
}

/// A server on 127.0.0.1, port 0, in its own thread and runtime.
struct Server {
    addr: SocketAddr,
    state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl Server {
    /// Started with `config`, the detector installed (ready) when `ready`.
    fn start(config: ServeConfig, ready: bool) -> Server {
        Server::start_with(config, ready.then(|| detector().clone()))
    }

    /// Started with `config` and `detector` installed, if any.
    fn start_with(config: ServeConfig, detector: Option<Detector>) -> Server {
        let state = AppState::new(config).unwrap();
        if let Some(detector) = detector {
            state.install(detector).unwrap();
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel();
        let serving = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let shutdown = async {
                    let _ = stopped.await;
                };
                ecg_anomaly::serve::run(listener, serving, shutdown).await
            })
        });
        let addr = rx.recv().unwrap();
        Server {
            addr,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Asks for a graceful shutdown and waits for the server to end.
    fn shutdown(mut self) -> Result<()> {
        let _ = self.stop.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn ready_server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| Server::start(ServeConfig::default(), true))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// A response: status, `x-request-id`, `Retry-After`, the body as JSON (Null when not JSON).
#[derive(Debug)]
struct Reply {
    status: u16,
    request_id: String,
    retry_after: Option<String>,
    text: String,
    json: Value,
}

fn reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = result.expect("the server answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let request_id = header("x-request-id").expect("every response has x-request-id");
    let retry_after = header("retry-after");
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        request_id,
        retry_after,
        text,
        json,
    }
}

fn get(server: &Server, path: &str) -> Reply {
    reply(agent().get(server.url(path)).call())
}

fn post(server: &Server, path: &str, content_type: &str, body: &[u8]) -> Reply {
    let request = agent().post(server.url(path));
    let request = match content_type {
        "" => request,
        ct => request.header("content-type", ct),
    };
    reply(request.send(body))
}

fn post_json(server: &Server, path: &str, body: &Value) -> Reply {
    post(
        server,
        path,
        "application/json",
        body.to_string().as_bytes(),
    )
}

/// A `POST /v1/stream?fs=360` of text samples opened on `server`, its head sent, chunked body
/// to follow; reads time out after `timeout_s`.
fn open_stream(server: &Server, timeout_s: u64) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(timeout_s)))
        .unwrap();
    let head = format!(
        "POST /v1/stream?fs=360 HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.addr
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream
}

/// Asserts an error reply: `status`, `code`, a message, and the request id of the header.
fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    let e = &r.json["error"];
    assert_eq!(e["code"], code, "{}", r.text);
    assert!(!e["message"].as_str().unwrap().is_empty(), "{}", r.text);
    assert_eq!(e["request_id"], r.request_id.as_str(), "{}", r.text);
}

/// The library's verdicts, as the JSON response must carry them.
fn assert_same_verdicts(beats: &Value, verdicts: &[Verdict]) {
    let beats = beats.as_array().unwrap();
    assert_eq!(beats.len(), verdicts.len());
    for (b, v) in beats.iter().zip(verdicts) {
        assert_eq!(b["index"], v.index);
        assert_eq!(b["position"].as_u64().map(|p| p as usize), v.position);
        assert_eq!(b["score"].as_f64().unwrap(), v.score, "bit for bit");
        assert_eq!(b["model_score"].as_f64().unwrap(), v.model_score);
        assert_eq!(b["calibrated"].as_f64().unwrap(), v.calibrated);
        assert_eq!(b["anomaly"], v.anomaly);
        assert_eq!(b["usable"], v.usable);
        assert_eq!(b["error"].as_array().unwrap().len(), v.error.len());
    }
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[test]
fn health_model_info_and_unknown_routes() {
    let server = ready_server();
    let live = get(server, "/health/live");
    assert_eq!((live.status, &live.json["status"]), (200, &json!("live")));
    let ready = get(server, "/health/ready");
    assert_eq!(
        (ready.status, &ready.json["status"]),
        (200, &json!("ready"))
    );
    assert_eq!(get(server, "/v2/health/live").json["live"], true);
    assert_eq!(get(server, "/v2/health/ready").json["ready"], true);

    let model = get(server, "/v1/model");
    assert_eq!(model.status, 200);
    let meta = detector().metadata();
    let m = &model.json;
    assert_eq!(m["name"], "ecg-anomaly");
    assert_eq!(m["kind"], "lstm_autoencoder");
    assert_eq!(m["crate_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["format_version"], meta.format_version);
    assert_eq!(
        (m["seq"].as_u64(), m["channels"].as_u64()),
        (Some(meta.seq as u64), Some(1))
    );
    assert_eq!(m["fs"], DetectorConfig::DEFAULT_RATE_HZ);
    assert_eq!(
        m["threshold"].as_f64().unwrap(),
        detector().threshold().value
    );
    assert_eq!(m["data_fingerprint"], meta.data_fingerprint.as_str());
    assert_eq!(m["seed"], meta.seed);
    let expected = m["expected_flagged_share"].as_f64().unwrap();
    assert!(
        (0.01..0.2).contains(&expected),
        "95th percentile: {expected}"
    );
    // What the dashboard reads instead of copying the library's constants.
    let pipeline = detector().pipeline();
    let window = pipeline.window(DetectorConfig::DEFAULT_RATE_HZ).unwrap();
    let w = &m["window"];
    assert_eq!(
        (w["before"].as_u64(), w["after"].as_u64()),
        (Some(window.before as u64), Some(window.after as u64))
    );
    assert!((w["before_s"].as_f64().unwrap() - pipeline.before_s).abs() < 1e-12);
    assert!((w["after_s"].as_f64().unwrap() - pipeline.after_s).abs() < 1e-12);
    assert_eq!(window.len(), meta.seq);
    assert_eq!(
        m["score_in_context"],
        !detector().context().config.is_plain()
    );
    assert_eq!(
        m["default_wfdb_lead"],
        ecg_anomaly::data::input::DEFAULT_WFDB_LEAD
    );
    assert_eq!(
        (&m["aami_classes"]["N"], &m["aami_classes"]["V"]),
        (&json!("N"), &json!("V"))
    );
    assert_eq!(
        m["max_body_bytes"].as_u64(),
        Some(ServeConfig::default().max_body_bytes as u64)
    );

    let missing = get(server, "/nowhere");
    assert_error(&missing, 404, "not_found");
    assert!(
        missing.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/nowhere")
    );
    assert_error(&get(server, "/v1/detect"), 405, "method_not_allowed");

    // A client's request id is kept, a bad one replaced.
    let mine = reply(
        agent()
            .get(server.url("/nowhere"))
            .header("x-request-id", "trace-42")
            .call(),
    );
    assert_eq!(
        (mine.request_id.as_str(), &mine.json["error"]["request_id"]),
        ("trace-42", &json!("trace-42"))
    );
    let other = get(server, "/nowhere");
    assert_ne!(
        other.request_id, missing.request_id,
        "a fresh id per request"
    );
    assert_eq!(other.request_id.len(), 32);
}

/// The dashboard's modules are served with a JavaScript type (a module script needs one) and
/// the headers of every dashboard file; an unknown file under `/assets/` is the server's 404.
#[test]
fn dashboard_modules_and_unknown_assets() {
    let server = ready_server();
    for path in ["/", "/assets/main.js", "/assets/model.js"] {
        let response = agent().get(server.url(path)).call().unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let header = |name: &str| {
            let value = response.headers().get(name).map(|v| v.to_str().unwrap());
            value.unwrap_or_else(|| panic!("{path}: no {name}"))
        };
        let expected = match path {
            "/" => "text/html; charset=utf-8",
            _ => "text/javascript; charset=utf-8",
        };
        assert_eq!(header("content-type"), expected, "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("cache-control"), "no-cache", "{path}");
        assert!(header("content-security-policy").contains("script-src 'self'"));
    }
    assert_error(&get(server, "/assets/nope.js"), 404, "not_found");
    assert_error(&get(server, "/assets/app.js"), 404, "not_found");
}

#[test]
fn not_ready_until_the_detector_is_installed() {
    let server = Server::start(ServeConfig::default(), false);
    assert_eq!(get(&server, "/health/live").status, 200);
    assert_error(&get(&server, "/health/ready"), 503, "not_ready");
    assert_error(&get(&server, "/v2/health/ready"), 503, "not_ready");
    let body = json!({"signal": signal(), "fs": 360.0});
    assert_error(&post_json(&server, "/v1/detect", &body), 503, "not_ready");
    server.state.install(detector().clone()).unwrap();
    assert_eq!(get(&server, "/health/ready").status, 200);
    assert_eq!(post_json(&server, "/v1/detect", &body).status, 200);
    server.shutdown().unwrap();
}

#[test]
fn detect_a_json_signal_as_the_library_does() {
    let server = ready_server();
    let values = signal();
    let r = post_json(
        server,
        "/v1/detect",
        &json!({"signal": values, "fs": 360.0}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let want = detector().detect_signal(&values, 360.0).unwrap();
    assert!(
        want.len() >= 8,
        "ten seconds hold about 12 beats: {}",
        want.len()
    );
    assert_same_verdicts(&r.json["beats"], &want);
    let j = &r.json;
    assert_eq!(j["request_id"], r.request_id.as_str());
    assert_eq!(j["fs"], 360.0);
    assert_eq!(
        j["model"],
        json!({"name": "ecg-anomaly", "kind": "lstm_autoencoder", "fs": DetectorConfig::DEFAULT_RATE_HZ, "seq": detector().metadata().seq})
    );
    assert_eq!(
        j["threshold"].as_f64().unwrap(),
        detector().threshold().value
    );
    let flagged = want.iter().filter(|v| v.anomaly).count();
    let unusable = want.iter().filter(|v| !v.usable).count();
    assert_eq!(
        j["summary"],
        json!({"beats": want.len(), "flagged": flagged, "unusable": unusable})
    );
    assert!(j.get("signal").is_none() && j["beats"][0].get("input").is_none());
    assert!(
        j["beats"][0].get("label").is_none(),
        "no labels without an .atr"
    );

    // include=signal,reconstruction: the lead as sent, what the model saw and rebuilt.
    let r = post_json(
        server,
        "/v1/detect?include=signal,reconstruction",
        &json!({"signal": values, "fs": 360.0}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["signal"]["fs"], 360.0);
    assert_eq!(floats(&r.json["signal"]["values"]), values);
    assert_same_verdicts(&r.json["beats"], &want);
    let seq = detector().metadata().seq;
    for b in r.json["beats"].as_array().unwrap() {
        let (input, rebuilt, error) = (
            floats(&b["input"]),
            floats(&b["reconstruction"]),
            floats(&b["error"]),
        );
        assert_eq!((input.len(), rebuilt.len()), (seq, seq));
        // The default score is the mean squared error: the error map is (rebuilt - input)².
        for ((x, y), e) in input.iter().zip(&rebuilt).zip(&error) {
            assert!(
                ((y - x).powi(2) - e).abs() <= 1e-4 * (1.0 + e),
                "{x} {y} {e}"
            );
        }
        let mse = error.iter().map(|&e| f64::from(e)).sum::<f64>() / seq as f64;
        assert!(
            (mse - b["model_score"].as_f64().unwrap()).abs() < 1e-4,
            "{mse} {}",
            b["model_score"]
        );
    }
}

#[test]
fn reconstruct_gives_what_the_model_saw_and_rebuilt() {
    let d = detector();
    let processed = d.pipeline().run(&signal(), 360.0).unwrap();
    let verdicts = d.detect(&processed).unwrap();
    let rebuilt = d.reconstruct(&processed).unwrap();
    assert_eq!(
        (rebuilt.len(), rebuilt.seq),
        (verdicts.len(), d.metadata().seq)
    );
    assert!(
        rebuilt
            .inputs
            .iter()
            .chain(&rebuilt.outputs)
            .all(|v| v.is_finite())
    );
    for (i, v) in verdicts.iter().enumerate() {
        let (x, y) = (rebuilt.input(i).unwrap(), rebuilt.output(i).unwrap());
        let mean = x.iter().sum::<f32>() / x.len() as f32;
        assert!(mean.abs() < 1e-3, "z-scored windows: mean {mean}");
        let mse: f64 = x
            .iter()
            .zip(y)
            .map(|(a, b)| f64::from((a - b).powi(2)))
            .sum::<f64>()
            / x.len() as f64;
        assert!(
            (mse - v.model_score).abs() < 1e-5 * (1.0 + v.model_score),
            "{mse} vs {}",
            v.model_score
        );
    }
    assert_eq!(rebuilt.input(verdicts.len()), None);
    let (again, explained) = d.explain_signal(&signal(), 360.0).unwrap();
    assert_eq!((&again, &explained), (&verdicts, &rebuilt));
    // One pass of the model gives both, for beats already cut too.
    let seq = d.metadata().seq;
    let flat = processed.beats.data.clone();
    let n = flat.len() / seq;
    let windows = WindowDataset::new(flat, seq, 1, vec![false; n]).unwrap();
    let (from_windows, rebuilt_windows) = d.explain(&windows).unwrap();
    // The model's scores: beats without their recording's rhythm are put in another context.
    let scores = |v: &[Verdict]| v.iter().map(|v| v.model_score).collect::<Vec<_>>();
    assert_eq!(scores(&from_windows), scores(&verdicts));
    assert_eq!(rebuilt_windows, rebuilt);
}

#[test]
fn beats_csv_and_kserve_give_the_library_verdicts() {
    let server = ready_server();
    let d = detector();
    let values = signal();
    let seq = d.metadata().seq;
    let want = d.detect_signal(&values, 360.0).unwrap();

    // Beats already cut: the pipeline's windows, as the beats request takes them.
    let processed = d.pipeline().run(&values, 360.0).unwrap();
    let windows: Vec<Vec<f32>> = processed
        .beats
        .data
        .chunks(seq)
        .map(<[f32]>::to_vec)
        .collect();
    let flat: Vec<f32> = windows.concat();
    let r = post_json(
        server,
        "/v1/detect?include=reconstruction",
        &json!({"beats": windows}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_same_verdicts(&r.json["beats"], &d.detect_beats(&flat).unwrap());
    assert_eq!(
        (&r.json["fs"], &r.json["beats"][0]["position"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(floats(&r.json["beats"][0]["reconstruction"]).len(), seq);

    // A CSV with a header and two columns, the lead by name and by index.
    let mut csv = String::from("time,II\n");
    for (i, v) in values.iter().enumerate() {
        csv.push_str(&format!("{i},{v}\n"));
    }
    for lead in ["II", "1"] {
        let r = post(
            server,
            &format!("/v1/detect?fs=360&lead={lead}"),
            "text/csv",
            csv.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["beats"].as_array().unwrap().len(), want.len());
        let scores: Vec<f64> = r.json["beats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["score"].as_f64().unwrap())
            .collect();
        let lib: Vec<f64> = want.iter().map(|v| v.score).collect();
        for (a, b) in scores.iter().zip(&lib) {
            assert!(
                (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
                "CSV's decimal text: {a} vs {b}"
            );
        }
    }

    // KServe v2: metadata, a signal, beats, an unknown model.
    let meta = get(server, "/v2/models/ecg-anomaly");
    assert_eq!(meta.status, 200);
    assert_eq!(
        meta.json["inputs"][1],
        json!({"name": "beats", "datatype": "FP32", "shape": [-1, seq]})
    );
    assert_eq!(meta.json["outputs"][2]["datatype"], "BOOL");
    assert_eq!(
        get(server, "/v2/models/ecg-anomaly/ready").json["ready"],
        true
    );
    let infer = json!({"id": "r1", "inputs": [{"name": "signal", "shape": [values.len()], "datatype": "FP32", "data": values}], "parameters": {"fs": 360}});
    let r = post_json(server, "/v2/models/ecg-anomaly/infer", &infer);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.json["model_name"], &r.json["id"]),
        (&json!("ecg-anomaly"), &json!("r1"))
    );
    let outputs = r.json["outputs"].as_array().unwrap();
    let names: Vec<&str> = outputs
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["score", "calibrated", "anomaly", "position"]);
    assert_eq!(outputs[0]["shape"], json!([want.len()]));
    let scores: Vec<f64> = outputs[0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_f64().unwrap())
        .collect();
    assert_eq!(scores, want.iter().map(|v| v.score).collect::<Vec<_>>());
    let positions: Vec<i64> = outputs[3]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_i64().unwrap())
        .collect();
    assert_eq!(
        positions,
        want.iter()
            .map(|v| v.position.unwrap() as i64)
            .collect::<Vec<_>>()
    );
    assert_eq!(outputs[2]["datatype"], "BOOL");
    let beats = json!({"inputs": [{"name": "beats", "shape": [windows.len(), seq], "datatype": "FP32", "data": flat}]});
    let r = post_json(server, "/v2/models/ecg-anomaly/infer", &beats);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["outputs"][3]["data"][0], -1,
        "no position for given beats"
    );
    assert_eq!(
        r.json["id"],
        r.request_id.as_str(),
        "the request id when none is given"
    );
    assert_error(&get(server, "/v2/models/other"), 404, "unknown_model");
    assert_error(
        &post_json(server, "/v2/models/other/infer", &infer),
        404,
        "unknown_model",
    );
    let wrong_shape = json!({"inputs": [{"name": "signal", "shape": [3], "datatype": "FP32", "data": [1.0, 2.0]}], "parameters": {"fs": 360}});
    assert_error(
        &post_json(server, "/v2/models/ecg-anomaly/infer", &wrong_shape),
        422,
        "bad_shape",
    );
    let no_fs = json!({"inputs": [{"name": "signal", "shape": [2], "datatype": "FP32", "data": [1.0, 2.0]}]});
    assert_error(
        &post_json(server, "/v2/models/ecg-anomaly/infer", &no_fs),
        400,
        "missing_fs",
    );
    let bad_beats = json!({"inputs": [{"name": "beats", "shape": [1, 3], "datatype": "FP32", "data": [1.0, 2.0, 3.0]}]});
    assert_error(
        &post_json(server, "/v2/models/ecg-anomaly/infer", &bad_beats),
        422,
        "bad_shape",
    );
}

#[test]
fn bad_input_is_a_4xx_in_the_error_format_and_the_server_keeps_serving() {
    let server = Server::start(
        ServeConfig {
            max_body_bytes: 1 << 20,
            max_signal_seconds: 60.0,
            ..ServeConfig::default()
        },
        true,
    );
    let good = signal();
    let nan_csv = format!(
        "{}\nNaN\n",
        good.iter()
            .map(f32::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let seq = detector().metadata().seq;
    let long: Vec<f32> = good.iter().cycle().take(61 * 360).copied().collect();
    let huge = vec![b'1'; 2 << 20];
    let j = |v: Value| v.to_string().into_bytes();
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "",
            "application/json",
            b"{\"signal\": [1, 2".to_vec(),
            400,
            "bad_json",
        ),
        (
            "",
            "application/json",
            b"[1, 2, 3]".to_vec(),
            400,
            "bad_json",
        ),
        (
            "",
            "application/json",
            j(json!({"signal": [1.0], "fs": 360, "extra": 1})),
            400,
            "bad_json",
        ),
        (
            "",
            "text/plain",
            j(json!({"signal": good, "fs": 360})),
            415,
            "unsupported_media_type",
        ),
        (
            "",
            "",
            j(json!({"signal": good, "fs": 360})),
            415,
            "unsupported_media_type",
        ),
        (
            "",
            "application/json",
            j(json!({"signal": good})),
            400,
            "missing_fs",
        ),
        (
            "",
            "application/json",
            j(json!({"signal": good, "fs": 0})),
            422,
            "invalid_fs",
        ),
        (
            "",
            "application/json",
            j(json!({"signal": good, "fs": -360})),
            422,
            "invalid_fs",
        ),
        (
            "",
            "application/json",
            j(json!({"signal": [], "fs": 360})),
            422,
            "empty_signal",
        ),
        (
            "",
            "application/json",
            j(json!({"signal": good, "beats": [[0.0]]})),
            422,
            "bad_json",
        ),
        ("", "application/json", j(json!({})), 422, "bad_json"),
        // JSON has no NaN; a number beyond f32 is refused by the parser, naming the column.
        (
            "",
            "application/json",
            b"{\"signal\": [1e39, 0], \"fs\": 360}".to_vec(),
            400,
            "bad_json",
        ),
        (
            "",
            "application/json",
            j(json!({"signal": &good[..180], "fs": 360})),
            422,
            "no_beats",
        ),
        (
            "",
            "application/json",
            j(json!({"signal": vec![0.0; 3600], "fs": 360})),
            422,
            "no_beats",
        ),
        (
            "",
            "application/json",
            j(json!({"signal": long, "fs": 360})),
            413,
            "signal_too_long",
        ),
        (
            "",
            "application/json",
            j(json!({"signal": good, "fs": 1e300})),
            422,
            "invalid_input",
        ),
        (
            "",
            "application/json",
            j(json!({"beats": [vec![0.5; seq - 1]]})),
            422,
            "bad_beat_length",
        ),
        (
            "",
            "application/json",
            j(json!({"beats": []})),
            422,
            "no_beats",
        ),
        (
            "?include=everything",
            "application/json",
            j(json!({"signal": good, "fs": 360})),
            400,
            "bad_query",
        ),
        (
            "?colour=red",
            "application/json",
            j(json!({"signal": good, "fs": 360})),
            400,
            "bad_query",
        ),
        ("", "text/csv", b"1\n2\n".to_vec(), 400, "missing_fs"),
        ("?fs=abc", "text/csv", b"1\n2\n".to_vec(), 422, "invalid_fs"),
        ("?fs=NaN", "text/csv", b"1\n2\n".to_vec(), 422, "invalid_fs"),
        ("?fs=0", "text/csv", b"1\n2\n".to_vec(), 422, "invalid_fs"),
        (
            "?fs=360",
            "text/csv",
            nan_csv.into_bytes(),
            422,
            "parse_error",
        ),
        (
            "?fs=360",
            "text/csv",
            b"lead\n1.0\nhello\n".to_vec(),
            422,
            "parse_error",
        ),
        (
            "?fs=360&lead=V5",
            "text/csv",
            b"II\n1.0\n2.0\n".to_vec(),
            422,
            "parse_error",
        ),
        ("?fs=360", "text/csv", b"".to_vec(), 422, "parse_error"),
        (
            "",
            "multipart/form-data",
            b"not multipart".to_vec(),
            400,
            "bad_multipart",
        ),
    ];
    for (query, content_type, body, status, code) in cases {
        let r = post(&server, &format!("/v1/detect{query}"), content_type, &body);
        assert!(r.status < 500, "{query} {content_type}: {}", r.text);
        assert_error(&r, status, code);
        // The server keeps serving.
        assert_eq!(get(&server, "/health/ready").status, 200);
    }
    // A body over the limit: 413 as soon as the limit is passed (the rest is not read, so the
    // client may see its upload cut; a raw socket reads the answer all the same).
    let (status, text) = raw_post(server.addr, "/v1/detect", "application/json", &huge);
    assert_eq!(status, 413, "{text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["error"]["code"], "too_large", "{text}");
    let r = post_json(&server, "/v1/detect", &json!({"signal": good, "fs": 360}));
    assert_eq!(r.status, 200, "{}", r.text);
    server.shutdown().unwrap();
}

/// POSTs `body` on a raw connection, ignoring write errors, and gives the status and body.
fn raw_post(addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    for chunk in body.chunks(64 << 10) {
        if stream.write_all(chunk).is_err() {
            break;
        }
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |b| b.1);
    // The body may be chunked: keep the JSON object.
    let json = body
        .find('{')
        .zip(body.rfind('}'))
        .map_or("", |(a, b)| &body[a..=b]);
    (status, json.to_string())
}

/// A multipart body of `files` (name, bytes), with `boundary`.
fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "ecg-boundary-7d3f";
    let mut body = Vec::new();
    for (name, bytes) in files {
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        );
        body.extend(head.as_bytes());
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `signal` as a one-signal format-16 record `name` (lead MLII, 360 Hz, gain 1000).
fn record(name: &str, signal: &[f32]) -> (String, Vec<u8>) {
    let digital: Vec<i16> = signal.iter().map(|v| (v * 1000.0).round() as i16).collect();
    // The header's checksum: the samples summed modulo 2^16 (the reader compares it).
    let checksum = digital.iter().fold(0u16, |a, &d| a.wrapping_add(d as u16)) as i16;
    let hea = format!(
        "{name} 1 360 {n}\n{name}.dat 16 1000 16 0 0 {checksum} 0 MLII\n",
        n = signal.len()
    );
    let dat = digital.iter().flat_map(|d| d.to_le_bytes()).collect();
    (hea, dat)
}

#[test]
fn a_wfdb_upload_is_read_by_the_library_and_a_broken_one_is_a_4xx() {
    let server = ready_server();
    let values = signal();
    let (hea, dat) = record("rec", &values);
    let (ct, body) = multipart(&[("rec.hea", hea.as_bytes()), ("rec.dat", &dat)]);
    let r = post(server, "/v1/detect?include=signal", &ct, &body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.json["fs"], &r.json["signal"]["fs"]),
        (&json!(360.0), &json!(360.0))
    );
    let read = floats(&r.json["signal"]["values"]);
    assert_eq!(read.len(), values.len());
    assert!(
        read.iter().zip(&values).all(|(a, b)| (a - b).abs() <= 6e-4),
        "in mV, as quantised"
    );
    let want = detector().detect_signal(&read, 360.0).unwrap();
    assert_same_verdicts(&r.json["beats"], &want);

    // One beat annotation (N) at the first beat's R-peak: it labels that beat only.
    let first = want[0].position.unwrap();
    let atr = [&annotation(first, 1)[..], &[0, 0]].concat();
    let (ct, body) = multipart(&[
        ("rec.hea", hea.as_bytes()),
        ("rec.dat", &dat),
        ("rec.atr", &atr),
    ]);
    let r = post(server, "/v1/detect", &ct, &body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["beats"][0]["label"], "N");
    assert_eq!(
        r.json["beats"][1]["label"],
        Value::Null,
        "present, and null: no annotation near"
    );

    let outside = hea.replace("rec.dat 16", "../rec.dat 16");
    let two = hea.replace("rec ", "two ").replace("rec.dat", "two.dat");
    /// The uploaded parts of a case: file name and bytes.
    type Parts<'a> = Vec<(&'a str, &'a [u8])>;
    let broken: Vec<(Parts<'_>, u16, &str)> = vec![
        (vec![("rec.dat", &dat)], 422, "missing_header"),
        (vec![("rec.hea", hea.as_bytes())], 422, "missing_file"),
        (
            vec![("../rec.hea", hea.as_bytes()), ("rec.dat", &dat)],
            422,
            "bad_file_name",
        ),
        (
            vec![("rec.hea", outside.as_bytes()), ("rec.dat", &dat)],
            422,
            "bad_record",
        ),
        (
            vec![
                ("rec.hea", hea.as_bytes()),
                ("two.hea", two.as_bytes()),
                ("rec.dat", &dat),
            ],
            422,
            "several_headers",
        ),
        (
            vec![("rec.hea", b"rec 1 360\nrubbish"), ("rec.dat", &dat)],
            422,
            "parse_error",
        ),
        (
            vec![("rec.hea", hea.as_bytes()), ("rec.dat", &dat[..100])],
            422,
            "corrupt_file",
        ),
    ];
    for (files, status, code) in broken {
        let (ct, body) = multipart(&files);
        let r = post(server, "/v1/detect", &ct, &body);
        assert_error(&r, status, code);
        assert!(
            !r.text.contains("/tmp"),
            "no server path in messages: {}",
            r.text
        );
    }
    let (ct, body) = multipart(&[("rec.hea", hea.as_bytes()), ("rec.dat", &dat)]);
    let r = post(server, "/v1/detect?lead=V5", &ct, &body);
    assert_error(&r, 422, "bad_record");
    assert!(
        r.text.contains("MLII"),
        "names the leads it has: {}",
        r.text
    );
}

/// One MIT-format annotation word pair: `code` at `sample` (from 0, one interval).
fn annotation(sample: usize, code: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let mut left = sample;
    while left > 1023 {
        // SKIP (59): the next 4 bytes are a 32-bit interval, PDP-11 order.
        out.extend((59u16 << 10).to_le_bytes());
        let skip = left as u32;
        out.extend(((skip >> 16) as u16).to_le_bytes());
        out.extend((skip as u16).to_le_bytes());
        left = 0;
    }
    out.extend(((code << 10) | left as u16).to_le_bytes());
    out
}

#[test]
fn mitbih_record_100_uploaded_with_its_annotations_labels_each_beat() {
    let Some(mitdb) =
        common::mitdb_dir("mitbih_record_100_uploaded_with_its_annotations_labels_each_beat")
    else {
        return;
    };
    let server = ready_server();
    let file = |ext: &str| std::fs::read(mitdb.join(format!("100.{ext}"))).unwrap();
    let (hea, dat, atr) = (file("hea"), file("dat"), file("atr"));
    let (ct, body) = multipart(&[("100.hea", &hea), ("100.dat", &dat), ("100.atr", &atr)]);
    let r = post(server, "/v1/detect", &ct, &body);
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(500)]);
    let beats = r.json["beats"].as_array().unwrap();
    assert!(
        (2200..=2300).contains(&beats.len()),
        "{} beats",
        beats.len()
    );
    assert_eq!(r.json["fs"], 360.0);
    let count = |symbol: &str| beats.iter().filter(|b| b["label"] == symbol).count();
    let (n, a, v) = (count("N"), count("A"), count("V"));
    let unlabelled = beats.iter().filter(|b| b["label"].is_null()).count();
    eprintln!(
        "record 100: {} beats, labels N {n} A {a} V {v}, {unlabelled} unlabelled",
        beats.len()
    );
    assert!(n >= 2200 && a >= 30 && v == 1, "N {n} A {a} V {v}");
    assert!(unlabelled <= 5, "{unlabelled}");
}

#[test]
fn the_concurrency_cap_answers_429_with_retry_after() {
    let server = Server::start(
        ServeConfig {
            max_concurrency: 1,
            ..ServeConfig::default()
        },
        true,
    );
    let body = json!({"signal": signal(), "fs": 360.0});
    let held = server.state.permit().expect("the one permit");
    let r = post_json(&server, "/v1/detect", &body);
    assert_error(&r, 429, "busy");
    assert_eq!(r.retry_after.as_deref(), Some("1"));
    let r = post_json(
        &server,
        "/v2/models/ecg-anomaly/infer",
        &json!({"inputs": [{"name": "signal", "shape": [2], "datatype": "FP32", "data": [0.0, 1.0]}], "parameters": {"fs": 360}}),
    );
    assert_error(&r, 429, "busy");
    assert_eq!(
        get(&server, "/health/ready").status,
        200,
        "health is not capped"
    );
    drop(held);
    assert_eq!(post_json(&server, "/v1/detect", &body).status, 200);
    server.shutdown().unwrap();
}

/// The value of the metric line `name{labels}` (exactly), 0 when absent.
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

#[test]
fn metrics_count_requests_beats_rejections_and_drift() {
    let server = ready_server();
    let before = get(server, "/metrics").text;
    let values = signal();
    let r = post_json(
        server,
        "/v1/detect",
        &json!({"signal": values, "fs": 360.0}),
    );
    assert_eq!(r.status, 200);
    let n = r.json["summary"]["beats"].as_f64().unwrap();
    let flagged = r.json["summary"]["flagged"].as_f64().unwrap();
    assert_error(
        &post(server, "/v1/detect", "text/plain", b"x"),
        415,
        "unsupported_media_type",
    );
    let m = get(server, "/metrics");
    assert_eq!(m.status, 200);
    let after = &m.text;
    let grew = |series: &str| metric(after, series) - metric(&before, series);
    // Tests share the process's recorder and run in parallel: counters grow by at least ours.
    assert!(grew("ecg_beats_scored_total") >= n, "{after}");
    assert!(grew("ecg_beats_flagged_total") >= flagged);
    assert!(
        grew(r#"ecg_http_requests_total{route="/v1/detect",method="POST",status="200"}"#) >= 1.0,
        "{after}"
    );
    assert!(
        grew(r#"ecg_inputs_rejected_total{reason="unsupported_media_type"}"#) >= 1.0,
        "{after}"
    );
    assert!(
        grew(r#"ecg_http_request_duration_seconds_count{route="/v1/detect"}"#) >= 2.0,
        "{after}"
    );
    assert!(
        after.contains(r#"ecg_http_request_duration_seconds_bucket{route="/v1/detect",le="0.1"}"#),
        "a histogram: {after}"
    );
    let share = metric(after, "ecg_drift_flagged_share");
    let mean = metric(after, "ecg_drift_mean_calibrated");
    assert!(
        (0.0..=1.0).contains(&share) && mean > 0.0 && mean <= 1.0,
        "{share} {mean}"
    );
    assert!(metric(after, "ecg_drift_window_beats") >= n);
    let expected = 1.0
        - detector()
            .calibration()
            .calibrate(detector().threshold().value);
    assert!((metric(after, "ecg_calibration_expected_flagged_share") - expected).abs() < 1e-9);
    assert!(after.contains("ecg_http_requests_in_flight"), "{after}");
}

#[test]
fn graceful_shutdown_finishes_the_request_in_flight() {
    let server = Server::start(ServeConfig::default(), true);
    let body = json!({"signal": signal(), "fs": 360.0}).to_string();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let mut stream = TcpStream::connect(server.addr).unwrap();
    let head = format!(
        "POST /v1/detect HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(first).unwrap();
    stream.flush().unwrap();
    // The request is in flight (half its body sent) when the shutdown is asked for.
    let start = std::time::Instant::now();
    while server.state.in_flight() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the request never arrived"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let addr = server.addr;
    let mut server = server;
    let _ = server.stop.take().unwrap().send(());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !server.thread.as_ref().unwrap().is_finished(),
        "waits for the request"
    );
    stream.write_all(rest).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "{}",
        &response[..response.len().min(300)]
    );
    assert!(response.contains("\"summary\""));
    server.thread.take().unwrap().join().unwrap().unwrap();
    assert!(TcpStream::connect(addr).is_err(), "no longer listening");
}

/// Reads one line (up to `\n`) of the chunked response body from `reader`, skipping the
/// chunk-size lines; `None` at the body's end.
fn next_line(reader: &mut std::io::BufReader<TcpStream>) -> Option<String> {
    use std::io::BufRead;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line == "0" {
            return None; // the last chunk
        }
        let is_size = !line.is_empty() && line.chars().all(|c| c.is_ascii_hexdigit());
        if line.is_empty() || is_size {
            continue;
        }
        return Some(line.to_string());
    }
}

/// Sends `bytes` as one HTTP/1.1 chunk.
fn chunk(stream: &mut TcpStream, bytes: &[u8]) {
    write!(stream, "{:x}\r\n", bytes.len()).unwrap();
    stream.write_all(bytes).unwrap();
    stream.write_all(b"\r\n").unwrap();
}

#[test]
fn a_stream_answers_each_beat_while_its_body_is_still_coming() {
    let server = ready_server();
    let ecg = synthetic(360.0, 60.0, 0.1, 9).ecg;
    let lead = &ecg.leads[0];
    let offline = detector().detect_signal(lead, 360.0).unwrap();

    let mut stream = open_stream(server, 60);
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    let text = |samples: &[f32]| {
        let mut s = String::new();
        for v in samples {
            s.push_str(&format!("{v}\n"));
        }
        s
    };
    // The first 20 s, in 1 s chunks; a number is cut across two chunks on purpose.
    let first = text(&lead[..7200]);
    for piece in first.as_bytes().chunks(2501) {
        chunk(&mut stream, piece);
    }
    // Beats come back before the body ends.
    use std::io::BufRead;
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        if header.trim().is_empty() {
            break;
        }
    }
    let early: Value = serde_json::from_str(&next_line(&mut reader).unwrap()).unwrap();
    assert_eq!(early["index"], 0);
    assert!(early["decided_at"].as_u64().unwrap() <= 7200, "{early}");
    // The rest, and the end of the body.
    chunk(&mut stream, text(&lead[7200..]).as_bytes());
    stream.write_all(b"0\r\n\r\n").unwrap();
    let mut beats = vec![early];
    while let Some(line) = next_line(&mut reader) {
        beats.push(serde_json::from_str(&line).unwrap());
    }
    assert!(
        beats.len() + 1 >= offline.len() && beats.len() <= offline.len() + 1,
        "{} streamed, {} offline",
        beats.len(),
        offline.len()
    );
    for (b, v) in beats.iter().zip(&offline) {
        let position = b["position"].as_u64().unwrap() as usize;
        assert!(position.abs_diff(v.position.unwrap()) <= 1, "{b} vs {v:?}");
        let score = b["model_score"].as_f64().unwrap();
        assert!(
            (score - v.model_score).abs() <= 2e-3 * v.model_score,
            "{b} vs {v:?}"
        );
    }

    // A bad sample ends the stream with an error line; missing fs is a 400 before streaming.
    let mut bad = TcpStream::connect(server.addr).unwrap();
    bad.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST /v1/stream?fs=360 HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        server.addr
    );
    // The whole request in one write: the server answers the bad sample and may close before
    // it reads a later write (which then fails with a broken pipe, as it may).
    let body = "0.1\n0.2\nabc\n";
    let request = format!("{head}{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
    let _ = bad.write_all(request.as_bytes());
    let mut response = String::new();
    let _ = bad.read_to_string(&mut response);
    assert!(response.contains("\"bad_samples\""), "{response}");
    assert!(response.contains("sample 2"), "{response}");
    let (status, body) = raw_post(server.addr, "/v1/stream", "text/plain", b"1\n2\n");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("missing_fs"), "{body}");
    let (status, body) = raw_post(server.addr, "/v1/stream?fs=360", "image/png", b"1\n");
    assert_eq!(status, 415, "{body}");
}

/// Sends `request` on a fresh connection (ignoring a failed write: the server may refuse and
/// close first) and reads what comes back until the server closes the connection or nothing
/// comes for `wait`: the text, and whether the server closed (or reset) the connection.
fn exchange(addr: SocketAddr, request: &[u8], wait: Duration) -> (String, bool) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let _ = stream.write_all(request);
    read_until_closed(&mut stream, wait)
}

/// What `stream` receives until the server closes it, or nothing comes for `wait`.
fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> (String, bool) {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break true,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break false;
            }
            Err(_) => break true, // reset
        }
    };
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

/// The JSON body of a raw HTTP/1.1 response with a `Content-Length` (Null when none).
fn raw_json(response: &str) -> Value {
    let body = response.rsplit_once("\r\n\r\n").map_or("", |b| b.1);
    serde_json::from_str(body).unwrap_or(Value::Null)
}

/// A request head for `POST path` declaring `length` bytes of JSON, with `Expect:
/// 100-continue` when `expect`.
fn upload_head(addr: SocketAddr, path: &str, length: u64, expect: bool) -> String {
    let expect = if expect {
        "Expect: 100-continue\r\n"
    } else {
        ""
    };
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{expect}\r\n"
    )
}

/// Waits until the server handles at least `n` requests.
/// A valid signal posted to `/v1/detect`, answered 200 (the server keeps serving).
fn still_detects(server: &Server) -> Reply {
    let r = post_json(
        server,
        "/v1/detect",
        &json!({"signal": signal(), "fs": 360}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r
}

fn wait_in_flight(server: &Server, n: usize) {
    let start = std::time::Instant::now();
    while server.state.in_flight() < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{n} requests never arrived ({} did)",
            server.state.in_flight()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn every_limit_has_a_range_checked_by_validate() {
    let ok = ServeConfig::default();
    ok.validate().unwrap();
    let bad: Vec<(&str, ServeConfig)> = vec![
        (
            "max_concurrency",
            ServeConfig {
                max_concurrency: 0,
                ..ok.clone()
            },
        ),
        (
            "max_concurrency",
            ServeConfig {
                max_concurrency: 4097,
                ..ok.clone()
            },
        ),
        (
            "max_body_bytes",
            ServeConfig {
                max_body_bytes: 0,
                ..ok.clone()
            },
        ),
        (
            "max_body_bytes",
            ServeConfig {
                max_body_bytes: (1 << 30) + 1,
                ..ok.clone()
            },
        ),
        (
            "max_signal_seconds",
            ServeConfig {
                max_signal_seconds: f64::NAN,
                ..ok.clone()
            },
        ),
        (
            "max_signal_seconds",
            ServeConfig {
                max_signal_seconds: 86401.0,
                ..ok.clone()
            },
        ),
        (
            "drift_window",
            ServeConfig {
                drift_window: 0,
                ..ok.clone()
            },
        ),
        (
            "retry_after_s",
            ServeConfig {
                retry_after_s: 0,
                ..ok.clone()
            },
        ),
        (
            "max_streams",
            ServeConfig {
                max_streams: 0,
                ..ok.clone()
            },
        ),
        (
            "max_uploads",
            ServeConfig {
                max_uploads: 0,
                ..ok.clone()
            },
        ),
        (
            "max_uploads",
            ServeConfig {
                max_uploads: 4097,
                ..ok.clone()
            },
        ),
        (
            "body_timeout_s",
            ServeConfig {
                body_timeout_s: 0,
                ..ok.clone()
            },
        ),
        (
            "body_timeout_s",
            ServeConfig {
                body_timeout_s: 3601,
                ..ok.clone()
            },
        ),
        (
            "max_header_bytes",
            ServeConfig {
                max_header_bytes: 1023,
                ..ok.clone()
            },
        ),
        (
            "max_header_bytes",
            ServeConfig {
                max_header_bytes: (256 << 10) + 1,
                ..ok.clone()
            },
        ),
        (
            "header_timeout_s",
            ServeConfig {
                header_timeout_s: 0,
                ..ok.clone()
            },
        ),
        (
            "shutdown_timeout_s",
            ServeConfig {
                shutdown_timeout_s: 3601,
                ..ok.clone()
            },
        ),
    ];
    for (field, config) in bad {
        let e = config.validate().expect_err(field).to_string();
        assert!(e.contains(field), "{field}: {e}");
        assert!(AppState::new(config).is_err(), "{field}");
    }
    // The ends of each range are valid.
    ServeConfig {
        max_concurrency: 4096,
        max_body_bytes: 1 << 30,
        max_signal_seconds: 86400.0,
        max_uploads: 1,
        body_timeout_s: 3600,
        max_header_bytes: 1 << 10,
        header_timeout_s: 600,
        shutdown_timeout_s: 0,
        ..ok
    }
    .validate()
    .unwrap();
}

#[test]
fn a_declared_body_over_the_limit_is_413_at_once_without_100_continue() {
    let server = Server::start(
        ServeConfig {
            max_body_bytes: 8 << 20,
            ..ServeConfig::default()
        },
        true,
    );
    for path in ["/v1/detect", "/v2/models/ecg-anomaly/infer"] {
        for expect in [false, true] {
            // A gigabyte declared, nothing sent.
            let head = upload_head(server.addr, path, 1_000_000_000, expect);
            let start = std::time::Instant::now();
            let (response, _) = exchange(server.addr, head.as_bytes(), Duration::from_secs(10));
            let took = start.elapsed();
            println!(
                "{path}, expect {expect}: {:?} in {took:?}",
                response.lines().next()
            );
            assert!(
                response.starts_with("HTTP/1.1 413"),
                "{path}, expect {expect}: {response:?}"
            );
            assert!(!response.contains("100 Continue"), "{response}");
            assert_eq!(
                raw_json(&response)["error"]["code"],
                "too_large",
                "{response}"
            );
        }
    }
    // A multipart upload too.
    let head = "POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000000\r\nExpect: 100-continue\r\n\r\n";
    let (response, _) = exchange(server.addr, head.as_bytes(), Duration::from_secs(10));
    assert!(response.starts_with("HTTP/1.1 413"), "{response:?}");
    still_detects(&server);
    server.shutdown().unwrap();
}

#[test]
fn stalled_uploads_hold_no_inference_permit_and_end_408_at_their_deadline() {
    let server = Server::start(
        ServeConfig {
            max_concurrency: 2,
            max_uploads: 8,
            body_timeout_s: 5,
            ..ServeConfig::default()
        },
        true,
    );
    // Three uploads, more than the two permits, that declare a body and stall: two send 10 of
    // 1000 bytes, one waits for `100 Continue` and sends nothing.
    let start = std::time::Instant::now();
    let mut stalled: Vec<TcpStream> = [false, false, true]
        .into_iter()
        .map(|expect| {
            let mut stream = TcpStream::connect(server.addr).unwrap();
            let head = upload_head(server.addr, "/v1/detect", 1000, expect);
            stream.write_all(head.as_bytes()).unwrap();
            if !expect {
                stream.write_all(b"{\"signal\":").unwrap();
            }
            stream
        })
        .collect();
    wait_in_flight(&server, 3);
    // A valid request is judged meanwhile, on both routes.
    let r = still_detects(&server);
    assert!(
        r.json["summary"]["beats"].as_u64().unwrap() > 0,
        "{}",
        r.text
    );
    let r = post_json(
        &server,
        "/v2/models/ecg-anomaly/infer",
        &json!({"inputs": [{"name": "signal", "shape": [3600], "datatype": "FP32", "data": signal()}], "parameters": {"fs": 360}}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    println!(
        "valid requests answered 200 with 3 uploads stalled, {:?} after they began",
        start.elapsed()
    );
    // Each stalled upload is 408 at its deadline, and its connection closed.
    for stream in &mut stalled {
        let (response, closed) = read_until_closed(stream, Duration::from_secs(60));
        let status = response
            .lines()
            .find(|l| l.starts_with("HTTP/1.1 4"))
            .unwrap_or("none");
        println!(
            "stalled upload: {status}, {:?} after it began",
            start.elapsed()
        );
        assert!(status.starts_with("HTTP/1.1 408"), "{response:?}");
        assert_eq!(
            raw_json(&response)["error"]["code"],
            "body_timeout",
            "{response}"
        );
        assert!(closed, "the connection is closed");
    }
    assert_eq!(server.state.in_flight(), 0);
    still_detects(&server);
    server.shutdown().unwrap();
}

#[test]
fn the_upload_cap_answers_429_before_reading_and_spares_health() {
    let server = Server::start(
        ServeConfig {
            max_concurrency: 4,
            max_uploads: 2,
            body_timeout_s: 600,
            shutdown_timeout_s: 1,
            ..ServeConfig::default()
        },
        true,
    );
    let stalled: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr).unwrap();
            let head = upload_head(server.addr, "/v1/detect", 1000, false);
            stream.write_all(head.as_bytes()).unwrap();
            stream
        })
        .collect();
    wait_in_flight(&server, 2);
    let body = json!({"signal": signal(), "fs": 360.0});
    let r = post_json(&server, "/v1/detect", &body);
    assert_error(&r, 429, "busy");
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bodies"),
        "{}",
        r.text
    );
    assert_eq!(r.retry_after.as_deref(), Some("1"));
    assert_eq!(
        get(&server, "/health/ready").status,
        200,
        "health is not capped"
    );
    // The clients give up: their slots come back.
    drop(stalled);
    let start = std::time::Instant::now();
    let status = loop {
        let status = post_json(&server, "/v1/detect", &body).status;
        if status != 429 || start.elapsed() > Duration::from_secs(30) {
            break status;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status, 200);
    server.shutdown().unwrap();
}

#[test]
fn a_large_or_slow_request_head_is_refused() {
    let server = Server::start(
        ServeConfig {
            header_timeout_s: 1,
            ..ServeConfig::default()
        },
        true,
    );
    // A 200 KB header, over the 16 KiB limit: 431 (or the connection reset while the client
    // is still sending), never served.
    let big = format!(
        "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let (response, closed) = exchange(server.addr, big.as_bytes(), Duration::from_secs(10));
    println!(
        "200 KB header: {:?}, closed {closed}",
        response.lines().next()
    );
    assert!(
        response.starts_with("HTTP/1.1 431") || (response.is_empty() && closed),
        "{response:?}"
    );
    // A head over the limit but small enough to arrive whole: 431.
    let over = format!(
        "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(17 << 10)
    );
    let (response, _) = exchange(server.addr, over.as_bytes(), Duration::from_secs(10));
    assert!(response.starts_with("HTTP/1.1 431"), "{response:?}");
    // Just under the limit: served.
    let under = format!(
        "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
        "a".repeat(15 << 10)
    );
    let (response, _) = exchange(server.addr, under.as_bytes(), Duration::from_secs(10));
    assert!(response.starts_with("HTTP/1.1 200"), "{response:?}");
    // Half a head, then nothing; and a connection that sends nothing: both closed after the
    // 1 s header timeout.
    for request in [&b"GET /health/live HTTP/1.1\r\nHost: x\r\n"[..], b""] {
        let start = std::time::Instant::now();
        let (response, closed) = exchange(server.addr, request, Duration::from_secs(20));
        println!(
            "head {:?}: closed {closed} after {:?}",
            String::from_utf8_lossy(request),
            start.elapsed()
        );
        assert!(closed, "the server closes the connection: {response:?}");
        assert!(!response.starts_with("HTTP/1.1 200"), "{response:?}");
    }
    assert_eq!(get(&server, "/health/live").status, 200);
    server.shutdown().unwrap();
}

#[test]
fn shutdown_closes_a_stalled_upload_at_its_deadline() {
    let server = Server::start(
        ServeConfig {
            body_timeout_s: 600,
            shutdown_timeout_s: 2,
            ..ServeConfig::default()
        },
        true,
    );
    let mut stalled = TcpStream::connect(server.addr).unwrap();
    let head = upload_head(server.addr, "/v1/detect", 1000, true);
    stalled.write_all(head.as_bytes()).unwrap();
    wait_in_flight(&server, 1);
    let mut server = server;
    let start = std::time::Instant::now();
    let _ = server.stop.take().unwrap().send(());
    let thread = server.thread.take().unwrap();
    while !thread.is_finished() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server is still running 30 s after a shutdown with a 2 s deadline"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "shutdown with a stalled upload took {:?} (deadline 2 s)",
        start.elapsed()
    );
    thread.join().unwrap().unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "it waited for the request first"
    );
    let (_, closed) = read_until_closed(&mut stalled, Duration::from_secs(10));
    assert!(closed, "the stalled upload's connection is closed");
}

#[test]
fn a_stream_that_goes_silent_ends_with_body_timeout() {
    let server = Server::start(
        ServeConfig {
            body_timeout_s: 1,
            ..ServeConfig::default()
        },
        true,
    );
    let mut stream = open_stream(&server, 30);
    chunk(&mut stream, b"0.1\n0.2\n");
    // Then nothing: the stream ends with one error line.
    let start = std::time::Instant::now();
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    let mut last = None;
    while let Some(line) = next_line(&mut reader) {
        if line.starts_with('{') {
            last = Some(line);
        }
    }
    println!(
        "a silent stream ended {:?} after its last chunk: {last:?}",
        start.elapsed()
    );
    let last: Value = serde_json::from_str(&last.expect("an error line")).unwrap();
    assert_eq!(last["error"]["code"], "body_timeout", "{last}");
    server.shutdown().unwrap();
}

#[test]
fn an_edf_upload_is_judged_as_the_library_judges_its_samples() {
    let server = ready_server();
    let (digital, physical) = common::edf_writer::quantised(&signal());
    let bytes = common::edf_writer::edf_file(&[digital], 360, "ECG II", physical);
    let file = ecg_anomaly::data::edf::parse_edf(
        &bytes,
        std::path::Path::new("rec.edf"),
        &Default::default(),
    )
    .unwrap();
    let ecg = file.to_ecg(std::path::Path::new("rec.edf"), None).unwrap();
    assert_eq!(ecg.lead_names, ["II"]);
    let want = detector().detect_signal(&ecg.leads[0], ecg.fs).unwrap();
    let (ct, body) = multipart(&[("rec.edf", &bytes)]);
    let r = post(server, "/v1/detect", &ct, &body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["fs"], 360.0);
    assert_same_verdicts(&r.json["beats"], &want);

    // One EDF file alone: with a WFDB part beside it the upload is refused, naming both.
    let (ct, body) = multipart(&[("rec.edf", &bytes), ("rec.dat", b"\0\0")]);
    let r = post(server, "/v1/detect", &ct, &body);
    assert_error(&r, 422, "mixed_upload");
    assert!(
        r.text.contains("rec.edf") && r.text.contains("rec.dat"),
        "{}",
        r.text
    );
    // A damaged file is a 422 naming the field, never a 5xx.
    let (ct, body) = multipart(&[("rec.edf", &bytes[..300])]);
    let r = post(server, "/v1/detect", &ct, &body);
    assert_eq!(r.status, 422, "{}", r.text);
}

// ---- A detector fitted on several leads ----

const LEADS: [&str; 2] = ["MLII", "V1"];

/// A detector on leads MLII and V1: small, 3 epochs on 3 minutes of two synthetic leads at
/// 125 Hz (resampled to 180 Hz).
fn leads_detector() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        let config = DetectorConfig {
            leads: LEADS.map(String::from).to_vec(),
            ..common::small_detector_config(7)
        };
        let train = common::two_leads(125.0, 180.0, 21, LEADS);
        config.fit_ecg(&train, &default_device()).unwrap()
    })
}

fn leads_server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER
        .get_or_init(|| Server::start_with(ServeConfig::default(), Some(leads_detector().clone())))
}

/// `ecg` as a format-16 record `name` of its leads (gain 1000), one `.dat` of interleaved
/// samples.
fn record_of(name: &str, ecg: &Ecg) -> (String, Vec<u8>) {
    let digital: Vec<Vec<i16>> = ecg
        .leads
        .iter()
        .map(|l| l.iter().map(|v| (v * 1000.0).round() as i16).collect())
        .collect();
    let mut hea = format!("{name} {} {} {}\n", ecg.leads.len(), ecg.fs, ecg.len());
    for (d, lead) in digital.iter().zip(&ecg.lead_names) {
        let checksum = d.iter().fold(0u16, |a, &x| a.wrapping_add(x as u16)) as i16;
        hea.push_str(&format!("{name}.dat 16 1000 16 0 0 {checksum} 0 {lead}\n"));
    }
    let dat = (0..ecg.len())
        .flat_map(|t| digital.iter().flat_map(move |d| d[t].to_le_bytes()))
        .collect();
    (hea, dat)
}

/// The record the library reads from `hea` and `dat` (written to a scratch folder).
fn read_record(name: &str, hea: &str, dat: &[u8]) -> Ecg {
    let dir = common::scratch("server", name);
    std::fs::write(dir.join(format!("{name}.hea")), hea).unwrap();
    std::fs::write(dir.join(format!("{name}.dat")), dat).unwrap();
    let ecg = ecg_anomaly::data::wfdb::read_ecg(dir.join(name)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    ecg
}

fn error_message(r: &Reply) -> &str {
    r.json["error"]["message"].as_str().unwrap_or_default()
}

#[test]
fn a_two_lead_detector_judges_json_csv_and_records_as_detect_ecg_does() {
    let server = leads_server();
    let model = get(server, "/v1/model");
    assert_eq!(model.status, 200, "{}", model.text);
    assert_eq!(model.json["leads"], json!(LEADS));
    assert_eq!(model.json["channels"], 2);
    // The one-lead server lists none.
    assert_eq!(get(ready_server(), "/v1/model").json["leads"], json!([]));

    let ecg = common::two_leads(360.0, 30.0, 31, LEADS);
    let want = leads_detector().detect_ecg(&ecg).unwrap();
    assert!(want.len() >= 25, "30 s hold about 36 beats: {}", want.len());
    // JSON, the leads in another order than the detector's: picked by name.
    let body = json!({"leads": {"V1": ecg.leads[1], "MLII": ecg.leads[0]}, "fs": 360.0});
    let r = post_json(server, "/v1/detect?include=signal", &body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_same_verdicts(&r.json["beats"], &want);
    assert_eq!(r.json["model"]["leads"], json!(LEADS));
    assert_eq!(
        r.json["signal"]["lead"], "MLII",
        "the first lead, where positions point"
    );
    assert_eq!(floats(&r.json["signal"]["values"]), ecg.leads[0]);

    // What the model saw and rebuilt, channels averaged, with the same verdicts.
    let r = post_json(server, "/v1/detect?include=reconstruction", &body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_same_verdicts(&r.json["beats"], &want);
    let seq = leads_detector().metadata().seq;
    assert_eq!(floats(&r.json["beats"][0]["reconstruction"]).len(), seq);

    // CSV: the columns named as the detector's leads, extra columns ignored.
    let mut csv = String::from("time,V1,MLII\n");
    for t in 0..ecg.len() {
        csv.push_str(&format!("{t},{},{}\n", ecg.leads[1][t], ecg.leads[0][t]));
    }
    let r = post(server, "/v1/detect?fs=360", "text/csv", csv.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text);
    assert_same_verdicts(&r.json["beats"], &want);

    // A two-signal WFDB record with one annotation (N) at the first beat: judged as the
    // library judges the record it reads, the first beat labelled.
    let (hea, dat) = record_of("two", &ecg);
    let read = read_record("two", &hea, &dat);
    let want = leads_detector().detect_ecg(&read).unwrap();
    let first = want[0].position.unwrap();
    let atr = [&annotation(first, 1)[..], &[0, 0]].concat();
    let (ct, upload) = multipart(&[
        ("two.hea", hea.as_bytes()),
        ("two.dat", &dat),
        ("two.atr", &atr),
    ]);
    let r = post(server, "/v1/detect?include=signal", &ct, &upload);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_same_verdicts(&r.json["beats"], &want);
    assert_eq!(r.json["fs"], 360.0);
    assert_eq!(r.json["beats"][0]["label"], "N");
    assert_eq!(r.json["beats"][1]["label"], Value::Null);
    assert_eq!(floats(&r.json["signal"]["values"]), read.leads[0]);

    // Beats of both channels, time-major, judged as the library judges them.
    let processed = leads_detector()
        .pipeline()
        .run_leads(&[ecg.leads[0].as_slice(), &ecg.leads[1]], 360.0)
        .unwrap();
    let beats: Vec<Vec<f32>> = (0..3).map(|i| processed.window(i).unwrap()).collect();
    let r = post_json(server, "/v1/detect", &json!({"beats": beats}));
    assert_eq!(r.status, 200, "{}", r.text);
    let flat: Vec<f32> = beats.concat();
    assert_same_verdicts(
        &r.json["beats"],
        &leads_detector().detect_beats(&flat).unwrap(),
    );
}

#[test]
fn a_missing_lead_or_one_lead_alone_is_a_422_naming_the_leads() {
    let server = leads_server();
    let ecg = common::two_leads(360.0, 20.0, 32, ["MLII", "V5"]);
    let names = |r: &Reply, parts: &[&str]| {
        let m = error_message(r);
        assert!(parts.iter().all(|p| m.contains(p)), "{parts:?} in {m}");
    };
    // A record without V1: the missing lead and the record's leads are named.
    let (hea, dat) = record_of("five", &ecg);
    let (ct, upload) = multipart(&[("five.hea", hea.as_bytes()), ("five.dat", &dat)]);
    let r = post(server, "/v1/detect", &ct, &upload);
    assert_error(&r, 422, "bad_leads");
    names(&r, &["\"V1\"", "MLII, V5", "this detector takes MLII, V1"]);
    assert!(!r.text.contains("/tmp"), "no server path: {}", r.text);
    let body = json!({"leads": {"MLII": ecg.leads[0], "V5": ecg.leads[1]}, "fs": 360.0});
    let r = post_json(server, "/v1/detect", &body);
    assert_error(&r, 422, "bad_leads");
    names(&r, &["\"V1\"", "MLII, V5"]);
    let r = post(
        server,
        "/v1/detect?fs=360",
        "text/csv",
        b"MLII,V5\n0.1,0.2\n0.3,0.4\n",
    );
    assert_error(&r, 422, "parse_error");
    names(&r, &["\"V1\"", "MLII, V5"]);

    // One lead, in JSON or KServe: which leads the detector takes.
    let one = json!({"signal": ecg.leads[0], "fs": 360.0});
    let r = post_json(server, "/v1/detect", &one);
    assert_error(&r, 422, "leads_required");
    names(&r, &["MLII, V1", "\"leads\""]);
    let infer = json!({"inputs": [{"name": "signal", "shape": [100], "datatype": "FP32",
        "data": vec![0.0; 100], "parameters": {"fs": 360.0}}]});
    let r = post_json(server, "/v2/models/ecg-anomaly/infer", &infer);
    assert_error(&r, 422, "leads_required");
    names(&r, &["MLII, V1"]);
    // A one-lead choice makes no sense here.
    let r = post(
        server,
        "/v1/detect?fs=360&lead=MLII",
        "text/csv",
        b"MLII,V1\n1,2\n",
    );
    assert_error(&r, 422, "bad_query");
    names(&r, &["MLII, V1"]);

    // Leads checked: one length, each non-empty and within the server's length; a name once.
    let short = json!({"leads": {"MLII": ecg.leads[0], "V1": ecg.leads[1][..100]}, "fs": 360.0});
    assert_error(&post_json(server, "/v1/detect", &short), 422, "bad_leads");
    let empty = json!({"leads": {"MLII": [], "V1": []}, "fs": 360.0});
    let r = post_json(server, "/v1/detect", &empty);
    assert_error(&r, 422, "empty_signal");
    names(&r, &["\"MLII\""]);
    let none = json!({"leads": {}, "fs": 360.0});
    assert_error(&post_json(server, "/v1/detect", &none), 422, "empty_signal");
    let no_fs = json!({"leads": {"MLII": [0.0], "V1": [0.0]}});
    assert_error(&post_json(server, "/v1/detect", &no_fs), 400, "missing_fs");
    let twice = br#"{"leads": {"MLII": [0.1], "MLII": [0.2]}, "fs": 360}"#;
    let r = post(server, "/v1/detect", "application/json", twice);
    assert_error(&r, 400, "bad_json");
    names(&r, &["\"MLII\" is given twice"]);
    let many: serde_json::Map<String, Value> =
        (0..65).map(|i| (format!("L{i}"), json!([0.0]))).collect();
    let r = post_json(server, "/v1/detect", &json!({"leads": many, "fs": 360.0}));
    assert_error(&r, 400, "bad_json");
    let long = vec![0.0f32; 4 * 360];
    let limited = Server::start_with(
        ServeConfig {
            max_signal_seconds: 2.0,
            ..ServeConfig::default()
        },
        Some(leads_detector().clone()),
    );
    let body = json!({"leads": {"MLII": long, "V1": long}, "fs": 360.0});
    assert_error(
        &post_json(&limited, "/v1/detect", &body),
        413,
        "signal_too_long",
    );
    limited.shutdown().unwrap();

    // The server goes on serving.
    let good = common::two_leads(360.0, 10.0, 33, LEADS);
    let body = json!({"leads": {"MLII": good.leads[0], "V1": good.leads[1]}, "fs": 360.0});
    let r = post_json(server, "/v1/detect", &body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_same_verdicts(
        &r.json["beats"],
        &leads_detector().detect_ecg(&good).unwrap(),
    );
}

#[test]
fn a_two_lead_stream_answers_each_beat_as_detect_ecg_judges_it() {
    let server = leads_server();
    let ecg = common::two_leads(360.0, 60.0, 34, LEADS);
    let offline = leads_detector().detect_ecg(&ecg).unwrap();
    let mut stream = open_stream(server, 60);
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    // A header naming the columns (in another order), then one line per instant, sent in
    // pieces that cut lines.
    let mut text = String::from("V1,MLII\n");
    for t in 0..ecg.len() {
        text.push_str(&format!("{},{}\n", ecg.leads[1][t], ecg.leads[0][t]));
    }
    for piece in text.as_bytes().chunks(50_001) {
        chunk(&mut stream, piece);
    }
    stream.write_all(b"0\r\n\r\n").unwrap();
    use std::io::BufRead;
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let mut beats: Vec<Value> = Vec::new();
    while let Some(line) = next_line(&mut reader) {
        if line.starts_with('{') {
            beats.push(serde_json::from_str(&line).unwrap());
        }
    }
    assert!(beats.iter().all(|b| b.get("error").is_none()), "{beats:?}");
    assert!(
        beats.len() + 1 >= offline.len() && beats.len() <= offline.len() + 1,
        "{} streamed, {} offline",
        beats.len(),
        offline.len()
    );
    let mut matched = 0;
    for b in &beats {
        let p = b["position"].as_u64().unwrap() as usize;
        let Some(v) = offline
            .iter()
            .find(|v| v.position.unwrap().abs_diff(p) <= 1)
        else {
            continue;
        };
        matched += 1;
        let score = b["model_score"].as_f64().unwrap();
        assert!(
            (score - v.model_score).abs() <= 2e-3 * v.model_score,
            "{b} vs {v:?}"
        );
    }
    assert!(
        matched + 1 >= offline.len(),
        "{matched} of {}",
        offline.len()
    );

    // A line of one value ends the stream with an error line naming it.
    let head = format!(
        "POST /v1/stream?fs=360 HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        server.addr
    );
    let body = "0.1,0.2\n0.3\n";
    let request = format!("{head}{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
    let (response, _) = exchange(server.addr, request.as_bytes(), Duration::from_secs(60));
    assert!(response.contains("\"bad_samples\""), "{response}");
    assert!(response.contains("line 2: 1 values"), "{response}");
    assert_eq!(get(server, "/health/ready").status, 200, "still serving");
}

/// MIT-BIH 101 (MLII, V1) uploaded with its annotations to the two-lead detector: every beat
/// the library finds, at its positions, labelled; 100 (MLII, V5) is refused naming V1.
#[test]
fn mitbih_101_is_judged_on_mlii_and_v1_and_100_lacks_v1() {
    let Some(mitdb) = common::mitdb_dir("mitbih_101_is_judged_on_mlii_and_v1_and_100_lacks_v1")
    else {
        return;
    };
    let server = leads_server();
    let file = |name: &str| std::fs::read(mitdb.join(name)).unwrap();
    let (hea, dat, atr) = (file("101.hea"), file("101.dat"), file("101.atr"));
    let (ct, body) = multipart(&[("101.hea", &hea), ("101.dat", &dat), ("101.atr", &atr)]);
    let r = post(server, "/v1/detect", &ct, &body);
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(500)]);
    let record = ecg_anomaly::data::wfdb::read_ecg(mitdb.join("101")).unwrap();
    let want = leads_detector().detect_ecg(&record).unwrap();
    assert_same_verdicts(&r.json["beats"], &want);
    let beats = r.json["beats"].as_array().unwrap();
    // Record 101 has 1865 beats in its 30 minutes.
    assert!(
        (1840..=1900).contains(&beats.len()),
        "{} beats",
        beats.len()
    );
    let labelled = beats.iter().filter(|b| b["label"] == "N").count();
    eprintln!("record 101: {} beats, {labelled} labelled N", beats.len());
    assert!(labelled >= 1830, "{labelled} labelled N");

    let (hea, dat) = (file("100.hea"), file("100.dat"));
    let (ct, body) = multipart(&[("100.hea", &hea), ("100.dat", &dat)]);
    let r = post(server, "/v1/detect", &ct, &body);
    assert_error(&r, 422, "bad_leads");
    let m = error_message(&r);
    assert!(m.contains("\"V1\"") && m.contains("MLII, V5"), "{m}");
}
