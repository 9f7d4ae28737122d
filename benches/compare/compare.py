#!/usr/bin/env python3
"""Side-by-side table of the Rust (Burn) model benches and their PyTorch twins.

Reads criterion's ``<target>/criterion/<group>/<id>/new/estimates.json`` (median point
estimate, ns) for the groups of benches/models_lstm.rs and benches/models_vae.rs, and the JSON
file written by bench_torch.py, and prints a Markdown table with machine info.
"""

import argparse
import datetime
import json
import os
import platform

# (torch model name, mode) -> criterion group; the bench ids are the window lengths.
GROUPS = {
    ("lstm_ae", "train"): "lstm_ae_train_step_b64",
    ("lstm_ae", "inference"): "lstm_ae_inference_b256",
    ("conv_vae", "train"): "conv_vae_train_step_batch64",
    ("conv_vae", "inference"): "conv_vae_inference_batch256",
}
# End-to-end benches (benches/end_to_end.rs): criterion function -> what a user waits for.
END_TO_END = [
    ("quickstart_fit", "train the quickstart's detector (15 min of synthetic ECG, <= 12 epochs)"),
    ("score_record_100", "score MIT-BIH record 100 (30 min): filter, peaks, beats, model, scores"),
    ("stream_record_100", "stream record 100 through StreamingDetector, 1 s pushes"),
]
# PyTorch variants compared with the same Rust bench as their base model.
VARIANT_OF = {"lstm_ae_steploop": "lstm_ae"}


def criterion_median(criterion_dir, group, seq):
    """(median ms, when measured) of one criterion bench, or (None, None) if it has not run."""
    path = os.path.join(criterion_dir, group, str(seq), "new", "estimates.json")
    try:
        with open(path) as f:
            estimates = json.load(f)
    except FileNotFoundError:
        return None, None
    when = datetime.datetime.fromtimestamp(os.path.getmtime(path))
    return estimates["median"]["point_estimate"] / 1e6, when


def end_to_end_rows(criterion_dir):
    """Markdown rows of the end-to-end benches that have run: time, and beats/s when the
    bench recorded a throughput in beats."""
    rows = []
    for function, what in END_TO_END:
        path = os.path.join(criterion_dir, "end_to_end", function, "new")
        try:
            with open(os.path.join(path, "estimates.json")) as f:
                ms = json.load(f)["median"]["point_estimate"] / 1e6
        except FileNotFoundError:
            continue
        rate = "–"
        try:
            with open(os.path.join(path, "benchmark.json")) as f:
                beats = (json.load(f).get("throughput") or {}).get("Elements")
            if beats:
                rate = f"{beats / (ms / 1e3):,.0f} beats/s ({beats:,} beats)"
        except FileNotFoundError:
            pass
        seconds = f"{ms / 1e3:,.2f} s" if ms >= 1000 else f"{ms:,.1f} ms"
        rows.append(f"| {what} | {seconds} | {rate} |")
    return rows


def cpu_model():
    """Model name, family and model numbers (a virtual machine may print only "AMD EPYC", and
    Zen 3 and Zen 4 differ) and the widest vector instructions, from /proc/cpuinfo."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown"
    flags = fields.get("flags", "").split()
    simd = ("AVX-512" if "avx512f" in flags
            else "AVX2, no AVX-512" if "avx2" in flags else "no AVX2")
    return (f"{fields.get('model name', 'unknown')} (family {fields.get('cpu family', '?')}, "
            f"model {fields.get('model', '?')}, {simd})")


def fmt_ms(ms):
    if ms is None:
        return "–"
    return f"{ms:,.1f}" if ms < 100 else f"{ms:,.0f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_target = os.environ.get("CARGO_TARGET_DIR", "/root/.cache/ecg-anomaly-release")
    ap.add_argument("--criterion", default=os.path.join(default_target, "criterion"),
                    help="criterion output dir (default $CARGO_TARGET_DIR/criterion)")
    ap.add_argument("--torch", help="JSON file written by bench_torch.py --out; without it, "
                    "only the end-to-end table")
    args = ap.parse_args()
    if not args.torch:
        print_end_to_end(args.criterion)
        return

    with open(args.torch) as f:
        torch_run = json.load(f)
    meta = torch_run["meta"]

    lines = [
        "| model | mode | seq | Burn ms | PyTorch ms | ratio Burn/PyTorch |",
        "|---|---|---|---:|---:|---:|",
    ]
    burn_dates = set()
    for row in torch_run["results"]:
        base = VARIANT_OF.get(row["model"], row["model"])
        group = GROUPS.get((base, row["mode"]))
        burn_ms, when = criterion_median(args.criterion, group, row["seq"]) if group else (None, None)
        if when:
            burn_dates.add(when.strftime("%Y-%m-%d %H:%M"))
        torch_ms = row["median_ms"]
        ratio = f"{burn_ms / torch_ms:.2f}" if burn_ms is not None else "–"
        mode = f"{row['mode']} (batch {row['batch']})"
        model = row["model"] if base == row["model"] else f"{row['model']} (Burn: {base})"
        lines.append(f"| {model} | {mode} | {row['seq']} | {fmt_ms(burn_ms)} | "
                     f"{fmt_ms(torch_ms)} | {ratio} |")

    print(f"CPU: {cpu_model()} ({os.cpu_count()} logical cores)  ")
    print(f"Date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}; PyTorch run "
          f"{meta.get('date', '?')}; criterion results written "
          f"{', '.join(sorted(burn_dates)) or 'never (none found)'}  ")
    print(f"PyTorch {meta['torch']}, {meta['threads']} threads "
          f"(interop {meta.get('interop_threads', '?')}), median of {meta.get('iters', '?')} "
          f"iterations after {meta.get('warmup', '?')} warm-up; Burn: criterion median, "
          f"{args.criterion}")
    print()
    print("\n".join(lines))
    print()
    print("Medians per iteration; a ratio above 1 means Burn is slower. '–': no criterion "
          "result for that bench in the criterion dir.")
    print_end_to_end(args.criterion)


def print_end_to_end(criterion_dir):
    rows = end_to_end_rows(criterion_dir)
    if rows:
        print()
        print(f"CPU: {cpu_model()} ({os.cpu_count()} logical cores). End to end "
              "(benches/end_to_end.rs, criterion median):")
        print()
        print("| what | time | throughput |")
        print("|---|---:|---:|")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
