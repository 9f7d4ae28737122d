//! The `ecg_anomaly._native` extension module: the crate's configuration, fitting, saved
//! detectors, readers and synthetic ECG, for NumPy users.
//!
//! Every crate error becomes `ecg_anomaly.EcgAnomalyError` carrying the crate's message (what
//! was wrong and where). Long work (fitting, judging, reading) runs with the GIL released, so
//! other Python threads go on. Signals come in as any 1-D array-like of real numbers (float64,
//! int16, lists, strided views): they are converted once to contiguous float32, the crate's
//! sample type.

use std::path::PathBuf;

use ecg_anomaly::data::synthetic::{SyntheticConfig, generate};
use ecg_anomaly::detector::{Detector, DetectorConfig, Verdict};
use ecg_anomaly::prelude::{Device, DeviceChoice, Ecg};
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

create_exception!(
    ecg_anomaly,
    EcgAnomalyError,
    PyException,
    "An error from ecg-anomaly. Its message is the library's: what was wrong and where \
     (the file and byte, the sample, the setting and its range)."
);

/// The crate's error as the Python exception.
fn raise(error: ecg_anomaly::Error) -> PyErr {
    EcgAnomalyError::new_err(error.to_string())
}

/// `signal` as contiguous float32 samples: a 1-D array-like of real numbers.
fn samples<'py>(
    py: Python<'py>,
    signal: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<PyReadonlyArray1<'py, f32>> {
    let numpy = py.import("numpy")?;
    let array = numpy.call_method1("asarray", (signal,))?;
    let dtype = array.getattr("dtype")?;
    let kind: String = dtype.getattr("kind")?.extract()?;
    if !matches!(kind.as_str(), "i" | "u" | "f") {
        let msg = format!(
            "{name}: expected real numbers, got an array of dtype {}",
            dtype.str()?
        );
        return Err(PyTypeError::new_err(msg));
    }
    let ndim: usize = array.getattr("ndim")?.extract()?;
    if ndim != 1 {
        let msg = format!(
            "{name}: expected one lead (a 1-D array), got {ndim} dimensions; \
             several leads go in an Ecg(signals[leads, samples], fs, lead_names)"
        );
        return Err(PyValueError::new_err(msg));
    }
    let array = numpy.call_method1("ascontiguousarray", (array, "float32"))?;
    array.extract()
}

/// The device called `name` (`"flex"` when none): `flex`/`cpu`, `ndarray`, `wgpu`, ...
fn device(name: Option<&str>) -> PyResult<Device> {
    let choice: DeviceChoice = name.unwrap_or("flex").parse().map_err(raise)?;
    choice.device().map_err(raise)
}

/// `value` (a dict, a JSON string or None) as JSON text.
fn json_text(py: Python<'_>, value: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    match value {
        None => Ok("{}".into()),
        Some(text) if text.is_instance_of::<PyString>() => text.extract(),
        Some(dict) if dict.is_instance_of::<PyDict>() => {
            py.import("json")?.call_method1("dumps", (dict,))?.extract()
        }
        Some(other) => Err(PyTypeError::new_err(format!(
            "expected a dict or a JSON string, got {}",
            other.get_type().name()?
        ))),
    }
}

/// JSON text as Python values (dicts, lists, numbers, strings).
fn json_value<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// The settings of a detector: the beat pipeline, the model, training, the score, its context
/// and the threshold. `DetectorConfig()` is the library's default, the configuration the
/// MIT-BIH design study chose (ConvVae, 160-sample beats at 180 Hz, shape and rhythm against
/// the recording's median beat, 95th percentile of held-out normal beats).
///
/// Build one from a dict or a JSON string in the crate's format: missing fields take their
/// defaults, an unknown field at any depth (a typo) raises, every value is range-checked.
/// Example: `DetectorConfig({"training": {"epochs": 20, "seed": 7, "quiet": True}})`.
#[pyclass(name = "DetectorConfig", module = "ecg_anomaly", frozen)]
struct PyDetectorConfig {
    inner: DetectorConfig,
}

#[pymethods]
impl PyDetectorConfig {
    #[new]
    #[pyo3(signature = (settings = None))]
    fn new(py: Python<'_>, settings: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let text = json_text(py, settings)?;
        let inner = DetectorConfig::from_json(&text).map_err(raise)?;
        Ok(Self { inner })
    }

