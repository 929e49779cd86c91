#!/usr/bin/env python3
"""PyTorch's output for the program `examples/src/bin/autograd.rs` runs.

Writes examples/tests/data/autograd_tour.txt, which the examples test compares
with the Rust binary's output byte for byte. Run: python tools/reference/autograd_tour.py
"""

import contextlib
import io
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=".*NumPy.*")
import torch  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "examples" / "tests" / "data" / "autograd_tour.txt"

buffer = io.StringIO()
with contextlib.redirect_stdout(buffer):
    x = torch.ones(3, 2, requires_grad=True); print(x)
    y = x + 2; print(y)
    # The tutorial's randn draw, as it printed it.
    x = torch.tensor([[-1.5443, -0.0354, -0.8403], [1.5566, 0.7182, 1.5884]], requires_grad=True); print(x)
    y = x + 2; print(y)
    y = y.sum(); y.backward(); print(x.grad)
    while y.data.norm() < 1000:
        y = y * 2
    print(y)
    (x + 2).sum().backward(); print(x.grad)  # gradients accumulate
    x.grad.zero_(); print(x.grad)
    y = x * 2
    v = torch.tensor([[0.1, 1.0, 0.0001], [0.1, 1.0, 0.0001]])
    y.backward(v); print(x.grad)
    print((x ** 2).requires_grad)
    with torch.no_grad():
        print((x ** 2).requires_grad)
    d = x.detach(); print(d.requires_grad); print(x.eq(d).all())
OUT.write_text(buffer.getvalue())
print(f"torch {torch.__version__}: wrote {OUT}")
