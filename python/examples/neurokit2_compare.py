"""What a NeuroKit2 user writes: get an ECG, clean it and find its beats with NeuroKit2, fit an
ecg_anomaly detector on the first minutes, flag the abnormal beats of the rest, plot them, and
time both libraries on the same signal.

    python examples/neurokit2_compare.py                          # NeuroKit2's simulated ECG
    python examples/neurokit2_compare.py --record mitdb/119      # a WFDB or EDF recording

Needs `pip install neurokit2 matplotlib` beside the ecg_anomaly wheel.
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import neurokit2 as nk  # noqa: E402
import numpy as np  # noqa: E402

import ecg_anomaly as ea  # noqa: E402


def signal_to_judge(args):
    """(lead, fs, source, pasted): a recording's first lead, or NeuroKit2's simulation with a
    few wide beats pasted in (NeuroKit2 simulates normal sinus rhythm only) and their R-peaks."""
    if args.record:
        ecg = ea.read_ecg(args.record)
        n = int(min(args.minutes * 60, ecg.duration_s) * ecg.fs)
        return ecg.signals[0][:n], ecg.fs, f"{args.record} ({ecg.lead_names[0]})", None
    fs = 360
    lead = nk.ecg_simulate(duration=int(args.minutes * 60), sampling_rate=fs, heart_rate=70,
                           noise=0.02, random_state=args.seed).astype(np.float32)
    peaks = nk.ecg_findpeaks(lead, sampling_rate=fs)["ECG_R_Peaks"]
    rng = np.random.default_rng(args.seed)
    later = peaks[peaks > len(lead) * args.train_share]
    pasted = np.sort(rng.choice(later[1:-1], size=max(3, len(later) // 40), replace=False))
    for peak in pasted:
        # A wide, tall beat: the QRS around the peak stretched twice in time.
        a, b = peak - fs // 10, peak + fs // 10
        wide = np.interp(np.linspace(peak - fs // 20, peak + fs // 20, b - a),
                         np.arange(len(lead)), lead)
        lead[a:b] = 1.6 * wide
    return lead, fs, "NeuroKit2 ecg_simulate with wide beats pasted in", pasted


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", help="a WFDB record or EDF file (default: simulate)")
    parser.add_argument("--minutes", type=float, default=15.0, help="minutes of ECG used")
    parser.add_argument("--train-share", type=float, default=0.4,
                        help="share of the signal the detector is fitted on (unlabelled)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default="flagged_beats.png", help="the picture")
    args = parser.parse_args()

    lead, fs, source, pasted = signal_to_judge(args)
    split = int(len(lead) * args.train_share)

    start = time.perf_counter()
    _, info = nk.ecg_process(lead, sampling_rate=fs)
    nk_seconds = time.perf_counter() - start

    start = time.perf_counter()
    config = ea.DetectorConfig({"training": {"seed": args.seed, "quiet": True}})
    detector = config.fit_signal(lead[:split], fs)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    verdicts = detector.detect_signal(lead, fs)
    detect_seconds = time.perf_counter() - start

    later = verdicts["position"] >= split
    flagged = verdicts["position"][later & verdicts["anomaly"]]
    print(f"signal: {source}, {len(lead) / fs / 60:.1f} min at {fs:g} Hz")
    print(f"NeuroKit2 ecg_process (clean, R-peaks, waves, rate): {nk_seconds:.2f} s, "
          f"{len(info['ECG_R_Peaks'])} R-peaks")
    print(f"ecg_anomaly fit on the first {args.train_share:.0%}: {fit_seconds:.1f} s; "
          f"detect_signal on all of it (clean, R-peaks, beats, model, scores): "
          f"{detect_seconds:.2f} s, {len(verdicts['score'])} beats")
    print(f"flagged {len(flagged)} of {later.sum()} beats after the training part")
    if pasted is not None:
        caught = sum(np.abs(flagged - peak).min() <= 0.05 * fs for peak in pasted)
        print(f"caught {caught} of the {len(pasted)} wide beats pasted in")

    window = int(0.4 * fs)
    fig, axes = plt.subplots(2, 1, figsize=(11, 6))
    t = np.arange(len(lead)) / fs
    axes[0].plot(t, lead, lw=0.5, color="0.3")
    axes[0].plot(flagged / fs, lead[flagged], "rv", ms=6, label="flagged by ecg_anomaly")
    axes[0].axvspan(0, split / fs, color="tab:blue", alpha=0.08, label="fitted on")
    axes[0].set(xlabel="time (s)", ylabel="ECG", title=source)
    axes[0].legend(loc="upper right")
    for peak in flagged[:30]:
        if window <= peak < len(lead) - window:
            axes[1].plot(np.arange(-window, window) / fs, lead[peak - window:peak + window],
                         color="tab:red", alpha=0.5, lw=0.8)
    normal = verdicts["position"][later & ~verdicts["anomaly"]][:30]
    for peak in normal:
        if window <= peak < len(lead) - window:
            axes[1].plot(np.arange(-window, window) / fs, lead[peak - window:peak + window],
                         color="0.6", alpha=0.4, lw=0.6)
    axes[1].set(xlabel="time from R-peak (s)", title="flagged beats (red) and normal ones (grey)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"picture: {args.out}")


if __name__ == "__main__":
    main()
