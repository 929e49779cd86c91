#!/usr/bin/env python3
"""Generate golden reference data for the Rust tensor crate from PyTorch.

Writes two plain-text files that the Rust tests parse (the tests never need
torch; only regenerating the data does):

  crates/tensor/tests/data/display.txt  golden `repr(tensor)` strings
  crates/tensor/tests/data/ops.txt      forward values and gradients of ops

Run from anywhere:  python tools/reference/generate.py

Everything is float32, except some display.txt cases that cover float64,
int64 and bool, and seeded (torch.manual_seed(0)), so re-running with the
same torch version reproduces the files byte for byte.  The non-float32
display cases draw nothing from the global RNG (fixed values, arange
expressions or a private generator), so ops.txt does not depend on them.

Number format: each f32 value is written as `repr(float(v))`, i.e. the
shortest decimal that round-trips the (exactly representable) double; Rust
parses it as f64 and casts to f32 exactly.  Non-finite values are written as
`nan`, `inf`, `-inf`.  Shapes are space-separated ints; a 0-d tensor's shape
is the literal `scalar`.  An empty value list is written as nothing at all
(e.g. `values` or `in 0 3 |` with no trailing space).

A display case is `=== <name>`, an optional `dtype <float64|int64|bool>`
line (present only for those dtypes; absent means float32), `shape ...`,
`values ...`, then the lines of `repr(tensor)`.  float64 values are written
as `repr(float(v))` (exact: Python floats are doubles) with the same `nan`,
`inf`, `-inf`; int64 values as decimal integers; bool values as `1` / `0`.

An op case lists `op <name> [key=value ...]`, one `in` line per input, `out`
(and `idx` for max/min with a dim), then for differentiable ops one `grad`
line per input (gradient of `out.sum()`) and one `ugrad` line per input
(gradient for the upstream `linspace(0.5, 1.5, out.numel())` in row-major
order, or for the upstream of the case's `up` line when it has one). A
gradient PyTorch left at None is written `grad none` / `ugrad none`.
"""

import math
import warnings
from pathlib import Path

# torch warns at import time if numpy is missing; numpy is not needed here.
warnings.filterwarnings("ignore", message=".*NumPy.*")

import torch  # noqa: E402
from torch.utils import data  # noqa: E402

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)
torch.set_printoptions(profile="default")  # precision 4, linewidth 80, threshold 1000, edgeitems 3

# Repository root: this file lives at <root>/tools/reference/generate.py.
ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "crates" / "tensor" / "tests" / "data"

F32 = torch.float32
F64, I64, BOOL = torch.float64, torch.int64, torch.bool
# Display dtypes other than float32 and the name of their `dtype` line.
DTYPE_NAMES = {F64: "float64", I64: "int64", BOOL: "bool"}
nan, inf = math.nan, math.inf


# ---------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------