    /// Reads a configuration saved as JSON (the CLI's `--config` file).
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        let inner = DetectorConfig::load_json(path).map_err(raise)?;
        Ok(Self { inner })
    }

    /// Writes the configuration as JSON.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        self.inner.save_json(path).map_err(raise)
    }

    /// Every setting as a dict (the crate's JSON format).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_value(py, &self.to_json()?)
    }

    /// Every setting as JSON text.
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&self.inner).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Fits a detector on one raw lead sampled at `fs` Hz whose beats are mostly normal: finds
    /// and cleans its beats, trains the model, sets the threshold on held-out normal beats.
    #[pyo3(signature = (signal, fs, device = None))]
    fn fit_signal(
        &self,
        py: Python<'_>,
        signal: &Bound<'_, PyAny>,
        fs: f64,
        device: Option<&str>,
    ) -> PyResult<PyDetector> {
        let signal = samples(py, signal, "signal")?;
        let (signal, device) = (signal.as_slice()?, self::device(device)?);
        let inner = py
            .detach(|| self.inner.fit_signal(signal, fs, &device))
            .map_err(raise)?;
        Ok(PyDetector {
            inner: Box::new(inner),
        })
    }

    /// Fits a detector on a record: its configured `leads` (several channels), else its `lead`
    /// or its first lead.
    #[pyo3(signature = (ecg, device = None))]
    fn fit_ecg(&self, py: Python<'_>, ecg: &PyEcg, device: Option<&str>) -> PyResult<PyDetector> {
        let device = self::device(device)?;
        let inner = py
            .detach(|| self.inner.fit_ecg(&ecg.inner, &device))
            .map_err(raise)?;
        Ok(PyDetector {
            inner: Box::new(inner),
        })
    }

    /// Fits a detector on the beats of several records (e.g. one per patient).
    #[pyo3(signature = (ecgs, device = None))]
    fn fit_ecgs(
        &self,
        py: Python<'_>,
        ecgs: Vec<PyRef<'_, PyEcg>>,
        device: Option<&str>,
    ) -> PyResult<PyDetector> {
        let records: Vec<Ecg> = ecgs.iter().map(|e| e.inner.clone()).collect();
        let device = self::device(device)?;
        let inner = py
            .detach(|| self.inner.fit_ecgs(&records, &device))
            .map_err(raise)?;
        Ok(PyDetector {
            inner: Box::new(inner),
        })
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner == other.inner
    }

    fn __repr__(&self) -> PyResult<String> {
        let text =
            serde_json::to_string(&self.inner).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(format!("DetectorConfig({text})"))
    }
}

/// A fitted detector: the model, its normaliser, score, context, calibration and threshold.
/// Save it to a folder and load it anywhere (Rust, the CLI, the server, Python).
#[pyclass(name = "Detector", module = "ecg_anomaly", frozen)]
struct PyDetector {
    /// Boxed: `Detector` is aligned to 64 bytes (its buffer pools) and Python's allocator gives
    /// a class object 16, so it cannot live in the object itself.
    inner: Box<Detector>,
}

#[pymethods]
impl PyDetector {
    /// Loads a detector folder written by `save` (or by the CLI's `train`); every file is
    /// checked.
    #[staticmethod]
    #[pyo3(signature = (path, device = None))]
    fn load(py: Python<'_>, path: PathBuf, device: Option<&str>) -> PyResult<Self> {
        let device = self::device(device)?;
        let inner = py.detach(|| Detector::load(path, &device)).map_err(raise)?;
        Ok(Self {
            inner: Box::new(inner),
        })
    }

    /// Writes the detector to folder `path` (created if needed).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.inner.save(path)).map_err(raise)
    }

    /// Judges every beat of one raw lead sampled at `fs` Hz, prepared as the training beats
    /// were. Returns a dict of equal-length NumPy columns (`pandas.DataFrame(result)` takes it
    /// as is): `index`, `position` (the R-peak's sample), `score`, `model_score`,
    /// `calibrated` (0..1 among held-out normal beats), `anomaly`, `usable`.
    fn detect_signal<'py>(
        &self,
        py: Python<'py>,
        signal: &Bound<'py, PyAny>,
        fs: f64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let signal = samples(py, signal, "signal")?;
        let signal = signal.as_slice()?;
        let verdicts = py
            .detach(|| self.inner.detect_signal(signal, fs))
            .map_err(raise)?;
        columns(py, &verdicts)
    }

    /// Judges a record on the leads the detector was fitted on; the same columns as
    /// `detect_signal`.
    fn detect_ecg<'py>(&self, py: Python<'py>, ecg: &PyEcg) -> PyResult<Bound<'py, PyDict>> {
        let verdicts = py
            .detach(|| self.inner.detect_ecg(&ecg.inner))
            .map_err(raise)?;
        columns(py, &verdicts)
    }

    /// What the detector was trained on (`metadata.json`): model kind, window, rate, leads,
    /// seed, training and held-out windows, versions.
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = serde_json::to_string(self.inner.metadata())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        json_value(py, &text)
    }

    /// The configuration it was fitted with.
    #[getter]
    fn config(&self) -> PyDetectorConfig {
        PyDetectorConfig {
            inner: self.inner.config().clone(),
        }
    }

    /// The score above which a beat is flagged.
    #[getter]
    fn threshold(&self) -> f64 {
        self.inner.threshold().value
    }

    fn __repr__(&self) -> String {
        let meta = self.inner.metadata();
        format!(
            "Detector({:?}, {} x {} windows, threshold {:.4})",
            meta.model_kind,
            meta.seq,
            meta.channels,
            self.inner.threshold().value
        )
    }
}

