#!/usr/bin/env python3
"""Writes the EDF/EDF+/BDF known-answer files of tests/it/edf.rs with an independent writer.

pyedflib (EDFlib's C writer) writes the EDF, EDF+C and BDF files; pyedflib cannot write a
discontinuous EDF+D file, so that one is written here byte by byte from the EDF+ specification
(edfplus.info, sections 2.1 and 2.2.4). Each file then is read back with pyedflib's reader, and
what it reads (labels, rates, units, the first samples, the annotations) goes to expected.json,
which the Rust tests compare with. The samples are deterministic sums of sines, so the tests can
also check every sample against the formula within one quantisation step.

    python3 -m venv /tmp/edfvenv && /tmp/edfvenv/bin/pip install pyedflib numpy
    /tmp/edfvenv/bin/python tests/data/edf/make_edf.py

Made with pyedflib 0.1.42 and numpy 2.4.6; the files are committed (a few KiB each), so the
tests need no Python.
"""

import datetime
import json
import os
import struct

import numpy as np
import pyedflib

HERE = os.path.dirname(os.path.abspath(__file__))
START = datetime.datetime(2020, 1, 2, 3, 4, 5)


def wave(fs, seconds, amplitude, freq, offset=0.0):
    """amplitude * sin(2 pi freq t) + 0.25 amplitude * sin(2 pi 7 freq t) + offset, t = n / fs."""
    t = np.arange(int(round(fs * seconds))) / fs
    return (
        amplitude * np.sin(2 * np.pi * freq * t)
        + 0.25 * amplitude * np.sin(2 * np.pi * 7 * freq * t)
        + offset
    )


def header(label, unit, fs, pmin, pmax, dmin, dmax):
    return {
        "label": label,
        "dimension": unit,
        "sample_frequency": fs,
        "physical_min": pmin,
        "physical_max": pmax,
        "digital_min": dmin,
        "digital_max": dmax,
        "transducer": "AgAgCl electrode" if "ECG" in label or "EKG" in label else "",
        "prefilter": "HP:0.05Hz",
    }


# (file name, pyedflib file type, seconds, [(header, wave args)], annotations)
FILES = [
    (
        "two_rates.edf",
        pyedflib.FILETYPE_EDF,
        4,
        [
            (header("ECG II", "mV", 250, -5.0, 5.0, -32768, 32767), (1.0, 1.2)),
            (header("Resp", "mV", 25, -2.0, 2.0, -2048, 2047), (0.5, 0.25)),
        ],
        [],
    ),
    (
        "annotated.edf",
        pyedflib.FILETYPE_EDFPLUS,
        3,
        [
            (header("EKG", "uV", 200, -3000.0, 3000.0, -32768, 32767), (800.0, 1.0, 50.0)),
            (header("ECG V1", "uV", 200, -3000.0, 3000.0, -32768, 32767), (-400.0, 1.0)),
        ],
        [(0.5, 0.0, "N"), (1.25, 0.5, "Arrhythmia"), (2.0, -1, "Störung")],
    ),
    (
        "biosemi.bdf",
        pyedflib.FILETYPE_BDF,
        2,
        [
            (header("ECG", "uV", 256, -50000.0, 50000.0, -8388608, 8388607), (1500.0, 1.1)),
            (header("Status", "Boolean", 256, -8000.0, 8000.0, -8388608, 8388607), (0.0, 1.0)),
        ],
        [],
    ),
]


def write_pyedflib(name, file_type, seconds, signals, annotations):
    path = os.path.join(HERE, name)
    f = pyedflib.EdfWriter(path, len(signals), file_type=file_type)
    f.setStartdatetime(START)
    f.setPatientCode("X")
    f.setSignalHeaders([h for h, _ in signals])
    data = [wave(h["sample_frequency"], seconds, *args) for h, args in signals]
    f.writeSamples(data)
    for onset, duration, text in annotations:
        f.writeAnnotation(onset, duration, text)
    f.close()
    return path


