#!/usr/bin/env python3
"""Files that PyTorch writes for the save/load tests, and PyTorch's check of
a file this library writes.

Writes, under crates/serialization/tests/data/ (read by crates/serialization/tests/files.rs):

  zoo.pt, zoo.safetensors   the same named tensors, saved by torch.save and by
                            safetensors.torch.save_file: every supported dtype,
                            0-d and empty tensors, NaN/inf/-0, extreme int64s, and
                            (in zoo.pt) views that share one storage: transposed,
                            narrowed with an offset, strided, expanded (stride 0)
  zoo.txt                   the expected values: `name dtype shape | values`
  zoo_protocol4.pt          zoo.pt with pickle protocol 4 (FRAME, MEMOIZE, ...)
  parameters.pt             a dict of nn.Parameter (rebuilt by _rebuild_parameter)
  nested.pt                 {"model": state_dict, "epoch": 3, "lr": 0.1}
  shared.pt                 {"model": sd, "ema": sd, "step": 7}: one dict referenced twice
  module.pt                 torch.save(model): a whole module, not a state_dict
  tensor.pt                 torch.save(tensor): a bare tensor
  legacy.pt                 the pre-1.6 format (_use_new_zipfile_serialization=False)
  half.pt, half.safetensors a float16 tensor

and, under examples/tests/data/interop/ (read by examples/tests/interop.rs):

  lenet_bn.safetensors, lenet_bn.pt   the book's BatchNorm LeNet trained 30 SGD steps
                                      on the bundled MNIST digits (state_dict: weights,
                                      running statistics, num_batches_tracked)
  lenet_bn_io.safetensors             8 held-out digits ("input") and PyTorch's
                                      logits in eval ("eval") and training ("train") mode

If examples/tests/data/interop/from_rust/ holds lenet_bn.safetensors and
io.safetensors (written by this library: `WRITE_INTEROP=1 cargo test -p
examples --test interop`), the model is loaded into PyTorch with
`load_state_dict(strict=True)`, run on the recorded input, and the result is
written to from_rust/pytorch_check.txt with the file's MD5.

Run: python tools/reference/interop.py [--check-only]   (seeded; needs torch,
numpy, safetensors; --check-only runs only the check of from_rust/, leaving
the other files as they are: torch.save writes a random serialization id)
"""

import gzip
import hashlib
import math
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn import functional as F

from cnn_models import lenet_batch_norm  # the book's BatchNorm LeNet, shared with cnn_models.py

ROOT = Path(__file__).resolve().parents[2]
SER = ROOT / "crates/serialization/tests/data"
EX = ROOT / "examples/tests/data/interop"
FROM_RUST = EX / "from_rust"

DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool"}


def f32_text(v):
    """float32 `v` in its shortest round-trip decimal form."""
    return str(np.float32(v))


def zoo():
    torch.manual_seed(0)
    base = torch.arange(24.0).reshape(4, 6)
    row = torch.tensor([1.0, 2.0, 3.0])
    return {
        "float32": torch.randn(3, 4),
        "float64": torch.randn(2, 3, dtype=torch.float64),
        "int64": torch.tensor([0, -1, 2**40, -(2**63), 2**63 - 1]),
        "bool": torch.tensor([True, False, True, True]),
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 3),
        "special": torch.tensor([float("nan"), float("inf"), float("-inf"), -0.0, 1e-45, 3.4e38]),
        "base": base,
        "transposed": base.t(),
        "narrowed": base[1:3, 2:5],
        "strided": base[:, ::2],
        "expanded": row.expand(2, 3),
        "labels": torch.tensor([[3, 1], [4, 1], [5, 9]]).t(),
    }