/// Verdicts as NumPy columns; `position` is -1 where unknown.
fn columns<'py>(py: Python<'py>, verdicts: &[Verdict]) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let ints = |f: fn(&Verdict) -> i64| verdicts.iter().map(f).collect::<Vec<i64>>();
    let floats = |f: fn(&Verdict) -> f64| verdicts.iter().map(f).collect::<Vec<f64>>();
    let flags = |f: fn(&Verdict) -> bool| verdicts.iter().map(f).collect::<Vec<bool>>();
    out.set_item("index", ints(|v| v.index as i64).into_pyarray(py))?;
    let position = |v: &Verdict| v.position.map_or(-1, |p| p as i64);
    out.set_item("position", ints(position).into_pyarray(py))?;
    out.set_item("score", floats(|v| v.score).into_pyarray(py))?;
    out.set_item("model_score", floats(|v| v.model_score).into_pyarray(py))?;
    out.set_item("calibrated", floats(|v| v.calibrated).into_pyarray(py))?;
    out.set_item("anomaly", flags(|v| v.anomaly).into_pyarray(py))?;
    out.set_item("usable", flags(|v| v.usable).into_pyarray(py))?;
    Ok(out)
}

/// A record: one or more leads sampled at `fs` Hz, each with a name (`MLII`, `V1`, ...).
///
/// `Ecg(signals, fs, lead_names=None)`: `signals` is one lead (1-D) or several
/// (`[leads, samples]`); names default to `lead1`, `lead2`, ...
#[pyclass(name = "Ecg", module = "ecg_anomaly", frozen)]
struct PyEcg {
    inner: Ecg,
}

#[pymethods]
impl PyEcg {
    #[new]
    #[pyo3(signature = (signals, fs, lead_names = None))]
    fn new(
        py: Python<'_>,
        signals: &Bound<'_, PyAny>,
        fs: f64,
        lead_names: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let numpy = py.import("numpy")?;
        let array = numpy.call_method1("asarray", (signals,))?;
        let ndim: usize = array.getattr("ndim")?.extract()?;
        let rows: Vec<Bound<'_, PyAny>> = match ndim {
            1 => vec![array],
            2 => array.try_iter()?.collect::<PyResult<_>>()?,
            _ => {
                let msg = format!("signals: expected 1 or 2 dimensions, got {ndim}");
                return Err(PyValueError::new_err(msg));
            }
        };
        let mut leads = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            leads.push(
                samples(py, row, &format!("signals[{i}]"))?
                    .as_slice()?
                    .to_vec(),
            );
        }
        let names =
            lead_names.unwrap_or_else(|| (1..=leads.len()).map(|i| format!("lead{i}")).collect());
        let inner = Ecg::new(fs, names, leads).map_err(raise)?;
        Ok(Self { inner })
    }

    /// Sampling rate in Hz.
    #[getter]
    fn fs(&self) -> f64 {
        self.inner.fs
    }

    /// One name per lead, in the order of `signals`.
    #[getter]
    fn lead_names(&self) -> Vec<String> {
        self.inner.lead_names.clone()
    }

    /// The samples as a float32 array `[leads, samples]` (a copy).
    #[getter]
    fn signals<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        PyArray2::from_vec2(py, &self.inner.leads).map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The samples of the lead called `name` (1-D float32, a copy).
    fn lead<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.inner.lead(name) {
            Some(lead) => Ok(lead.to_vec().into_pyarray(py).into_any()),
            None => Err(EcgAnomalyError::new_err(format!(
                "no lead named {name:?}; the record has {}",
                self.inner.lead_names.join(", ")
            ))),
        }
    }

    /// Duration in seconds.
    #[getter]
    fn duration_s(&self) -> f64 {
        self.inner.duration_s()
    }

    /// Samples per lead.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "Ecg({} at {} Hz, {:.1} s)",
            self.inner.lead_names.join(", "),
            self.inner.fs,
            self.inner.duration_s()
        )
    }
}

