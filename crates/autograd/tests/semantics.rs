//! PyTorch's autograd semantics: printing, accumulation, grad mode, detach,
//! in-place rules, every error message, deep graphs and threads.

use autograd::{enable_grad, is_grad_enabled, no_grad, AutogradError, Save, Tensor};

#[test]
fn tutorial_tour_prints_what_pytorch_prints() {
    let x = Tensor::ones(&[3, 2]).requires_grad_(true);
    assert_eq!(
        x.to_string(),
        "tensor([[1., 1.],\n        [1., 1.],\n        [1., 1.]], requires_grad=True)"
    );
    let y = &x + 2.0;
    assert_eq!(
        y.to_string(),
        "tensor([[3., 3.],\n        [3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"
    );

    let x = Tensor::from_vec(
        vec![-1.5443, -0.0354, -0.8403, 1.5566, 0.7182, 1.5884],
        &[2, 3],
    )
    .unwrap()
    .requires_grad_(true);
    assert_eq!(x.to_string(), "tensor([[-1.5443, -0.0354, -0.8403],\n        [ 1.5566,  0.7182,  1.5884]], requires_grad=True)");
    let y = &x + 2.0;
    assert_eq!(y.to_string(), "tensor([[0.4557, 1.9646, 1.1597],\n        [3.5566, 2.7182, 3.5884]], grad_fn=<AddBackward0>)");
    let mut y = y.sum();
    assert_eq!(y.grad_fn(), Some("SumBackward0"));
    y.backward();
    assert_eq!(
        x.grad().unwrap().to_string(),
        "tensor([[1., 1., 1.],\n        [1., 1., 1.]])"
    );
    while y.data().norm().item() < 1000.0 {
        y = &y * 2.0;
    }
    // PyTorch prints tensor(1720.7292, grad_fn=<MulBackward0>) for its sum 6.7208.
    assert_eq!(y.grad_fn(), Some("MulBackward0"));
    assert_eq!(
        y.to_string(),
        format!("tensor({:.4}, grad_fn=<MulBackward0>)", y.item())
    );
}

#[test]
fn gradients_accumulate_until_zeroed() {
    let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    (&x * 3.0).sum().backward();
    (&x * 3.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 6.0]);
    x.grad().unwrap().zero_();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0]);
    (&x * &x).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 4.0]);
    x.clear_grad();
    assert!(x.grad().is_none());
}

#[test]
fn a_tensor_used_twice_gets_both_contributions() {
    let x = Tensor::from_slice(&[3.0]).requires_grad_(true);
    let y = &(&x * &x) + &(&x * 2.0); // dy/dx = 2x + 2 = 8
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![8.0]);
}

#[test]
fn broadcasting_gradients_are_reduced_to_the_input_shape() {
    let w = Tensor::ones(&[1, 3]).requires_grad_(true);
    let b = Tensor::scalar(0.5).requires_grad_(true);
    let x = Tensor::ones(&[4, 3]);
    (&(&x * &w) + &b).sum().backward();
    assert_eq!(w.grad().unwrap().shape(), vec![1, 3]);
    assert_eq!(w.grad().unwrap().to_vec(), vec![4.0; 3]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![12.0]);
}

#[test]
fn backward_with_a_gradient_for_non_scalar_outputs() {
    let x = Tensor::from_slice(&[1.0, 2.0, 3.0]).requires_grad_(true);
    let y = &x * 2.0;
    let e = y.try_backward().unwrap_err();
    assert_eq!(e, AutogradError::NonScalarOutput { shape: vec![3] });
    assert!(e
        .to_string()
        .contains("grad can be implicitly created only for scalar outputs"));
    let e = y.try_backward_with(&Tensor::ones(&[2])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "backward: mismatch in shape: gradient has shape [2] and output has shape [3]"
    );
    y.backward_with(&Tensor::from_slice(&[0.1, 1.0, 0.0001]));
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.2, 2.0, 0.0002]);
}

#[test]
fn the_graph_is_freed_after_backward_unless_retained() {
    let x = Tensor::from_slice(&[1.0]).requires_grad_(true);
    let y = (&x * &x).sum();
    y.try_backward_with_options(None, true).unwrap();
    y.try_backward_with_options(None, false).unwrap();
    assert_eq!(x.grad().unwrap().to_vec(), vec![4.0]);
    let e = y.try_backward().unwrap_err();
    // SumBackward0 saves nothing and runs again; MulBackward0 needs x twice.
    assert_eq!(
        e,
        AutogradError::GraphFreed {
            node: "MulBackward0"
        }
    );
    assert!(
        e.to_string()
            .starts_with("backward: MulBackward0: Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed)."),
        "{e}"
    );
}

#[test]
#[should_panic(
    expected = "backward: ExpBackward0: Trying to backward through the graph a second time"
)]
fn second_backward_panics_in_the_short_form() {
    let x = Tensor::from_slice(&[1.0]).requires_grad_(true);
    let y = x.exp().sum();
    y.backward();
    y.backward();
}