def write_edfd(name):
    """An EDF+D file: 'ECG I' at 100 Hz and its TAL signal, three 1-s records at 0 s, 1 s and
    3.5 s (a 1.5-s gap before the third), one annotation at 1.5 s."""
    fs, n_rec = 100, 3
    starts = [0.0, 1.0, 3.5]
    tal_bytes = 60  # 30 two-byte samples
    samples = wave(fs, 3, 1.0, 1.0)  # the 300 samples written, record after record
    pmin, pmax, dmin, dmax = -2.0, 2.0, -32768, 32767
    digital = np.round((samples - pmin) / (pmax - pmin) * (dmax - dmin) + dmin).astype(np.int16)

    def field(text, width):
        b = text.encode("ascii")
        assert len(b) <= width
        return b + b" " * (width - len(b))

    ns = 2
    head = b"".join(
        [
            field("0", 8),
            field("X X X X", 80),
            field("Startdate 02-JAN-2020 X X X", 80),
            field("02.01.20", 8),
            field("03.04.05", 8),
            field(str(256 * (ns + 1)), 8),
            field("EDF+D", 44),
            field(str(n_rec), 8),
            field("1", 8),
            field(str(ns), 4),
        ]
    )
    cols = [
        (["ECG I", "EDF Annotations"], 16),
        (["AgAgCl electrode", ""], 80),
        (["mV", ""], 8),
        ([str(pmin), "-1"], 8),
        ([str(pmax), "1"], 8),
        ([str(dmin), "-32768"], 8),
        ([str(dmax), "32767"], 8),
        (["HP:0.05Hz", ""], 80),
        ([str(fs), str(tal_bytes // 2)], 8),
        (["", ""], 32),
    ]
    for values, width in cols:
        head += b"".join(field(v, width) for v in values)
    assert len(head) == 256 * (ns + 1)
    body = b""
    for r, start in enumerate(starts):
        body += struct.pack("<%dh" % fs, *digital[r * fs : (r + 1) * fs])
        tal = b"+%g\x14\x14\x00" % start
        if r == 1:
            tal += b"+1.5\x150.25\x14Ectopic\x14\x00"
        body += tal + b"\x00" * (tal_bytes - len(tal))
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(head + body)
    x = digital.astype(float)
    x = (x - dmin) * (pmax - pmin) / (dmax - dmin) + pmin
    ecg = {"label": "ECG I", "fs": fs, "unit": "mV", "physical_min": pmin}
    ecg.update({"physical_max": pmax, "digital_min": dmin, "digital_max": dmax})
    ecg.update({"samples": len(x), "first": [float(v) for v in x[:8]]})
    ecg["sum"] = float(np.sum(x))
    return {
        "signals": [ecg],
        "annotations": [{"onset": 1.5, "duration": 0.25, "text": "Ectopic"}],
        "records": n_rec,
        "record_duration": 1.0,
        "record_starts": starts,
        "waves": [[1.0, 1.0]],
    }


def read_back(path):
    """What pyedflib's reader finds: every signal's header and first samples, the annotations."""
    f = pyedflib.EdfReader(path)
    out = {"signals": [], "annotations": []}
    for i in range(f.signals_in_file):
        x = f.readSignal(i)
        out["signals"].append(
            {
                "label": f.getLabel(i),
                "fs": f.getSampleFrequency(i),
                "unit": f.getPhysicalDimension(i),
                "physical_min": f.getPhysicalMinimum(i),
                "physical_max": f.getPhysicalMaximum(i),
                "digital_min": f.getDigitalMinimum(i),
                "digital_max": f.getDigitalMaximum(i),
                "samples": len(x),
                "first": [float(v) for v in x[:8]],
                "sum": float(np.sum(x)),
            }
        )
    onsets, durations, texts = f.readAnnotations()
    for o, d, t in zip(onsets, durations, texts):
        out["annotations"].append({"onset": float(o), "duration": float(d), "text": t})
    out["records"] = f.datarecords_in_file
    out["record_duration"] = f.datarecord_duration
    f.close()
    return out


def main():
    expected = {}
    for name, file_type, seconds, signals, annotations in FILES:
        path = write_pyedflib(name, file_type, seconds, signals, annotations)
        expected[name] = read_back(path)
        expected[name]["waves"] = [list(args) for _, args in signals]
    # pyedflib refuses to read EDF+D ("discontinuous and cannot be read"): its expected
    # values are what write_edfd wrote.
    expected["discontinuous.edf"] = write_edfd("discontinuous.edf")
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for name in sorted(expected):
        print(name, os.path.getsize(os.path.join(HERE, name)), "bytes")


if __name__ == "__main__":
    main()
