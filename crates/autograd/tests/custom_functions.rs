//! User-defined operations with several outputs, non-differentiable outputs
//! and saved-value checks (PyTorch's `torch.autograd.Function`).

use autograd::{
    gradcheck, AutogradError, Context, Function, GradcheckOptions, MultiOutputFunction, RawTensor,
    Result, Tensor,
};

/// `(x * y, x + y)`, saving both inputs.
struct ProductAndSum;

impl MultiOutputFunction for ProductAndSum {
    fn name(&self) -> &'static str {
        "ProductAndSumBackward"
    }
    fn forward(&self, ctx: &mut Context, x: &[RawTensor]) -> Result<Vec<RawTensor>> {
        ctx.save_for_backward(&[&x[0], &x[1]]);
        Ok(vec![&x[0] * &x[1], &x[0] + &x[1]])
    }
    fn backward(&self, ctx: &Context, g: &[RawTensor]) -> Result<Vec<Option<RawTensor>>> {
        let (x, y) = (&ctx.saved_tensors()[0], &ctx.saved_tensors()[1]);
        Ok(vec![
            ctx.needs_input_grad(0).then(|| &(&g[0] * y) + &g[1]),
            ctx.needs_input_grad(1).then(|| &(&g[0] * x) + &g[1]),
        ])
    }
}

/// The largest element of each row and its index; the index is marked
/// non-differentiable, as PyTorch's `max(dim)` indices are.
struct RowMax;

impl MultiOutputFunction for RowMax {
    fn name(&self) -> &'static str {
        "RowMaxBackward"
    }
    fn forward(&self, ctx: &mut Context, x: &[RawTensor]) -> Result<Vec<RawTensor>> {
        let (values, indices) = x[0].try_max_dim(1, true)?;
        ctx.mark_non_differentiable(&[&indices]);
        ctx.save_for_backward(&[&indices]);
        ctx.save_for_backward(&[&x[0]]);
        Ok(vec![values, indices])
    }
    fn backward(&self, ctx: &Context, g: &[RawTensor]) -> Result<Vec<Option<RawTensor>>> {
        let (indices, x) = (&ctx.saved_tensors()[0], &ctx.saved_tensors()[1]);
        // The index output's gradient arrives as zeros of its shape.
        assert_eq!(g[1].shape(), indices.shape());
        assert!(g[1].to_vec_as::<i64>().iter().all(|&v| v == 0));
        Ok(vec![Some(x.zeros_like().try_scatter(1, indices, &g[0])?)])
    }
}

#[test]
fn several_outputs_meet_in_one_backward() {
    let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let y = Tensor::from_slice(&[3.0, -1.0]).requires_grad_(true);
    let out = ProductAndSum.apply(&[&x, &y]).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].grad_fn(), Some("ProductAndSumBackward"));
    assert_eq!(out[1].grad_fn(), Some("ProductAndSumBackward"));
    assert_eq!(out[0].to_vec(), vec![3.0, -2.0]);
    // L = sum(2 * p) + sum(s * s): dL/dx = 2y + 2s, dL/dy = 2x + 2s.
    (&(&out[0] * 2.0).sum() + &(&out[1] * &out[1]).sum()).backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![6.0 + 8.0, -2.0 + 2.0]);
    assert_eq!(y.grad().unwrap().to_vec(), vec![2.0 + 8.0, 4.0 + 2.0]);
    // An output nobody uses gets zeros.
    let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let out = ProductAndSum
        .apply(&[&x, &Tensor::from_slice(&[5.0, 7.0])])
        .unwrap();
    out[1].sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0]);
    // Central differences agree, through both outputs.
    let x = tensor::Tensor::from_slice(&[0.3, -1.2, 2.0]);
    let y = tensor::Tensor::from_slice(&[1.5, 0.5, -0.7]);
    gradcheck(
        |t| {
            let out = ProductAndSum.apply(&[&t[0], &t[1]])?;
            Ok(&out[0] + &out[1].exp())
        },
        &[x, y],
        GradcheckOptions::default(),
    )
    .unwrap();
}

#[test]
fn non_differentiable_outputs_carry_no_gradient() {
    let x = Tensor::from_data(&[1.0f32, 5.0, 2.0, 4.0, 3.0, 0.0], &[2, 3])
        .unwrap()
        .requires_grad_(true);
    let out = RowMax.apply(&[&x]).unwrap();
    assert!(out[0].requires_grad());
    assert!(!out[1].requires_grad(), "indices carry no gradient");
    assert_eq!(out[1].to_vec_as::<i64>(), vec![1, 0]);
    (&out[0] * 3.0).sum().backward();
    assert_eq!(
        x.grad().unwrap().to_vec(),
        vec![0.0, 3.0, 0.0, 3.0, 0.0, 0.0]
    );
    // A single-output Function may mark its output too.
    struct Argmax;
    impl Function for Argmax {
        fn name(&self) -> &'static str {
            "ArgmaxBackward"
        }
        fn forward(&self, ctx: &mut Context, x: &[RawTensor]) -> Result<RawTensor> {
            let out = x[0].try_argmax()?;
            ctx.mark_non_differentiable(&[&out]);
            Ok(out)
        }
        fn backward(&self, _: &Context, _: &RawTensor) -> Result<Vec<Option<RawTensor>>> {
            unreachable!("never recorded")
        }
    }
    let i = Argmax.apply(&[&x]).unwrap();
    assert!(!i.requires_grad() && i.is_leaf());
}

#[test]
fn saved_inputs_are_version_checked_and_second_derivatives_refused() {
    let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let y = Tensor::from_slice(&[3.0, 4.0]);
    let out = ProductAndSum.apply(&[&x, &y]).unwrap();
    {
        let _guard = autograd::no_grad();
        y.add_(&Tensor::ones(&[2]));
    }
    let e = out[0].sum().try_backward().unwrap_err();
    assert!(
        matches!(
            e,
            AutogradError::SavedTensorModified {
                node: "ProductAndSumBackward",
                ..
            }
        ),
        "{e}"
    );
    // The backward works on values: differentiating it again is refused.
    let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let out = ProductAndSum.apply(&[&x, &x]).unwrap();
    let options = autograd::GradOptions {
        create_graph: true,
        ..Default::default()
    };
    let g = autograd::grad(&[&out[0].sum()], &[&x], None, options)
        .unwrap()
        .remove(0)
        .unwrap();
    assert!(matches!(
        g.sum().try_backward(),
        Err(AutogradError::OnceDifferentiable {
            node: "ProductAndSumBackward"
        })
    ));
}

#[test]
fn without_grad_nothing_is_recorded() {
    let x = Tensor::from_slice(&[1.0, 2.0]);
    let out = ProductAndSum.apply(&[&x, &x]).unwrap();
    assert!(out.iter().all(|t| t.is_leaf() && !t.requires_grad()));
}
