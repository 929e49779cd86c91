//! Behaviour of the public API beyond the reference values: constructors,
//! randomness, shape ops, operators, in-place ops, edge cases and every error.

use tensor::{Generator, Tensor, TensorError};

fn t(values: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(values.to_vec(), shape).unwrap()
}

// ----- creation -------------------------------------------------------------

#[test]
fn constructors() {
    assert_eq!(Tensor::zeros(&[2, 3]).to_vec(), vec![0.0; 6]);
    assert_eq!(Tensor::ones(&[2]).to_vec(), vec![1.0; 2]);
    assert_eq!(Tensor::full(&[1, 2], 7.5).to_vec(), vec![7.5; 2]);
    let x = t(&[1., 2., 3., 4.], &[2, 2]);
    assert_eq!(x.zeros_like().shape(), &[2, 2]);
    assert_eq!(x.ones_like().to_vec(), vec![1.0; 4]);
    assert_eq!(x.full_like(3.0).to_vec(), vec![3.0; 4]);
    let s = Tensor::scalar(4.0);
    assert_eq!((s.dim(), s.numel(), s.shape()), (0, 1, &[][..]));
    assert_eq!(s.item(), 4.0);
    assert_eq!(Tensor::from(vec![1.0, 2.0]).shape(), &[2]);
    assert_eq!(x.len(), 2);
    assert!(Tensor::zeros(&[0, 3]).is_empty());
    assert_eq!(Tensor::linspace(0.0, 1.0, 0).shape(), &[0]);
}

#[test]
fn construction_errors_name_the_shapes() {
    let e = Tensor::from_vec(vec![1.0; 5], &[2, 3]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "from_vec: 5 values cannot fill shape [2, 3] (6 elements)"
    );
    let e = Tensor::try_arange(0.0, 1.0, 0.0).unwrap_err();
    assert!(e.to_string().starts_with("arange: invalid range"), "{e}");
    assert!(Tensor::try_arange(0.0, 1.0, -1.0).is_err());
    let e = Tensor::zeros(&[2, 2]).try_item().unwrap_err();
    assert_eq!(
        e.to_string(),
        "item: a tensor of shape [2, 2] with 4 elements cannot be converted to a scalar"
    );
}

#[test]
#[should_panic(expected = "len: a 0-d tensor has no length")]
fn len_of_scalar_panics() {
    Tensor::scalar(1.0).len();
}

// ----- randomness -----------------------------------------------------------

#[test]
fn generators_are_reproducible_and_independent() {
    let a = Generator::new(7).normal(0.0, 1.0, &[50]).unwrap();
    let b = Generator::new(7).normal(0.0, 1.0, &[50]).unwrap();
    let c = Generator::new(8).normal(0.0, 1.0, &[50]).unwrap();
    assert_eq!(a.to_vec(), b.to_vec());
    assert_ne!(a.to_vec(), c.to_vec());
    let mut g = Generator::new(1);
    let mut perm = g.randperm(100);
    perm.sort_unstable();
    assert_eq!(perm, (0..100).collect::<Vec<_>>());
}

#[test]
fn distributions_have_the_requested_moments() {
    let mut g = Generator::new(0);
    let n = 200_000.0;
    let x = g.normal(2.0, 3.0, &[200_000]).unwrap();
    let mean = x.mean().item();
    let std = ((&x - mean).square().sum().item() / n).sqrt();
    assert!((mean - 2.0).abs() < 0.03, "mean {mean}");
    assert!((std - 3.0).abs() < 0.03, "std {std}");
    let u = g.uniform(-1.0, 3.0, &[100_000]).unwrap();
    assert!(u.min().item() >= -1.0 && u.max().item() < 3.0);
    assert!((u.mean().item() - 1.0).abs() < 0.03);
    let r = Tensor::rand(&[1000]);
    assert!(r.min().item() >= 0.0 && r.max().item() < 1.0);
    assert_eq!(Tensor::randn(&[4, 5]).shape(), &[4, 5]);
    assert_eq!(r.randn_like().shape(), &[1000]);
    assert_eq!(r.rand_like().shape(), &[1000]);
}

