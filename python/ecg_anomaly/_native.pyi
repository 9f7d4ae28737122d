"""Type stubs of the Rust extension module (python/src/lib.rs)."""

from os import PathLike
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Path = Union[str, PathLike[str]]
_Settings = Union[Mapping[str, Any], str, None]
_Signal = npt.ArrayLike
_Columns = Dict[str, np.ndarray]

class EcgAnomalyError(Exception):
    """An error from ecg-anomaly; its message names what was wrong and where."""

class DetectorConfig:
    """The settings of a detector (pipeline, model, training, score, context, threshold).

    ``DetectorConfig()`` is the library's default. A dict or JSON string in the crate's format
    overrides fields; an unknown field at any depth raises ``EcgAnomalyError``.
    """

    def __init__(self, settings: _Settings = None) -> None: ...
    @staticmethod
    def load(path: _Path) -> DetectorConfig: ...
    def save(self, path: _Path) -> None: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str: ...
    def fit_signal(self, signal: _Signal, fs: float, device: Optional[str] = None) -> Detector:
        """Fits on one raw lead (1-D, any real dtype) sampled at ``fs`` Hz."""
    def fit_ecg(self, ecg: Ecg, device: Optional[str] = None) -> Detector:
        """Fits on a record's configured ``leads`` (or its ``lead``, or its first lead)."""
    def fit_ecgs(self, ecgs: Sequence[Ecg], device: Optional[str] = None) -> Detector:
        """Fits on the beats of several records."""

class Detector:
    """A fitted detector; save it to a folder, load it in Python, Rust, the CLI or the server."""

    @staticmethod
    def load(path: _Path, device: Optional[str] = None) -> Detector: ...
    def save(self, path: _Path) -> None: ...
    def detect_signal(self, signal: _Signal, fs: float) -> _Columns:
        """Judges every beat of one lead.

        Returns equal-length columns: ``index`` (int64), ``position`` (int64, the R-peak's
        sample), ``score``, ``model_score``, ``calibrated`` (float64), ``anomaly``, ``usable``
        (bool). ``pandas.DataFrame(result)`` takes it as is.
        """
    def detect_ecg(self, ecg: Ecg) -> _Columns:
        """Judges a record on the leads the detector was fitted on (same columns)."""
    @property
    def metadata(self) -> Dict[str, Any]: ...
    @property
    def config(self) -> DetectorConfig: ...
    @property
    def threshold(self) -> float: ...

class Ecg:
    """A record: leads ``[leads, samples]`` (or one lead, 1-D) sampled at ``fs`` Hz."""

    def __init__(
        self, signals: _Signal, fs: float, lead_names: Optional[Sequence[str]] = None
    ) -> None: ...
    @property
    def fs(self) -> float: ...
    @property
    def lead_names(self) -> List[str]: ...
    @property
    def signals(self) -> npt.NDArray[np.float32]: ...
    @property
    def duration_s(self) -> float: ...
    def lead(self, name: str) -> npt.NDArray[np.float32]: ...
    def __len__(self) -> int: ...

def read_ecg(path: _Path) -> Ecg:
    """Reads an EDF/EDF+/BDF file (by extension) or a WFDB record."""

def fit_signal(
    signal: _Signal,
    fs: float,
    config: Union[DetectorConfig, Mapping[str, Any], str, None] = None,
    device: Optional[str] = None,
) -> Detector:
    """``DetectorConfig(config).fit_signal(signal, fs, device)``."""

def synthetic_ecg(settings: _Settings = None) -> Tuple[Ecg, Dict[str, Any]]:
    """A labelled synthetic ECG and its beats (``r_peak``, ``symbol``, ``anomaly``)."""

def devices() -> List[str]:
    """The devices this build can run models on."""
