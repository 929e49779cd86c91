//! Sizes at and beyond the limits of memory and of `usize`: every such input
//! is an error naming the operation (and, where it helps, the shapes); none
//! aborts the process, overflows a size or writes out of bounds.
//!
//! Impossible allocations here ask for at least 2^46 f32s (256 TiB), beyond
//! the 47-bit user address space of x86-64 and AArch64 Linux, so the
//! allocator refuses them whatever the machine's memory or overcommit policy.

use tensor::Tensor;

fn message<T: std::fmt::Debug>(result: tensor::Result<T>) -> String {
    result.unwrap_err().to_string()
}

#[test]
fn matmul_with_an_overflowing_output_is_an_error() {
    // [2^32, 0] @ [0, 2^32] has 2^64 output elements: m * n wraps to 0.
    let a = Tensor::zeros(&[1 << 32, 0]);
    let b = Tensor::zeros(&[0, 1 << 32]);
    assert_eq!(
        message(a.try_matmul(&b)),
        "matmul: the product of [4294967296, 0] and [0, 4294967296] has shape \
         [4294967296, 4294967296], whose number of elements overflows"
    );
    let a = Tensor::zeros(&[1 << 31, 0]);
    let b = Tensor::zeros(&[0, 1 << 31]);
    assert!(message(a.try_matmul(&b)).starts_with("matmul: cannot allocate"));
    // Batched: batch * m * n overflows though each factor is fine.
    let a = Tensor::zeros(&[1 << 22, 1 << 21, 0]);
    let b = Tensor::zeros(&[0, 1 << 21]);
    assert!(message(a.try_matmul(&b)).starts_with("matmul: the product of"));
}

#[test]
fn matmul_with_an_unallocatable_output_is_an_error() {
    let a = Tensor::zeros(&[1 << 23, 0]);
    let b = Tensor::zeros(&[0, 1 << 23]);
    assert_eq!(
        message(a.try_matmul(&b)),
        "matmul: cannot allocate 70368744177664 elements of float32 (256 TiB)"
    );
    // An empty inner dimension with a small output is zeros, as in PyTorch.
    let out = Tensor::zeros(&[2, 0]).matmul(&Tensor::zeros(&[0, 3]));
    assert_eq!(out.to_vec(), vec![0.0; 6]);
}

#[test]
fn broadcasting_to_an_overflowing_shape_is_an_error() {
    let a = Tensor::zeros(&[1 << 32, 1, 0]);
    let b = Tensor::zeros(&[1, 1 << 32, 0]);
    assert_eq!(
        message(a.try_add(&b)),
        "add: shape [4294967296, 4294967296, 0] is too large: its number of elements overflows"
    );
    // Broadcasting two small tensors to an unallocatable result.
    let a = Tensor::zeros(&[1 << 23, 1]);
    let b = Tensor::zeros(&[1, 1 << 23]);
    assert!(message(a.try_mul(&b)).starts_with("mul: cannot allocate 70368744177664 elements"));
    assert!(tensor::broadcast_shapes("f", &[1 << 40, 1], &[1, 1 << 40]).is_err());
}

#[test]
fn constructors_of_impossible_sizes_are_errors() {
    assert_eq!(
        message(Tensor::try_zeros(&[1 << 46])),
        "zeros: cannot allocate 70368744177664 elements of float32 (256 TiB)"
    );
    assert!(message(Tensor::try_ones(&[1 << 46])).starts_with("ones: cannot allocate"));
    assert!(message(Tensor::try_full(&[1 << 46], 2.0)).starts_with("full: cannot allocate"));
    assert!(message(Tensor::try_zeros(&[1 << 32, 1 << 32])).contains("overflows"));
    assert!(message(Tensor::try_normal(0.0, 1.0, &[1 << 32, 1 << 32])).contains("overflows"));
    assert!(
        message(Tensor::try_uniform(0.0, 1.0, &[1 << 46])).starts_with("uniform: cannot allocate")
    );
    assert!(message(Tensor::try_arange(0.0, 1e15, 1.0)).starts_with("arange: cannot allocate"));
    assert!(
        message(Tensor::try_linspace(0.0, 1.0, 1 << 46)).starts_with("linspace: cannot allocate")
    );
    // An empty tensor with a huge (but addressable) dimension is fine.
    assert_eq!(Tensor::zeros(&[1 << 46, 0]).shape(), &[1 << 46, 0]);
    // An empty selection from a tensor with a huge empty dimension is immediate.
    let empty = Tensor::zeros(&[1 << 46, 0]);
    assert_eq!(empty.index_select(1, &[]).shape(), &[1 << 46, 0]);
}

#[test]
#[should_panic(expected = "zeros: cannot allocate 70368744177664 elements of float32 (256 TiB)")]
fn the_panicking_constructor_panics_with_the_same_message() {
    Tensor::zeros(&[1 << 46]);
}