def fmt_value(v):
    """One f32 value -> shortest round-trip decimal of its double value."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def fmt_shape(t):
    """Shape as space-separated ints, or `scalar` for a 0-d tensor."""
    return "scalar" if t.dim() == 0 else " ".join(str(d) for d in t.shape)


def fmt_values(t):
    """All values of `t` in row-major order, space separated (may be '')."""
    return " ".join(fmt_value(v) for v in t.detach().reshape(-1).tolist())


def fmt_ints(t):
    """Integer tensor (e.g. indices) as space-separated ints."""
    return " ".join(str(int(v)) for v in t.reshape(-1).tolist())


def fmt_display_values(t):
    """Values of a display case in row-major order: floats as fmt_value,
    int64 as decimal integers, bool as 1/0."""
    flat = t.detach().reshape(-1).tolist()
    if t.dtype == I64:
        return " ".join(str(int(v)) for v in flat)
    if t.dtype == BOOL:
        return " ".join("1" if v else "0" for v in flat)
    return " ".join(fmt_value(v) for v in flat)


def tensor_line(tag, t, ints=False):
    """`<tag> <shape> | <values>`; no trailing space when there are no values."""
    vals = fmt_ints(t) if ints else fmt_values(t)
    return f"{tag} {fmt_shape(t)} |" + (f" {vals}" if vals else "")


def grad_line(tag, g):
    """A gradient line, or `<tag> none` when backward left `.grad` at None
    (distinct from a gradient of zeros)."""
    return f"{tag} none" if g is None else tensor_line(tag, g)


# ---------------------------------------------------------------------------
# Input generators (all float32, all drawn from the single seeded RNG)
# ---------------------------------------------------------------------------

def randn(*shape):
    # torch.randn(()) is the 0-d case; torch.randn() without a size fails.
    return torch.randn(shape, dtype=F32)


def positive(*shape):
    """Strictly positive values: |randn| + 0.1 (log/sqrt/pow bases, divisors)."""
    return randn(*shape).abs() + 0.1


def away_from(x, points, eps=0.05):
    """Shift values lying within `eps` of any kink in `points` by +0.1 until
    none is left close, so the gradient at every element is unambiguous."""
    x = x.clone()
    for _ in range(100):
        near = torch.zeros_like(x, dtype=torch.bool)
        for p in points:
            near |= (x - p).abs() < eps
        if not near.any():
            return x
        x = torch.where(near, x + 0.1, x)
    raise RuntimeError("could not move values away from kinks")


def no_ties(x):
    """randn values essentially never tie; assert it for max/min/arg* inputs."""
    flat = x.reshape(-1)
    assert flat.unique().numel() == flat.numel(), "tie in reduction input"
    return x


# ---------------------------------------------------------------------------
# File A: display.txt
# ---------------------------------------------------------------------------

def display_cases():
    """(name, tensor) pairs covering torch's float32 repr formatter."""
    t = lambda data: torch.tensor(data, dtype=F32)  # noqa: E731
    cases = []
    add = lambda name, x: cases.append((name, x))  # noqa: E731

    # Basic int-valued tensors (int mode: "1.", "-2.").
    add("ones_3x2", torch.ones(3, 2))
    add("zeros_2x3", torch.zeros(2, 3))
    add("ints_mixed_signs", t([[1.0, -2.0, 3.0], [-40.0, 5.0, 600.0]]))
    add("ints_neg_zero_pos", t([-1.0, 0.0, 1.0]))
    # The tutorial tensor.
    add("tutorial_2x3", t([[-1.5443, -0.0354, -0.8403], [1.5566, 0.7182, 1.5884]]))

    # 0-d tensors.
    add("scalar_1720_7292", t(1720.7292))
    add("scalar_zero", t(0.0))
    add("scalar_neg3", t(-3.0))
    add("scalar_1e-5", t(1e-5))
    add("scalar_1e10", t(1e10))
    add("scalar_0_5", t(0.5))
    add("scalar_nan", t(nan))
    add("scalar_neg_inf", t(-inf))

    # Empty tensors (repr includes size=...).
    add("empty_0", torch.zeros(0))
    add("empty_0x3", torch.zeros(0, 3))
    add("empty_2x0x4", torch.zeros(2, 0, 4))

    # Length-1 and singleton-dimension tensors.
    add("len1", t([3.5]))
    add("one_by_one", t([[2.5]]))
    add("one_by_one_by_one", t([[[-0.75]]]))

    # Scientific-notation triggers (max/min > 1000, max > 1e8, min < 1e-4).
    add("sci_mixed_magnitudes", t([1e-5, 1e-3, 1.0, 1e3, 1e7]))
    add("sci_ratio_gt_1000", t([0.001, 1.5, 2.0]))
    add("sci_max_gt_1e8", t([1.5e8, 2.25e8]))
    add("sci_min_lt_1e-4", t([5e-5, 6e-5]))
    add("sci_int_ratio_gt_1000", t([1.0, 2000.0, 3.0]))
    add("sci_negative_mixed", t([-1e-5, 2e3, -3.5]))
    add("zero_ignored_small", t([0.0, 1e-5]))  # zeros don't count for min
    add("exact_1e-4", t([1e-4]))  # f32(1e-4) < 1e-4 as a double
    add("exact_1e-4_with_one", t([1e-4, 1.0]))
    add("near_1e-4", t([9.9999e-5, 1.0]))
    add("large_int_123456789", t([123456789.0]))
    add("large_int_with_one", t([123456789.0, 1.0]))
    add("int_1e8_exact", t([1e8, 2.0]))

    # Plain negative non-integers.
    add("negatives", t([-1.25, -3.5, -0.125]))
    add("negative_zero", t([-0.0, 1.0]))

    # Non-finite values.
    add("nan_mixed_floats", t([1.5, nan, -2.25]))
    add("inf_mixed_floats", t([inf, 1.5, -inf]))
    add("nonfinite_with_ints", t([1.0, nan, inf, -3.0]))
    add("nonfinite_2d_ints", t([[nan, 2.0], [-inf, 40.0]]))
    add("all_nan", t([nan, nan]))
    add("all_inf", t([inf, -inf, inf]))
    add("all_zero", torch.zeros(4))

    # Rounding at the 4th decimal and int-mode vs float-mode.
    add("round_0_03125", t([0.03125]))
    add("round_0_00005", t([0.00005]))
    add("round_1_23455", t([1.23455]))
    add("round_4th_decimal_mix", t([0.00015, 0.00025, 1.00005, 0.12345]))
    add("round_half_up_like", t([0.99995, 9.99995, 2.0]))
    add("half_2_5_alone", t([2.5]))
    add("int_mode_2_and_3", t([2.0, 3.0]))
    add("half_2_5_with_ints", t([2.0, 2.5, 3.0]))
    add("half_2_5_with_nonint", t([2.5, 0.33333]))

    # Line wrapping at 80 columns.
    add("wrap_1d_30", randn(30))
    add("wrap_1d_100", randn(100))
    add("wrap_1d_ints_40", torch.arange(40, dtype=F32))
    add("wrap_2d_3x20", randn(3, 20))

    # Multi-dimensional.
    add("3d_arange24_div7", torch.arange(24, dtype=F32).reshape(2, 3, 4) / 7)
    add("4d_2x2x2x2", torch.arange(16, dtype=F32).reshape(2, 2, 2, 2) / 3 - 2)
    add("randn_5x3_x100", randn(5, 3) * 100)

    # Summarised (> 1000 elements): only the edge items are printed, and the
    # formatter chooses int/sci mode from those edge items alone.
    add("summ_1d_1001_arange", torch.arange(1001, dtype=F32))
    add("summ_1d_2000_randn", randn(2000))
    add("summ_2d_40x40_randn", randn(40, 40))
    add("summ_2d_1000x2_randn", randn(1000, 2))
    add("summ_2d_3x1000_randn", randn(3, 1000))
    add("summ_3d_11x10x10_randn", randn(11, 10, 10))
    # Edges 100..102 and 1197..1199 are integers with a small ratio (int
    # mode, no sci); everything in between is x.5 and is never printed.
    mid = torch.arange(100, 1200, dtype=F32)
    mid[3:-3] += 0.5
    add("summ_edges_int_middle_nonint", mid)
    big_mid = torch.ones(1500, dtype=F32)
    big_mid[700] = 1e9  # a huge middle value must not trigger sci mode
    add("summ_edges_small_middle_huge", big_mid)

    cases += other_dtype_display_cases()
    return cases


