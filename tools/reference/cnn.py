#!/usr/bin/env python3
"""Generate the convolution, pooling and normalization references from PyTorch.

Writes crates/nn/tests/data/cnn.txt, which crates/nn/tests/cnn.rs reads: one
table of cases over F.conv1d, F.conv2d, F.conv_transpose2d, F.max_pool2d,
F.avg_pool2d, F.adaptive_{avg,max}_pool2d, F.batch_norm, F.layer_norm and
F.group_norm, with odd sizes, padding, stride with dilation, groups,
"same"/"valid" padding, ceil_mode, non-contiguous inputs, batch size 1,
unbatched inputs, NaN and -inf. For each case: the inputs (float64), the
result, the gradient of (out * up).sum() for every input, the grad_fn name;
or PyTorch's error message.

Format, one case per block:

  === <name>
  op <op>
  options key=value ...          (ints, `a,b` pairs, `same`/`valid`, True/False, None)
  arg <name> <shape> | <values>  (tensor arguments in call order; `none` if absent)
  transpose <name>               (the argument is passed as .transpose(-1, -2) of the listed tensor)
  out <shape> | <values>         or `error <message>`
  indices <shape> | <values>     (max pooling)
  up <shape> | <values>
  grad <name> <shape> | <values>
  grad_fn <name>
  after <name> <shape> | <values>   (running statistics after a training step)

Run: python tools/reference/cnn.py   (deterministic: seeded)
"""

from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/nn/tests/data/cnn.txt"


def fmt(t):
    shape = ",".join(str(d) for d in t.shape) or "-"
    values = " ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())
    return f"{shape} | {values}"


def opt(v):
    if isinstance(v, tuple):
        return ",".join(str(x) for x in v)
    return str(v)


def rand(*shape):
    return torch.randn(*shape, dtype=torch.float64)


def call(op, args, options):
    kw = dict(options)
    if op == "conv2d":
        return F.conv2d(*args, **kw)
    if op == "conv1d":
        return F.conv1d(*args, **kw)
    if op == "conv_transpose2d":
        return F.conv_transpose2d(*args, **kw)
    if op == "max_pool2d":
        return F.max_pool2d(*args, return_indices=True, **kw)
    if op == "avg_pool2d":
        return F.avg_pool2d(*args, **kw)
    if op == "adaptive_avg_pool2d":
        return F.adaptive_avg_pool2d(*args, **kw)
    if op == "adaptive_max_pool2d":
        return F.adaptive_max_pool2d(*args, return_indices=True, **kw)
    if op == "batch_norm":
        return F.batch_norm(*args, **kw)
    if op == "layer_norm":
        return F.layer_norm(args[0], kw.pop("normalized_shape"), *args[1:], **kw)
    if op == "group_norm":
        return F.group_norm(args[0], kw.pop("num_groups"), *args[1:], **kw)
    raise ValueError(op)


