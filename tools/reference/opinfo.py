#!/usr/bin/env python3
"""Generate the op table's reference samples from PyTorch (OpInfo-style).

Writes crates/autograd/tests/data/opinfo.txt, which
crates/autograd/tests/opinfo.rs reads: one registry of ops there, one here
(`OPS` below), matched by name. Adding an op means one row in each.

For every op, `samples(op)` generates inputs over the op's dtypes, with
broadcasting, non-contiguous views, empty and 0-d tensors and NaN/inf, and
records what PyTorch returns (dtype, shape, values) or that it raises.

Format, one sample per block:

  === <op> <n>
  args [key=value ...]              scalars and dims (`s=2.5` float, `s=3` int)
  in <dtype> <layout> <shape> | <values>
  out <dtype> <shape> | <values>    or `out error` when PyTorch raises
  out2 <dtype> <shape> | <values>   (second output of max_dim/min_dim)

<layout> is `c` (contiguous), `t` (the transpose of a contiguous tensor of
the reversed last two dims) or `s` (every other row of a tensor twice as
long in dim 0). <shape> is space-separated sizes or `scalar`. Values are
row-major: floats as repr(float) (nan, inf, -inf), integers as decimals,
bools as 1/0.

Run: python tools/reference/opinfo.py   (deterministic: seeded)
"""

import math
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "autograd" / "tests" / "data" / "opinfo.txt"

F32, F64, I64, BOOL = torch.float32, torch.float64, torch.int64, torch.bool
NAMES = {F32: "float32", F64: "float64", I64: "int64", BOOL: "bool"}
FLOATS = [F32, F64]
ALL = [F32, F64, I64, BOOL]
NUMERIC = [F32, F64, I64]

gen = torch.Generator().manual_seed(0)


def fmt_value(v, dtype):
    if dtype == BOOL:
        return "1" if v else "0"
    if dtype == I64:
        return str(int(v))
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def fmt_shape(shape):
    return " ".join(str(d) for d in shape) if len(shape) else "scalar"


def fmt_tensor(t):
    vals = " ".join(fmt_value(v, t.dtype) for v in t.reshape(-1).tolist())
    return f"{NAMES[t.dtype]} {fmt_shape(t.shape)} |" + (f" {vals}" if vals else "")


def make(shape, dtype, special=False, positive=False):
    """Random values of `dtype`: floats ~N(0,1) rounded to 3 decimals (or
    in (0.2, 2.2) when positive), ints in [-4, 4], bools 50/50."""
    if dtype == BOOL:
        return torch.rand(shape, generator=gen) < 0.5
    if dtype == I64:
        lo = 1 if positive else -4
        return torch.randint(lo, 5, shape, generator=gen)
    if positive:
        x = torch.rand(shape, generator=gen, dtype=torch.float64) * 2 + 0.2
    else:
        x = torch.randn(shape, generator=gen, dtype=torch.float64)
    x = (x * 1000).round() / 1000
    x = x.to(dtype)
    if special and x.numel() >= 3:
        flat = x.reshape(-1)
        flat[0], flat[1], flat[2] = float("nan"), float("inf"), float("-inf")
    return x


def laid_out(x, layout):
    """`x` with the given memory layout (same values)."""
    if layout == "t":
        return x.transpose(-1, -2).contiguous().transpose(-1, -2)
    if layout == "s":
        base = torch.zeros((x.shape[0] * 2,) + tuple(x.shape[1:]), dtype=x.dtype)
        base[::2] = x
        return base[::2]
    return x


class Op:
    def __init__(self, name, fn, kind, dtypes=ALL, positive=False):
        self.name, self.fn, self.kind = name, fn, kind
        self.dtypes, self.positive = dtypes, positive


def unary_inputs(op):
    for dtype in op.dtypes:
        yield {}, [(make((3, 4), dtype, positive=op.positive), "c")]
        yield {}, [(make((4, 3), dtype, positive=op.positive), "t")]
        yield {}, [(make((2, 3), dtype, positive=op.positive), "s")]
        yield {}, [(make((0, 3), dtype), "c")]
        yield {}, [(make((), dtype, positive=op.positive), "c")]
        if dtype in FLOATS:
            yield {}, [(make((2, 3), dtype, special=True), "c")]


BINARY_DTYPES = [(F32, F32), (F64, F64), (I64, I64), (BOOL, BOOL), (F32, I64),
                 (I64, F64), (F32, F64), (BOOL, F32), (I64, BOOL)]