#[test]
fn backward_without_a_graph_is_an_error() {
    let e = Tensor::scalar(1.0).try_backward().unwrap_err();
    assert_eq!(
        e.to_string(),
        "backward: the tensor does not require grad and does not have a grad_fn"
    );
}

#[test]
fn no_grad_records_nothing_and_nests() {
    let x = Tensor::ones(&[2]).requires_grad_(true);
    assert!(is_grad_enabled());
    {
        let _outer = no_grad();
        let y = &x * 2.0;
        assert!(!y.requires_grad() && y.grad_fn().is_none());
        {
            let _inner = enable_grad();
            assert!((&x * 2.0).requires_grad());
        }
        assert!(!is_grad_enabled());
        let _again = no_grad();
        assert!(!is_grad_enabled());
    }
    assert!(is_grad_enabled());
    // Nothing is recorded when no input requires grad either.
    assert!(Tensor::ones(&[2]).exp().grad_fn().is_none());
}

#[test]
fn no_grad_is_thread_local() {
    let _guard = no_grad();
    let other = std::thread::spawn(is_grad_enabled).join().unwrap();
    assert!(other, "another thread keeps its own grad mode");
    assert!(!is_grad_enabled());
}

#[test]
fn detach_shares_storage_without_history() {
    let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let y = &x * 2.0;
    let d = y.detach();
    assert!(d.is_leaf() && !d.requires_grad());
    d.fill_(7.0); // allowed: the detached handle is not tracked
    assert_eq!(y.to_vec(), vec![7.0, 7.0], "detach shares storage");
    // PyTorch: `net[0].weight.data.normal_(0, 0.01)` initialises a parameter in place.
    x.data().normal_(0.0, 0.01);
    assert!(x.value().abs().max().item() < 0.1);
    assert!(x.requires_grad());
}

#[test]
fn in_place_rules() {
    let w = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let e = w.try_add_(&Tensor::ones(&[2])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "add_: a leaf Variable that requires grad is being used in an in-place operation (wrap it in no_grad, or use .detach() / .data())"
    );
    {
        // The tutorial's SGD step.
        let _guard = no_grad();
        let mut p = w.clone();
        p -= &Tensor::from_slice(&[0.5, 0.5]);
        p *= 2.0;
    }
    assert_eq!(w.to_vec(), vec![1.0, 3.0]);
    // On a computed tensor, or with an operand that requires grad, the
    // in-place op is recorded (tests/in_place.rs checks it against PyTorch).
    let y = &w * 2.0;
    y.try_mul_(&Tensor::ones(&[2])).unwrap();
    assert_eq!(y.grad_fn(), Some("MulBackward0"));
    let plain = Tensor::zeros(&[2]);
    plain.try_add_(&w).unwrap();
    assert_eq!(plain.grad_fn(), Some("AddBackward0"));
    assert!(
        Tensor::zeros(&[2]).try_add_(&Tensor::ones(&[3])).is_err(),
        "shape errors still apply"
    );
}

#[test]
fn modifying_a_saved_tensor_breaks_its_backward() {
    let a = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let b = &a * 1.0;
    let c = &b * &b;
    {
        let _guard = no_grad();
        b.add_(&Tensor::ones(&[2]));
    }
    let e = c.sum().try_backward().unwrap_err();
    assert_eq!(
        e,
        AutogradError::SavedTensorModified {
            node: "MulBackward0",
            found: 1,
            expected: 0
        }
    );
    assert!(e.to_string().starts_with("backward: one of the variables needed for gradient computation has been modified by an inplace operation"));
}

#[test]
fn requires_grad_flags_of_non_leaves_cannot_be_cleared() {
    let x = Tensor::ones(&[1]).requires_grad_(true);
    let y = &x + 1.0;
    assert!(!y.is_leaf() && x.is_leaf());
    let e = y.try_requires_grad_(false).unwrap_err();
    assert!(e
        .to_string()
        .starts_with("requires_grad_: you can only change requires_grad flags of leaf variables"));
    x.requires_grad_(false);
    assert!(!x.requires_grad());
}

#[test]
fn shape_errors_pass_through_with_their_messages() {
    let a = Tensor::zeros(&[3, 4]).requires_grad_(true);
    let e = a.try_matmul(&Tensor::zeros(&[5, 2])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "matmul: cannot multiply [3, 4] by [5, 2] (4 != 5)"
    );
    let e = a.try_add(&Tensor::zeros(&[2])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "add: shapes [3, 4] and [2] cannot be broadcast together"
    );
    assert!(a.try_reshape(&[5, -1]).is_err());
    assert!(a.try_item().is_err());
}

#[test]
#[should_panic(expected = "mul: shapes [3] and [2] cannot be broadcast together")]
fn operators_panic_with_the_shapes() {
    let _ = &Tensor::zeros(&[3]) * &Tensor::zeros(&[2]);
}

#[test]
fn a_100k_op_chain_backpropagates_and_drops_without_overflow() {
    let x = Tensor::scalar(1.0).requires_grad_(true);
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = &y * 1.00001;
    }
    y.backward();
    let expected = 1.00001f64.powi(100_000) as f32;
    assert!(
        (x.grad().unwrap().item() - expected).abs() < 1e-2,
        "{}",
        x.grad().unwrap().item()
    );
    drop(y);
}

