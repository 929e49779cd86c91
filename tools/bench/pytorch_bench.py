#!/usr/bin/env python3
"""PyTorch's side of the performance table (docs/PERFORMANCE.md).

Runs the same workloads as `cargo run --release -p benches --bin table`, with
the same method (warm-up, then the median of repeated timings), at the thread
count given on the command line, and prints one `name<TAB>value<TAB>unit` line
per workload. Needs torch (`pip install torch`); nothing else in the
repository does.

    python tools/bench/pytorch_bench.py --threads 1
"""

import argparse
import statistics
import time
import warnings

warnings.filterwarnings("ignore", message=".*NumPy.*")
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.utils import data  # noqa: E402


def median_seconds(fn, min_time=0.5, min_reps=5, max_reps=1000):
    """Median wall time of fn() after one warm-up call."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_time and len(times) < max_reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def synthetic_data(w, b, n):
    X = torch.normal(0, 1, (n, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def scratch_training(features, labels):
    import random

    def data_iter(batch_size, features, labels):
        num_examples = len(features)
        indices = list(range(num_examples))
        random.shuffle(indices)
        for i in range(0, num_examples, batch_size):
            batch_indices = torch.tensor(indices[i:min(i + batch_size, num_examples)])
            yield features[batch_indices], labels[batch_indices]

    def linreg(X, w, b):
        return torch.matmul(X, w) + b

    def squared_loss(y_hat, y):
        return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2

    def sgd(params, lr, batch_size):
        with torch.no_grad():
            for param in params:
                param -= lr * param.grad / batch_size
                param.grad.zero_()

    def run():
        w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        for epoch in range(3):
            for X, y in data_iter(10, features, labels):
                l = squared_loss(linreg(X, w, b), y)
                l.sum().backward()
                sgd([w, b], 0.03, 10)
            with torch.no_grad():
                train_l = squared_loss(linreg(features, w, b), labels)
                float(train_l.mean())

    return run


def concise_training(features, labels):
    data_iter = data.DataLoader(data.TensorDataset(features, labels), 10, shuffle=True)

    def run():
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
            with torch.no_grad():
                float(loss(net(features), labels))

    return run


def mlp_step():
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    trainer = torch.optim.SGD(net.parameters(), lr=0.01)
    loss = nn.MSELoss()
    x, y = torch.randn(256, 784), torch.randn(256, 10)

    def run():
        trainer.zero_grad()
        l = loss(net(x), y)
        l.backward()
        trainer.step()

    return run


def chain():
    x = torch.ones(3, 2, requires_grad=True)

    def run():
        x.grad = None
        y = x
        for _ in range(100):
            y = y * 1.0001 + 0.0001
        y.sum().backward()

    return run


def bundled_mnist_train():
    """The first 8,000 images of the bundled MNIST test set, as the Rust side reads them."""
    import gzip
    from pathlib import Path

    import numpy as np

    raw = Path(__file__).resolve().parents[2] / "data/MNIST/raw"
    images = np.frombuffer(gzip.open(raw / "t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
    labels = np.frombuffer(gzip.open(raw / "t10k-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    x = torch.tensor(images.reshape(-1, 1, 28, 28)[:8000], dtype=torch.float32) / 255
    y = torch.tensor(labels[:8000], dtype=torch.int64)
    return x, y


def lenet_relu():
    """LeNet with ReLU and max pooling, Xavier-uniform weights (the book's init_cnn)."""
    net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    for m in net:
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
    return net


def conv2d_step(input, weight, padding, backward):
    """F.conv2d with bias; with `backward`, also the backward of the output's sum."""
    x = torch.randn(*input, requires_grad=backward)
    w = torch.randn(*weight, requires_grad=backward)
    b = torch.randn(weight[0], requires_grad=backward)

    def run():
        y = F.conv2d(x, w, b, padding=padding)
        if backward:
            x.grad = w.grad = b.grad = None
            y.sum().backward()

    return run


def mnist_epoch(make, normal_init=True):
    """One epoch of the book's classification loop (batch 256, SGD lr 0.1)."""
    x, y = bundled_mnist_train()
    loader = data.DataLoader(data.TensorDataset(x, y), 256, shuffle=True)
    net = make()
    for m in net:
        if normal_init and isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
    loss = nn.CrossEntropyLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)

    def run():
        for X, Y in loader:
            l = loss(net(X), Y)
            trainer.zero_grad()
            l.backward()
            trainer.step()

    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []
    for m, k, n, layout in [
        (256, 256, 256, ""), (512, 512, 512, ""), (1024, 1024, 1024, ""), (2048, 2048, 2048, ""),
        (256, 784, 256, ""), (256, 784, 256, "a^T"), (256, 256, 784, "b^T"), (256, 256, 10, ""),
    ]:
        a = torch.randn(k, m).t() if layout == "a^T" else torch.randn(m, k)
        b = torch.randn(n, k).t() if layout == "b^T" else torch.randn(k, n)
        seconds = median_seconds(lambda: torch.matmul(a, b))
        name = f"matmul {m}x{k}@{k}x{n}" + (f" ({layout})" if layout else "")
        rows.append((name, 2 * m * k * n / seconds / 1e9, "GFLOP/s"))
    a, b = torch.randn(10, 2), torch.randn(2, 1)
    rows.append(("matmul 10x2@2x1", median_seconds(lambda: torch.matmul(a, b)) * 1e6, "us"))
    features, labels = synthetic_data(torch.tensor([2, -3.4]), 4.2, 1000)
    rows.append(("tutorial scratch training", median_seconds(scratch_training(features, labels)) * 1e3, "ms"))
    rows.append(("tutorial concise training", median_seconds(concise_training(features, labels)) * 1e3, "ms"))
    rows.append(("mlp 784-256-10 sgd step, batch 256", median_seconds(mlp_step()) * 1e3, "ms"))
    rows.append(("chain 100 x (y*1.0001+0.0001) + backward", median_seconds(chain()) * 1e3, "ms"))
    rows.append(("mnist softmax regression epoch (8000 images, batch 256)",
                 median_seconds(mnist_epoch(lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)))) * 1e3, "ms"))
    rows.append(("mnist mlp 784-256-10 epoch (8000 images, batch 256)",
                 median_seconds(mnist_epoch(lambda: nn.Sequential(
                     nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)))) * 1e3, "ms"))
    rows.append(("mnist lenet (relu, max pool) epoch (8000 images, batch 256)",
                 median_seconds(mnist_epoch(lenet_relu, normal_init=False)) * 1e3, "ms"))
    for name, input, weight, padding in [
        ("lenet conv1 256x1x28x28 * 6x1x5x5 pad 2", (256, 1, 28, 28), (6, 1, 5, 5), 2),
        ("lenet conv2 256x6x14x14 * 16x6x5x5", (256, 6, 14, 14), (16, 6, 5, 5), 0),
        ("resnet block 8x64x56x56 * 64x64x3x3 pad 1", (8, 64, 56, 56), (64, 64, 3, 3), 1),
    ]:
        for backward in (False, True):
            pass_name = "forward+backward" if backward else "forward"
            rows.append((f"conv2d {pass_name} {name}",
                         median_seconds(conv2d_step(input, weight, padding, backward)) * 1e3, "ms"))
    for name, value, unit in rows:
        print(f"{name}\t{value:.4g}\t{unit}")


if __name__ == "__main__":
    main()
