//! Tensors of more than six dims (the layout's inline capacity) go through
//! the same view and kernel paths as smaller ones.

use tensor::Tensor;

fn arange(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let dims: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    Tensor::arange(0.0, n as f32, 1.0).reshape(&dims)
}

#[test]
fn views_and_kernels_beyond_six_dims() {
    let x = arange(&[2, 1, 2, 1, 2, 1, 2]);
    assert_eq!(x.dim(), 7);
    assert_eq!(x.stride(), &[8, 8, 4, 4, 2, 2, 1]);
    // Views that cross the inline capacity both ways.
    let six = x.squeeze_dim(1);
    assert_eq!(six.dim(), 6);
    let eight = x.unsqueeze(0);
    assert_eq!(eight.dim(), 8);
    assert!(eight.shares_storage(&x));
    let t = x.transpose(0, 6);
    assert_eq!(t.shape(), &[2, 1, 2, 1, 2, 1, 2]);
    assert_eq!(t.contiguous().to_vec()[..4], [0.0, 8.0, 2.0, 10.0]);
    let p = x.permute(&[6, 5, 4, 3, 2, 1, 0]);
    assert_eq!(p.flatten().sum().item(), 120.0);
    // Kernels on them.
    assert_eq!((&x + &t).sum().item(), 240.0);
    assert_eq!(x.sum_dim(6, false).shape(), &[2, 1, 2, 1, 2, 1]);
    let batched = arange(&[1, 1, 1, 1, 1, 2, 2, 3]).matmul(&arange(&[3, 2]));
    assert_eq!(batched.shape(), &[1, 1, 1, 1, 1, 2, 2, 2]);
    assert_eq!(batched.to_vec()[..2], [10.0, 13.0]);
    // Writes through a view of a large-rank tensor.
    x.select(6, 1).fill_(-1.0);
    assert_eq!(x.to_vec().iter().filter(|&&v| v == -1.0).count(), 8);
    let y = x.clone();
    assert!(!y.shares_storage(&x));
    assert_eq!(y.to_vec(), x.to_vec());
}
