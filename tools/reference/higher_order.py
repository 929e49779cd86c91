#!/usr/bin/env python3
"""Generate the higher-order gradient references from PyTorch.

Writes crates/autograd/tests/data/higher_order.txt, which
crates/autograd/tests/higher_order.rs reads. Everything runs in float64:

* `hvp`: a Hessian-vector product of
  f(x, w) = sum(tanh(x @ w)^2) + sum(sigmoid(x) * x) + sum(x^3) / 3
  with respect to x, as autograd.grad(autograd.grad(f, x, create_graph=True)
  . v, x): the first-order gradient, then the product with v.
* `penalty`: a WGAN-GP gradient penalty on a tanh critic
  D(x) = tanh(x @ w1 + b1) @ w2: p = mean((||dD/dx||_row - 1)^2), and its
  gradients with respect to w1, b1 and w2 (p.backward()).
* `create_graph`: y.backward(create_graph=True) for y = sum(x^3), the repr of
  x.grad (which carries a graph), then x.grad's own gradient.

Format, one tensor per line: `<name> <shape> | <values>` with shape sizes
separated by commas (`-` for 0-d) and values as repr(float); repr lines are
`repr <name> | <text>` with newlines written as `\\n`.

Run: python tools/reference/higher_order.py   (deterministic: seeded)
"""

from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/autograd/tests/data/higher_order.txt"


def line(name, t):
    t = t.detach()
    shape = ",".join(str(d) for d in t.shape) or "-"
    values = " ".join(repr(float(v)) for v in t.reshape(-1).tolist())
    return f"{name} {shape} | {values}"


def main():
    torch.manual_seed(0)
    d = torch.float64
    lines = []

    # Hessian-vector product.
    x = torch.randn(3, 2, dtype=d, requires_grad=True)
    w = torch.randn(2, 4, dtype=d)
    v = torch.randn(3, 2, dtype=d)
    f = (torch.tanh(x @ w) ** 2).sum() + (torch.sigmoid(x) * x).sum() + (x**3).sum() / 3
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    (hv,) = torch.autograd.grad((g * v).sum(), x)
    lines += [line("hvp.x", x), line("hvp.w", w), line("hvp.v", v)]
    lines += [line("hvp.f", f), line("hvp.grad", g), line("hvp.hv", hv)]

    # Gradient penalty.
    xs = torch.randn(4, 3, dtype=d, requires_grad=True)
    w1 = torch.randn(3, 5, dtype=d, requires_grad=True)
    b1 = torch.randn(5, dtype=d, requires_grad=True)
    w2 = torch.randn(5, 1, dtype=d, requires_grad=True)
    critic = torch.tanh(xs @ w1 + b1) @ w2
    (dx,) = torch.autograd.grad(critic.sum(), xs, create_graph=True)
    penalty = ((dx.norm(dim=1) - 1) ** 2).mean()
    penalty.backward()
    lines += [line(f"penalty.{n}", t) for n, t in [("x", xs), ("w1", w1), ("b1", b1), ("w2", w2)]]
    lines += [line("penalty.dx", dx), line("penalty.p", penalty)]
    lines += [line(f"penalty.grad_{n}", t.grad) for n, t in [("w1", w1), ("b1", b1), ("w2", w2)]]

    # backward(create_graph=True): .grad carries a graph.
    x = torch.tensor([1.0, 2.0, -0.5], dtype=d, requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    first = x.grad
    lines.append("repr create_graph.grad | " + repr(first).replace("\n", "\\n"))
    (second,) = torch.autograd.grad(first.sum(), x)
    lines += [line("create_graph.x", x), line("create_graph.second", second)]

    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