#[test]
fn random_errors() {
    // PyTorch's messages.
    let e = Tensor::try_normal(0.0, -1.0, &[2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "normal_: normal expects std >= 0.0, but found std -1"
    );
    let e = Tensor::try_uniform(0.5, 0.25, &[2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "uniform_: uniform_ expects to return a [from, to) range, but found from=0.5 > to=0.25"
    );
    let e = Tensor::zeros(&[2]).try_normal_(0.0, f64::NAN).unwrap_err();
    assert_eq!(
        e.to_string(),
        "normal_: normal expects std >= 0.0, but found std nan"
    );
    let e = Tensor::zeros(&[2]).try_uniform_(f64::NAN, 1.0).unwrap_err();
    assert_eq!(e.to_string(), "uniform_: from is out of bounds for float");
    let e = Tensor::zeros_dtype(&[2], tensor::DType::Int64)
        .try_normal_(0.0, 1.0)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "normal_: \"normal_kernel_cpu\" not implemented for 'Long'"
    );
    let e = Tensor::try_randint(3, 3, &[2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "random_: random_ expects 'from' to be less than 'to', but got from=3 >= to=3"
    );
    let e = Tensor::zeros(&[3]).try_bernoulli_(1.5).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bernoulli_: bernoulli_ expects p to be in [0, 1], but got p=1.5"
    );
    let e = Tensor::zeros(&[3]).try_exponential_(-1.0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "exponential_: exponential_ expects lambda > 0.0, but found lambda=-1"
    );
    let e = Tensor::zeros(&[3])
        .expand(&[2, 3])
        .try_normal_(0.0, 1.0)
        .unwrap_err();
    assert!(
        e.to_string().contains(
            "more than one element of the written-to tensor refers to a single memory location"
        ),
        "{e}"
    );
}

#[test]
fn in_place_random_fills() {
    let w = Tensor::zeros(&[2, 1]);
    w.normal_(0.0, 0.01);
    assert_eq!(w.shape(), &[2, 1]);
    assert!(w.abs().max().item() < 0.1 && w.abs().max().item() > 0.0);
    w.uniform_(5.0, 6.0);
    assert!(w.min().item() >= 5.0);
}

// ----- shape ops ------------------------------------------------------------

#[test]
fn reshape_follows_logical_order_of_non_contiguous_tensors() {
    let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    let xt = x.t();
    assert!(!xt.is_contiguous());
    assert_eq!(xt.reshape(&[-1]).to_vec(), vec![0., 3., 1., 4., 2., 5.]);
    assert_eq!(xt.contiguous().to_vec(), vec![0., 3., 1., 4., 2., 5.]);
    assert!(xt.contiguous().is_contiguous());
    assert_eq!(x.reshape(&[3, -1]).shape(), &[3, 2]);
    assert_eq!(Tensor::scalar(1.0).reshape(&[1, 1]).shape(), &[1, 1]);
    assert_eq!(Tensor::zeros(&[0, 3]).reshape(&[3, 0]).shape(), &[3, 0]);
}

#[test]
fn shape_errors_name_the_shapes() {
    let x = Tensor::zeros(&[3, 4]);
    assert_eq!(
        x.try_reshape(&[5, -1]).unwrap_err().to_string(),
        "reshape: shape [5, -1] is invalid for input of shape [3, 4] (12 elements)"
    );
    assert_eq!(
        x.try_reshape(&[-1, -1]).unwrap_err().to_string(),
        "reshape: only one dimension can be inferred, got shape [-1, -1]"
    );
    assert_eq!(
        x.try_transpose(0, 2).unwrap_err().to_string(),
        "transpose: dimension 2 out of range for a tensor of shape [3, 4] (expected in [-2, 1])"
    );
    assert_eq!(
        x.try_permute(&[0, 0]).unwrap_err().to_string(),
        "permute: dims [0, 0] are not a permutation of the 2 dims of shape [3, 4]"
    );
    assert!(matches!(
        x.try_unsqueeze(3),
        Err(TensorError::DimOutOfRange { .. })
    ));
    assert!(x.try_squeeze_dim(-3).is_err());
    assert_eq!(
        x.try_expand(&[2, 4]).unwrap_err().to_string(),
        "expand: the shape [3, 4] cannot be expanded to [2, 4]"
    );
    assert_eq!(
        x.try_broadcast_to(&[4]).unwrap_err().to_string(),
        "broadcast_to: shapes [3, 4] and [4] cannot be broadcast together"
    );
}

#[test]
#[should_panic(expected = "t: expects a tensor with <= 2 dimensions, but got shape [2, 2, 2]")]
fn t_of_3d_panics() {
    Tensor::zeros(&[2, 2, 2]).t();
}

#[test]
fn squeeze_unsqueeze_expand() {
    let x = Tensor::zeros(&[1, 3, 1]);
    assert_eq!(x.squeeze().shape(), &[3]);
    assert_eq!(x.squeeze_dim(-1).shape(), &[1, 3]);
    assert_eq!(x.squeeze_dim(1).shape(), &[1, 3, 1]);
    assert_eq!(x.unsqueeze(0).shape(), &[1, 1, 3, 1]);
    let col = t(&[1., 2.], &[2, 1]);
    assert_eq!(col.expand(&[-1, 3]).to_vec(), vec![1., 1., 1., 2., 2., 2.]);
    assert_eq!(col.broadcast_to(&[2, 2, 2]).shape(), &[2, 2, 2]);
    assert_eq!(Tensor::scalar(2.0).expand(&[2]).to_vec(), vec![2., 2.]);
}

// ----- elementwise & operators ----------------------------------------------

#[test]
fn operators_in_every_ownership_combination() {
    let a = t(&[1., 2.], &[2]);
    let b = t(&[3., 4.], &[2]);
    assert_eq!((&a + &b).to_vec(), vec![4., 6.]);
    assert_eq!((a.clone() - &b).to_vec(), vec![-2., -2.]);
    assert_eq!((&a * b.clone()).to_vec(), vec![3., 8.]);
    assert_eq!((a.clone() / b.clone()).to_vec(), vec![1. / 3., 0.5]);
    assert_eq!((&a + 2.0).to_vec(), vec![3., 4.]);
    assert_eq!((2.0 * &a).to_vec(), vec![2., 4.]);
    assert_eq!((1.0 / &a).to_vec(), vec![1., 0.5]);
    assert_eq!((2.0 - a.clone()).to_vec(), vec![1., 0.]);
    assert_eq!((a.clone() * 3.0).to_vec(), vec![3., 6.]);
    assert_eq!((-&a).to_vec(), vec![-1., -2.]);
    assert_eq!((-a.clone()).to_vec(), vec![-1., -2.]);
    // `a` and `b` are still usable.
    assert_eq!(a.to_vec(), vec![1., 2.]);
    assert_eq!(b.to_vec(), vec![3., 4.]);
}

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [4] cannot be broadcast together")]
fn operator_panics_with_the_shapes() {
    let _ = &Tensor::zeros(&[2, 3]) + &Tensor::zeros(&[4]);
}

#[test]
fn broadcasting_edge_cases() {
    let s = Tensor::scalar(2.0);
    let m = Tensor::ones(&[2, 3]);
    assert_eq!((&s * &m).shape(), &[2, 3]);
    assert_eq!((&m * &s).shape(), &[2, 3]);
    assert_eq!((&s + &s).shape(), &[] as &[usize]);
    let empty = Tensor::zeros(&[0, 3]);
    assert_eq!((&empty + &Tensor::ones(&[1, 3])).shape(), &[0, 3]);
    assert_eq!((&empty + &s).shape(), &[0, 3]);
    assert!(empty.try_add(&Tensor::ones(&[2, 3])).is_err());
    let col = t(&[1., 2., 3.], &[3, 1]);
    let row = t(&[10., 20.], &[1, 2]);
    assert_eq!((&col + &row).to_vec(), vec![11., 21., 12., 22., 13., 23.]);
    assert!(col.try_mul(&Tensor::ones(&[2, 3])).is_err());
    assert!(t(&[1., 2., 3.], &[3]).try_div(&t(&[1., 2.], &[2])).is_err());
    // Non-contiguous operands take the general path and give the same values.
    let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    assert_eq!(
        (&x.t() + &x.t().contiguous()).to_vec(),
        (&x.t().contiguous() * 2.0).to_vec()
    );
}

#[test]
fn large_elementwise_ops_match_serial_results() {
    let n = tensor::PARALLEL_ELEMENTWISE_THRESHOLD * 3 + 17;
    let x = Tensor::arange(0.0, n as f32, 1.0);
    let y = &(&x * 2.0) + &x;
    let expected: Vec<f32> = (0..n).map(|i| 3.0 * i as f32).collect();
    assert_eq!(y.to_vec(), expected);
    assert_eq!(x.map(|v| v + 1.0).to_vec()[n - 1], n as f32);
}

#[test]
fn unary_math_and_nan_propagation() {
    let x = t(&[-1.0, 0.0, 4.0, f32::NAN, f32::INFINITY], &[5]);
    let r = x.relu().to_vec();
    assert_eq!(&r[..3], &[0.0, 0.0, 4.0]);
    assert!(r[3].is_nan());
    assert_eq!(r[4], f32::INFINITY);
    let c = x.clamp(Some(-0.5), Some(2.0)).to_vec();
    assert_eq!(&c[..3], &[-0.5, 0.0, 2.0]);
    assert!(c[3].is_nan());
    assert_eq!(c[4], 2.0);
    assert_eq!(
        t(&[1.0, 5.0], &[2]).clamp(Some(3.0), Some(2.0)).to_vec(),
        vec![2.0, 2.0]
    );
    assert!(x.sqrt().to_vec()[0].is_nan());
    assert_eq!(x.log().to_vec()[1], f32::NEG_INFINITY);
    assert_eq!(x.sigmoid().to_vec()[4], 1.0);
    assert_eq!(x.neg().to_vec()[0], 1.0);
    assert_eq!(x.exp().to_vec()[1], 1.0);
    assert!((x.tanh().to_vec()[2] - 4f32.tanh()).abs() < 1e-7);
    assert_eq!(x.abs().to_vec()[0], 1.0);
    assert_eq!(x.pow_scalar(2.0).to_vec()[2], 16.0);
    let m = t(&[1.0, f32::NAN], &[2])
        .maximum(&t(&[2.0, 0.0], &[2]))
        .to_vec();
    assert_eq!(m[0], 2.0);
    assert!(m[1].is_nan());
    assert!(x.sum().item().is_nan());
    assert!(x.max().item().is_nan());
    assert_eq!(
        t(&[1.0, 2.0], &[2]).div(&t(&[0.0, 0.0], &[2])).to_vec()[0],
        f32::INFINITY
    );
}

// ----- in place -------------------------------------------------------------

#[test]
fn in_place_ops_broadcast_into_self_and_copy_on_write() {
    let mut y = Tensor::ones(&[3]);
    let alias = y.clone();
    y += &t(&[1., 2., 3.], &[3]);
    assert_eq!(y.to_vec(), vec![2., 3., 4.]);
    assert_eq!(
        alias.to_vec(),
        vec![1., 1., 1.],
        "a clone never sees writes"
    );
    y -= 1.0;
    y *= 2.0;
    y /= &Tensor::scalar(2.0);
    assert_eq!(y.to_vec(), vec![1., 2., 3.]);
    let m = Tensor::zeros(&[2, 2]);
    m.add_(&t(&[1., 2.], &[2]));
    assert_eq!(m.to_vec(), vec![1., 2., 1., 2.]);
    m.mul_(&t(&[2., 3.], &[2, 1]))
        .sub_(&Tensor::scalar(1.0))
        .div_(&Tensor::scalar(0.5));
    assert_eq!(m.to_vec(), vec![2., 6., 4., 10.]);
    m.fill_(3.0);
    assert_eq!(m.to_vec(), vec![3.0; 4]);
    m.zero_();
    assert_eq!(m.to_vec(), vec![0.0; 4]);
    m.copy_(&t(&[5., 6.], &[2]));
    assert_eq!(m.to_vec(), vec![5., 6., 5., 6.]);
    let e = Tensor::zeros(&[2])
        .try_add_(&Tensor::ones(&[2, 2]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "add_: shapes [2] and [2, 2] cannot be broadcast together"
    );
    // Writing through a non-contiguous view works in logical order.
    let v = Tensor::arange(0.0, 4.0, 1.0).reshape(&[2, 2]).t();
    v.add_(&t(&[10., 20.], &[2]));
    assert_eq!(v.to_vec(), vec![10., 22., 11., 23.]);
}

// ----- reductions -----------------------------------------------------------

#[test]
fn reductions_and_their_errors() {
    let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    assert_eq!(x.sum().item(), 15.0);
    assert_eq!(x.sum_dim(0, false).to_vec(), vec![3., 5., 7.]);
    assert_eq!(x.sum_dim(-1, true).shape(), &[2, 1]);
    assert_eq!(x.mean_dim(1, false).to_vec(), vec![1., 4.]);
    let (v, i) = x.max_dim(1, true);
    assert_eq!(
        (v.to_vec(), i.to_vec(), v.shape()),
        (vec![2., 5.], vec![2., 2.], &[2usize, 1][..])
    );
    assert_eq!(x.argmin().item(), 0.0);
    assert_eq!(t(&[3., 4.], &[2]).norm().item(), 5.0);
    assert_eq!(Tensor::scalar(3.0).sum_dim(0, false).item(), 3.0);
    assert_eq!(Tensor::zeros(&[0]).sum().item(), 0.0);
    assert!(Tensor::zeros(&[0]).mean().item().is_nan());
    assert_eq!(
        Tensor::zeros(&[0, 3]).sum_dim(0, false).to_vec(),
        vec![0.0; 3]
    );
    // Ties keep the first index.
    assert_eq!(t(&[1., 3., 3.], &[3]).argmax().item(), 1.0);
    assert_eq!(
        x.try_sum_dim(2, false).unwrap_err().to_string(),
        "sum: dimension 2 out of range for a tensor of shape [2, 3] (expected in [-2, 1])"
    );
    assert_eq!(
        Tensor::zeros(&[0]).try_max().unwrap_err().to_string(),
        "max: cannot reduce an empty tensor of shape [0] without a dim"
    );
    assert_eq!(
        Tensor::zeros(&[2, 0])
            .try_argmax_dim(1, false)
            .unwrap_err()
            .to_string(),
        "argmax: cannot reduce over dimension 1 of size 0 (shape [2, 0])"
    );
    assert!(x.try_min_dim(-3, false).is_err());
    assert!(x.try_norm_dim(5, false).is_err());
}

// ----- indexing -------------------------------------------------------------

#[test]
fn indexing_and_its_errors() {
    let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[3, 2]);
    assert_eq!(
        x.index_select(0, &[2, 0, 2]).to_vec(),
        vec![4., 5., 0., 1., 4., 5.]
    );
    assert_eq!(x.index_select(0, &[]).shape(), &[0, 2]);
    assert_eq!(x.get(1).to_vec(), vec![2., 3.]);
    assert_eq!(x.narrow(0, 1, 2).to_vec(), vec![2., 3., 4., 5.]);
    assert_eq!(x.select(1, 0).to_vec(), vec![0., 2., 4.]);
    assert_eq!(
        x.try_index_select(0, &[3]).unwrap_err().to_string(),
        "index_select: index 3 is out of bounds for dimension 0 with size 3 (shape [3, 2])"
    );
    assert_eq!(
        x.try_narrow(0, 2, 2).unwrap_err().to_string(),
        "narrow: start (2) + length (2) exceeds dimension 0 of size 3 (shape [3, 2])"
    );
    assert!(x.try_select(2, 0).is_err());
    assert_eq!(
        Tensor::scalar(1.0)
            .try_select(0, 0)
            .unwrap_err()
            .to_string(),
        "select: cannot index a 0-d tensor"
    );
}

// ----- matmul ---------------------------------------------------------------

fn naive_matmul(a: &Tensor, b: &Tensor) -> Vec<f32> {
    let (m, k, n) = (a.shape()[0], a.shape()[1], b.shape()[1]);
    let (a, b) = (a.to_vec(), b.to_vec());
    let mut c = vec![0.0f64; m * n];
    for i in 0..m {
        for p in 0..k {
            for j in 0..n {
                c[i * n + j] += a[i * k + p] as f64 * b[p * n + j] as f64;
            }
        }
    }
    c.into_iter().map(|v| v as f32).collect()
}

#[test]
fn matmul_matches_a_naive_product_at_every_size_class() {
    let mut g = Generator::new(5);
    // Tiny (plain loop), serial sgemm, and parallel sgemm with ragged blocks.
    for &(m, k, n) in &[
        (10, 2, 1),
        (3, 5, 4),
        (33, 47, 29),
        (130, 257, 70),
        (300, 200, 37),
        (7, 300, 1100),
    ] {
        let a = g.normal(0.0, 1.0, &[m, k]).unwrap();
        let b = g.normal(0.0, 1.0, &[k, n]).unwrap();
        let expected = Tensor::from_vec(naive_matmul(&a, &b), &[m, n]).unwrap();
        let c = a.matmul(&b);
        assert!(
            c.shape() == expected.shape() && c.allclose(&expected, 1e-4, 1e-4),
            "{m}x{k}x{n}"
        );
        // Transposed (non-contiguous) operands give the same product.
        let at = a.t().contiguous().t();
        let bt = b.t().contiguous().t();
        assert!(
            at.matmul(&bt).allclose(&expected, 1e-4, 1e-4),
            "transposed {m}x{k}x{n}"
        );
    }
}

#[test]
fn matmul_forms_and_errors() {
    let v = t(&[1., 2.], &[2]);
    let m = t(&[1., 2., 3., 4., 5., 6.], &[3, 2]);
    assert_eq!(v.matmul(&v).shape(), &[] as &[usize]);
    assert_eq!(v.matmul(&v).item(), 5.0);
    assert_eq!(m.matmul(&v).to_vec(), vec![5., 11., 17.]);
    assert_eq!(v.matmul(&m.t()).to_vec(), vec![5., 11., 17.]);
    assert_eq!(
        Tensor::zeros(&[4, 1, 3, 2])
            .matmul(&Tensor::zeros(&[5, 2, 6]))
            .shape(),
        &[4, 5, 3, 6]
    );
    assert_eq!(
        Tensor::zeros(&[3, 0])
            .matmul(&Tensor::zeros(&[0, 2]))
            .to_vec(),
        vec![0.0; 6]
    );
    assert_eq!(
        Tensor::zeros(&[3, 4])
            .try_matmul(&Tensor::zeros(&[5, 2]))
            .unwrap_err()
            .to_string(),
        "matmul: cannot multiply [3, 4] by [5, 2] (4 != 5)"
    );
    assert_eq!(
        Tensor::zeros(&[2, 3, 4])
            .try_matmul(&Tensor::zeros(&[3, 4, 5]))
            .unwrap_err()
            .to_string(),
        "matmul: shapes [2] and [3] cannot be broadcast together"
    );
    assert_eq!(
        Tensor::scalar(1.0).try_matmul(&v).unwrap_err().to_string(),
        "matmul: both arguments need at least 1 dimension, got [] and [2]"
    );
}

#[test]
fn sum_to_size_and_index_add() {
    let g = Tensor::ones(&[2, 3, 4]);
    assert_eq!(g.sum_to_size(&[3, 1]).to_vec(), vec![8.0; 3]);
    assert_eq!(g.sum_to_size(&[]).item(), 24.0);
    assert_eq!(g.sum_to_size(&[2, 3, 4]).numel(), 24);
    assert_eq!(
        g.try_sum_to_size(&[5]).unwrap_err().to_string(),
        "sum_to_size: shape [5] is not expandable to size [2, 3, 4]"
    );
    let x = Tensor::zeros(&[3, 2]);
    x.index_add_(0, &[2, 0, 2], &Tensor::ones(&[3, 2]));
    assert_eq!(x.to_vec(), vec![1., 1., 0., 0., 2., 2.]);
    assert!(x.try_index_add_(0, &[3], &Tensor::ones(&[1, 2])).is_err());
    assert!(x.try_index_add_(0, &[0], &Tensor::ones(&[2, 2])).is_err());
}

#[test]
fn stack_joins_along_a_new_dim() {
    let a = t(&[1., 2.], &[2]);
    let b = t(&[3., 4.], &[2]);
    assert_eq!(
        Tensor::stack(&[a.clone(), b.clone()], 0).to_vec(),
        vec![1., 2., 3., 4.]
    );
    assert_eq!(
        Tensor::stack(&[a.clone(), b.clone()], -1).to_vec(),
        vec![1., 3., 2., 4.]
    );
    assert_eq!(
        Tensor::try_stack(&[a, Tensor::zeros(&[3])], 0)
            .unwrap_err()
            .to_string(),
        "stack: expects each tensor to be equal size, but got [2] and [3]"
    );
    assert!(Tensor::try_stack(&[], 0).is_err());
}

#[test]
fn absurd_sizes_are_errors_not_aborts() {
    let e = Tensor::zeros(&[0])
        .try_reshape(&[1 << 32, 1 << 32, 0])
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("reshape: shape [4294967296, 4294967296, 0]"),
        "{e}"
    );
    assert!(Tensor::zeros(&[0])
        .try_reshape(&[1 << 40, 1 << 40])
        .is_err());
    assert!(Tensor::from_vec(vec![], &[1 << 40, 1 << 40, 1 << 40]).is_err());
    let e = Tensor::try_arange(0.0, 1.0, 1e-30).unwrap_err();
    assert!(e.to_string().contains("has too many elements"), "{e}");
    // `s / x` is computed as PyTorch computes it: x.reciprocal() * s.
    let x = t(&[3.0, 7.0], &[2]);
    assert_eq!(
        (2.0 / &x).to_vec(),
        vec![(1.0f32 / 3.0) * 2.0, (1.0f32 / 7.0) * 2.0]
    );
}

