#!/usr/bin/env python3
"""Generate optimizer trajectories from PyTorch.

Writes crates/optim/tests/data/optimizers.txt, which
crates/optim/tests/optimizers.rs reads. Every case trains the same tiny
linear model, loss = mean((x @ w + b - y)²) on fixed data, for 6 steps
(zero_grad, backward, step) with one optimizer configuration, and records
w and b after each step. Group cases put w and b in separate parameter
groups (the book's weight decay on weights only).

Format, one case per block:

  === <name>
  optimizer <Adam|AdamW|RMSprop|Adagrad|SGD>
  group <key=value ...>          one line per parameter group: w's, then b's
                                 (betas as `b1,b2`)
  x <shape> | <values>   y ...   w0 ...   b0 ...
  step <k> w | <values>
  step <k> b | <values>

Run: python tools/reference/optimizers.py   (deterministic: seeded)
"""

from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/optim/tests/data/optimizers.txt"
STEPS = 6


def fmt(t):
    shape = ",".join(str(d) for d in t.shape) or "-"
    return f"{shape} | " + " ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())


def main():
    torch.manual_seed(0)
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    w0, b0 = torch.randn(3, 2), torch.randn(2)
    lines = []

    def case(name, cls, groups):
        nonlocal lines
        w = w0.clone().requires_grad_(True)
        b = b0.clone().requires_grad_(True)
        if len(groups) == 1:
            opt = getattr(torch.optim, cls)([w, b], **groups[0])
        else:
            opt = getattr(torch.optim, cls)([{"params": [w], **groups[0]}, {"params": [b], **groups[1]}])
        lines.append(f"=== {name}")
        lines.append(f"optimizer {cls}")
        for g in groups:
            lines.append("group " + " ".join(
                f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in g.items()))
        lines += [f"x {fmt(x)}", f"y {fmt(y)}", f"w0 {fmt(w0)}", f"b0 {fmt(b0)}"]
        for k in range(STEPS):
            opt.zero_grad()
            ((x @ w + b - y) ** 2).mean().backward()
            opt.step()
            lines.append(f"step {k} w {fmt(w)}")
            lines.append(f"step {k} b {fmt(b)}")

    case("adam defaults", "Adam", [{"lr": 0.1}])
    case("adam amsgrad weight_decay", "Adam", [{"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6,
                                                "weight_decay": 0.1, "amsgrad": True}])
    case("adamw defaults", "AdamW", [{"lr": 0.1}])
    case("adamw amsgrad", "AdamW", [{"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}])
    case("rmsprop defaults", "RMSprop", [{"lr": 0.01}])
    case("rmsprop momentum centered weight_decay", "RMSprop", [{"lr": 0.01, "alpha": 0.9, "momentum": 0.5,
                                                                 "centered": True, "weight_decay": 0.05}])
    case("adagrad defaults", "Adagrad", [{"lr": 0.1}])
    case("adagrad decay accumulator", "Adagrad", [{"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.02,
                                                   "initial_accumulator_value": 0.5}])
    case("sgd groups", "SGD", [{"lr": 0.1, "weight_decay": 0.3}, {"lr": 0.1}])
    case("adam groups", "Adam", [{"lr": 0.05, "weight_decay": 0.2}, {"lr": 0.2}])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"torch {torch.__version__}: wrote {OUT}")


if __name__ == "__main__":
    main()