#[test]
fn tensors_are_send_and_sync_and_threads_backpropagate_independently() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tensor>();
    let shared = Tensor::from_slice(&[1.0, 2.0, 3.0]);
    let handles: Vec<_> = (1..=4)
        .map(|k| {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let w = Tensor::full(&[3], k as f32).requires_grad_(true);
                for _ in 0..50 {
                    w.clear_grad();
                    (&w * &shared).sum().mul_scalar(k as f32).backward();
                }
                w.grad().unwrap().to_vec()
            })
        })
        .collect();
    for (k, h) in (1..=4).zip(handles) {
        assert_eq!(
            h.join().unwrap(),
            vec![k as f32, 2.0 * k as f32, 3.0 * k as f32]
        );
    }
}

#[test]
fn a_graph_continued_on_an_older_thread_runs_each_node_once() {
    use std::sync::mpsc;
    // `older` makes its first tensor before `newer` exists, so its own
    // ids would be lower than those of tensors `newer` makes later.
    let (to_older, inbox) = mpsc::channel::<(Tensor, Tensor)>();
    let (ready, started) = mpsc::channel();
    let older = std::thread::spawn(move || {
        drop(Tensor::zeros(&[1]));
        ready.send(()).unwrap();
        let (x, y) = inbox.recv().unwrap();
        // Two uses of `y`: its node must run once, after both gradients
        // arrived (it frees what it saved when it runs).
        let z = &(&y * 2.0) + &(&y * 5.0);
        assert!(z.id() > y.id());
        z.sum().backward();
        x.grad().unwrap().to_vec()
    });
    started.recv().unwrap();
    let newer = std::thread::spawn(move || {
        let x = Tensor::from_slice(&[1.0, 3.0]).requires_grad_(true);
        let y = &x * &x;
        to_older.send((x, y)).unwrap();
    });
    newer.join().unwrap();
    // d/dx of 7 x²: 14 x.
    assert_eq!(older.join().unwrap(), vec![14.0, 42.0]);
}

#[test]
fn operators_cover_every_operand_combination() {
    let a = Tensor::from_slice(&[2.0, 4.0]).requires_grad_(true);
    let b = Tensor::from_slice(&[1.0, 2.0]);
    let outs = [
        &a + &b,
        a.clone() + &b,
        &a + b.clone(),
        a.clone() + b.clone(),
        &a - 1.0,
        1.0 - &a,
        &a * 2.0,
        2.0 * a.clone(),
        &a / 2.0,
        8.0 / &a,
        -&a,
        -a.clone(),
    ];
    let names: Vec<_> = outs.iter().map(|t| t.grad_fn().unwrap()).collect();
    assert_eq!(
        names,
        [
            "AddBackward0",
            "AddBackward0",
            "AddBackward0",
            "AddBackward0",
            "SubBackward0",
            "RsubBackward1",
            "MulBackward0",
            "MulBackward0",
            "DivBackward0",
            "MulBackward0",
            "NegBackward0",
            "NegBackward0"
        ]
    );
    assert_eq!(outs[9].to_vec(), vec![4.0, 2.0]);
    outs[9].sum().backward(); // d(8/a)/da = -8/a²
    assert_eq!(a.grad().unwrap().to_vec(), vec![-2.0, -0.5]);
}

#[test]
fn writes_through_data_are_invisible_to_autograd_but_detach_is_checked() {
    // PyTorch: `.data` shares storage without the version counter; `.detach()` shares both.
    let a = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let b = &a * 1.0;
    let c = &b * &b;
    b.data().fill_(3.0);
    c.sum().backward(); // uses the new values: d(b²)/db = 2b = 6
    assert_eq!(a.grad().unwrap().to_vec(), vec![6.0, 6.0]);

    let b = &a * 1.0;
    let c = &b * &b;
    b.detach().fill_(3.0);
    assert!(matches!(
        c.sum().try_backward(),
        Err(AutogradError::SavedTensorModified { .. })
    ));
}

#[test]
fn edge_case_gradients_follow_pytorch() {
    // Values printed by PyTorch 2.15 for the same inputs.
    let a = Tensor::from_slice(&[0.0, 0.0, 0.0, 2.0]).requires_grad_(true);
    let b = Tensor::from_slice(&[0.0, 2.0, -1.0, 3.0]).requires_grad_(true);
    a.pow(&b).sum().backward();
    let ga = a.grad().unwrap().to_vec();
    assert_eq!(&ga[..2], &[0.0, 0.0]);
    assert_eq!(ga[2], f32::NEG_INFINITY);
    assert_eq!(ga[3], 12.0);
    let gb = b.grad().unwrap().to_vec();
    assert_eq!(&gb[..2], &[0.0, 0.0]);
    assert_eq!(gb[2], f32::NEG_INFINITY);
    assert!((gb[3] - 8.0 * 2f32.ln()).abs() < 1e-5);

    let x = Tensor::from_slice(&[1.0, f32::NAN, 3.0]).requires_grad_(true);
    x.max().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0]);

    let a = Tensor::from_slice(&[f32::NAN, 1.0, 2.0]).requires_grad_(true);
    let b = Tensor::from_slice(&[1.0, 1.0, 3.0]).requires_grad_(true);
    a.maximum(&b).sum().backward();
    assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 0.5, 0.0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![1.0, 0.5, 1.0]);
}