#[test]
fn add_scaled_is_torch_add_with_alpha() {
    let x = t(&[1.0, 2.0], &[2]);
    let g = t(&[10.0, 20.0], &[2]);
    assert_eq!(x.add_scaled(&g, -0.5).to_vec(), vec![-4.0, -8.0]);
    x.add_scaled_(&Tensor::scalar(1.0), 2.0);
    assert_eq!(x.to_vec(), vec![3.0, 4.0]);
    assert!(x.try_add_scaled_(&Tensor::ones(&[3]), 1.0).is_err());
}

#[test]
fn allclose_broadcasts_and_treats_non_finite_values_as_pytorch() {
    let a = t(&[1.0, 1.0], &[2]);
    assert!(a.allclose(&t(&[1.0], &[1]), 1e-5, 1e-8));
    assert!(!a.allclose(&t(&[1.1], &[1]), 1e-5, 1e-8));
    assert!(a.allclose(&Tensor::scalar(1.0), 1e-5, 1e-8));
    let e = a.try_allclose(&t(&[1.0, 1.0, 1.0], &[3]), 1e-5, 1e-8);
    assert_eq!(
        e.unwrap_err().to_string(),
        "allclose: shapes [2] and [3] cannot be broadcast together"
    );
    let inf = f32::INFINITY;
    assert!(t(&[inf], &[1]).allclose(&t(&[inf], &[1]), 1e-5, 1e-8));
    assert!(!t(&[inf], &[1]).allclose(&t(&[-inf], &[1]), 1e-5, 1e-8));
    assert!(!t(&[1.0], &[1]).allclose(&t(&[inf], &[1]), 1e-5, 1e-8));
    assert!(!t(&[f32::NAN], &[1]).allclose(&t(&[f32::NAN], &[1]), 1e-5, 1e-8));
}

