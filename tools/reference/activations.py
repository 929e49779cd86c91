#!/usr/bin/env python3
"""Generate activation references from PyTorch: values and gradients.

Writes crates/nn/tests/data/activations.txt, which
crates/nn/tests/activations.rs reads: for each activation of
torch.nn.functional (with its options), float32 inputs that include its
kinks and thresholds, the output and the gradient of (out * u).sum() for a
non-uniform u, as PyTorch computes them, including its conventions at the
kinks (leaky_relu's slope at 0, softplus's linear regime).

Format: `=== <name>`, then `input`, `up`, `out`, `grad` lines
`<shape> | <values>`.

Run: python tools/reference/activations.py
"""

from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nn/tests/data/activations.txt"


def fmt(t):
    return f"{t.numel()} | " + " ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())


def main():
    x0 = torch.tensor([-30.0, -3.0, -1.5, -0.5, -0.0, 0.0, 0.25, 1.0, 1.5, 2.5, 9.0, 12.0, 30.0])
    up = torch.linspace(0.5, 1.5, x0.numel())
    cases = {
        "gelu": lambda x: F.gelu(x),
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
        "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
        "elu": lambda x: F.elu(x, 0.7),
        "silu": F.silu,
        "softplus": lambda x: F.softplus(x),
        "softplus_beta": lambda x: F.softplus(x, beta=2.0, threshold=3.0),
        "relu": F.relu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
    }
    lines = []
    for name, f in cases.items():
        x = x0.clone().requires_grad_(True)
        out = f(x)
        (out * up).sum().backward()
        lines += [f"=== {name}", f"input {fmt(x0)}", f"up {fmt(up)}", f"out {fmt(out)}", f"grad {fmt(x.grad)}"]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"torch {torch.__version__}: wrote {OUT}")


if __name__ == "__main__":
    main()
