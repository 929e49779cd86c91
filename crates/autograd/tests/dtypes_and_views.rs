//! dtypes and aliasing on differentiable tensors, as PyTorch 2.15 behaves.

use autograd::{no_grad, AutogradError, Tensor};
use tensor::DType;

#[test]
fn data_writes_show_through_without_bumping_the_version() {
    // w.data.fill_(0) changes w, and a pending backward still runs (PyTorch
    // uses the new values silently).
    let w = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let y = (&w * &w).sum();
    w.data().fill_(0.0);
    assert_eq!(w.to_vec(), vec![0.0, 0.0]);
    y.backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![0.0, 0.0]);
}

#[test]
fn writes_through_a_detached_view_are_caught_by_backward() {
    // y = x.tanh() saves y; y.detach().add_(1) shares y's version counter.
    let x = Tensor::from_slice(&[0.5, -0.5]).requires_grad_(true);
    let y = x.tanh();
    y.detach().add_scalar_(1.0);
    assert!(matches!(
        y.sum().try_backward().unwrap_err(),
        AutogradError::SavedTensorModified {
            node: "TanhBackward0",
            ..
        }
    ));
}

#[test]
fn views_write_through_under_no_grad() {
    let w = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2])
        .unwrap()
        .requires_grad_(true);
    {
        let _guard = no_grad();
        w.t().get(0).add_scalar_(10.0); // the first column of w
    }
    assert_eq!(w.to_vec(), vec![11.0, 2.0, 13.0, 4.0]);
}

#[test]
fn printing_names_the_dtype_before_requires_grad() {
    let x = Tensor::from_elems(&[1.0f64]).requires_grad_(true);
    assert_eq!(
        x.to_string(),
        "tensor([1.], dtype=torch.float64, requires_grad=True)"
    );
    assert_eq!(
        Tensor::from_elems(&[1i64, -2, 30]).to_string(),
        "tensor([ 1, -2, 30])"
    );
    let y = &x * 2.0;
    assert_eq!(
        y.to_string(),
        "tensor([2.], dtype=torch.float64, grad_fn=<MulBackward0>)"
    );
}

#[test]
fn only_floating_point_tensors_require_grad() {
    let labels = Tensor::from_elems(&[0i64, 2]);
    let e = labels.try_requires_grad_(true).unwrap_err();
    assert_eq!(
        e.to_string(),
        "requires_grad_: only Tensors of floating point dtype can require gradients (got torch.int64)"
    );
    assert!(Tensor::from_elems(&[true])
        .try_requires_grad_(true)
        .is_err());
    assert!(labels.try_requires_grad_(false).is_ok());
}

#[test]
fn accuracy_reads_as_in_pytorch() {
    // (y_hat.argmax(1) == y).float().mean()
    let y_hat = Tensor::from_vec(vec![0.1, 0.9, 0.8, 0.2, 0.3, 0.7], &[3, 2]).unwrap();
    let y = Tensor::from_elems(&[1i64, 0, 0]);
    let hits = y_hat.argmax_dim(1, false).eq(&y);
    assert_eq!(hits.dtype(), DType::Bool);
    let accuracy = hits.float().mean();
    assert!((accuracy.item() - 2.0 / 3.0).abs() < 1e-7);
    assert_eq!(hits.sum().item_as::<i64>(), 2);
}

#[test]
fn float64_graphs_differentiate_in_float64() {
    let x = Tensor::from_elems(&[0.1f64, 0.2]).requires_grad_(true);
    let y = (&x.exp() * &x).sum();
    y.backward();
    let g = x.grad().unwrap();
    assert_eq!(g.dtype(), DType::Float64);
    // d/dx x e^x = (1 + x) e^x, exact to double precision.
    let want: Vec<f64> = [0.1f64, 0.2].iter().map(|v| (1.0 + v) * v.exp()).collect();
    for (got, want) in g.to_vec_as::<f64>().iter().zip(want) {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
    // The implicit gradient of a float64 output is float64 ones: a float32
    // seed would round 1/3 to float32 here.
    let x = Tensor::from_elems(&[1.0f64, 2.0]).requires_grad_(true);
    (&x / 3.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec_as::<f64>(), vec![1.0 / 3.0; 2]);
    // Converting between float dtypes is differentiable.
    let z = Tensor::from_slice(&[1.5]).requires_grad_(true);
    let w = z.double() * 3.0;
    assert_eq!(w.grad_fn(), Some("MulBackward0"));
    w.sum().backward();
    assert_eq!(z.grad().unwrap().dtype(), DType::Float32);
    assert_eq!(z.grad().unwrap().to_vec(), vec![3.0]);
}
