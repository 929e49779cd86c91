#!/usr/bin/env python3
"""Peak heap memory of one MLP training step in PyTorch (CPU, float32).

The step: MLP 784-1024-1024-10 with ReLU, batch 512, MSELoss, SGD(lr=0.01):
`zero_grad()` (set_to_none), forward, backward, step, after one warm-up
step. The figure is the peak of live heap bytes during the step over the
live bytes before it, counted by a preloaded allocator shim
(`heap_peak.c`), as `examples/tests/memory.rs` counts this library's with a
counting global allocator. Refresh the constant there from this output.

    gcc -O2 -shared -fPIC -o /tmp/heap_peak.so tools/bench/heap_peak.c -ldl
    LD_PRELOAD=/tmp/heap_peak.so python tools/bench/mlp_memory.py
"""

import ctypes
import os

import torch

torch.set_num_threads(1)


def main():
    shim = ctypes.CDLL(None)  # the preloaded shim's symbols are global
    shim.heap_live.restype = ctypes.c_long
    shim.heap_peak.restype = ctypes.c_long
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 1024), torch.nn.ReLU(),
        torch.nn.Linear(1024, 10),
    )
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    loss = torch.nn.MSELoss()
    x, y = torch.randn(512, 784), torch.randn(512, 10)

    def step():
        opt.zero_grad()
        loss(net(x), y).backward()
        opt.step()

    step()
    growth = []
    for _ in range(5):
        before = shim.heap_live()
        shim.heap_reset_peak()
        step()
        growth.append(shim.heap_peak() - before)
    print(f"torch {torch.__version__}, {os.uname().machine}: peak heap growth over one "
          f"step: {min(growth)}..{max(growth)} bytes")


if __name__ == "__main__":
    main()
