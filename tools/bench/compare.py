#!/usr/bin/env python3
"""Side-by-side performance table: this library vs PyTorch on this machine.

Runs `target/release/table` (build it first: `cargo build --release -p benches
--bin table`) and `pytorch_bench.py` alternately, `--rounds` times at each
thread count, and prints a Markdown table of the medians over rounds with the
ratio (>1 means this library is faster). Needs torch.

    python tools/bench/compare.py --rounds 3 > /tmp/table.md

With `--baseline PATH`, the `table` binary of another build (an earlier
commit, built into its own target directory) runs in the same rounds too, and
the table gains its figures and the ratio of this build to it.
"""

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        name, value, unit = line.split("\t")
        rows[name] = (float(value), unit)
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--baseline", help="the `table` binary of a build to compare with")
    args = parser.parse_args()
    results = {}  # (threads, side) -> name -> [values]
    units = {}
    order = []
    for _ in range(args.rounds):
        for threads in [int(t) for t in args.threads.split(",")]:
            env = dict(os.environ, RAYON_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
            sides = {
                "ours": [str(ROOT / "target" / "release" / "table")],
                "torch": [sys.executable, str(ROOT / "tools" / "bench" / "pytorch_bench.py"), "--threads", str(threads)],
            }
            if args.baseline:
                sides["baseline"] = [args.baseline]
            for side, cmd in sides.items():
                for name, (value, unit) in run(cmd, env).items():
                    results.setdefault((threads, side), {}).setdefault(name, []).append(value)
                    units[name] = unit
                    if name not in order:
                        order.append(name)
    thread_counts = sorted({t for t, _ in results})
    per_thread = 5 if args.baseline else 3
    header = "| workload | unit |" + "".join(
        f" ours ({t}T) | PyTorch ({t}T) | ratio ({t}T) |"
        + (f" baseline ({t}T) | vs baseline ({t}T) |" if args.baseline else "")
        for t in thread_counts
    )
    print(header)
    print("|" + " --- |" * (2 + per_thread * len(thread_counts)))

    def speedup(unit, ours, other):
        """How many times faster `ours` is (>1 means faster)."""
        return ours / other if unit == "GFLOP/s" else other / ours

    for name in order:
        unit = units[name]
        cells = [name, unit]
        for t in thread_counts:
            ours = statistics.median(results[(t, "ours")][name])
            theirs = statistics.median(results[(t, "torch")][name])
            cells += [f"{ours:.3g}", f"{theirs:.3g}", f"{speedup(unit, ours, theirs):.2f}x"]
            if args.baseline:
                base = statistics.median(results[(t, "baseline")][name])
                cells += [f"{base:.3g}", f"{speedup(unit, ours, base):.2f}x"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