def binary_inputs(op):
    for da, db in BINARY_DTYPES:
        if da not in op.dtypes or db not in op.dtypes:
            continue
        p = op.positive
        yield {}, [(make((3, 4), da, positive=p), "c"), (make((3, 4), db, positive=p), "c")]
        yield {}, [(make((3, 1), da, positive=p), "c"), (make((1, 4), db, positive=p), "c")]
        yield {}, [(make((4, 3), da, positive=p), "t"), (make((3,), db, positive=p), "c")]
        yield {}, [(make((2, 3), da, positive=p), "s"), (make((), db, positive=p), "c")]
        yield {}, [(make((0, 4), da), "c"), (make((4,), db), "c")]
        if da in FLOATS and db in FLOATS:
            yield {}, [(make((2, 3), da, special=True), "c"), (make((2, 3), db), "c")]
    # Shapes that cannot broadcast.
    yield {}, [(make((2, 3), F32), "c"), (make((4,), F32), "c")]


def scalar_inputs(op):
    for dtype in op.dtypes:
        for s in ([2.5, -1.5, 3] if dtype != BOOL else [2.5, 3]):
            yield {"s": s}, [(make((3, 4), dtype, positive=op.positive), "c")]
        yield {"s": 0.5}, [(make((4, 3), dtype, positive=op.positive), "t")]
        if dtype in FLOATS:
            yield {"s": 2.0}, [(make((2, 3), dtype, special=True), "c")]


def reduce_inputs(op):
    for dtype in op.dtypes:
        yield {}, [(make((3, 4), dtype), "c")]
        yield {}, [(make((4, 3), dtype), "t")]
        yield {}, [(make((), dtype), "c")]
        yield {}, [(make((0, 3), dtype), "c")]
        if dtype in FLOATS:
            yield {}, [(make((2, 3), dtype, special=True), "c")]


def reduce_dim_inputs(op):
    for dtype in op.dtypes:
        for dim, keep in [(0, 0), (1, 1), (-1, 0)]:
            yield {"dim": dim, "keepdim": keep}, [(make((3, 4), dtype), "c")]
        yield {"dim": 1, "keepdim": 0}, [(make((4, 3), dtype), "t")]
        yield {"dim": 0, "keepdim": 0}, [(make((2, 0), dtype), "c")]
        yield {"dim": 2, "keepdim": 0}, [(make((3, 4), dtype), "c")]


def softmax_inputs(op):
    for dtype in op.dtypes:
        for dim, keep in [(0, 0), (1, 1), (-1, 0)]:
            yield {"dim": dim, "keepdim": keep}, [(make((3, 4), dtype), "c")]
        yield {"dim": 1, "keepdim": 0}, [(make((4, 3), dtype), "t")]
        # Logits far beyond exp's range: the lane's maximum is subtracted.
        yield {"dim": 1, "keepdim": 0}, [(make((2, 3), dtype) * 1000, "c")]
        yield {"dim": 1, "keepdim": 0}, [(make((2, 3), dtype, special=True), "c")]
        yield {"dim": 0, "keepdim": 0}, [(make((0, 3), dtype), "c")]
    yield {"dim": 2, "keepdim": 0}, [(make((3, 4), F32), "c")]
    yield {"dim": 1, "keepdim": 0}, [(make((3, 4), I64), "c")]


def matmul_inputs(op):
    for dtype in [F32, F64, I64]:
        for sa, sb, la in [((3, 4), (4, 2), "c"), ((3, 4), (4, 2), "t"), ((4,), (4, 2), "c"),
                           ((2, 3, 4), (4, 5), "c"), ((3, 4), (4,), "c"), ((4,), (4,), "c"),
                           ((3, 0), (0, 2), "c")]:
            layout = la if len(sa) >= 2 else "c"
            yield {}, [(make(sa, dtype), layout), (make(sb, dtype), "c")]
    yield {}, [(make((3, 4), F32), "c"), (make((3, 2), F32), "c")]
    yield {}, [(make((3, 4), F32), "c"), (make((4, 2), F64), "c")]


def view_inputs(op):
    for dtype in [F32, I64, BOOL]:
        yield {}, [(make((2, 3, 4), dtype), "c")]
        yield {}, [(make((3, 4), dtype), "t")]


