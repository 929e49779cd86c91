#!/usr/bin/env python3
"""Generate the classification-loss references from PyTorch.

Writes crates/nn/tests/data/classification.txt, which
crates/nn/tests/classification.rs reads: F.cross_entropy and F.nll_loss over
class-index and class-probability targets, with weight, ignore_index,
label_smoothing and every reduction, for inputs [C], [N, C] and
[N, C, d1, ...], including large logits; the loss, its grad_fn name and the
gradient of the input (for reduction 'none', of (loss * u).sum() with the
upstream u listed). Where PyTorch raises, the case records its message.

Format, one case per block:

  === <name>
  op cross_entropy|nll_loss
  options reduction=<r> ignore_index=<i> label_smoothing=<s>
  input <shape> | <values>
  target <dtype> <shape> | <values>
  weight <shape> | <values>        (optional)
  up <shape> | <values>            (reduction none)
  out <shape> | <values>           or `error <message>`
  grad <shape> | <values>
  grad_fn <name>

Shapes are comma-separated sizes (`-` for 0-d); values repr(float).

Run: python tools/reference/classification.py   (deterministic: seeded)
"""

from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nn/tests/data/classification.txt"


def fmt(t):
    shape = ",".join(str(d) for d in t.shape) or "-"
    values = " ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())
    return f"{shape} | {values}"


def main():
    torch.manual_seed(0)
    lines = []
    count = 0

    def case(name, op, x, target, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
        nonlocal count
        count += 1
        x = x.detach().clone().requires_grad_(True)
        lines.append(f"=== {name}")
        lines.append(f"op {op}")
        lines.append(f"options reduction={reduction} ignore_index={ignore_index} label_smoothing={smoothing}")
        lines.append(f"input {fmt(x)}")
        kind = "i64" if target.dtype == torch.int64 else "f32"
        lines.append(f"target {kind} {fmt(target)}")
        if weight is not None:
            lines.append(f"weight {fmt(weight)}")
        try:
            if op == "cross_entropy":
                out = F.cross_entropy(x, target, weight=weight, ignore_index=ignore_index,
                                      reduction=reduction, label_smoothing=smoothing)
            else:
                out = F.nll_loss(x, target, weight=weight, ignore_index=ignore_index, reduction=reduction)
        except (RuntimeError, IndexError, ValueError) as e:
            lines.append("error " + str(e).splitlines()[0])
            return
        if reduction == "none":
            up = torch.linspace(0.5, 1.5, out.numel()).reshape(out.shape)
            lines.append(f"up {fmt(up)}")
            (out * up).sum().backward()
        else:
            out.backward()
        lines.append(f"out {fmt(out)}")
        lines.append(f"grad {fmt(x.grad)}")
        lines.append(f"grad_fn {type(out.grad_fn).__name__}")

    logits = torch.randn(4, 3)
    labels = torch.tensor([0, 2, 1, 2])
    weight = torch.tensor([0.2, 1.0, 2.5])
    for op in ["cross_entropy", "nll_loss"]:
        x = logits if op == "cross_entropy" else logits.log_softmax(1)
        for reduction in ["mean", "sum", "none"]:
            case(f"{op} {reduction}", op, x, labels, reduction=reduction)
            case(f"{op} {reduction} weight", op, x, labels, weight=weight, reduction=reduction)
            case(f"{op} {reduction} ignore", op, x, torch.tensor([0, -100, 1, 2]), reduction=reduction)
            case(f"{op} {reduction} weight ignore 1", op, x, labels, weight=weight, ignore_index=1,
                 reduction=reduction)
        case(f"{op} 1d", op, x[0], torch.tensor(2))
        case(f"{op} 1d none", op, x[0], torch.tensor(1), reduction="none")
        x4 = torch.randn(2, 3, 2, 2)
        t4 = torch.randint(0, 3, (2, 2, 2))
        x4 = x4 if op == "cross_entropy" else x4.log_softmax(1)
        case(f"{op} 4d", op, x4, t4)
        case(f"{op} 4d none", op, x4, t4, reduction="none")
        x3 = torch.randn(2, 3, 5)
        x3 = x3 if op == "cross_entropy" else x3.log_softmax(1)
        case(f"{op} 3d sum weight", op, x3, torch.randint(0, 3, (2, 5)), weight=weight, reduction="sum")
        case(f"{op} all ignored", op, x, torch.full((4,), -100))
        # Errors.
        case(f"{op} target out of bounds", op, x, torch.tensor([0, 3, 1, 2]))
        case(f"{op} negative target", op, x, torch.tensor([0, -1, 1, 2]))
        case(f"{op} batch mismatch", op, x, torch.tensor([0, 1]))
        case(f"{op} float target shape", op, x, torch.rand(4, 2))
        case(f"{op} bad weight", op, x, labels, weight=torch.ones(2))

    # Cross-entropy only: large logits, label smoothing, probabilities.
    case("cross_entropy large logits", "cross_entropy", logits * 1000, labels)
    for reduction in ["mean", "sum", "none"]:
        case(f"cross_entropy smoothing {reduction}", "cross_entropy", logits, labels, reduction=reduction,
             smoothing=0.1)
        case(f"cross_entropy smoothing {reduction} weight ignore", "cross_entropy", logits,
             torch.tensor([0, -100, 1, 2]), weight=weight, reduction=reduction, smoothing=0.25)
        probabilities = torch.softmax(torch.randn(4, 3), 1)
        case(f"cross_entropy probabilities {reduction}", "cross_entropy", logits, probabilities,
             reduction=reduction)
        case(f"cross_entropy probabilities {reduction} weight smoothing", "cross_entropy", logits,
             probabilities, weight=weight, reduction=reduction, smoothing=0.2)
    case("cross_entropy probabilities 4d", "cross_entropy", torch.randn(2, 3, 2, 2),
         torch.softmax(torch.randn(2, 3, 2, 2), 1))
    case("cross_entropy smoothing too large", "cross_entropy", logits, labels, smoothing=1.5)
    case("cross_entropy probabilities with ignore_index", "cross_entropy", logits,
         torch.softmax(torch.randn(4, 3), 1), ignore_index=1)
    case("cross_entropy 4d smoothing", "cross_entropy", torch.randn(2, 3, 2, 2),
         torch.randint(0, 3, (2, 2, 2)), smoothing=0.3)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"torch {torch.__version__}: wrote {count} cases to {OUT}")


if __name__ == "__main__":
    main()