def other_dtype_display_cases():
    """(name, tensor) pairs for the float64, int64 and bool formatters.

    No draws from the global RNG (ops.txt's inputs come from it after the
    display cases): fixed values, arange expressions, or a private generator.
    """
    cases = []
    add = lambda name, x: cases.append((name, x))  # noqa: E731
    i64 = lambda data: torch.tensor(data, dtype=I64)  # noqa: E731
    b = lambda data: torch.tensor(data, dtype=BOOL)  # noqa: E731
    f64 = lambda data: torch.tensor(data, dtype=F64)  # noqa: E731
    ar = lambda n, dtype=I64: torch.arange(n, dtype=dtype)  # noqa: E731

    # int64: width is the longest str(value) (the sign counts); no dtype
    # suffix except for empty tensors.
    add("i64_mixed_signs", i64([1, -2, 30]))
    add("i64_zeros_2x3", torch.zeros(2, 3, dtype=I64))
    add("i64_scalar_pos", i64(42))
    add("i64_scalar_neg", i64(-7))
    add("i64_scalar_zero", i64(0))
    add("i64_empty_0", torch.zeros(0, dtype=I64))
    add("i64_empty_0x3", torch.zeros(0, 3, dtype=I64))
    add("i64_empty_2x0x4", torch.zeros(2, 0, 4, dtype=I64))
    add("i64_2d_widths", i64([[1, -20, 300], [-4000, 5, 60]]))
    add("i64_3d_2x3x4", ar(24).reshape(2, 3, 4) - 10)
    add("i64_large", i64([2**62, -2**63, 123456789012]))
    add("i64_extremes_2d", i64([[2**63 - 1, 0], [-1, -2**63]]))
    add("i64_wrap_40", ar(40))
    add("i64_wrap_100_x1000", ar(100) * 1000)
    add("i64_summ_1001", ar(1001))
    add("i64_summ_40x40", ar(1600).reshape(40, 40) - 800)
    add("i64_summ_3x1000", ar(3000).reshape(3, 1000))
    add("i64_summ_2000_x-7", ar(2000) * -7)
    huge_mid = torch.ones(1500, dtype=I64)
    huge_mid[700] = -10**15  # never printed, must not widen the columns
    add("i64_summ_edges_narrow_middle_huge", huge_mid)

    # bool: width 5 ("False") or 4 when every printed value is True.
    add("bool_mixed", b([True, False, True]))
    add("bool_all_true", torch.ones(4, dtype=BOOL))
    add("bool_all_false", torch.zeros(4, dtype=BOOL))
    add("bool_scalar_true", b(True))
    add("bool_scalar_false", b(False))
    add("bool_empty_0", torch.zeros(0, dtype=BOOL))
    add("bool_2d_2x3", ar(6).reshape(2, 3) % 2 == 0)
    add("bool_3d_2x3x4", ar(24).reshape(2, 3, 4) % 3 == 0)
    add("bool_wrap_30", ar(30) % 3 == 0)
    add("bool_wrap_100", ar(100) % 7 < 3)
    add("bool_wrap_all_true_30", torch.ones(30, dtype=BOOL))
    add("bool_summ_1001", ar(1001) % 3 == 0)
    add("bool_summ_40x40", ar(1600).reshape(40, 40) % 7 == 0)

    # float64: same formatter as float32 (precision 4) plus a dtype suffix,
    # but the int/sci decisions see the double values.
    g = torch.Generator().manual_seed(0)
    add("f64_basic", f64([1.5, 2.25]))
    add("f64_ints", f64([1.0, 2.0]))
    add("f64_scalar_one_third", f64(1 / 3))
    add("f64_scalar_1e-300", f64(1e-300))
    add("f64_empty_0", torch.zeros(0, dtype=F64))
    add("f64_empty_2x0", torch.zeros(2, 0, dtype=F64))
    add("f64_tiny_huge", f64([1e-300, 1e300]))
    add("f64_sci_mixed_magnitudes", f64([1e-5, 1e-3, 1.0, 1e3, 1e7]))
    add("f64_sci_max_gt_1e8", f64([1.5e8, 2.25e8]))
    add("f64_exact_1e-4", f64([1e-4]))  # not < 1e-4 as a double: no sci mode
    # Each rounds the other way at the 4th decimal as a float32.
    add("f64_round_vs_f32", f64([1.00005, 1.23455, 2.00025]))
    add("f64_int_2_24_plus_1", f64([16777217.0]))  # a float32 would be 16777216
    add("f64_nan_inf_floats", f64([1.5, nan, -inf, inf]))
    add("f64_nonfinite_with_ints", f64([1.0, nan, inf, -3.0]))
    add("f64_randn_3x4", torch.randn(3, 4, dtype=F64, generator=g))
    add("f64_wrap_40", ar(40, F64) / 3)
    add("f64_summ_1001", ar(1001, F64) / 7 - 50)
    return cases


