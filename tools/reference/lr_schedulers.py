#!/usr/bin/env python3
"""Generate learning-rate schedules from PyTorch.

Writes crates/optim/tests/data/lr_schedulers.txt, which
crates/optim/tests/lr_schedulers.rs reads: for each scheduler
configuration, an optimizer over two parameter groups (Adam with lrs 0.1
and 0.02, or SGD with momentum for OneCycleLR), then `steps` rounds of
optimizer.step(); scheduler.step(), recording get_last_lr() after the
constructor and after every step (and each group's momentum / beta1 for
OneCycleLR). ReduceLROnPlateau steps on the listed metrics.

Format: `=== <name>`, `optimizer <Adam|SGD>`, `lr <k> | <lr0> <lr1>`,
`momentum <k> | <m0> <m1>`, `metrics | <values>`.

Run: python tools/reference/lr_schedulers.py
"""

from pathlib import Path

import torch
from torch.optim import lr_scheduler as S

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/optim/tests/data/lr_schedulers.txt"


def main():
    lines = []

    def case(name, make, steps, optimizer="Adam", metrics=None):
        a = torch.zeros(2, requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        if optimizer == "Adam":
            opt = torch.optim.Adam([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.02}])
        else:
            opt = torch.optim.SGD([{"params": [a], "lr": 0.1, "momentum": 0.9},
                                   {"params": [b], "lr": 0.02, "momentum": 0.9}])
        sched = make(opt)
        lines.append(f"=== {name}")
        lines.append(f"optimizer {optimizer}")
        if metrics is not None:
            lines.append("metrics | " + " ".join(repr(m) for m in metrics))

        def record(k):
            lines.append(f"lr {k} | " + " ".join(repr(float(g["lr"])) for g in opt.param_groups))
            key = "momentum" if optimizer == "SGD" else None
            if key:
                lines.append(f"momentum {k} | " + " ".join(repr(float(g[key])) for g in opt.param_groups))

        record(0)
        for k in range(steps):
            opt.step()
            if metrics is not None:
                sched.step(metrics[k])
            else:
                sched.step()
            record(k + 1)

    case("step", lambda o: S.StepLR(o, step_size=3, gamma=0.5), 10)
    case("multistep", lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 8], gamma=0.3), 10)
    case("exponential", lambda o: S.ExponentialLR(o, gamma=0.9), 10)
    case("cosine", lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.001), 13)
    case("linear", lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 7)
    case("linear defaults", lambda o: S.LinearLR(o), 7)
    case("one cycle", lambda o: S.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=10), 10, optimizer="SGD")
    case("one cycle linear three phase", lambda o: S.OneCycleLR(
        o, max_lr=0.8, total_steps=12, pct_start=0.25, anneal_strategy="linear", three_phase=True,
        div_factor=10.0, final_div_factor=100.0), 12, optimizer="SGD")
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96]
    case("plateau", lambda o: S.ReduceLROnPlateau(o, patience=2, factor=0.5, cooldown=1), 12,
         metrics=metrics)
    case("plateau max abs", lambda o: S.ReduceLROnPlateau(o, mode="max", threshold=0.05,
                                                          threshold_mode="abs", patience=1, min_lr=0.01),
         12, metrics=metrics)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"torch {torch.__version__}: wrote {OUT}")


if __name__ == "__main__":
    main()
