//! `gradcheck` on every differentiable op over random shapes (seeded):
//! broadcasting pairs for binary ops, random dims for reductions and shape ops.

use autograd::{gradcheck, GradcheckOptions, Result, Tensor};
use tensor::{Generator, Tensor as Raw};

/// A named unary op.
type UnaryCase = (&'static str, fn(&Tensor) -> Tensor);

fn draw(g: &mut Generator, n: usize) -> usize {
    (g.next_u64() % n as u64) as usize
}

/// A random shape of 0 to 3 dims with sizes 1 to 3.
fn shape(g: &mut Generator) -> Vec<usize> {
    let ndim = draw(g, 4);
    (0..ndim).map(|_| 1 + draw(g, 3)).collect()
}

/// `shape` with some dims set to 1 and some leading dims dropped.
fn broadcastable(g: &mut Generator, shape: &[usize]) -> Vec<usize> {
    let drop = draw(g, shape.len() + 1);
    shape[drop..]
        .iter()
        .map(|&d| if draw(g, 3) == 0 { 1 } else { d })
        .collect()
}

/// Values away from 0 (so abs, relu, clamp and log are smooth there).
fn values(g: &mut Generator, shape: &[usize], positive: bool) -> Raw {
    let x = g.uniform(0.3, 1.5, shape).unwrap();
    if positive {
        return x;
    }
    let signs = g
        .uniform(-1.0, 1.0, shape)
        .unwrap()
        .map(|s| if s < 0.0 { -1.0 } else { 1.0 });
    &x * &signs
}

fn check(name: &str, case: usize, f: impl Fn(&[Tensor]) -> Result<Tensor>, inputs: &[Raw]) {
    if let Err(e) = gradcheck(f, inputs, GradcheckOptions::default()) {
        let shapes: Vec<_> = inputs.iter().map(|x| x.shape().to_vec()).collect();
        panic!("{name} case {case} with input shapes {shapes:?}: {e}");
    }
}

#[test]
fn binary_ops_with_random_broadcasting() {
    let mut g = Generator::new(1);
    for case in 0..60 {
        let sa = shape(&mut g);
        let sb = broadcastable(&mut g, &sa);
        let (sa, sb) = if case % 2 == 0 { (sa, sb) } else { (sb, sa) };
        let (a, b) = (values(&mut g, &sa, false), values(&mut g, &sb, false));
        let (pa, pb) = (values(&mut g, &sa, true), values(&mut g, &sb, true));
        check(
            "add",
            case,
            |x| x[0].try_add(&x[1]),
            &[a.clone(), b.clone()],
        );
        check(
            "sub",
            case,
            |x| x[0].try_sub(&x[1]),
            &[a.clone(), b.clone()],
        );
        check(
            "mul",
            case,
            |x| x[0].try_mul(&x[1]),
            &[a.clone(), b.clone()],
        );
        check(
            "div",
            case,
            |x| x[0].try_div(&x[1]),
            &[a.clone(), b.clone()],
        );
        check("pow", case, |x| x[0].try_pow(&x[1]), &[pa, pb]);
        check(
            "maximum",
            case,
            |x| x[0].try_maximum(&x[1]),
            &[a.clone(), b.clone()],
        );
        check(
            "minimum",
            case,
            |x| x[0].try_minimum(&x[1]),
            &[a.clone(), b.clone()],
        );
    }
}

#[test]
fn unary_and_scalar_ops_on_random_shapes() {
    let mut g = Generator::new(2);
    for case in 0..40 {
        let s = shape(&mut g);
        let x = values(&mut g, &s, false);
        let p = values(&mut g, &s, true);
        let unary: [UnaryCase; 12] = [
            ("neg", |x| x.neg()),
            ("exp", |x| x.exp()),
            ("abs", |x| x.abs()),
            ("relu", |x| x.relu()),
            ("sigmoid", |x| x.sigmoid()),
            ("tanh", |x| x.tanh()),
            ("square", |x| x.square()),
            ("clamp", |x| x.clamp(Some(-0.9), Some(0.8))),
            ("add_scalar", |x| x + 2.5),
            ("rsub_scalar", |x| 1.0 - x),
            ("mul_scalar", |x| x * -1.5),
            ("div_scalar", |x| x / 4.0),
        ];
        for (name, f) in unary {
            check(name, case, |t| Ok(f(&t[0])), std::slice::from_ref(&x));
        }
        let positive: [UnaryCase; 5] = [
            ("log", |x| x.log()),
            ("sqrt", |x| x.sqrt()),
            ("reciprocal", |x| x.reciprocal()),
            ("rdiv_scalar", |x| 2.0 / x),
            ("pow_scalar", |x| x.pow_scalar(-1.5)),
        ];
        for (name, f) in positive {
            check(name, case, |t| Ok(f(&t[0])), std::slice::from_ref(&p));
        }
    }
}

#[test]
fn reductions_and_shape_ops_over_random_dims() {
    let mut g = Generator::new(3);
    for case in 0..60 {
        let mut s = shape(&mut g);
        if s.is_empty() {
            s.push(2);
        }
        let x = values(&mut g, &s, false);
        let ndim = s.len() as isize;
        let dim = draw(&mut g, s.len()) as isize - if case % 2 == 0 { ndim } else { 0 };
        let keepdim = case % 3 == 0;
        let xs = std::slice::from_ref(&x);
        check("sum", case, |t| Ok(t[0].sum()), xs);
        check("sum_dim", case, |t| t[0].try_sum_dim(dim, keepdim), xs);
        check("mean", case, |t| Ok(t[0].mean()), xs);
        check("mean_dim", case, |t| t[0].try_mean_dim(dim, keepdim), xs);
        check("norm", case, |t| Ok(t[0].norm()), xs);
        check("norm_dim", case, |t| t[0].try_norm_dim(dim, keepdim), xs);
        // Distinct values so max/min have no ties to split.
        let distinct = &Raw::arange(0.0, x.numel() as f32, 1.0)
            .reshape(&s.iter().map(|&d| d as isize).collect::<Vec<_>>())
            * 0.37;
        let ds = std::slice::from_ref(&distinct);
        check(
            "max_dim",
            case,
            |t| Ok(t[0].try_max_dim(dim, keepdim)?.0),
            ds,
        );
        check(
            "min_dim",
            case,
            |t| Ok(t[0].try_min_dim(dim, keepdim)?.0),
            ds,
        );
        check("max", case, |t| t[0].try_max(), ds);
        check("reshape", case, |t| t[0].try_reshape(&[-1]), xs);
        check("unsqueeze", case, |t| t[0].try_unsqueeze(dim), xs);
        check("squeeze", case, |t| Ok(t[0].squeeze()), xs);
        check("transpose", case, |t| t[0].try_transpose(0, -1), xs);
        let mut perm: Vec<isize> = (0..ndim).collect();
        perm.rotate_left(1);
        check("permute", case, |t| t[0].try_permute(&perm), xs);
        let size = s[dim.rem_euclid(ndim) as usize];
        let index: Vec<usize> = (0..size + 1).map(|i| (i * 7) % size).collect();
        check(
            "index_select",
            case,
            |t| t[0].try_index_select(dim, &index),
            xs,
        );
        check(
            "narrow",
            case,
            |t| t[0].try_narrow(dim, size / 2, size - size / 2),
            xs,
        );
        check("select", case, |t| t[0].try_select(dim, size - 1), xs);
        let mut big = vec![2usize];
        big.extend(&s);
        let target: Vec<isize> = big.iter().map(|&d| d as isize).collect();
        check("expand", case, |t| t[0].try_expand(&target), xs);
        let reduced: Vec<usize> = s
            .iter()
            .enumerate()
            .map(|(i, &d)| if i == 0 { 1 } else { d })
            .collect();
        check("sum_to_size", case, |t| t[0].try_sum_to_size(&reduced), xs);
        let other = values(&mut g, &s, false);
        check(
            "stack",
            case,
            |t| Tensor::try_stack(t, dim),
            &[x.clone(), other],
        );
    }
}

#[test]
fn matmul_in_every_form_with_random_sizes() {
    let mut g = Generator::new(4);
    for case in 0..30 {
        let (m, k, n) = (
            1 + draw(&mut g, 4),
            1 + draw(&mut g, 4),
            1 + draw(&mut g, 4),
        );
        let batch = 1 + draw(&mut g, 3);
        let forms: [(Vec<usize>, Vec<usize>); 6] = [
            (vec![k], vec![k]),
            (vec![m, k], vec![k]),
            (vec![k], vec![k, n]),
            (vec![m, k], vec![k, n]),
            (vec![batch, m, k], vec![k, n]),
            (vec![batch, 1, m, k], vec![2, k, n]),
        ];
        for (sa, sb) in forms {
            let (a, b) = (values(&mut g, &sa, false), values(&mut g, &sb, false));
            check("matmul", case, |t| t[0].try_matmul(&t[1]), &[a, b]);
        }
    }
}