def index_inputs(op):
    for dtype in [F32, F64, I64, BOOL]:
        yield {"dim": 0}, [(make((4, 3), dtype), "c"), (torch.tensor([2, 0, 3, 2]), "c")]
        yield {"dim": 1}, [(make((3, 4), dtype), "t"), (torch.tensor([1, 1]), "c")]
    # Out of range either way: index_select does not wrap negative indices.
    yield {"dim": 0}, [(make((4, 3), F32), "c"), (torch.tensor([4]), "c")]
    yield {"dim": 0}, [(make((4, 3), F32), "c"), (torch.tensor([-1]), "c")]
    yield {"dim": 0}, [(make((4, 3), F32), "c"), (torch.tensor([], dtype=I64), "c")]


def gather_inputs(op):
    for dtype in [F32, F64, I64]:
        yield {"dim": 1}, [(make((3, 4), dtype), "c"), (torch.tensor([[0, 3], [1, 1], [3, 2]]), "c")]
        yield {"dim": 0}, [(make((3, 4), dtype), "t"), (torch.tensor([[2, 0, 1, 0]]), "c")]
    yield {"dim": 1}, [(make((3, 4), F32), "c"), (torch.tensor([[4], [0], [0]]), "c")]
    yield {"dim": 1}, [(make((3, 4), F32), "c"), (torch.tensor([[-1], [0], [0]]), "c")]


def scatter_inputs(op):
    for dtype in [F32, F64, I64]:
        yield {"dim": 1}, [(make((3, 4), dtype), "c"), (torch.tensor([[0, 3], [1, 1], [2, 2]]), "c"),
                           (make((3, 2), dtype), "c")]
        yield {"dim": 0}, [(make((3, 4), dtype), "c"), (torch.tensor([[2, 0, 1, 0]]), "c"),
                           (make((1, 4), dtype), "c")]


def mask_inputs(op):
    for dtype in [F32, F64, I64, BOOL]:
        yield {"s": 7}, [(make((3, 4), dtype), "c"), (make((3, 4), BOOL), "c")]
        yield {"s": -2.5}, [(make((3, 4), dtype), "t"), (make((1, 4), BOOL), "c")]
    yield {"s": 1}, [(make((3, 4), F32), "c"), (make((3, 4), I64), "c")]


def where_inputs(op):
    for da, db in [(F32, F32), (F32, F64), (I64, F32), (I64, I64), (BOOL, BOOL)]:
        yield {}, [(make((3, 4), BOOL), "c"), (make((3, 4), da), "c"), (make((3, 4), db), "c")]
        yield {}, [(make((3, 1), BOOL), "c"), (make((1, 4), da), "c"), (make((), db), "c")]


def sort_inputs(op):
    # Distinct floats (PyTorch's topk breaks ties in an unspecified order),
    # plus NaN for sort and ties among integers.
    for dtype in [F32, F64]:
        for dim in [1, 0, -1]:
            yield {"dim": dim}, [(make((3, 4), dtype), "c")]
        yield {"dim": 1}, [(make((4, 3), dtype), "t")]
    if op.name.startswith("sort"):
        yield {"dim": 1}, [(make((2, 3), F32, special=True), "c")]
        yield {"dim": 0}, [(make((5, 2), I64), "c")]
    yield {"dim": 2}, [(make((3, 4), F32), "c")]


def convert_inputs(op):
    for dtype in ALL:
        yield {}, [(make((3, 4), dtype), "c")]
        if dtype in FLOATS:
            # NaN and infinities have no int64 value (PyTorch's cast is
            # undefined there), so that conversion sees only finite values.
            x = make((2, 4), dtype, special=op.name != "to_int64")
            x.reshape(-1)[3] = -2.7
            yield {}, [(x, "c")]


def stack_inputs(op):
    for dtype in [F32, I64]:
        for dim in [0, 1, -1]:
            yield {"dim": dim}, [(make((2, 3), dtype), "c"), (make((2, 3), dtype), "t")]
    yield {"dim": 0}, [(make((2, 3), F32), "c"), (make((3, 2), F32), "c")]


KINDS = {
    "unary": unary_inputs, "binary": binary_inputs, "scalar": scalar_inputs,
    "reduce": reduce_inputs, "reduce_dim": reduce_dim_inputs, "matmul": matmul_inputs,
    "view": view_inputs, "index": index_inputs, "gather": gather_inputs,
    "scatter": scatter_inputs, "mask": mask_inputs, "where": where_inputs,
    "convert": convert_inputs, "stack": stack_inputs, "sort": sort_inputs,
    "softmax": softmax_inputs,
}