#[test]
fn sum_to_size_and_allclose() {
    let x = Tensor::ones(&[2, 3]).requires_grad_(true);
    let s = x.sum_to_size(&[1, 3]);
    assert_eq!((s.shape(), s.grad_fn()), (vec![1, 3], Some("SumBackward1")));
    s.backward_with(&Tensor::from_vec(vec![1.0, 2.0, 3.0], &[1, 3]).unwrap());
    assert_eq!(
        x.grad().unwrap().to_vec(),
        vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
    );
    // To its own shape, the tensor itself (`x.sum_to_size(2, 3) is x`).
    let y = (&x * 2.0).sum_to_size(&[2, 3]);
    let same = y.sum_to_size(&[2, 3]);
    assert_eq!((same.id(), same.grad_fn()), (y.id(), Some("MulBackward0")));
    assert!(x.allclose(&Tensor::ones(&[2, 3]), 0.0, 0.0));
    assert!(x.allclose(&Tensor::ones(&[3]), 0.0, 0.0)); // broadcasts, as torch.allclose
    assert!(!x.allclose(&Tensor::from_slice(&[1.0, 1.0, 2.0]), 0.0, 0.0));
    assert_eq!(
        x.try_allclose(&Tensor::ones(&[3, 2]), 0.0, 0.0)
            .unwrap_err()
            .to_string(),
        "allclose: shapes [2, 3] and [3, 2] cannot be broadcast together"
    );
}

#[test]
fn a_second_backward_runs_through_nodes_that_saved_nothing() {
    // PyTorch allows it: AddBackward0 and SumBackward0 need no saved values.
    let w = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let y = (&w + 2.0).sum();
    y.backward();
    y.backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![2.0, 2.0]);
    // A node that saved values fails the second time, naming itself.
    let z = w.exp().sum();
    z.backward();
    assert_eq!(
        z.try_backward().unwrap_err(),
        AutogradError::GraphFreed {
            node: "ExpBackward0"
        }
    );
}

#[test]
fn grad_mode_ends_as_before_the_first_guard_whatever_the_drop_order() {
    assert!(autograd::is_grad_enabled());
    let a = autograd::no_grad();
    let b = autograd::enable_grad();
    assert!(autograd::is_grad_enabled());
    drop(a);
    assert!(autograd::is_grad_enabled()); // b is the newest live guard
    drop(b);
    assert!(autograd::is_grad_enabled());

    let a = autograd::enable_grad();
    let b = autograd::no_grad();
    let c = autograd::set_grad_enabled(false);
    drop(a);
    drop(c);
    assert!(!autograd::is_grad_enabled()); // b still alive
    drop(b);
    assert!(autograd::is_grad_enabled());

    {
        let _outer = autograd::no_grad();
        {
            let _inner = autograd::enable_grad();
            assert!(autograd::is_grad_enabled());
        }
        assert!(!autograd::is_grad_enabled());
    }
    assert!(autograd::is_grad_enabled());
}

#[test]
fn a_panic_inside_an_in_place_map_leaves_the_tensor_unchanged() {
    let x = Tensor::from_slice(&[1.0, 2.0, 3.0]).requires_grad_(true);
    let h = x.detach();
    let z = (&x * &x).sum(); // MulBackward0 saves x
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        h.try_map_("halfway", |v| {
            if calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 1 {
                panic!("stop halfway");
            }
            v * 10.0
        })
    }));
    assert!(result.is_err());
    // Nothing was written (the map ran on a copy), so the saved x is intact.
    assert_eq!(x.to_vec(), vec![1.0, 2.0, 3.0]);
    z.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 4.0, 6.0]);
    // A map that completes bumps the version: a backward that saved x fails.
    let z = (&x * &x).sum();
    h.try_map_("times_ten", |v| v * 10.0).unwrap();
    assert!(matches!(
        z.try_backward().unwrap_err(),
        AutogradError::SavedTensorModified {
            node: "MulBackward0",
            ..
        }
    ));
    // A write that fails before touching anything does not bump the version.
    let w = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let loss = (&w * &w).sum();
    assert!(w.detach().try_add_(&Tensor::ones(&[3])).is_err());
    loss.backward();
}

#[test]
fn an_in_place_map_may_read_the_tensor_it_writes() {
    // The closure reads the tensor being written: it must not deadlock.
    let x = Tensor::from_slice(&[1.0, 2.0]);
    let total = || x.sum().item();
    x.try_map_("add_total", |v| v + total()).unwrap();
    assert_eq!(x.to_vec(), vec![4.0, 5.0]);
}

