"""Unsupervised detection of abnormal heartbeats in ECG signals.

The engine is the Rust crate ``ecg-anomaly`` (models on Burn); this package hands it NumPy
arrays and gets NumPy arrays back::

    import ecg_anomaly as ea

    detector = ea.fit_signal(signal, fs=360.0)           # one lead, mostly normal beats
    verdicts = detector.detect_signal(new_signal, fs=360.0)
    pandas.DataFrame(verdicts)                           # index, position, score, ..., anomaly

A detector saved here loads in Rust, the ``ecg-anomaly`` command line and its HTTP server, and
the other way round. Every error from the engine is raised as :class:`EcgAnomalyError` with the
engine's message (what was wrong and where). Fitting, judging and reading release the GIL.
"""

from ._native import (
    Detector,
    DetectorConfig,
    Ecg,
    EcgAnomalyError,
    __version__,
    devices,
    fit_signal,
    read_ecg,
    synthetic_ecg,
)

__all__ = [
    "Detector",
    "DetectorConfig",
    "Ecg",
    "EcgAnomalyError",
    "__version__",
    "devices",
    "fit_signal",
    "read_ecg",
    "synthetic_ecg",
]