def main():
    torch.manual_seed(0)
    lines = []

    def case(name, op, args, transpose=(), **options):
        lines.append(f"=== {name}")
        lines.append(f"op {op}")
        lines.append("options " + " ".join(f"{k}={opt(v)}" for k, v in options.items()))
        names = [n for n, _ in args]
        inputs = []
        for n, t in args:
            if t is None:
                lines.append(f"arg {n} none")
                inputs.append(None)
                continue
            lines.append(f"arg {n} {fmt(t)}")
            differentiable = n not in ("running_mean", "running_var")
            if n in transpose:
                # The same values, as a non-contiguous view of a transposed copy.
                lines.append(f"transpose {n}")
                base = t.detach().transpose(-1, -2).contiguous().requires_grad_(differentiable)
                inputs.append(base.transpose(-1, -2))
                continue
            inputs.append(t.detach().clone().requires_grad_(differentiable))
        leaves = {}
        for n, x in zip(names, inputs):
            if x is not None:
                leaves[n] = x
        try:
            result = call(op, inputs, options)
        except (RuntimeError, ValueError) as e:
            lines.append("error " + str(e).splitlines()[0])
            return
        indices = None
        if isinstance(result, tuple):
            result, indices = result
        lines.append(f"out {fmt(result)}")
        if indices is not None:
            lines.append(f"indices {fmt(indices)}")
        up = torch.linspace(-1.0, 1.5, result.numel(), dtype=torch.float64).reshape(result.shape)
        lines.append(f"up {fmt(up)}")
        wanted = [(n, x) for n, x in leaves.items() if n not in ("running_mean", "running_var")]
        grads = torch.autograd.grad((result * up).sum(), [x for _, x in wanted], allow_unused=True)
        for (n, x), g in zip(wanted, grads):
            if g is None:
                g = torch.zeros_like(x)
            lines.append(f"grad {n} {fmt(g)}")
        lines.append(f"grad_fn {type(result.grad_fn).__name__}")
        for n in ("running_mean", "running_var"):
            if n in leaves:
                lines.append(f"after {n} {fmt(leaves[n])}")

    # ---- conv2d
    case("conv2d basic", "conv2d", [("input", rand(2, 3, 7, 6)), ("weight", rand(4, 3, 3, 3)), ("bias", rand(4))])
    case("conv2d no bias stride 2 pad 1", "conv2d", [("input", rand(2, 3, 7, 6)), ("weight", rand(4, 3, 3, 2)), ("bias", None)], stride=2, padding=1)
    case("conv2d padding larger than half the kernel", "conv2d", [("input", rand(1, 2, 5, 5)), ("weight", rand(3, 2, 3, 3)), ("bias", rand(3))], padding=(3, 2))
    case("conv2d dilation with stride", "conv2d", [("input", rand(2, 2, 9, 8)), ("weight", rand(3, 2, 3, 2)), ("bias", rand(3))], stride=(2, 3), padding=(1, 2), dilation=(2, 3))
    case("conv2d groups", "conv2d", [("input", rand(2, 4, 6, 5)), ("weight", rand(6, 2, 3, 3)), ("bias", rand(6))], groups=2, padding=1)
    case("conv2d depthwise", "conv2d", [("input", rand(1, 3, 5, 5)), ("weight", rand(3, 1, 3, 3)), ("bias", None)], groups=3)
    case("conv2d pointwise", "conv2d", [("input", rand(2, 5, 4, 3)), ("weight", rand(3, 5, 1, 1)), ("bias", rand(3))])
    case("conv2d pointwise batch 1", "conv2d", [("input", rand(1, 5, 4, 3)), ("weight", rand(3, 5, 1, 1)), ("bias", rand(3))])
    case("conv2d pointwise stride", "conv2d", [("input", rand(2, 5, 4, 3)), ("weight", rand(3, 5, 1, 1)), ("bias", rand(3))], stride=2)
    case("conv2d same odd kernel", "conv2d", [("input", rand(2, 2, 5, 6)), ("weight", rand(3, 2, 3, 5)), ("bias", rand(3))], padding="same")
    case("conv2d same even kernel with dilation", "conv2d", [("input", rand(1, 2, 6, 7)), ("weight", rand(2, 2, 4, 2)), ("bias", rand(2))], padding="same", dilation=(1, 2))
    case("conv2d valid", "conv2d", [("input", rand(2, 2, 5, 6)), ("weight", rand(3, 2, 3, 3)), ("bias", rand(3))], padding="valid")
    case("conv2d unbatched", "conv2d", [("input", rand(3, 5, 5)), ("weight", rand(2, 3, 2, 2)), ("bias", rand(2))])
    case("conv2d non-contiguous input", "conv2d", [("input", rand(2, 3, 6, 7)), ("weight", rand(4, 3, 3, 3)), ("bias", rand(4))], transpose=("input",), padding=1)
    case("conv2d kernel larger than input", "conv2d", [("input", rand(1, 1, 2, 2)), ("weight", rand(1, 1, 3, 3)), ("bias", None)])
    case("conv2d wrong channels", "conv2d", [("input", rand(1, 2, 5, 5)), ("weight", rand(1, 3, 3, 3)), ("bias", None)])
    case("conv2d groups do not divide weight", "conv2d", [("input", rand(1, 4, 5, 5)), ("weight", rand(3, 2, 3, 3)), ("bias", None)], groups=2)
    case("conv2d same with stride", "conv2d", [("input", rand(1, 1, 5, 5)), ("weight", rand(1, 1, 3, 3)), ("bias", None)], padding="same", stride=2)
    case("conv2d 2-D input", "conv2d", [("input", rand(5, 5)), ("weight", rand(1, 1, 3, 3)), ("bias", None)])
    case("conv2d large batch split across threads", "conv2d", [("input", rand(5, 8, 20, 20)), ("weight", rand(12, 8, 3, 3)), ("bias", rand(12))], padding=1)
    case("conv2d large pointwise batch split across threads", "conv2d", [("input", rand(7, 32, 12, 12)), ("weight", rand(64, 32, 1, 1)), ("bias", None)])
    case("conv2d large lenet-like", "conv2d", [("input", rand(3, 6, 14, 14)), ("weight", rand(16, 6, 5, 5)), ("bias", rand(16))])

    # 3×3 stride-1 convolutions with 16 or more channels each way (Winograd's F(2×2, 3×3) here)
    case("conv2d 3x3 16 channels pad 1 odd size", "conv2d", [("input", rand(2, 16, 7, 5)), ("weight", rand(17, 16, 3, 3)), ("bias", rand(17))], padding=1)
    case("conv2d 3x3 16 channels no padding", "conv2d", [("input", rand(3, 16, 6, 9)), ("weight", rand(16, 16, 3, 3)), ("bias", None)])
    case("conv2d 3x3 16 channels pad 2 and 0", "conv2d", [("input", rand(1, 18, 5, 4)), ("weight", rand(16, 18, 3, 3)), ("bias", rand(16))], padding=(2, 0))
    case("conv2d 3x3 16 channels same, non-contiguous", "conv2d", [("input", rand(2, 16, 4, 6)), ("weight", rand(16, 16, 3, 3)), ("bias", rand(16))], transpose=("input",), padding="same")
    case("conv2d 3x3 16 channels pad 3", "conv2d", [("input", rand(1, 16, 3, 3)), ("weight", rand(16, 16, 3, 3)), ("bias", None)], padding=3)
    case("conv2d large 3x3 32 channels batch split across threads", "conv2d", [("input", rand(4, 32, 14, 14)), ("weight", rand(32, 32, 3, 3)), ("bias", rand(32))], padding=1)

    # 8 or more channels each way, not 3×3 stride 1 with 16: the direct kernel
    case("conv2d 8 channels dilation 2", "conv2d", [("input", rand(2, 8, 9, 9)), ("weight", rand(8, 8, 3, 3)), ("bias", rand(8))], padding=2, dilation=2)
    case("conv2d 8 channels stride 2", "conv2d", [("input", rand(2, 8, 9, 8)), ("weight", rand(9, 8, 3, 2)), ("bias", rand(9))], stride=2, padding=1)
    case("conv2d 8 channels groups 2 5x5", "conv2d", [("input", rand(1, 16, 7, 7)), ("weight", rand(16, 8, 5, 5)), ("bias", None)], groups=2, padding=2)

    # ---- conv1d
    case("conv1d basic", "conv1d", [("input", rand(2, 3, 9)), ("weight", rand(4, 3, 3)), ("bias", rand(4))], stride=2, padding=2, dilation=2)
    case("conv1d groups same", "conv1d", [("input", rand(1, 4, 7)), ("weight", rand(4, 2, 4)), ("bias", None)], groups=2, padding="same")
    case("conv1d unbatched", "conv1d", [("input", rand(2, 6)), ("weight", rand(3, 2, 2)), ("bias", rand(3))])

    # ---- conv_transpose2d (weight [in, out/groups, kh, kw])
    case("conv_transpose2d basic", "conv_transpose2d", [("input", rand(2, 3, 4, 5)), ("weight", rand(3, 2, 3, 3)), ("bias", rand(2))])
    case("conv_transpose2d stride output_padding", "conv_transpose2d", [("input", rand(1, 2, 3, 4)), ("weight", rand(2, 3, 3, 2)), ("bias", rand(3))], stride=2, padding=1, output_padding=1)
    case("conv_transpose2d groups dilation", "conv_transpose2d", [("input", rand(2, 4, 3, 3)), ("weight", rand(4, 1, 2, 3)), ("bias", None)], groups=2, dilation=(2, 1), stride=(1, 2))
    case("conv_transpose2d bad output_padding", "conv_transpose2d", [("input", rand(1, 1, 3, 3)), ("weight", rand(1, 1, 3, 3)), ("bias", None)], output_padding=1)

    # ---- max_pool2d
    x = rand(2, 3, 7, 6)
    case("max_pool2d basic", "max_pool2d", [("input", x)], kernel_size=2)
    case("max_pool2d stride padding", "max_pool2d", [("input", rand(1, 2, 7, 7))], kernel_size=3, stride=2, padding=1)
    case("max_pool2d dilation ceil_mode", "max_pool2d", [("input", rand(2, 2, 8, 9))], kernel_size=(2, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), ceil_mode=True)
    case("max_pool2d ceil_mode", "max_pool2d", [("input", rand(1, 1, 5, 5))], kernel_size=2, ceil_mode=True)
    case("max_pool2d unbatched", "max_pool2d", [("input", rand(2, 5, 4))], kernel_size=(2, 1))
    nan = rand(1, 1, 4, 4)
    nan[0, 0, 1, 1] = float("nan")
    nan[0, 0, 2, 2] = float("-inf")
    nan[0, 0, 3, 3] = float("-inf")
    nan[0, 0, 3, 2] = float("-inf")
    nan[0, 0, 2, 3] = float("-inf")
    case("max_pool2d nan and -inf", "max_pool2d", [("input", nan)], kernel_size=2)
    zeros = torch.tensor([[[[-0.0, 0.0, 0.0, -0.0], [float("nan"), 1.0, 2.0, float("nan")],
                            [3.0, float("nan"), -1.0, -0.0], [float("nan"), 0.5, 0.0, -2.0]]]], dtype=torch.float64)
    case("max_pool2d signed zeros and several nans", "max_pool2d", [("input", zeros)], kernel_size=2, stride=1)
    case("max_pool2d non-contiguous", "max_pool2d", [("input", rand(2, 2, 6, 5))], transpose=("input",), kernel_size=2, stride=1)
    case("max_pool2d pad too large", "max_pool2d", [("input", rand(1, 1, 5, 5))], kernel_size=2, padding=2)
    case("max_pool2d output too small", "max_pool2d", [("input", rand(1, 1, 2, 2))], kernel_size=3)

    # ---- avg_pool2d
    case("avg_pool2d basic", "avg_pool2d", [("input", rand(2, 3, 7, 6))], kernel_size=2)
    case("avg_pool2d pad count_include_pad", "avg_pool2d", [("input", rand(1, 2, 7, 7))], kernel_size=3, stride=2, padding=1)
    case("avg_pool2d pad exclude pad ceil", "avg_pool2d", [("input", rand(1, 2, 7, 6))], kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    case("avg_pool2d ceil include pad", "avg_pool2d", [("input", rand(1, 1, 6, 6))], kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True)
    case("avg_pool2d divisor_override", "avg_pool2d", [("input", rand(1, 2, 4, 4))], kernel_size=2, divisor_override=3)
    case("avg_pool2d non-contiguous unbatched", "avg_pool2d", [("input", rand(2, 5, 6))], transpose=("input",), kernel_size=2, stride=1)

    # ---- adaptive
    case("adaptive_avg_pool2d uneven", "adaptive_avg_pool2d", [("input", rand(2, 3, 7, 5))], output_size=(3, 2))
    case("adaptive_avg_pool2d to 1", "adaptive_avg_pool2d", [("input", rand(2, 4, 3, 3))], output_size=1)
    case("adaptive_avg_pool2d upsample", "adaptive_avg_pool2d", [("input", rand(1, 1, 2, 3))], output_size=(4, 5))
    case("adaptive_max_pool2d uneven", "adaptive_max_pool2d", [("input", rand(2, 3, 7, 5))], output_size=(3, 2))

    # ---- normalization
    case("batch_norm training 4-D", "batch_norm",
         [("input", rand(3, 4, 5, 2)), ("running_mean", rand(4)), ("running_var", rand(4).abs() + 0.5), ("weight", rand(4)), ("bias", rand(4))],
         training=True, momentum=0.1, eps=1e-5)
    case("batch_norm training 2-D momentum", "batch_norm",
         [("input", rand(6, 3)), ("running_mean", rand(3)), ("running_var", rand(3).abs() + 0.5), ("weight", rand(3)), ("bias", rand(3))],
         training=True, momentum=0.3, eps=1e-3)
    case("batch_norm eval 3-D", "batch_norm",
         [("input", rand(2, 3, 4)), ("running_mean", rand(3)), ("running_var", rand(3).abs() + 0.5), ("weight", rand(3)), ("bias", rand(3))],
         training=False, momentum=0.1, eps=1e-5)
    case("batch_norm training one value per channel", "batch_norm",
         [("input", rand(1, 3)), ("running_mean", rand(3)), ("running_var", rand(3).abs() + 0.5), ("weight", None), ("bias", None)],
         training=True, momentum=0.1, eps=1e-5)
    case("layer_norm last dim", "layer_norm", [("input", rand(3, 5)), ("weight", rand(5)), ("bias", rand(5))], normalized_shape=(5,), eps=1e-5)
    case("layer_norm two dims no affine", "layer_norm", [("input", rand(2, 3, 4, 2))], normalized_shape=(4, 2), eps=1e-5)
    case("layer_norm wrong shape", "layer_norm", [("input", rand(2, 3))], normalized_shape=(4,), eps=1e-5)
    case("group_norm", "group_norm", [("input", rand(2, 6, 3, 2)), ("weight", rand(6)), ("bias", rand(6))], num_groups=3, eps=1e-5)
    case("group_norm no affine 3-D", "group_norm", [("input", rand(3, 4, 5))], num_groups=2, eps=1e-5)
    case("group_norm indivisible", "group_norm", [("input", rand(2, 6, 3))], num_groups=4, eps=1e-5)

    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {sum(l.startswith('===') for l in lines)} cases to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