def write_zoo():
    tensors = zoo()
    torch.save(tensors, SER / "zoo.pt")
    torch.save(tensors, SER / "zoo_protocol4.pt", pickle_protocol=4)
    save_file({k: v.contiguous().clone() for k, v in tensors.items()}, SER / "zoo.safetensors")
    lines = []
    for name, t in tensors.items():
        shape = ",".join(str(d) for d in t.shape) or "-"
        flat = t.contiguous().reshape(-1).tolist()
        if t.dtype == torch.float32:
            values = [f32_text(v) for v in flat]
        else:
            values = [repr(v) for v in flat]
        lines.append(f"{name} {DTYPES[t.dtype]} {shape} | {' '.join(values)}")
    (SER / "zoo.txt").write_text("\n".join(lines) + "\n")

    torch.save({"weight": nn.Parameter(torch.ones(2, 3)), "bias": nn.Parameter(torch.zeros(2))}, SER / "parameters.pt")
    torch.manual_seed(1)
    linear = nn.Linear(3, 2)
    torch.save({"model": linear.state_dict(), "epoch": 3, "lr": 0.1}, SER / "nested.pt")
    torch.save(linear, SER / "module.pt")
    # One state_dict under two keys: pickled once, then referenced from the memo.
    torch.manual_seed(3)
    shared = nn.Linear(3, 2).state_dict()
    torch.save({"model": shared, "ema": shared, "step": 7}, SER / "shared.pt")
    torch.save(torch.ones(2), SER / "tensor.pt")
    torch.save(linear.state_dict(), SER / "legacy.pt", _use_new_zipfile_serialization=False)
    half = {"weight": torch.ones(2, dtype=torch.float16)}
    torch.save(half, SER / "half.pt")
    save_file(half, SER / "half.safetensors")


def mnist():
    raw = ROOT / "data/MNIST/raw"
    images = np.frombuffer(gzip.open(raw / "t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
    labels = np.frombuffer(gzip.open(raw / "t10k-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    x = torch.tensor(images.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)
    return x, torch.tensor(labels.astype(np.int64))


def write_model():
    torch.manual_seed(0)
    x, y = mnist()
    net = lenet_batch_norm()
    for m in net:
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
    trainer = torch.optim.SGD(net.parameters(), lr=0.1)
    for step in range(30):
        batch = slice(64 * step, 64 * (step + 1))
        loss = F.cross_entropy(net(x[batch]), y[batch])
        trainer.zero_grad()
        loss.backward()
        trainer.step()
    state = net.state_dict()
    save_file({k: v.contiguous() for k, v in state.items()}, EX / "lenet_bn.safetensors")
    torch.save(state, EX / "lenet_bn.pt")
    probe = x[9000:9008].clone()
    net.eval()
    with torch.no_grad():
        evaluated = net(probe)
    net.train()
    with torch.no_grad():
        trained = net(probe)
    save_file({"input": probe, "eval": evaluated, "train": trained}, EX / "lenet_bn_io.safetensors")


def check_from_rust():
    model_file, io_file = FROM_RUST / "lenet_bn.safetensors", FROM_RUST / "io.safetensors"
    if not (model_file.exists() and io_file.exists()):
        print(f"no {FROM_RUST.relative_to(ROOT)} files yet: run WRITE_INTEROP=1 cargo test -p examples --test interop, then this again")
        return
    net = lenet_batch_norm()
    net.load_state_dict(load_file(model_file), strict=True)
    io = load_file(io_file)
    net.eval()
    with torch.no_grad():
        ours = net(io["input"])
    diff = (ours - io["eval"]).abs().max().item()
    ok = diff <= 1e-5
    digest = hashlib.md5(model_file.read_bytes()).hexdigest()
    (FROM_RUST / "pytorch_check.txt").write_text(
        f"file lenet_bn.safetensors md5 {digest}\n"
        f"loaded with torch {torch.__version__}: safetensors.torch.load_file, load_state_dict(strict=True)\n"
        f"max abs difference of eval-mode logits {diff:.3e}\n"
        f"result {'ok' if ok else 'FAILED'}\n")
    print(f"PyTorch check of the file written by Rust: max |diff| {diff:.3e}, {'ok' if ok else 'FAILED'}")


def main():
    import sys
    FROM_RUST.mkdir(parents=True, exist_ok=True)
    if "--check-only" not in sys.argv[1:]:
        SER.mkdir(parents=True, exist_ok=True)
        write_zoo()
        write_model()
    check_from_rust()


if __name__ == "__main__":
    main()