#[test]
fn from_op_rejects_saving_an_input_that_does_not_exist() {
    let x = Tensor::from_slice(&[1.0]).requires_grad_(true);
    let save = autograd::Save {
        inputs: &[0, 2],
        output: false,
    };
    let e = Tensor::try_from_op("MyBackward", x.value(), &[&x], save, |g, _, _| {
        Ok(vec![Some(g.clone())])
    })
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "from_op: MyBackward saves input 2, but the operation has 1 inputs"
    );
}

#[test]
fn a_panicking_backward_is_an_error_and_leaves_the_graph_usable() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static FAIL: AtomicBool = AtomicBool::new(true);
    let x = Tensor::from_slice(&[2.0]).requires_grad_(true);
    let y = Tensor::from_op(
        "FlakyBackward",
        x.value().exp(),
        &[&x],
        autograd::Save {
            inputs: &[0],
            output: false,
        },
        |g, s, _| {
            if FAIL.load(Ordering::Relaxed) {
                panic!("flaky");
            }
            Ok(vec![Some(g * &s[0].exp())])
        },
    );
    let e = y.sum().try_backward().unwrap_err();
    assert_eq!(
        e.to_string(),
        "backward: the backward function of FlakyBackward panicked: flaky"
    );
    // Nothing was freed or poisoned: the same graph runs once the closure works.
    FAIL.store(false, Ordering::Relaxed);
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0f32.exp()]);
}

#[test]
fn a_backward_may_run_another_backward() {
    // No lock is held while a backward closure runs (re-entrant backward).
    let x = Tensor::from_slice(&[3.0]).requires_grad_(true);
    let inner = Tensor::from_slice(&[5.0]).requires_grad_(true);
    let inner_for_closure = inner.clone();
    let y = Tensor::from_op(
        "ReentrantBackward",
        x.value(),
        &[&x],
        autograd::Save::NOTHING,
        move |g, _, _| {
            (&inner_for_closure * &inner_for_closure)
                .sum()
                .try_backward()?;
            Ok(vec![Some(g.clone())])
        },
    );
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0]);
    assert_eq!(inner.grad().unwrap().to_vec(), vec![10.0]);
}

#[test]
fn fallible_constructors_and_len_have_try_forms() {
    assert!(Tensor::try_normal(0.0, -1.0, &[2]).is_err());
    assert!(Tensor::try_uniform(1.0, 0.0, &[2]).is_err());
    assert!(Tensor::try_arange(0.0, 1.0, 0.0).is_err());
    assert!(Tensor::try_zeros(&[1 << 42]).is_err());
    assert_eq!(
        Tensor::scalar(1.0).try_len().unwrap_err().to_string(),
        "len: a 0-d tensor has no length"
    );
    assert_eq!(Tensor::zeros(&[4, 2]).try_len().unwrap(), 4);
}

#[test]
fn errors_debug_print_their_message() {
    let e = Tensor::scalar(1.0).try_backward().unwrap_err();
    assert_eq!(format!("{e:?}"), e.to_string());
}

#[test]
fn gradcheck_fails_on_nan_gradients_and_rejects_meaningless_options() {
    use autograd::{gradcheck, GradcheckError, GradcheckOptions, RawTensor};
    let nan_grad = |x: &[Tensor]| -> autograd::Result<Tensor> {
        Tensor::try_from_op(
            "NanBackward",
            x[0].value(),
            &[&x[0]],
            autograd::Save::NOTHING,
            |g, _, _| Ok(vec![Some(g * f64::NAN)]),
        )
    };
    let input = [RawTensor::from_slice(&[1.0, 2.0])];
    let e = gradcheck(nan_grad, &input, GradcheckOptions::default()).unwrap_err();
    assert!(matches!(e, GradcheckError::Mismatch { .. }), "{e}");
    assert!(e.to_string().contains("analytical NaN"), "{e}");

    let identity = |x: &[Tensor]| Ok(x[0].clone() * 1.0);
    assert!(gradcheck(identity, &input, GradcheckOptions::default()).is_ok());
    for (options, message) in [
        (
            GradcheckOptions {
                eps: 0.0,
                ..Default::default()
            },
            "gradcheck: eps must be positive and finite, got 0",
        ),
        (
            GradcheckOptions {
                atol: f64::NAN,
                ..Default::default()
            },
            "gradcheck: atol must be non-negative and finite, got NaN",
        ),
        (
            GradcheckOptions {
                rtol: -1.0,
                ..Default::default()
            },
            "gradcheck: rtol must be non-negative and finite, got -1",
        ),
    ] {
        assert_eq!(
            gradcheck(identity, &input, options)
                .unwrap_err()
                .to_string(),
            message
        );
    }
}

#[test]
fn pow_scalar_gradient_lowers_the_exponent_in_double_precision() {
    // PyTorch 2.15: x = [1e-30, 3e38, 2], (x ** 0.1).sum().backward()
    let x = Tensor::from_slice(&[1e-30, 3e38, 2.0]).requires_grad_(true);
    x.pow_scalar(0.1).sum().backward();
    let expected = [1e26f32, 2.3474204e-36, 0.05358867];
    for (got, want) in x.grad().unwrap().to_vec().iter().zip(expected) {
        assert!(((got - want) / want).abs() < 3e-7, "{got} vs {want}");
    }
}

