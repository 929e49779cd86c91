#!/usr/bin/env python3
"""PyTorch's CPU random streams, for crates/tensor/tests/random_streams.rs
and the tests of the crates built on them.

Writes crates/tensor/tests/data/random_streams.txt: for seeds 0, 42 and
2**40 + 7, blocks of the values PyTorch's default CPU generator gives right
after torch.manual_seed(seed), each block one program run in order:

  === <seed> <case>
  <label> <dtype> <shape> | <values>     (one line per call, in call order)
  md5 <label> <hex>                       (MD5 of a large tensor's little-endian bytes)
  hex <label> <hex>                       (raw bytes, for torch.get_rng_state())

float32 values are written in their shortest round-trip form, float64 with
repr, so both parse back bit for bit.

Run: python tools/reference/random_streams.py   (deterministic; needs torch, numpy)
"""

import hashlib
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/tensor/tests/data/random_streams.txt"
SEEDS = [0, 42, 2**40 + 7]
NAMES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}


def line(label, t):
    shape = ",".join(str(d) for d in t.shape) or "-"
    flat = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.float32:
        values = [str(v) for v in flat.numpy()]
    elif t.dtype == torch.float64:
        values = [repr(v) for v in flat.tolist()]
    else:
        values = [str(int(v)) for v in flat.tolist()]
    return f"{label} {NAMES[t.dtype]} {shape} | {' '.join(values)}"


def md5(label, t):
    return f"md5 {label} {hashlib.md5(t.detach().contiguous().numpy().tobytes()).hexdigest()}"


def cases(seed):
    """(case name, function returning its lines), each run right after manual_seed(seed)."""

    def rand(dtype):
        return [line(f"rand({n})", torch.rand(n, dtype=dtype)) for n in range(1, 21)]

    def randn(dtype):
        out = [line(f"randn({n})", torch.randn(n, dtype=dtype)) for n in range(1, 101)]
        out.append(line("randn(1000)", torch.randn(1000, dtype=dtype)))
        return out

    def randint():
        return [
            line("randint(0,10,[20])", torch.randint(0, 10, (20,))),
            line("randint(-5,2^40,[6])", torch.randint(-5, 2**40, (6,))),
            line("randint(3,4,[2])", torch.randint(3, 4, (2,))),
            line("randint(-100,100,[3,4])", torch.randint(-100, 100, (3, 4))),
            line("random_(0,100)", torch.empty(5, dtype=torch.int64).random_(0, 100)),
        ]

    def randperm():
        return [line(f"randperm({n})", torch.randperm(n)) for n in (1, 10, 1000)]

    def bernoulli():
        return [
            line("bernoulli_(0.3)", torch.empty(20).bernoulli_(0.3)),
            line("bernoulli(full(0.5))", torch.bernoulli(torch.full((10,), 0.5))),
            line("bernoulli(float64)", torch.bernoulli(torch.tensor([0.0, 1.0, 0.25, 0.75, 0.5], dtype=torch.float64))),
            line("dropout(0.4)", F.dropout(torch.ones(3, 5), 0.4, training=True)),
        ]

    def views():
        a = torch.zeros(4, 6)
        a.t().normal_(2.0, 3.0)
        b = torch.zeros(5, 8)
        b[:, ::2].normal_(-1.0, 0.5)
        c = torch.zeros(3, 4)
        c.t().uniform_(-2.0, 2.0)
        d = torch.zeros(4, 5, dtype=torch.float64)
        d.t().normal_(0.0, 1.0)
        return [
            line("zeros(4,6).t().normal_(2,3)", a),
            line("zeros(5,8)[:,::2].normal_(-1,0.5)", b),
            line("zeros(3,4).t().uniform_(-2,2)", c),
            line("zeros(4,5,f64).t().normal_(0,1)", d),
            line("empty(40).normal_(1.5,0.25)", torch.empty(40).normal_(1.5, 0.25)),
            line("empty(8).normal_(0,0.01)", torch.empty(8).normal_(0.0, 0.01)),
            line("empty(5).uniform_(-0.3,0.7)", torch.empty(5).uniform_(-0.3, 0.7)),
            line("empty(6,f64).uniform_(1,3)", torch.empty(6, dtype=torch.float64).uniform_(1.0, 3.0)),
            line("empty(10).exponential_(2)", torch.empty(10).exponential_(2.0)),
        ]

    def linear():
        layer = nn.Linear(784, 256)
        return [
            md5("weight", layer.weight),
            md5("bias", layer.bias),
            line("weight[0,:5]", layer.weight[0, :5]),
            line("bias[:5]", layer.bias[:5]),
            line("after", torch.rand(3)),
        ]

    def dataloader():
        data = TensorDataset(torch.arange(10))
        out = []
        for epoch in range(3):
            order = torch.cat([b[0] for b in DataLoader(data, batch_size=4, shuffle=True)])
            out.append(line(f"epoch{epoch}", order))
        out.append(line("after", torch.rand(3)))
        g = torch.Generator().manual_seed(seed + 1)
        loader = DataLoader(data, batch_size=4, shuffle=True, generator=g)
        for epoch in range(2):
            out.append(line(f"generator epoch{epoch}", torch.cat([b[0] for b in loader])))
        out.append(line("after generator", torch.rand(3)))
        return out

    def state():
        torch.randn(3)  # leaves a cached normal sample
        s = torch.get_rng_state()
        out = [f"hex state {s.numpy().tobytes().hex()}", line("next", torch.randn(3))]
        torch.set_rng_state(s)
        out.append(line("again", torch.randn(3)))
        return out

    return [
        ("rand float32", lambda: rand(torch.float32)),
        ("rand float64", lambda: rand(torch.float64)),
        ("randn float32", lambda: randn(torch.float32)),
        ("randn float64", lambda: randn(torch.float64)),
        ("randint", randint),
        ("randperm", randperm),
        ("bernoulli", bernoulli),
        ("views", views),
        ("linear", linear),
        ("dataloader", dataloader),
        ("state", state),
    ]


def main():
    lines = []
    for seed in SEEDS:
        for name, run in cases(seed):
            torch.manual_seed(seed)
            lines.append(f"=== {seed} {name}")
            lines.extend(run())
    g = torch.Generator()
    lines.append("=== default generator")
    lines.append(f"initial_seed {g.initial_seed()}")
    lines.append(line("rand(3)", torch.rand(3, generator=g)))
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes); cpu capability {torch.backends.cpu.get_cpu_capability()}")


if __name__ == "__main__":
    main()
