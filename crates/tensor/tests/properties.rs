//! Randomised properties: broadcasting binary ops, reductions and matmul
//! against small independent implementations written with plain index
//! arithmetic, over hundreds of random shapes (seeded, so failures replay).

use tensor::{Generator, Tensor};

/// Row-major strides of `shape`.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The multi-index of flat position `flat` in `shape`.
fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (i, &d) in shape.iter().enumerate().rev() {
        index[i] = flat % d.max(1);
        flat /= d.max(1);
    }
    index
}

/// Element of `t` read through NumPy broadcasting at `index` of the output shape.
fn broadcast_get(t: &Tensor, index: &[usize]) -> f32 {
    let (shape, values) = (t.shape(), t.to_vec());
    let offset = index.len() - shape.len();
    let st = strides(shape);
    let flat: usize = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if d == 1 { 0 } else { index[offset + i] * st[i] })
        .sum();
    values[flat]
}

/// Random shapes `a`, `b` that broadcast together (sizes 0 to 4, up to 4 dims).
fn broadcastable_pair(g: &mut Generator) -> (Vec<usize>, Vec<usize>) {
    let mut draw = |n: usize| (g.next_u64() % n as u64) as usize;
    let ndim = draw(5);
    let full: Vec<usize> = (0..ndim)
        .map(|_| if draw(8) == 0 { 0 } else { 1 + draw(4) })
        .collect();
    let mut pick = || -> Vec<usize> {
        let drop = draw(ndim + 1);
        full[drop..]
            .iter()
            .map(|&d| if draw(3) == 0 { 1 } else { d })
            .collect()
    };
    (pick(), pick())
}

fn random(g: &mut Generator, shape: &[usize]) -> Tensor {
    g.normal(0.0, 1.0, shape).unwrap()
}

#[test]
fn broadcasting_binary_ops_match_index_arithmetic() {
    let mut g = Generator::new(2024);
    for case in 0..400 {
        let (sa, sb) = broadcastable_pair(&mut g);
        let (a, b) = (random(&mut g, &sa), random(&mut g, &sb));
        // Non-contiguous operands (transposed views) must give the same result.
        let a = if a.dim() >= 2 && case % 2 == 0 {
            a.t_last().contiguous().t_last()
        } else {
            a
        };
        let out = a.add(&b);
        let expected_shape = tensor::broadcast_shapes("add", &sa, &sb).unwrap();
        assert_eq!(
            out.shape(),
            expected_shape.as_slice(),
            "case {case}: {sa:?} + {sb:?}"
        );
        let got = out.to_vec();
        for (flat, &v) in got.iter().enumerate() {
            let index = unravel(flat, &expected_shape);
            let want = broadcast_get(&a, &index) + broadcast_get(&b, &index);
            assert_eq!(v, want, "case {case}: {sa:?} + {sb:?} at {index:?}");
        }
        let prod = a.mul(&b).to_vec();
        for (flat, &v) in prod.iter().enumerate() {
            let index = unravel(flat, &expected_shape);
            assert_eq!(v, broadcast_get(&a, &index) * broadcast_get(&b, &index));
        }
    }
}

#[test]
fn incompatible_shapes_always_error() {
    let mut g = Generator::new(7);
    let mut checked = 0;
    for _ in 0..600 {
        let (mut sa, sb) = broadcastable_pair(&mut g);
        if sa.is_empty() || sb.is_empty() || sb.len() < sa.len() {
            continue;
        }
        // Make the last dims disagree with neither being 1.
        let last = sa.len() - 1;
        let other = sb[sb.len() - 1];
        sa[last] = if other == 2 { 3 } else { 2 };
        if other == 1 {
            continue;
        }
        let r = Tensor::zeros(&sa).try_add(&Tensor::zeros(&sb));
        assert!(r.is_err(), "{sa:?} + {sb:?} should not broadcast");
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} incompatible pairs");
}

#[test]
fn sum_dim_and_sum_to_size_match_index_arithmetic() {
    let mut g = Generator::new(99);
    for case in 0..200 {
        let (shape, _) = broadcastable_pair(&mut g);
        if shape.is_empty() {
            continue;
        }
        let x = random(&mut g, &shape);
        let dim = (g.next_u64() % shape.len() as u64) as usize;
        let s = x.sum_dim(dim as isize, true);
        let mut expected = vec![0.0f64; s.numel()];
        let out_shape = s.shape().to_vec();
        let ost = strides(&out_shape);
        for (flat, &v) in x.to_vec().iter().enumerate() {
            let mut index = unravel(flat, &shape);
            index[dim] = 0;
            let o: usize = index.iter().zip(&ost).map(|(i, s)| i * s).sum();
            expected[o] += v as f64;
        }
        let expected =
            Tensor::from_vec(expected.iter().map(|&v| v as f32).collect(), &out_shape).unwrap();
        assert!(
            s.shape() == expected.shape() && s.allclose(&expected, 1e-5, 1e-5),
            "case {case}: sum over {dim} of {shape:?}"
        );
        assert!(
            x.sum_to_size(&out_shape).shape() == expected.shape()
                && x.sum_to_size(&out_shape).allclose(&expected, 1e-5, 1e-5),
            "case {case}"
        );
    }
}

#[test]
fn batched_matmul_matches_per_matrix_products() {
    let mut g = Generator::new(5);
    for case in 0..100 {
        let mut draw = |n: u64| 1 + (g.next_u64() % n) as usize;
        let (m, k, n) = (draw(6), draw(6), draw(6));
        let (b1, b2) = (draw(3), draw(3));
        let lhs_batch = if b1 == 1 { vec![b2] } else { vec![b1, 1] };
        let rhs_batch = if b1 == 1 { vec![1] } else { vec![b2] };
        let a = random(&mut g, &[lhs_batch.clone(), vec![m, k]].concat());
        let b = random(&mut g, &[rhs_batch.clone(), vec![k, n]].concat());
        let c = a.matmul(&b);
        let batch = tensor::broadcast_shapes("matmul", &lhs_batch, &rhs_batch)
            .unwrap()
            .to_vec();
        assert_eq!(
            c.shape(),
            [batch.clone(), vec![m, n]].concat().as_slice(),
            "case {case}"
        );
        for flat in 0..batch.iter().product() {
            let index = unravel(flat, &batch);
            let pick = |t: &Tensor, own: &[usize]| {
                let mut t = t.clone();
                for (d, &size) in own.iter().enumerate() {
                    let i = if size == 1 {
                        0
                    } else {
                        index[index.len() - own.len() + d]
                    };
                    t = t.select(0, i);
                }
                t
            };
            let mut got = c.clone();
            for &i in &index {
                got = got.select(0, i);
            }
            let expected = pick(&a, &lhs_batch).matmul(&pick(&b, &rhs_batch));
            assert!(
                got.shape() == expected.shape() && got.allclose(&expected, 1e-5, 1e-5),
                "case {case} batch {index:?}"
            );
        }
    }
}

trait TransposeLast {
    fn t_last(&self) -> Tensor;
}

impl TransposeLast for Tensor {
    fn t_last(&self) -> Tensor {
        self.transpose(-1, -2)
    }
}