#[test]
fn matmul_nodes_are_named_as_pytorch_names_them() {
    // type((x @ y).grad_fn).__name__ in PyTorch 2.15, by operand dims.
    let cases: [(&[usize], &[usize], &str); 9] = [
        (&[4], &[4], "DotBackward0"),
        (&[4], &[4, 5], "SqueezeBackward4"),
        (&[4], &[2, 4, 5], "UnsafeViewBackward0"),
        (&[3, 4], &[4], "MvBackward0"),
        (&[3, 4], &[4, 5], "MmBackward0"),
        (&[3, 4], &[2, 4, 5], "CloneBackward0"),
        (&[3, 4], &[2, 2, 4, 5], "CloneBackward0"),
        (&[2, 3, 4], &[4], "UnsafeViewBackward0"),
        (&[2, 3, 4], &[2, 4, 5], "UnsafeViewBackward0"),
    ];
    for (a, b, name) in cases {
        let x = Tensor::ones(a).requires_grad_(true);
        let y = Tensor::ones(b).requires_grad_(true);
        assert_eq!(x.matmul(&y).grad_fn(), Some(name), "{a:?} @ {b:?}");
    }
}

#[test]
fn anomaly_mode_names_the_node_its_creation_line_and_the_backward_path() {
    let x = Tensor::from_slice(&[4.0, 0.0]).requires_grad_(true);
    // Off: the infinite gradient just flows (as in PyTorch).
    (&x.sqrt() * 2.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.5, f32::INFINITY]);

    let guard = autograd::detect_anomaly();
    assert!(autograd::is_anomaly_enabled());
    let line = line!() + 1;
    let root = x.sqrt();
    let y = (&root * 2.0).sum();
    let e = y.try_backward().unwrap_err();
    let AutogradError::Anomaly {
        node,
        input,
        value,
        created_at,
        path,
    } = &e
    else {
        panic!("expected an anomaly, got {e}");
    };
    assert_eq!((*node, *input, *value), ("SqrtBackward0", 0, "inf"));
    assert!(
        created_at.contains(&format!("semantics.rs:{line}:")),
        "{created_at}"
    );
    assert_eq!(path, "SumBackward0 -> MulBackward0 -> SqrtBackward0");
    assert!(e.to_string().starts_with(
        "backward: SqrtBackward0 returned inf values in the gradient of its input 0 (anomaly mode); the operation was created at "
    ));
    // From a node recorded before the guard: the site is unknown.
    drop(guard);
    let early = Tensor::from_slice(&[0.0]).requires_grad_(true).sqrt();
    let _guard = autograd::detect_anomaly();
    let e = early.sum().try_backward().unwrap_err();
    assert!(
        e.to_string()
            .contains("recorded before anomaly mode was on"),
        "{e}"
    );
    drop(_guard);
    assert!(!autograd::is_anomaly_enabled());
}

#[test]
fn hooks_see_and_replace_gradients_as_in_pytorch() {
    use std::sync::{Arc, Mutex};
    // Expected values from PyTorch 2.15 for the same programs.
    let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let handle = x.register_hook(|g| Some(g * 2.0));
    (&x * 3.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 6.0]);
    handle.remove();
    x.clear_grad();
    (&x * 3.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 3.0]);

    // A non-leaf's hook sees dL/dy, once all contributions are summed.
    x.clear_grad();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let y = &x * 2.0;
    let record = seen.clone();
    y.register_hook(move |g| {
        record.lock().unwrap().push(g.to_vec());
        None
    });
    (&y * &y).sum().backward();
    assert_eq!(*seen.lock().unwrap(), vec![vec![4.0, 8.0]]);
    assert_eq!(x.grad().unwrap().to_vec(), vec![8.0, 16.0]);

    // Replacing a non-leaf's gradient changes everything upstream.
    x.clear_grad();
    let y = &x * 2.0;
    y.register_hook(|g| Some(g * 0.0));
    (&y * &y).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0]);

    // retain_grad keeps (and accumulates) a non-leaf's gradient.
    let y = &x * 2.0;
    y.retain_grad();
    let z = (&y * &y).sum();
    z.try_backward_with_options(None, true).unwrap();
    assert_eq!(y.grad().unwrap().to_vec(), vec![4.0, 8.0]);
    z.backward();
    assert_eq!(y.grad().unwrap().to_vec(), vec![8.0, 16.0]);
    assert!(y.retains_grad() && !x.retains_grad());

    // PyTorch's errors.
    let plain = Tensor::ones(&[2]);
    assert_eq!(
        plain.try_register_hook(|_| None).err().unwrap().to_string(),
        "register_hook: cannot register a hook on a tensor that doesn't require gradient"
    );
    assert_eq!(
        plain.try_retain_grad().unwrap_err().to_string(),
        "retain_grad: can't retain_grad on Tensor that has requires_grad=False"
    );
    let y = &x * 2.0;
    y.register_hook(|g| Some(g.sum()));
    assert_eq!(
        y.sum().try_backward().unwrap_err().to_string(),
        "backward: a hook changed the shape of the gradient from [2] to []"
    );
}