#[test]
fn errors_debug_print_their_message() {
    // `main() -> Result<..>` prints an error returned through `?` with Debug.
    let e = t(&[1.0; 6], &[2, 3])
        .try_matmul(&t(&[1.0; 6], &[2, 3]))
        .unwrap_err();
    assert_eq!(format!("{e:?}"), e.to_string());
    assert_eq!(
        format!("{e:?}"),
        "matmul: cannot multiply [2, 3] by [2, 3] (3 != 2)"
    );
}

#[test]
fn long_reductions_along_a_dim_stay_accurate() {
    // Adding rows one after another drifts like n·ε: a million rows of 0.1
    // summed to 100958 (1% off), and counts stopped at 2^24. PyTorch's
    // pairwise sums do neither.
    let tenths = Tensor::full(&[1_000_000, 2], 0.1);
    let close_to = |values: Vec<f32>, expected: f32| {
        values
            .iter()
            .all(|v| ((v - expected) / expected).abs() < 1e-5)
    };
    assert!(close_to(tenths.sum_dim(0, false).to_vec(), 100_000.0));
    assert!(close_to(tenths.mean_dim(0, false).to_vec(), 0.1));
    assert!(close_to(tenths.sum_to_size(&[2]).to_vec(), 100_000.0));
    assert!(close_to(tenths.sum_to_size(&[1, 2]).to_vec(), 100_000.0));
    assert!(close_to(tenths.t().sum_dim(1, true).to_vec(), 100_000.0));
    assert!(close_to(tenths.t().norm_dim(1, false).to_vec(), 100.0));
    assert!(close_to(vec![tenths.norm().item()], 141.42136));
    // Small sums are unchanged: exact on integers, any layout.
    let x = Tensor::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]);
    assert_eq!(
        x.sum_dim(1, false).to_vec(),
        vec![12., 15., 18., 21., 48., 51., 54., 57.]
    );
    assert_eq!(
        x.permute(&[2, 0, 1]).sum_dim(0, false).to_vec(),
        vec![6., 22., 38., 54., 70., 86.]
    );
    assert_eq!(Tensor::zeros(&[3, 0]).sum_dim(0, false).shape(), &[0]);
}