def relu(x):
    if x.dtype == BOOL:
        raise RuntimeError("relu of bool")
    return torch.relu(x)


OPS = [
    # Binary, broadcasting, promoting.
    Op("add", lambda a, b: a + b, "binary"),
    Op("sub", lambda a, b: a - b, "binary"),
    Op("mul", lambda a, b: a * b, "binary"),
    Op("div", lambda a, b: a / b, "binary"),
    Op("pow", lambda a, b: torch.pow(a, b), "binary", dtypes=FLOATS, positive=True),
    Op("maximum", torch.maximum, "binary"),
    Op("minimum", torch.minimum, "binary"),
    Op("eq", torch.eq, "binary"),
    Op("ne", torch.ne, "binary"),
    Op("lt", torch.lt, "binary"),
    Op("le", torch.le, "binary"),
    Op("gt", torch.gt, "binary"),
    Op("ge", torch.ge, "binary"),
    # Unary.
    Op("neg", torch.neg, "unary", dtypes=NUMERIC),
    Op("abs", torch.abs, "unary", dtypes=NUMERIC),
    Op("exp", torch.exp, "unary"),
    Op("log", torch.log, "unary", positive=True),
    Op("sqrt", torch.sqrt, "unary", positive=True),
    Op("sigmoid", torch.sigmoid, "unary"),
    Op("tanh", torch.tanh, "unary"),
    Op("relu", relu, "unary", dtypes=NUMERIC),
    Op("square", torch.square, "unary"),
    Op("reciprocal", torch.reciprocal, "unary", positive=True),
    Op("sign", torch.sign, "unary", dtypes=NUMERIC),
    Op("logical_not", torch.logical_not, "unary"),
    Op("clone", torch.clone, "unary"),
    Op("contiguous", lambda x: x.contiguous(), "unary"),
    # Tensor-scalar.
    Op("add_scalar", lambda x, s: x + s, "scalar"),
    Op("mul_scalar", lambda x, s: x * s, "scalar"),
    Op("div_scalar", lambda x, s: x / s, "scalar"),
    Op("rsub_scalar", lambda x, s: s - x, "scalar", dtypes=NUMERIC),
    Op("pow_scalar", lambda x, s: x ** s, "scalar", dtypes=FLOATS, positive=True),
    Op("lt_scalar", lambda x, s: x < s, "scalar"),
    Op("eq_scalar", lambda x, s: x == s, "scalar"),
    Op("clamp", lambda x: torch.clamp(x, -0.5, 0.75), "unary", dtypes=FLOATS),
    # Activations (torch.nn.functional).
    Op("gelu", torch.nn.functional.gelu, "unary", dtypes=FLOATS),
    Op("gelu_tanh", lambda x: torch.nn.functional.gelu(x, approximate="tanh"), "unary", dtypes=FLOATS),
    Op("leaky_relu", lambda x: torch.nn.functional.leaky_relu(x, 0.1), "unary", dtypes=FLOATS),
    Op("elu", lambda x: torch.nn.functional.elu(x, 0.7), "unary", dtypes=FLOATS),
    Op("silu", torch.nn.functional.silu, "unary", dtypes=FLOATS),
    Op("softplus", lambda x: torch.nn.functional.softplus(x, 2.0, 3.0), "unary", dtypes=FLOATS),
    # Reductions.
    Op("sum", torch.sum, "reduce"),
    Op("mean", torch.mean, "reduce"),
    Op("max", torch.max, "reduce", dtypes=NUMERIC),
    Op("min", torch.min, "reduce", dtypes=NUMERIC),
    Op("argmax", torch.argmax, "reduce", dtypes=NUMERIC),
    Op("argmin", torch.argmin, "reduce", dtypes=NUMERIC),
    Op("sum_dim", lambda x, dim, keepdim: x.sum(dim, keepdim=bool(keepdim)), "reduce_dim"),
    Op("mean_dim", lambda x, dim, keepdim: x.mean(dim, keepdim=bool(keepdim)), "reduce_dim"),
    Op("max_dim", lambda x, dim, keepdim: x.max(dim, keepdim=bool(keepdim)), "reduce_dim", dtypes=NUMERIC),
    Op("min_dim", lambda x, dim, keepdim: x.min(dim, keepdim=bool(keepdim)), "reduce_dim", dtypes=NUMERIC),
    Op("argmax_dim", lambda x, dim, keepdim: x.argmax(dim, keepdim=bool(keepdim)), "reduce_dim", dtypes=NUMERIC),
    # The softmax family (no integer inputs: PyTorch raises for softmax).
    Op("softmax", lambda x, dim, keepdim: x.softmax(dim), "softmax", dtypes=FLOATS),
    Op("log_softmax", lambda x, dim, keepdim: x.log_softmax(dim), "softmax", dtypes=FLOATS),
    Op("logsumexp", lambda x, dim, keepdim: x.logsumexp(dim, keepdim=bool(keepdim)), "softmax", dtypes=FLOATS),
    # Products.
    Op("matmul", torch.matmul, "matmul"),
    # Views (values through the view; copies compared elementwise).
    Op("transpose", lambda x: x.transpose(0, -1), "view"),
    Op("permute", lambda x: x.permute(*reversed(range(x.dim()))), "view"),
    Op("unsqueeze", lambda x: x.unsqueeze(1), "view"),
    Op("flatten", lambda x: x.flatten(), "view"),
    Op("narrow", lambda x: x.narrow(-1, 1, 2), "view"),
    Op("select", lambda x: x.select(-1, 1), "view"),
    Op("slice_step", lambda x: x[:, 1::2], "view"),
    Op("unfold", lambda x: x.unfold(-1, 2, 1), "view"),
    Op("expand", lambda x: x.unsqueeze(0).expand(2, *x.shape), "view"),
    # Indexing.
    Op("index_select", lambda x, i, dim: x.index_select(dim, i), "index"),
    Op("gather", lambda x, i, dim: torch.gather(x, dim, i), "gather"),
    Op("scatter_add", lambda x, i, s, dim: x.scatter_add(dim, i, s), "scatter"),
    Op("masked_fill", lambda x, m, s: x.masked_fill(m, s), "mask"),
    Op("masked_select", lambda x, m, s: torch.masked_select(x, m), "mask"),
    Op("where", lambda c, a, b: torch.where(c, a, b), "where"),
    # Conversions and joins.
    Op("to_float32", lambda x: x.to(F32), "convert"),
    Op("to_float64", lambda x: x.to(F64), "convert"),
    Op("to_int64", lambda x: x.to(I64), "convert"),
    Op("to_bool", lambda x: x.to(BOOL), "convert"),
    Op("stack", lambda a, b, dim: torch.stack([a, b], dim), "stack"),
    # Sorting: values and int64 indices.
    Op("sort", lambda x, dim: x.sort(dim), "sort"),
    Op("sort_descending", lambda x, dim: x.sort(dim, descending=True), "sort"),
    Op("topk", lambda x, dim: x.topk(2, dim), "sort"),
    Op("topk_smallest", lambda x, dim: x.topk(2, dim, largest=False), "sort"),
    # Views as differentiable ops.
    Op("view", lambda x: x.view(-1, x.shape[-1]) if x.is_contiguous() else x.reshape(-1, x.shape[-1]), "view"),
    Op("split", lambda x: x.split(2, -1)[1], "view"),
    Op("chunk", lambda x: x.chunk(2, 0)[-1], "view"),
]