#[test]
fn a_function_s_saved_input_is_version_checked() {
    use autograd::{Context, Function, RawTensor, Result};
    struct Square;
    impl Function for Square {
        fn name(&self) -> &'static str {
            "SquareBackward"
        }
        fn forward(&self, ctx: &mut Context, x: &[RawTensor]) -> Result<RawTensor> {
            // An input, a computed value, and the input again.
            ctx.save_for_backward(&[&x[0], &(&x[0] * 2.0), &x[0]]);
            Ok(x[0].square())
        }
        fn backward(&self, ctx: &Context, g: &RawTensor) -> Result<Vec<Option<RawTensor>>> {
            let [x, twice, again] = ctx.saved_tensors() else {
                panic!("three saved values");
            };
            assert_eq!(x.to_vec(), again.to_vec());
            Ok(vec![Some(g * twice)])
        }
    }
    let x = Tensor::from_slice(&[1.0, 3.0]).requires_grad_(true);
    Square.apply(&[&x]).unwrap().sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 6.0]);

    // Modifying the saved input before backward fails, as in PyTorch.
    let y = Square.apply(&[&x]).unwrap().sum();
    {
        let _guard = autograd::no_grad();
        x.add_scalar_(1.0);
    }
    assert!(matches!(
        y.try_backward().unwrap_err(),
        AutogradError::SavedTensorModified {
            node: "SquareBackward",
            ..
        }
    ));
}

#[test]
fn grad_returns_gradients_without_accumulating_them() {
    use autograd::{grad, GradOptions};
    let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let w = Tensor::from_slice(&[3.0]).requires_grad_(true);
    // Non-scalar output with its gradient, as torch.autograd.grad(y, x, v).
    let y = &x * 2.0;
    let v = Tensor::from_slice(&[1.0, 10.0]);
    let g = grad(&[&y], &[&x], Some(&[&v]), GradOptions::default()).unwrap();
    assert_eq!(g[0].as_ref().unwrap().to_vec(), vec![2.0, 20.0]);
    // Several outputs: contributions add up.
    let a = (&x * &x).sum();
    let b = (&x * 3.0).sum();
    let g = grad(&[&a, &b], &[&x], None, GradOptions::default()).unwrap();
    assert_eq!(g[0].as_ref().unwrap().to_vec(), vec![5.0, 7.0]);
    assert!(x.grad().is_none());
    // Unused inputs: an error unless allowed.
    let c = (&x * 2.0).sum();
    let options = GradOptions {
        retain_graph: true,
        ..Default::default()
    };
    assert_eq!(
        grad(&[&c], &[&x, &w], None, options).unwrap_err(),
        AutogradError::UnusedInput { index: 1 }
    );
    let allowed = GradOptions {
        allow_unused: true,
        ..options
    };
    let g = grad(&[&c], &[&x, &w], None, allowed).unwrap();
    assert!(g[1].is_none() && g[0].is_some());
    assert_eq!(
        grad(&[&c], &[&Tensor::ones(&[2])], None, options)
            .unwrap_err()
            .to_string(),
        "grad: one of the differentiated Tensors (input 0) does not require grad"
    );
}

#[test]
fn a_backward_may_compute_another_graph_s_gradients() {
    use autograd::{grad, GradOptions};
    let inner = Tensor::from_slice(&[2.0]).requires_grad_(true);
    let inner_for_closure = inner.clone();
    let x = Tensor::from_slice(&[1.0]).requires_grad_(true);
    let y = Tensor::from_op(
        "UsesGradBackward",
        x.value(),
        &[&x],
        autograd::Save::NOTHING,
        move |g, _, _| {
            let cube = inner_for_closure.pow_scalar(3.0).sum();
            let d = grad(
                &[&cube],
                &[&inner_for_closure],
                None,
                GradOptions::default(),
            )?;
            Ok(vec![Some(g * &d[0].as_ref().unwrap().value())])
        },
    );
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![12.0]); // 3 * 2^2
    assert!(inner.grad().is_none());
}

