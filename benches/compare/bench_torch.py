#!/usr/bin/env python3
"""PyTorch side of the side-by-side model bench (benches/compare).

The same cases as benches/models_lstm.rs and benches/models_vae.rs, on the CPU.

For each model and window length: one training step at batch 64 (forward, loss, backward, Adam
at lr 1e-3 with Burn's default epsilon 1e-5) and inference at batch 256 (eval mode, inference
mode), on random normal windows ``[batch, seq, 1]``. Warm-up iterations first, then the median
of N timed iterations, in ms per iteration (criterion's median point estimate is the Rust
counterpart). Prints one JSON object per case and, with --out, writes them all to a JSON file:
``{"meta": {...}, "results": [{model, mode, seq, batch, median_ms, ...}, ...]}``.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402

TRAIN_BATCH = 64
INFER_BATCH = 256


def train_step_fn(model, batch, seq, gen):
    x = torch.randn(batch, seq, 1, generator=gen)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-5)

    def step():
        opt.zero_grad(set_to_none=True)
        out = model(x)
        loss = model.loss(x, out)
        value = loss.item()  # the Rust LSTM bench reads the loss back too
        loss.backward()
        opt.step()
        return value

    return step


def inference_fn(model, batch, seq, gen):
    x = torch.randn(batch, seq, 1, generator=gen)
    model.eval()

    def step():
        with torch.inference_mode():
            return model(x)[0].sum().item()

    return step


def measure(step, warmup, iters):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--models", default="lstm_ae,conv_vae",
                    help="comma list of lstm_ae, conv_vae, lstm_ae_steploop "
                         "(default lstm_ae,conv_vae)")
    ap.add_argument("--seqs", default="256,320", help="window lengths (default 256,320)")
    ap.add_argument("--modes", default="train,inference")
    ap.add_argument("--warmup", type=int, default=3, help="untimed iterations per case")
    ap.add_argument("--iters", type=int, default=20, help="timed iterations per case")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-mkldnn", action="store_true",
                    help="turn oneDNN off (torch.backends.mkldnn.enabled = False): nn.LSTM then "
                         "runs PyTorch's own cell loop instead of oneDNN's RNN kernels")
    ap.add_argument("--out", help="write all results to this JSON file")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.no_mkldnn:
        torch.backends.mkldnn.enabled = False
    meta = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "python": platform.python_version(),
        "mkldnn": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
        "warmup": args.warmup,
        "iters": args.iters,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    print(json.dumps({"meta": meta}), flush=True)

    results = []
    for name in args.models.split(","):
        for seq in [int(s) for s in args.seqs.split(",")]:
            for mode in args.modes.split(","):
                gen = torch.Generator().manual_seed(args.seed + seq)
                model = torch_models.build(name, seq)
                if mode == "train":
                    batch, step = TRAIN_BATCH, train_step_fn(model, TRAIN_BATCH, seq, gen)
                elif mode == "inference":
                    batch, step = INFER_BATCH, inference_fn(model, INFER_BATCH, seq, gen)
                else:
                    raise SystemExit(f"unknown mode {mode!r}")
                times = measure(step, args.warmup, args.iters)
                row = {
                    "model": name, "mode": mode, "seq": seq, "batch": batch,
                    "median_ms": statistics.median(times),
                    "min_ms": min(times), "max_ms": max(times), "iters": len(times),
                    "params": torch_models.trainable_params(model),
                }
                results.append(row)
                print(json.dumps(row), flush=True)

    if args.out:
        with open(args.out, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
