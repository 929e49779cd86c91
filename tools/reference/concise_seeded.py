#!/usr/bin/env python3
"""The book's concise linear regression (Dive into Deep Learning §3.3), run
with torch.manual_seed(42) first, as `cargo run -p examples --bin concise --
--seed 42` runs it. Writes examples/tests/data/concise_seed42.txt, which
examples/tests/tutorial.rs compares with the Rust program's output: the same
data, the same initial weights and batch order, so the same printed lines.

Run: python tools/reference/concise_seeded.py
"""

from pathlib import Path

import torch
from torch import nn
from torch.utils import data

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "examples/tests/data/concise_seed42.txt"


def synthetic_data(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def load_array(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


def main():
    torch.manual_seed(42)
    lines = []
    true_w = torch.tensor([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    batch_size = 10
    data_iter = load_array((features, labels), batch_size)
    first = next(iter(data_iter))
    lines.append("[" + ",\n ".join(repr(t).replace("\n", "\n ") for t in first) + "]")
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    loss = nn.MSELoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.03)
    for epoch in range(3):
        for X, y in data_iter:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
        l = loss(net(features), labels)
        lines.append(f"epoch {epoch + 1}, loss {l:f}")
    w = net[0].weight.data
    lines.append(f"error in estimating w: {true_w - w.reshape(true_w.shape)}")
    b = net[0].bias.data
    lines.append(f"error in estimating b: {true_b - b}")
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text(), end="")


if __name__ == "__main__":
    main()
