#!/usr/bin/env python3
"""Export PyTorch-trained CNN weights, inputs and outputs for the model tests.

Writes examples/tests/data/cnn_models.txt, which examples/tests/cnn.rs reads:
the book's BatchNorm LeNet (§8.5) and a ResNet residual block with a 1×1
shortcut (§8.6), each trained 5 SGD steps in PyTorch (so the running
statistics are not their initial values), then its whole state_dict (every
parameter and buffer, with PyTorch's names), a recorded input, the output
in eval mode and the output in training mode (batch statistics).

Format, one model per block:

  === <model>
  state <name> <dtype> <shape> | <values>     (one line per state_dict entry, in order)
  input <shape> | <values>
  eval <shape> | <values>
  train <shape> | <values>

Run: python tools/reference/cnn_models.py   (deterministic: seeded)
"""

from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "examples/tests/data/cnn_models.txt"


def fmt(t):
    """`shape | values`, float32 values in their shortest round-trip form."""
    shape = ",".join(str(d) for d in t.shape) or "-"
    flat = t.detach().reshape(-1).numpy()
    values = " ".join(str(v) for v in (flat.tolist() if t.dtype == torch.int64 else flat))
    return f"{shape} | {values}"


def lenet_batch_norm():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.BatchNorm2d(6), nn.Sigmoid(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.Sigmoid(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(256, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(), nn.Linear(84, 10))


class Residual(nn.Module):
    """The book's residual block (§8.6)."""

    def __init__(self, in_channels, channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, padding=1, stride=strides)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)
        self.conv3 = nn.Conv2d(in_channels, channels, 1, stride=strides) if use_1x1conv else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3 is not None:
            x = self.conv3(x)
        return F.relu(y + x)


def export(lines, name, net, x, steps=5):
    """Trains `net` for a few SGD steps on `x` (a regression to a fixed target), then records it."""
    trainer = torch.optim.SGD(net.parameters(), lr=0.05)
    target = torch.randn(net(x).shape)
    for _ in range(steps):
        loss = F.mse_loss(net(x), target)
        trainer.zero_grad()
        loss.backward()
        trainer.step()
    lines.append(f"=== {name}")
    for key, value in net.state_dict().items():
        dtype = "i64" if value.dtype == torch.int64 else "f32"
        lines.append(f"state {key} {dtype} {fmt(value)}")
    probe = torch.randn(x.shape)
    lines.append(f"input {fmt(probe)}")
    net.eval()
    with torch.no_grad():
        lines.append(f"eval {fmt(net(probe))}")
    net.train()
    with torch.no_grad():
        lines.append(f"train {fmt(net(probe))}")


def main():
    torch.manual_seed(0)
    lines = []
    export(lines, "lenet batch norm", lenet_batch_norm(), torch.randn(8, 1, 28, 28))
    export(lines, "residual block with 1x1 shortcut", Residual(4, 8, use_1x1conv=True, strides=2), torch.randn(3, 4, 9, 9))
    export(lines, "residual block", Residual(6, 6), torch.randn(2, 6, 5, 5))
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