#[test]
fn grad_runs_only_the_nodes_between_outputs_and_inputs() {
    use autograd::{grad, GradOptions};
    let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    // The input's own node does not run (nor free its saved values).
    let y = x.exp();
    let z = y.exp().sum();
    let g = grad(&[&z], &[&y], None, GradOptions::default()).unwrap();
    assert_eq!(
        g[0].as_ref().unwrap().to_vec(),
        vec![1.0f32.exp().exp(), 2.0f32.exp().exp()]
    );
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0f32.exp(), 2.0f32.exp()]);
    // An input that is also the output.
    let y = x.exp();
    let g = grad(
        &[&y],
        &[&y],
        Some(&[&Tensor::ones(&[2])]),
        GradOptions::default(),
    )
    .unwrap();
    assert_eq!(g[0].as_ref().unwrap().to_vec(), vec![1.0, 1.0]);
    y.sum().backward();
    // Unrelated branches: no hooks run, nothing retained.
    let w = Tensor::from_slice(&[3.0, 4.0]).requires_grad_(true);
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    w.register_hook(move |_| {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        None
    });
    let v = &x * 3.0;
    v.retain_grad();
    let z = (&(&x * &w) * &v).sum();
    grad(&[&z], &[&x], None, GradOptions::default()).unwrap();
    assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 0);
    // (v is on a path to x, so its gradient is retained, as in PyTorch.)
    assert!(v.grad().is_some());
    assert_eq!(
        grad(&[&z], &[], None, GradOptions::default())
            .unwrap_err()
            .to_string(),
        "grad: `inputs` argument to `grad()` cannot be empty"
    );
}

#[test]
fn retain_grad_keeps_the_gradient_after_the_hooks() {
    // PyTorch runs the retain-grad hook last, whatever the registration order.
    let x = Tensor::from_slice(&[1.0, 1.0]).requires_grad_(true);
    let y = &x * 1.0;
    y.retain_grad();
    y.register_hook(|g| Some(g * 2.0));
    y.sum().backward();
    assert_eq!(y.grad().unwrap().to_vec(), vec![2.0, 2.0]);
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 2.0]);
}

#[test]
fn a_long_chain_drops_iteratively_while_hook_handles_are_held() {
    let x = Tensor::from_slice(&[1.0]).requires_grad_(true);
    let mut y = x.clone();
    let mut handles = Vec::new();
    for _ in 0..100_000 {
        y = &y * 1.0;
        handles.push(y.register_hook(|_| None));
    }
    drop(y);
    drop(handles);
}

/// Handles are recycled (the last handle to a tensor goes to a per-thread
/// pool): a new tensor made right after one with a gradient, hooks, a
/// retained gradient and a history were dropped starts with none of them.
#[test]
fn tensors_made_after_others_are_dropped_start_clean() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let calls = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        {
            let w = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
            let seen = calls.clone();
            w.register_hook(move |_| {
                seen.fetch_add(1, Ordering::Relaxed);
                None
            });
            let y = &w * 3.0;
            y.retain_grad();
            let view = y.view(&[2, 1]);
            view.sum().backward();
            assert_eq!(w.grad().unwrap().to_vec(), vec![3.0, 3.0]);
            assert_eq!(y.grad().unwrap().to_vec(), vec![1.0, 1.0]);
        }
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        calls.store(0, Ordering::Relaxed);
        let fresh: Vec<Tensor> = (0..8).map(|_| Tensor::from_slice(&[5.0, 6.0])).collect();
        for t in &fresh {
            assert!(t.grad().is_none());
            assert!(!t.requires_grad());
            assert!(t.is_leaf());
            assert_eq!(t.grad_fn(), None);
            assert!(!t.retains_grad());
            assert_eq!(t.to_vec(), vec![5.0, 6.0]);
        }
        let x = fresh[0].requires_grad_(true);
        (&x * 2.0).sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 2.0]);
        assert_eq!(calls.load(Ordering::Relaxed), 0, "an old hook ran");
    }
}

/// Graph nodes are reused too (each thread keeps released nodes in a pool):
/// an op recorded right after a graph with node hooks, saved values, freed
/// saved values and a panicking backward was dropped keeps none of them.
#[test]
fn nodes_recorded_after_a_graph_is_dropped_start_clean() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let calls = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        {
            let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
            let squared = x.pow_scalar(2.0); // saves x
            let seen = calls.clone();
            squared.register_hook(move |_| {
                seen.fetch_add(1, Ordering::Relaxed);
                None
            });
            let y = &squared * 3.0;
            y.sum().backward(); // frees the saved values
            assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 12.0]);
            assert!(y.sum().try_backward().is_err(), "a second backward fails");
            let failing = Tensor::from_op("Fails", x.value(), &[&x], Save::NOTHING, |_, _, _| {
                panic!("a backward that panics")
            });
            assert!(failing.sum().try_backward().is_err());
        }
        // Both backwards reached the hook before the second one failed.
        assert_eq!(calls.load(Ordering::Relaxed), 2);
        calls.store(0, Ordering::Relaxed);
        // More nodes than the graph above released, each checked.
        let x = Tensor::from_slice(&[5.0, 6.0]).requires_grad_(true);
        let mut y = x.clone();
        for _ in 0..8 {
            y = &y * 2.0;
        }
        assert_eq!(y.grad_fn(), Some("MulBackward0"));
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec(), vec![256.0, 256.0]);
        // A node whose backward uses saved values, taken from the pool.
        let z = Tensor::from_slice(&[3.0]).requires_grad_(true);
        let cube = z.pow_scalar(3.0);
        cube.backward();
        assert_eq!(z.grad().unwrap().to_vec(), vec![27.0]);
        assert_eq!(calls.load(Ordering::Relaxed), 0, "an old node hook ran");
    }
}