#[test]
fn as_strided_refuses_a_size_whose_element_count_overflows() {
    // Empty (a zero dim), but 2^64 elements without it.
    let e = Tensor::zeros(&[1])
        .try_as_strided(&[0, 1 << 62, 4], &[0, 4, 1], 0)
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("as_strided: shape [0, 4611686018427387904, 4] is too large"),
        "{e}"
    );
}

#[test]
fn uniform_stays_in_its_half_open_range() {
    let e = Tensor::try_uniform(-3e38, 3e38, &[2]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "uniform_: uniform_ expects to-from <= std::numeric_limits<Float>::max(), but found to=3e38 and from=-3e38 which result in to-from to exceed the limit"
    );
    // Where rounding reaches the upper bound PyTorch returns the lower one.
    let high = 1.0000001f32;
    let x = Generator::new(3)
        .uniform(1.0, f64::from(high), &[10_000])
        .unwrap();
    assert!(x.to_vec().iter().all(|&v| (1.0..high).contains(&v)));
    // [-0, 0]: PyTorch 2.15 gives -0 (the +0 it computes equals `to`).
    let z = Generator::new(0).uniform(-0.0, 0.0, &[2]).unwrap();
    assert!(
        z.to_vec().iter().all(|v| v.to_bits() == (-0f32).to_bits()),
        "{z}"
    );
    let z = Generator::new(0).uniform(0.0, 0.0, &[2]).unwrap();
    assert!(z.to_vec().iter().all(|v| v.to_bits() == 0), "{z}");
}