def write_display(path):
    lines = []
    names = set()
    for name, x in display_cases():
        assert x.dtype in (F32, F64, I64, BOOL) and name not in names, name
        names.add(name)
        text = repr(x)
        assert not any(l.startswith("=== ") for l in text.split("\n"))
        vals = fmt_display_values(x)
        lines.append(f"=== {name}")
        if x.dtype != F32:
            lines.append(f"dtype {DTYPE_NAMES[x.dtype]}")
        lines.append(f"shape {fmt_shape(x)}")
        lines.append("values" + (f" {vals}" if vals else ""))
        lines.append(text)
    path.write_text("\n".join(lines) + "\n")
    return len(names)


# ---------------------------------------------------------------------------
# File B: ops.txt
# ---------------------------------------------------------------------------

class OpsWriter:
    def __init__(self):
        self.lines = []
        self.ids = set()

    def case(self, case_id, op, fn, inputs, kwargs="", grad=True, idx=None, upstream=None):
        """Record one case.

        fn(*inputs) -> out tensor (or (out, idx) when idx=True).
        grad: write gradients of out.sum() w.r.t. each float input.
        upstream: the upstream gradient of the `ugrad` lines (written as an
        `up` line); linspace(0.5, 1.5) over the output when None.
        """
        assert case_id not in self.ids, case_id
        self.ids.add(case_id)
        inputs = [x.detach().clone() for x in inputs]
        for x in inputs:
            assert x.dtype == F32
            if grad:
                x.requires_grad_()
        res = fn(*inputs)
        out, ind = (res if idx else (res, None))
        self.lines.append(f"=== {case_id}")
        self.lines.append(f"op {op}" + (f" {kwargs}" if kwargs else ""))
        for x in inputs:
            self.lines.append(tensor_line("in", x))
        self.lines.append(tensor_line("out", out.detach().to(F32)))
        if ind is not None:
            self.lines.append(tensor_line("idx", ind, ints=True))
        if grad and inputs:
            out.sum().backward(retain_graph=True)
            for x in inputs:
                self.lines.append(grad_line("grad", x.grad))
            # A non-uniform upstream gradient: linspace(0.5, 1.5) over the
            # output's elements in row-major order, unless one is given.
            for x in inputs:
                x.grad = None
            if upstream is None:
                upstream = torch.linspace(0.5, 1.5, out.numel(), dtype=F32).reshape(out.shape)
            else:
                upstream = upstream.to(F32).reshape(out.shape)
                self.lines.append(tensor_line("up", upstream))
            out.backward(upstream)
            for x in inputs:
                self.lines.append(grad_line("ugrad", x.grad))

    def write(self, path):
        path.write_text("\n".join(self.lines) + "\n")
        return len(self.ids)


def sh(shape):
    """Shape tuple -> id fragment, e.g. (2,3) -> '2x3', () -> 's'."""
    return "x".join(str(d) for d in shape) if shape else "s"