#[test]
fn expanding_to_an_impossible_size_is_an_error() {
    // Expanding is a view (stride 0), as in PyTorch: nothing is allocated
    // until a copy is asked for.
    let one = Tensor::ones(&[1]);
    let huge = one.try_expand(&[1 << 46]).unwrap();
    assert_eq!((huge.shape(), huge.stride()), (&[1 << 46][..], &[0][..]));
    assert!(message(huge.try_contiguous()).starts_with("contiguous: cannot allocate"));
    let row = Tensor::ones(&[1, 3]);
    let rows = row.try_expand(&[1 << 46, 3]).unwrap();
    assert_eq!(rows.stride(), &[0, 1]);
    assert!(message(rows.try_add(&rows)).starts_with("add: cannot allocate"));
    assert!(message(row.try_broadcast_to(&[1 << 62, 3])).contains("overflows"));
}

#[test]
fn index_select_of_an_impossible_size_is_an_error() {
    let x = Tensor::zeros(&[1, 1 << 23]);
    let indices = vec![0usize; 1 << 23];
    assert!(message(x.try_index_select(0, &indices)).starts_with("index_select: cannot allocate"));
}

#[test]
fn display_of_a_tensor_with_very_many_dims_is_linear() {
    // 100,000 dims of size 1: printing used quadratic memory and recursed
    // once per dim.
    let dims = 100_000;
    let x = Tensor::zeros(&vec![1; dims]);
    let text = x.to_string();
    assert_eq!(text.len(), "tensor()".len() + 2 * dims + "0.".len());
    assert!(
        text.starts_with("tensor([[[") && text.contains("[[0.]]") && text.ends_with("]]])"),
        "{}...{}",
        &text[..20],
        &text[text.len() - 20..]
    );
}

#[test]
fn reductions_of_empty_lanes_into_impossible_sizes_are_errors() {
    let x = Tensor::zeros(&[1 << 46, 0]);
    assert!(message(x.try_sum_dim(1, false)).starts_with("sum: cannot allocate 70368744177664"));
    assert!(message(x.try_mean_dim(1, true)).starts_with("mean: cannot allocate"));
    assert!(message(x.try_norm_dim(-1, false)).starts_with("norm: cannot allocate"));
    assert!(message(x.try_sum_to_size(&[1 << 46, 1])).starts_with("sum_to_size: cannot allocate"));
    // Small ones give PyTorch's values for empty lanes.
    let x = Tensor::zeros(&[3, 0]);
    assert_eq!(x.sum_dim(1, false).to_vec(), vec![0.0; 3]);
    assert!(x.mean_dim(1, true).to_vec().iter().all(|v| v.is_nan()));
    assert_eq!(x.mean_dim(1, true).shape(), &[3, 1]);
    assert_eq!(x.sum_to_size(&[3, 1]).to_vec(), vec![0.0; 3]);
}

#[test]
fn matmul_with_many_empty_batches_returns_at_once() {
    // 2^40 batch entries of [1, 0] @ [0, 0]: nothing to compute, and no
    // loop over the batch entries.
    let a = Tensor::zeros(&[1 << 40, 1, 0]);
    let b = Tensor::zeros(&[0, 0]);
    assert_eq!(a.matmul(&b).shape(), &[1 << 40, 1, 0]);
    // An empty inner dimension: zeros, without a product per batch entry.
    let a = Tensor::zeros(&[1 << 20, 1, 0]);
    let b = Tensor::zeros(&[0, 1]);
    let out = a.matmul(&b);
    assert_eq!(out.shape(), &[1 << 20, 1, 1]);
    assert!(out.to_vec().iter().all(|&v| v == 0.0));
}

#[test]
fn a_permutation_too_large_for_memory_is_an_error() {
    let e = tensor::Generator::new(0).try_randperm(1 << 60).unwrap_err();
    assert_eq!(
        e.to_string(),
        "randperm: cannot allocate a permutation of 1152921504606846976 indices"
    );
}

#[test]
fn stacking_into_an_impossible_size_is_an_error() {
    // 2^20 handles to one 2^26-element tensor: a 2^46-element result.
    let t = Tensor::zeros(&[1 << 26]);
    let many: Vec<Tensor> = (0..1 << 20).map(|_| t.alias()).collect();
    assert!(
        message(Tensor::try_stack(&many, 0)).starts_with("stack: cannot allocate 70368744177664")
    );
    let z = Tensor::zeros(&[1 << 62, 0]);
    assert!(message(Tensor::try_stack(&[z.alias(), z], 0)).contains("overflows"));
    // Stacking itself still joins along the new dim.
    let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    let b = &a * 10.0;
    assert_eq!(
        Tensor::stack(&[a.clone(), b.clone()], 1).to_vec(),
        vec![1.0, 2.0, 10.0, 20.0, 3.0, 4.0, 30.0, 40.0]
    );
    assert_eq!(Tensor::stack(&[a.t(), b.t()], 0).shape(), &[2, 2, 2]);
}

#[test]
fn reshaping_an_empty_tensor_to_unaddressable_sizes_is_an_error() {
    let e = message(Tensor::zeros(&[0]).try_reshape(&[0, 1 << 62, 1 << 62]));
    assert!(
        e.starts_with("reshape: shape [0, 4611686018427387904, 4611686018427387904] is too large"),
        "{e}"
    );
    assert!(Tensor::zeros(&[0, 4])
        .try_reshape(&[isize::MAX, 0, 2])
        .is_err());
}