#[test]
fn dim_errors_of_zero_dim_tensors_name_the_valid_range() {
    let e = Tensor::scalar(1.0).try_sum_dim(2, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "sum: dimension 2 out of range for a tensor of shape [] (expected in [-1, 0])"
    );
}

#[test]
fn convolution_outputs_do_not_depend_on_reused_memory() {
    // Convolution outputs start uninitialised: zeroed chunk by chunk by the
    // workers that fill them, or (the direct kernel, LeNet's shapes) written
    // whole by the kernel. Blocks of the outputs' sizes are first filled
    // with NaN and freed, so the allocator hands that memory back.
    use tensor::ConvParams;
    let cases = [
        // (input, weight, stride, padding): im2col, then LeNet's two layers.
        ([8usize, 3, 20, 20], [4usize, 3, 3, 3], 2, 1),
        ([8, 1, 28, 28], [6, 1, 5, 5], 1, 2),
        ([8, 6, 14, 14], [16, 6, 5, 5], 1, 0),
    ];
    for (input, kernel, stride, padding) in cases {
        let params = ConvParams::new([stride; 2], [padding; 2], [1, 1], 1);
        let weight = Tensor::randn(&kernel);
        let x = Tensor::zeros(&input);
        let out = x.conv2d(&weight, None, params).shape().to_vec();
        for _ in 0..3 {
            drop(Tensor::full(&[out.iter().product()], f32::NAN));
            let y = x.conv2d(&weight, None, params);
            assert!(y.to_vec().iter().all(|&v| v == 0.0), "forward {input:?}");
            drop(Tensor::full(&[input.iter().product()], f32::NAN));
            let dx = Tensor::zeros(&out)
                .try_conv2d_input_grad(&weight, params, [input[2], input[3]])
                .unwrap();
            assert!(
                dx.to_vec().iter().all(|&v| v == 0.0),
                "input gradient {input:?}"
            );
        }
    }
}