def call(op, args, tensors):
    kind = op.kind
    if kind == "scalar":
        return op.fn(tensors[0], args["s"])
    if kind in ("reduce_dim", "softmax"):
        return op.fn(tensors[0], args["dim"], args["keepdim"])
    if kind in ("index", "gather", "scatter", "stack", "sort"):
        return op.fn(*tensors, args["dim"])
    if kind == "mask":
        return op.fn(*tensors, args["s"])
    return op.fn(*tensors)


def main():
    lines = []
    count = 0
    for op in OPS:
        for n, (args, inputs) in enumerate(KINDS[op.kind](op)):
            tensors = [laid_out(x, layout) for x, layout in inputs]
            try:
                result = call(op, args, tensors)
            except (RuntimeError, IndexError, ValueError):
                result = None
            lines.append(f"=== {op.name} {n}")
            lines.append("args" + "".join(f" {k}={v}" for k, v in args.items()))
            for x, layout in inputs:
                lines.append(f"in {layout} {fmt_tensor(x)}")
            if result is None:
                lines.append("out error")
            elif isinstance(result, tuple):
                lines.append(f"out {fmt_tensor(result[0])}")
                lines.append(f"out2 {fmt_tensor(result[1])}")
            else:
                lines.append(f"out {fmt_tensor(result)}")
            count += 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"torch {torch.__version__}: wrote {count} samples of {len(OPS)} ops to {OUT}")


if __name__ == "__main__":
    main()