def ops_cases(w):
    # --- binary broadcasting ------------------------------------------------
    pairs = [((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 4)),
             ((2, 1, 3), (4, 1)), ((), (2, 3)), ((2, 3), ()), ((1,), (5,)),
             ((0, 3), (1, 3))]
    binary = {
        "add": (torch.add, randn, randn),
        "sub": (torch.sub, randn, randn),
        "mul": (torch.mul, randn, randn),
        "div": (torch.div, randn, positive),     # denominator positive
        "pow": (torch.pow, positive, randn),     # base positive
    }
    for op, (fn, gen_a, gen_b) in binary.items():
        for sa, sb in pairs:
            w.case(f"{op}_{sh(sa)}_{sh(sb)}", op, fn, [gen_a(*sa), gen_b(*sb)])

    # --- scalar forms -------------------------------------------------------
    w.case("add_scalar_2.5", "add_scalar", lambda x: x + 2.5, [randn(2, 3)], "s=2.5")
    w.case("mul_scalar_-1.5", "mul_scalar", lambda x: x * -1.5, [randn(2, 3)], "s=-1.5")
    w.case("rsub_scalar_1.0", "rsub_scalar", lambda x: 1.0 - x, [randn(2, 3)], "s=1.0")
    w.case("rdiv_scalar_1.0", "rdiv_scalar", lambda x: 1.0 / x, [positive(2, 3)], "s=1.0")
    w.case("pow_scalar_2", "pow_scalar", lambda x: x ** 2, [randn(2, 3)], "e=2")
    w.case("pow_scalar_0.5", "pow_scalar", lambda x: x ** 0.5, [positive(2, 3)], "e=0.5")
    w.case("pow_scalar_-1.5", "pow_scalar", lambda x: x ** -1.5, [positive(2, 3)], "e=-1.5")

    # --- unary on (3,4) -----------------------------------------------------
    kinked = lambda pts: (lambda: away_from(randn(3, 4), pts))  # noqa: E731
    unary = [
        ("neg", "neg", "", torch.neg, lambda: randn(3, 4)),
        ("exp", "exp", "", torch.exp, lambda: randn(3, 4)),
        ("log", "log", "", torch.log, lambda: positive(3, 4)),
        ("sqrt", "sqrt", "", torch.sqrt, lambda: positive(3, 4)),
        ("abs", "abs", "", torch.abs, kinked([0.0])),
        ("relu", "relu", "", torch.relu, kinked([0.0])),
        ("sigmoid", "sigmoid", "", torch.sigmoid, lambda: randn(3, 4)),
        ("tanh", "tanh", "", torch.tanh, lambda: randn(3, 4)),
        ("clamp_-0.5_0.5", "clamp", "min=-0.5 max=0.5",
         lambda x: torch.clamp(x, min=-0.5, max=0.5), kinked([-0.5, 0.5])),
        ("clamp_min_0.0", "clamp", "min=0.0",
         lambda x: torch.clamp(x, min=0.0), kinked([0.0])),
        ("clamp_max_0.3", "clamp", "max=0.3",
         lambda x: torch.clamp(x, max=0.3), kinked([0.3])),
    ]
    for cid, op, kw, fn, gen in unary:
        w.case(cid, op, fn, [gen()], kw)

    # --- reductions on (3,4,5) ----------------------------------------------
    S = (3, 4, 5)
    for op, fn in (("sum", torch.sum), ("mean", torch.mean)):
        w.case(f"{op}_all", op, fn, [randn(*S)])
        w.case(f"{op}_dim1", op, lambda x, fn=fn: fn(x, dim=1, keepdim=False),
               [randn(*S)], "dim=1 keepdim=0")
        w.case(f"{op}_dim-1_keep", op, lambda x, fn=fn: fn(x, dim=-1, keepdim=True),
               [randn(*S)], "dim=-1 keepdim=1")
    # sum of a 0-d and a (1,) input
    w.case("sum_all_scalar", "sum", torch.sum, [randn()])
    w.case("sum_all_1", "sum", torch.sum, [randn(1)])
    w.case("sum_dim0_1", "sum", lambda x: torch.sum(x, dim=0, keepdim=False),
           [randn(1)], "dim=0 keepdim=0")

    w.case("max_all", "max", torch.max, [no_ties(randn(*S))])
    w.case("max_dim1", "max", lambda x: tuple(torch.max(x, dim=1, keepdim=False)),
           [no_ties(randn(*S))], "dim=1 keepdim=0", idx=True)
    w.case("min_dim-1_keep", "min", lambda x: tuple(torch.min(x, dim=-1, keepdim=True)),
           [no_ties(randn(*S))], "dim=-1 keepdim=1", idx=True)
    w.case("min_all", "min", torch.min, [no_ties(randn(*S))])

    # argmax/argmin: out holds the indices written as floats; no gradients.
    w.case("argmax_all", "argmax", lambda x: torch.argmax(x).to(F32),
           [no_ties(randn(*S))], grad=False)
    w.case("argmax_dim0", "argmax", lambda x: torch.argmax(x, dim=0, keepdim=False).to(F32),
           [no_ties(randn(*S))], "dim=0 keepdim=0", grad=False)
    w.case("argmin_dim2_keep", "argmin", lambda x: torch.argmin(x, dim=2, keepdim=True).to(F32),
           [no_ties(randn(*S))], "dim=2 keepdim=1", grad=False)

    w.case("norm_all", "norm", lambda x: torch.norm(x, p=2), [randn(*S)])
    w.case("norm_dim1", "norm", lambda x: torch.norm(x, p=2, dim=1, keepdim=False),
           [randn(*S)], "dim=1 keepdim=0")
    w.case("norm_dim-1_keep", "norm", lambda x: torch.norm(x, p=2, dim=-1, keepdim=True),
           [randn(*S)], "dim=-1 keepdim=1")

    # --- matmul -------------------------------------------------------------
    mm_pairs = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)),
                ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
                ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)),
                ((7, 2), (2,))]
    for sa, sb in mm_pairs:
        w.case(f"matmul_{sh(sa)}_{sh(sb)}", "matmul", torch.matmul, [randn(*sa), randn(*sb)])

    # --- shape ops ----------------------------------------------------------
    shape_ops = [
        ("reshape_3x4_2x-1", "reshape", "shape=2,-1", lambda x: x.reshape(2, -1), (3, 4)),
        ("reshape_2x3_-1", "reshape", "shape=-1", lambda x: x.reshape(-1), (2, 3)),
        ("transpose_3x4_0_1", "transpose", "dim0=0 dim1=1", lambda x: x.transpose(0, 1), (3, 4)),
        ("transpose_2x3x4_0_2", "transpose", "dim0=0 dim1=2", lambda x: x.transpose(0, 2), (2, 3, 4)),
        ("permute_2x3x4_2_0_1", "permute", "dims=2,0,1", lambda x: x.permute(2, 0, 1), (2, 3, 4)),
        ("t_3x4", "t", "", lambda x: x.t(), (3, 4)),
        ("unsqueeze_3x4_1", "unsqueeze", "dim=1", lambda x: x.unsqueeze(1), (3, 4)),
        ("unsqueeze_3x4_-1", "unsqueeze", "dim=-1", lambda x: x.unsqueeze(-1), (3, 4)),
        ("squeeze_1x3x1x4", "squeeze", "", lambda x: x.squeeze(), (1, 3, 1, 4)),
        ("squeeze_1x3x1x4_dim0", "squeeze", "dim=0", lambda x: x.squeeze(0), (1, 3, 1, 4)),
        ("flatten_2x3x4", "flatten", "", lambda x: x.flatten(), (2, 3, 4)),
        ("expand_3x1_3x4", "expand", "shape=3,4", lambda x: x.expand(3, 4), (3, 1)),
        ("expand_4_2x3x4", "expand", "shape=2,3,4", lambda x: x.expand(2, 3, 4), (4,)),
        ("index_select_3x4_dim0", "index_select", "dim=0 index=2,0,2,1",
         lambda x: x.index_select(0, torch.tensor([2, 0, 2, 1])), (3, 4)),
        ("index_select_2x4x2_dim1", "index_select", "dim=1 index=3,3,0",
         lambda x: x.index_select(1, torch.tensor([3, 3, 0])), (2, 4, 2)),
        ("narrow_3x4_1_1_2", "narrow", "dim=1 start=1 length=2", lambda x: x.narrow(1, 1, 2), (3, 4)),
        ("select_3x4_0_1", "select", "dim=0 index=1", lambda x: x.select(0, 1), (3, 4)),
    ]
    for cid, op, kw, fn, shape in shape_ops:
        w.case(cid, op, fn, [randn(*shape)], kw)

    # --- creation (no inputs, no gradients) -----------------------------------
    creation = [
        ("arange_0_5_1", "arange", "start=0 end=5 step=1", lambda: torch.arange(0, 5, 1, dtype=F32)),
        ("arange_1_2_0.3", "arange", "start=1 end=2 step=0.3", lambda: torch.arange(1, 2, 0.3, dtype=F32)),
        ("arange_5_0_-1.5", "arange", "start=5 end=0 step=-1.5", lambda: torch.arange(5, 0, -1.5, dtype=F32)),
        ("linspace_0_1_5", "linspace", "start=0 end=1 steps=5", lambda: torch.linspace(0, 1, 5, dtype=F32)),
        ("linspace_-3_10_7", "linspace", "start=-3 end=10 steps=7", lambda: torch.linspace(-3, 10, 7, dtype=F32)),
        ("linspace_2_2_1", "linspace", "start=2 end=2 steps=1", lambda: torch.linspace(2, 2, 1, dtype=F32)),
        ("linspace_0.5_1.5_1", "linspace", "start=0.5 end=1.5 steps=1", lambda: torch.linspace(0.5, 1.5, 1, dtype=F32)),
    ]
    for cid, op, kw, fn in creation:
        w.case(cid, op, fn, [], kw, grad=False)

    # --- losses ---------------------------------------------------------------
    # Gradient lines are written for both input and target (torch
    # differentiates w.r.t. both).
    for red in ("mean", "sum", "none"):
        w.case(f"mse_loss_{red}", "mse_loss",
               lambda a, b, red=red: torch.nn.functional.mse_loss(a, b, reduction=red),
               [randn(4, 3), randn(4, 3)], f"reduction={red}")

    # --- bit-exact sums -------------------------------------------------------
    # Short sums whose last bit depends on PyTorch's addition order; the Rust
    # test compares these exactly.
    for n in (1, 2, 3, 5, 6, 7, 8, 9, 13, 15, 16, 31, 63, 64, 100, 1000, 4099):
        w.case(f"sum_exact_{n}", "sum_exact", lambda a: a.sum(), [randn(n) * 10], "", grad=False)
    # --- maximum / minimum / stack --------------------------------------------
    for op in ("maximum", "minimum"):
        fn = getattr(torch, op)
        w.case(f"{op}_2x3_2x3", op, fn, [randn(2, 3), randn(2, 3)])
        w.case(f"{op}_2x3_3", op, fn, [randn(2, 3), randn(3)])
        tied = randn(2, 3)
        w.case(f"{op}_ties", op, fn, [tied, tied.clone()])
    w.case("stack_dim0", "stack", lambda a, b, c: torch.stack([a, b, c], 0), [randn(2, 3), randn(2, 3), randn(2, 3)], "dim=0")
    w.case("stack_dim-1", "stack", lambda a, b: torch.stack([a, b], -1), [randn(4), randn(4)], "dim=-1")

    # --- DataLoader batch counts and shapes -------------------------------------
    # `out` lists, per batch, the batch's first dimension (no `in` lines; the
    # dataset is n rows of features [n, 2] and labels [n]).
    for n, bs, drop_last in ((1000, 10, False), (105, 10, False), (105, 10, True), (5, 10, True), (5, 10, False), (7, 3, False)):
        ds = data.TensorDataset(torch.zeros(n, 2), torch.zeros(n))
        sizes = [len(x) for x, _ in data.DataLoader(ds, batch_size=bs, drop_last=drop_last)]
        w.lines.append(f"=== dataloader_{n}_{bs}_{int(drop_last)}")
        w.ids.add(f"dataloader_{n}_{bs}_{int(drop_last)}")
        w.lines.append(f"op dataloader n={n} batch_size={bs} drop_last={int(drop_last)}")
        w.lines.append(f"out {len(sizes)} | " + " ".join(f"{float(x)!r}" for x in sizes) if sizes else "out 0 |")

    # --- nn.functional.linear ------------------------------------------------
    # Inputs: x, weight [out, in], bias [out] (or no bias).
    w.case("linear_2d", "linear", lambda x, wt, b: torch.nn.functional.linear(x, wt, b),
           [randn(4, 3), randn(2, 3), randn(2)])
    w.case("linear_2d_nobias", "linear", lambda x, wt: torch.nn.functional.linear(x, wt),
           [randn(5, 3), randn(4, 3)])
    w.case("linear_3d", "linear", lambda x, wt, b: torch.nn.functional.linear(x, wt, b),
           [randn(2, 4, 3), randn(2, 3), randn(2)])
    w.case("linear_1d", "linear", lambda x, wt, b: torch.nn.functional.linear(x, wt, b),
           [randn(3), randn(2, 3), randn(2)])

    # --- SGD trajectories -----------------------------------------------------
    # Minimise L(p) = sum((p * c - t) ** 2) from p0 for `steps` steps; `out`
    # holds p after each step, shape [steps, n].
    sgd_configs = [
        "lr=0.1 momentum=0 dampening=0 weight_decay=0 nesterov=0",
        "lr=0.05 momentum=0.9 dampening=0 weight_decay=0 nesterov=0",
        "lr=0.05 momentum=0.9 dampening=0.3 weight_decay=0 nesterov=0",
        "lr=0.05 momentum=0.9 dampening=0 weight_decay=0.1 nesterov=0",
        "lr=0.05 momentum=0.8 dampening=0 weight_decay=0.01 nesterov=1",
        "lr=0.03 momentum=0 dampening=0 weight_decay=0.5 nesterov=0",
    ]
    for k, config in enumerate(sgd_configs):
        kw = dict(item.split("=") for item in config.split())
        p0, c, t = randn(3), randn(3), randn(3)

        def trajectory(p0, c, t, kw=kw):
            p = p0.detach().clone().requires_grad_()
            opt = torch.optim.SGD([p], lr=float(kw["lr"]), momentum=float(kw["momentum"]),
                                  dampening=float(kw["dampening"]),
                                  weight_decay=float(kw["weight_decay"]),
                                  nesterov=kw["nesterov"] == "1")
            rows = []
            for _ in range(6):
                opt.zero_grad()
                ((p * c - t) ** 2).sum().backward()
                opt.step()
                rows.append(p.detach().clone())
            return torch.stack(rows)

        w.case(f"sgd_{k}", "sgd", trajectory, [p0, c, t], config + " steps=6", grad=False)

    # Long sums over a pattern both sides compute exactly (so the file stays
    # small), on one thread: with several threads PyTorch splits long
    # reductions into per-thread chunks and the last bit depends on the count.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    for n in (70000, 300001, 1000003):
        w.case(f"sum_pattern_{n}", "sum_pattern", lambda n=n: sum_pattern(n).sum(), [], f"n={n}", grad=False)
    torch.set_num_threads(threads)

    special_values_cases(w)