/// Reads a record by its extension: EDF, EDF+ or BDF (`.edf`, `.bdf`: every ECG lead, in
/// mV), else a WFDB record (its path without extension, or its `.hea`). Untrusted files are
/// read under the crate's limits; a damaged one raises naming the byte and field.
#[pyfunction]
fn read_ecg(py: Python<'_>, path: PathBuf) -> PyResult<PyEcg> {
    let inner = py
        .detach(|| ecg_anomaly::data::read_ecg(path))
        .map_err(raise)?;
    Ok(PyEcg { inner })
}

/// Fits a detector on one raw lead sampled at `fs` Hz: `DetectorConfig(config).fit_signal`.
#[pyfunction]
#[pyo3(signature = (signal, fs, config = None, device = None))]
fn fit_signal(
    py: Python<'_>,
    signal: &Bound<'_, PyAny>,
    fs: f64,
    config: Option<&Bound<'_, PyAny>>,
    device: Option<&str>,
) -> PyResult<PyDetector> {
    let config = match config {
        Some(c) if c.is_instance_of::<PyDetectorConfig>() => {
            c.extract::<PyRef<'_, PyDetectorConfig>>()?.inner.clone()
        }
        other => PyDetectorConfig::new(py, other)?.inner,
    };
    PyDetectorConfig { inner: config }.fit_signal(py, signal, fs, device)
}

/// A labelled synthetic ECG (the crate's generator): returns `(ecg, beats)` where `beats`
/// holds NumPy columns `r_peak` (sample), `symbol` (AAMI class: N, S, V, F, Q) and `anomaly`.
/// `settings` (dict or JSON) as the crate's `SyntheticConfig`: `fs` (default 360),
/// `length` (`{"Seconds": 60.0}` or `{"Beats": 500}`), `anomaly_rate` (0.05), `seed` (0), ...
#[pyfunction]
#[pyo3(signature = (settings = None))]
fn synthetic_ecg<'py>(
    py: Python<'py>,
    settings: Option<&Bound<'py, PyAny>>,
) -> PyResult<(PyEcg, Bound<'py, PyDict>)> {
    let config = synthetic_config(&json_text(py, settings)?)
        .map_err(|e| EcgAnomalyError::new_err(format!("invalid synthetic settings: {e}")))?;
    let record = py.detach(|| generate(&config)).map_err(raise)?;
    let beats = PyDict::new(py);
    let r_peak: Vec<i64> = record.beats.iter().map(|b| b.r_peak as i64).collect();
    let symbol: Vec<String> = record
        .beats
        .iter()
        .map(|b| b.kind.aami_symbol().to_string())
        .collect();
    let anomaly: Vec<bool> = record.beats.iter().map(|b| b.is_anomaly()).collect();
    beats.set_item("r_peak", r_peak.into_pyarray(py))?;
    beats.set_item("symbol", PyList::new(py, symbol)?)?;
    beats.set_item("anomaly", anomaly.into_pyarray(py))?;
    Ok((PyEcg { inner: record.ecg }, beats))
}

/// The default `SyntheticConfig` with the fields named in JSON object `text` replaced; a name
/// it does not have is an error.
fn synthetic_config(text: &str) -> Result<SyntheticConfig, String> {
    let given: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let serde_json::Value::Object(given) = given else {
        return Err("expected a JSON object".into());
    };
    let mut config = serde_json::to_value(SyntheticConfig::default()).map_err(|e| e.to_string())?;
    for (key, value) in given {
        match config.get_mut(&key) {
            Some(slot) => *slot = value,
            None => return Err(format!("unknown field `{key}`")),
        }
    }
    serde_json::from_value(config).map_err(|e| e.to_string())
}

/// The devices this build can run models on (`flex` always; `wgpu` when built with it).
#[pyfunction]
fn devices() -> Vec<&'static str> {
    DeviceChoice::compiled()
}

/// Native half of the `ecg_anomaly` package (import `ecg_anomaly`, not this).
#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("EcgAnomalyError", py.get_type::<EcgAnomalyError>())?;
    module.add_class::<PyDetectorConfig>()?;
    module.add_class::<PyDetector>()?;
    module.add_class::<PyEcg>()?;
    module.add_function(wrap_pyfunction!(read_ecg, module)?)?;
    module.add_function(wrap_pyfunction!(fit_signal, module)?)?;
    module.add_function(wrap_pyfunction!(synthetic_ecg, module)?)?;
    module.add_function(wrap_pyfunction!(devices, module)?)?;
    Ok(())
}
