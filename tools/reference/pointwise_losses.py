#!/usr/bin/env python3
"""Generate the elementwise-loss references from PyTorch.

Writes crates/nn/tests/data/pointwise_losses.txt, which
crates/nn/tests/pointwise_losses.rs reads: F.l1_loss, F.smooth_l1_loss,
F.huber_loss, F.binary_cross_entropy and F.binary_cross_entropy_with_logits
over their options and every reduction; the loss, its grad_fn name and the
gradients of input and target (for reduction 'none', of (loss * u).sum()).
Where PyTorch raises, the case records its message.

Format, one case per block:

  === <name>
  op <function>
  options reduction=<r> beta=<b> delta=<d>
  input <shape> | <values>
  target <shape> | <values>
  weight <shape> | <values>          (optional)
  pos_weight <shape> | <values>      (optional)
  out <shape> | <values>             or `error <message>`
  grad_input <shape> | <values>
  grad_target <shape> | <values>
  grad_fn <name>

Run: python tools/reference/pointwise_losses.py   (deterministic: seeded)
"""

from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nn/tests/data/pointwise_losses.txt"


def fmt(t):
    shape = ",".join(str(d) for d in t.shape) or "-"
    return f"{shape} | " + " ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())


def main():
    torch.manual_seed(0)
    lines = []
    count = 0

    def case(name, op, x, t, reduction="mean", beta=1.0, delta=1.0, weight=None, pos_weight=None):
        nonlocal count, lines
        count += 1
        x = x.detach().clone().requires_grad_(True)
        t = t.detach().clone().requires_grad_(True)
        lines += [f"=== {name}", f"op {op}", f"options reduction={reduction} beta={beta} delta={delta}",
                  f"input {fmt(x)}", f"target {fmt(t)}"]
        if weight is not None:
            lines.append(f"weight {fmt(weight)}")
        if pos_weight is not None:
            lines.append(f"pos_weight {fmt(pos_weight)}")
        try:
            if op == "l1_loss":
                out = F.l1_loss(x, t, reduction=reduction)
            elif op == "smooth_l1_loss":
                out = F.smooth_l1_loss(x, t, reduction=reduction, beta=beta)
            elif op == "huber_loss":
                out = F.huber_loss(x, t, reduction=reduction, delta=delta)
            elif op == "binary_cross_entropy":
                out = F.binary_cross_entropy(x, t, weight=weight, reduction=reduction)
            else:
                out = F.binary_cross_entropy_with_logits(x, t, weight=weight, reduction=reduction,
                                                         pos_weight=pos_weight)
        except (RuntimeError, ValueError) as e:
            lines.append("error " + str(e).splitlines()[0])
            return
        if reduction == "none":
            (out * torch.linspace(0.5, 1.5, out.numel()).reshape(out.shape)).sum().backward()
        else:
            out.backward()
        lines += [f"out {fmt(out)}", f"grad_input {fmt(x.grad)}", f"grad_target {fmt(t.grad)}",
                  f"grad_fn {type(out.grad_fn).__name__}"]

    x = torch.randn(3, 4) * 2
    t = torch.randn(3, 4)
    probabilities = torch.rand(3, 4) * 0.98 + 0.01
    labels = (torch.rand(3, 4) > 0.5).float()
    soft = torch.rand(3, 4)
    weight = torch.rand(4) + 0.5
    pos_weight = torch.tensor([0.5, 1.0, 2.0, 3.0])
    for reduction in ["mean", "sum", "none"]:
        case(f"l1 {reduction}", "l1_loss", x, t, reduction)
        for beta in [1.0, 0.5, 0.0]:
            case(f"smooth_l1 {reduction} beta {beta}", "smooth_l1_loss", x, t, reduction, beta=beta)
        for delta in [1.0, 2.5]:
            case(f"huber {reduction} delta {delta}", "huber_loss", x, t, reduction, delta=delta)
        case(f"bce {reduction}", "binary_cross_entropy", probabilities, labels, reduction)
        case(f"bce {reduction} soft weight", "binary_cross_entropy", probabilities, soft, reduction,
             weight=weight)
        case(f"bce_logits {reduction}", "binary_cross_entropy_with_logits", x, labels, reduction)
        case(f"bce_logits {reduction} weight pos_weight", "binary_cross_entropy_with_logits", x, soft,
             reduction, weight=weight, pos_weight=pos_weight)
    case("bce_logits large logits", "binary_cross_entropy_with_logits", x * 100, labels)
    case("bce saturated", "binary_cross_entropy", torch.tensor([0.0, 1.0, 0.5]), torch.tensor([1.0, 0.0, 1.0]),
         "sum")
    case("bce out of range", "binary_cross_entropy", torch.tensor([1.5, 0.5]), torch.tensor([1.0, 0.0]))
    case("smooth_l1 negative beta", "smooth_l1_loss", x, t, beta=-1.0)
    case("huber zero delta", "huber_loss", x, t, delta=0.0)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"torch {torch.__version__}: wrote {count} cases to {OUT}")


if __name__ == "__main__":
    main()