def special_values_cases(w):
    """NaN, ±inf, ±0 and values exactly at kinks and bounds, with NaN and
    infinite upstream gradients: PyTorch's rules for propagating (or masking)
    them in every backward formula. Fixed values, no random draws."""
    t = lambda data: torch.tensor(data, dtype=F32)  # noqa: E731
    values = t([nan, inf, -inf, 0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.0])
    # Non-finite upstream gradients land on masked and unmasked positions alike.
    up = t([1.0, nan, inf, nan, -inf, -1.0, inf, nan, 2.0, -inf])
    unary = [
        ("neg", "", torch.neg),
        ("exp", "", torch.exp),
        ("log", "", torch.log),
        ("sqrt", "", torch.sqrt),
        ("abs", "", torch.abs),
        ("relu", "", torch.relu),
        ("sigmoid", "", torch.sigmoid),
        ("tanh", "", torch.tanh),
        ("rdiv_scalar", "s=1.0", lambda x: 1.0 / x),
        ("mul_scalar", "s=-1.5", lambda x: x * -1.5),
        ("clamp", "min=-1.0 max=1.0", lambda x: torch.clamp(x, min=-1.0, max=1.0)),
        ("clamp", "min=0.0", lambda x: torch.clamp(x, min=0.0)),
        ("clamp", "max=0.5", lambda x: torch.clamp(x, max=0.5)),
        ("clamp", "min=nan", lambda x: torch.clamp(x, min=nan)),
        ("clamp", "min=2.0 max=1.0", lambda x: torch.clamp(x, min=2.0, max=1.0)),
    ]
    for e in (0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.5):
        unary.append(("pow_scalar", f"e={e}", lambda x, e=e: x ** e))
    for op, kw, fn in unary:
        w.case(f"special_{op}" + (f"_{kw.replace(' ', '_')}" if kw else ""), op, fn,
               [values], kw, upstream=up)

    # Binary: every pair of a few special values (a along rows, b along columns).
    a_vals = [nan, inf, -inf, 0.0, -0.0, 1.0, 1e-30, 1e30]
    a = t(a_vals).reshape(-1, 1).expand(len(a_vals), len(a_vals)).contiguous()
    b = t(a_vals).reshape(1, -1).expand(len(a_vals), len(a_vals)).contiguous()
    up2 = t([[1.0, nan, inf, -1.0, -inf, 2.0, 0.5, -2.0]] * len(a_vals))
    for op, fn in (("add", torch.add), ("sub", torch.sub), ("mul", torch.mul),
                   ("div", torch.div), ("pow", torch.pow),
                   ("maximum", torch.maximum), ("minimum", torch.minimum)):
        w.case(f"special_{op}", op, fn, [a, b], upstream=up2)

    # Reductions: NaN and ties decide where the gradient goes.
    rows = t([[1.0, nan, 3.0, nan], [inf, inf, 1.0, -inf], [-0.0, 0.0, -1.0, -1.0],
              [2.0, 2.0, 2.0, 2.0]])
    up_rows = t([nan, 1.0, inf, -1.0])
    w.case("special_max_dim1", "max", lambda x: tuple(torch.max(x, dim=1)), [rows],
           "dim=1 keepdim=0", idx=True, upstream=up_rows)
    w.case("special_min_dim1", "min", lambda x: tuple(torch.min(x, dim=1)), [rows],
           "dim=1 keepdim=0", idx=True, upstream=up_rows)
    for name, row, g in (("nan", [1.0, nan, 3.0, nan], nan), ("inf_tie", [inf, inf, 1.0], inf),
                         ("tie_neg_up", [1.0, 2.0, 2.0], -1.0), ("plain_nan_up", [1.0, -5.0], nan)):
        for op, fn in (("max", torch.max), ("min", torch.min)):
            w.case(f"special_{op}_all_{name}", op, fn, [t(row)], upstream=t(g))
    for name, x, g in (("zeros_nan_up", [0.0, 0.0], nan), ("zeros_inf_up", [0.0, 0.0], inf),
                       ("with_inf", [inf, 1.0], 1.0), ("with_nan", [nan, 1.0], 1.0)):
        w.case(f"special_norm_{name}", "norm", lambda x: torch.norm(x, p=2), [t(x)], upstream=t(g))
    w.case("special_sum_dim1", "sum", lambda x: torch.sum(x, dim=1, keepdim=False), [rows],
           "dim=1 keepdim=0", upstream=up_rows)
    w.case("special_mean_dim1", "mean", lambda x: torch.mean(x, dim=1, keepdim=False), [rows],
           "dim=1 keepdim=0", upstream=up_rows)
    w.case("special_matmul", "matmul", torch.matmul, [rows, t([1.0, 0.0, -1.0, inf])],
           upstream=up_rows)


def sum_pattern(n):
    """v_i = ((i * 2654435761 mod 2^32) / 2^32 - 0.5) * 20, rounded to f32."""
    values = [((i * 2654435761 % 4294967296) / 4294967296 - 0.5) * 20 for i in range(n)]
    return torch.tensor(values, dtype=F32)


def main():
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    n_display = write_display(DATA_DIR / "display.txt")
    w = OpsWriter()
    ops_cases(w)
    n_ops = w.write(DATA_DIR / "ops.txt")
    print(f"torch {torch.__version__}: wrote {n_display} display cases and "
          f"{n_ops} op cases to {DATA_DIR}")


if __name__ == "__main__":
    main()
