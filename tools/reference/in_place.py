#!/usr/bin/env python3
"""Generate the references for in-place operations recorded by autograd.

Writes crates/autograd/tests/data/in_place.txt, which
crates/autograd/tests/in_place.rs reads: for each program below, the
`grad_fn` names after each in-place step, the final values and the leaves'
gradients, as PyTorch computes them (float32).

Format: `=== <case>` starts a case; `names <n1> <n2> ...` are the grad_fn
type names in order; `<name> <shape> | <values>` lines give tensors (shape
sizes separated by commas, `-` for 0-d); `<name> none` marks a gradient
PyTorch leaves at None.

Run: python tools/reference/in_place.py
"""

from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/autograd/tests/data/in_place.txt"


def tensor_line(name, t):
    if t is None:
        return f"{name} none"
    t = t.detach()
    shape = ",".join(str(d) for d in t.shape) or "-"
    return f"{name} {shape} | " + " ".join(repr(float(v)) for v in t.reshape(-1).tolist())


def leaves():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    return x, w


def name(t):
    return type(t.grad_fn).__name__


def main():
    out = []

    def case(title, names, tensors):
        out.append(f"=== {title}")
        out.append("names " + " ".join(names))
        out.extend(tensor_line(n, t) for n, t in tensors)

    # Binary ops in place on a computed tensor.
    x, w = leaves()
    y = x * 2
    names = []
    for step in (lambda: y.add_(w), lambda: y.mul_(x), lambda: y.sub_(w), lambda: y.div_(x)):
        step()
        names.append(name(y))
    y.sum().backward()
    case("binary", names, [("y", y), ("x.grad", x.grad), ("w.grad", w.grad)])

    # Scalar compound assignments.
    x, w = leaves()
    y = x * 1
    names = []
    for step in (lambda: y.mul_(3.0), lambda: y.add_(1.0), lambda: y.sub_(0.5), lambda: y.div_(2.0)):
        step()
        names.append(name(y))
    (y * y).sum().backward()
    case("scalar", names, [("y", y), ("x.grad", x.grad)])

    # add_ with alpha (SGD's update form) on a computed tensor.
    x, w = leaves()
    y = x * 2
    y.add_(w, alpha=0.5)
    (y * x).sum().backward()
    case("add_alpha", [name(y)], [("y", y), ("x.grad", x.grad), ("w.grad", w.grad)])

    # Overwriting ops: no gradient reaches the previous value.
    x, w = leaves()
    y = x * 2
    y.fill_(3.0)
    (y * x).sum().backward()
    case("fill", [name(y)], [("y", y), ("x.grad", x.grad)])

    x, w = leaves()
    y = x * 2
    y.zero_()
    (y + x).sum().backward()
    case("zero", [name(y)], [("y", y), ("x.grad", x.grad)])

    x, w = leaves()
    y = x * 2
    y.copy_(w)
    (y * y).sum().backward()
    case("copy", [name(y)], [("y", y), ("x.grad", x.grad), ("w.grad", w.grad)])

    # A leaf that does not require grad, made differentiable by its operand.
    x, w = leaves()
    z = torch.zeros(3)
    z.add_(w)
    first = name(z)
    z.mul_(w)
    z.sum().backward()
    case("plain_leaf", [first, name(z)], [("z", z), ("w.grad", w.grad)])

    # Gradients of gradients through an in-place op.
    x, w = leaves()
    y = x * x
    y.mul_(x)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x)
    case("double_backward", [name(y)], [("g", g), ("gg", gg)])

    # In place on views: the base's history goes through CopySlices, the
    # view's through AsStridedBackward0.
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    w = torch.tensor([5.0, 6.0], requires_grad=True)
    y = x * 2
    v = y[1:3]
    v.mul_(w)
    weights = torch.tensor([1.0, 10.0, 100.0, 1000.0])
    (y * weights).sum().backward()
    case("view", [name(y), name(v)], [("y", y), ("x.grad", x.grad), ("w.grad", w.grad)])

    x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    w = torch.tensor([5.0, 6.0], requires_grad=True)
    y = (x * 1).reshape(2, 2)
    column = y.select(1, 0)
    column.mul_(w)
    column.add_(1.0)
    (y * weights.reshape(2, 2)).sum().backward()
    case(
        "strided_view",
        [name(y), name(column)],
        [("y", y), ("column", column), ("x.grad", x.grad), ("w.grad", w.grad)],
    )

    w = torch.tensor([5.0, 6.0], requires_grad=True)
    z = torch.zeros(4)
    z[1:3].add_(w)
    (z * weights).sum().backward()
    case("plain_base_view", [name(z)], [("z", z), ("w.grad", w.grad)])

    OUT.write_text("\n".join(out) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
