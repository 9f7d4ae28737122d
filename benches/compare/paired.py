#!/usr/bin/env python3
"""Rust and PyTorch model benches in pairs: each case's criterion bench, then at once its
PyTorch twin, for every case, in several rounds; one Markdown table of the medians.

A shared machine's speed drifts by up to 2x over minutes. Run all Rust benches and then all
PyTorch ones, and a ratio compares two different stretches of that drift; run each pair back
to back, and both sides of a ratio meet the same stretch. Each row gives the median over the
rounds of the two times and of the pair's ratio, and the range of the ratios.

Run under a Python that has torch (run.sh passes $PYTHON); criterion runs through cargo.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from compare import GROUPS, cpu_model, criterion_median, fmt_ms

HERE = os.path.dirname(os.path.abspath(__file__))
# Rust bench target of each model (benches/*.rs).
BENCH = {"lstm_ae": "models_lstm", "conv_vae": "models_vae"}


def rust_ms(root, criterion, model, mode, seq, threads):
    """Runs one criterion bench (`<group>/<seq>`) and returns its median in ms."""
    group = GROUPS[(model, mode)]
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    subprocess.run(
        ["cargo", "bench", "--bench", BENCH[model], "--", f"^{group}/{seq}$"],
        cwd=root, env=env, check=True, stdout=subprocess.DEVNULL,
    )
    ms, _ = criterion_median(criterion, group, seq)
    if ms is None:
        raise SystemExit(f"criterion wrote no result for {group}/{seq}")
    return ms


def torch_ms(model, mode, seq, threads, iters):
    """Runs one case of bench_torch.py and returns its median in ms and its metadata."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [sys.executable, os.path.join(HERE, "bench_torch.py"), "--models", model,
             "--seqs", str(seq), "--modes", mode, "--threads", str(threads),
             "--iters", str(iters), "--out", out.name],
            check=True, stdout=subprocess.DEVNULL,
        )
        with open(out.name) as f:
            run = json.load(f)
    return run["results"][0], run["meta"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = os.environ.get("CARGO_TARGET_DIR", "/root/.cache/ecg-anomaly-release")
    ap.add_argument("--criterion", default=os.path.join(target, "criterion"))
    ap.add_argument("--rounds", type=int, default=3, help="pairs per case (default 3)")
    ap.add_argument("--threads", type=int, default=2, help="threads on both sides (default 2)")
    ap.add_argument("--iters", type=int, default=20, help="PyTorch timed iterations per pair")
    ap.add_argument("--models", default="lstm_ae,conv_vae")
    ap.add_argument("--seqs", default="256,320")
    ap.add_argument("--modes", default="train,inference")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(HERE))

    cases = [(m, mode, int(s)) for m in args.models.split(",")
             for mode in args.modes.split(",") for s in args.seqs.split(",")]
    pairs = {case: [] for case in cases}
    meta, batch, started = None, {}, None
    for r in range(args.rounds):
        for case in cases:
            burn = rust_ms(root, args.criterion, *case, args.threads)
            row, meta = torch_ms(*case, args.threads, args.iters)
            started = started or meta["date"]
            batch[case] = row["batch"]
            pairs[case].append((burn, row["median_ms"]))
            print(f"round {r + 1}: {case[0]} {case[1]} {case[2]}: {burn:.1f} / "
                  f"{row['median_ms']:.1f} ms", file=sys.stderr, flush=True)

    print(f"CPU: {cpu_model()} ({os.cpu_count()} logical cores)  ")
    print(f"Paired run: {args.rounds} rounds, {started} to {meta['date']}; each case's criterion "
          f"bench (median) then at once its PyTorch twin (median of {args.iters} iterations "
          f"after {meta['warmup']} warm-up)  ")
    print(f"PyTorch {meta['torch']}, {meta['threads']} threads (interop "
          f"{meta['interop_threads']}); Burn: RAYON_NUM_THREADS={args.threads}")
    print()
    print("| model | mode | seq | Burn ms | PyTorch ms | ratio Burn/PyTorch | ratios, min-max |")
    print("|---|---|---|---:|---:|---:|---:|")
    for (model, mode, seq), runs in pairs.items():
        ratios = [b / t for b, t in runs]
        print(f"| {model} | {mode} (batch {batch[(model, mode, seq)]}) | {seq} | "
              f"{fmt_ms(statistics.median(b for b, _ in runs))} | "
              f"{fmt_ms(statistics.median(t for _, t in runs))} | "
              f"{statistics.median(ratios):.2f} | {min(ratios):.2f}-{max(ratios):.2f} |")
    print()
    print("Medians over the rounds; the ratio is the median of the pairs' ratios, not of the two "
          "medians. A ratio above 1 means Burn is slower.")


if __name__ == "__main__":
    main()