#[test]
fn products_with_a_transposed_right_operand_match_the_contiguous_ones() {
    // Enough rows that the transposed operand is copied row-major first
    // (8×8 blocks plus ragged edges; a long operand in blocks of columns),
    // at one thread and across the pool.
    for (m, k, n) in [
        (130, 19, 21),
        (200, 37, 45),
        (128, 64, 64),
        (256, 3, 130),
        (256, 256, 99),
        (130, 2048, 100),
    ] {
        let a = Tensor::randn(&[m, k]);
        let b = Tensor::randn(&[n, k]).t();
        let expected = a.matmul(&b.contiguous()).to_vec();
        assert_eq!(a.matmul(&b).to_vec(), expected, "{m}x{k} @ {k}x{n}");
    }
}

#[test]
fn float32_convolutions_agree_with_float64_ones() {
    // The float32 kernels (SIMD where the CPU has it: the direct kernel's
    // blocks of 16 output channels and ten positions, Winograd's transforms,
    // the column-matrix products) against the same convolution in float64.
    use tensor::{ConvParams, DType};
    let cases: &[([usize; 4], [usize; 4], ConvParams)] = &[
        ([3, 6, 14, 14], [16, 6, 5, 5], ConvParams::default()), // LeNet's conv2: direct
        (
            [2, 1, 28, 28],
            [6, 1, 5, 5],
            ConvParams::new([1, 1], [2, 2], [1, 1], 1),
        ),
        (
            [2, 3, 9, 11],
            [20, 3, 3, 3],
            ConvParams::new([1, 2], [1, 0], [1, 1], 1),
        ),
        (
            [2, 16, 9, 7],
            [17, 16, 3, 3],
            ConvParams::new([1, 1], [1, 1], [1, 1], 1),
        ),
        (
            [2, 4, 8, 8],
            [6, 2, 3, 3],
            ConvParams::new([2, 2], [1, 1], [2, 1], 2),
        ),
    ];
    for &(input, kernel, params) in cases {
        let (x, w) = (Tensor::randn(&input), Tensor::randn(&kernel));
        let (x64, w64) = (x.to_dtype(DType::Float64), w.to_dtype(DType::Float64));
        let expected = x64.conv2d(&w64, None, params).to_dtype(DType::Float32);
        let actual = x.conv2d(&w, None, params);
        assert_eq!(actual.shape(), expected.shape());
        for (i, (a, e)) in actual.to_vec().iter().zip(expected.to_vec()).enumerate() {
            assert!(
                (a - e).abs() <= 1e-4 * (1.0 + e.abs()),
                "{input:?} * {kernel:?}: element {i}: {a} vs {e}"
            );
        }
    }
}
