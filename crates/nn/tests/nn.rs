//! `nn` against PyTorch reference values and its own contracts.

#[path = "../../tensor/tests/common/reference.rs"]
mod reference;

use autograd::{gradcheck, GradcheckOptions, Tensor};
use nn::{functional, Linear, MSELoss, Module, ReLU, Reduction, Sequential, Sigmoid, Tanh};

fn cases(op: &str) -> Vec<reference::OpCase> {
    reference::ops(include_str!("../../tensor/tests/data/ops.txt"))
        .into_iter()
        .filter(|c| c.op == op)
        .collect()
}

fn leaves(case: &reference::OpCase) -> Vec<Tensor> {
    case.inputs
        .iter()
        .map(|v| Tensor::new(v.clone()).requires_grad_(true))
        .collect()
}

fn check_grads(case: &reference::OpCase, leaves: &[Tensor]) {
    for (i, (leaf, expected)) in leaves.iter().zip(&case.grads).enumerate() {
        let got = leaf.grad().expect("gradient").value();
        let expected = expected.as_ref().expect("PyTorch computed a gradient");
        assert!(
            reference::close(&got, expected, 1e-4, 1e-5),
            "{} grad {i}: expected {expected:?} got {got:?}",
            case.name
        );
    }
}

#[test]
fn mse_loss_matches_pytorch() {
    let cases = cases("mse_loss");
    assert_eq!(cases.len(), 3);
    for case in &cases {
        let reduction = match case.kwargs["reduction"].as_str() {
            "mean" => Reduction::Mean,
            "sum" => Reduction::Sum,
            _ => Reduction::None,
        };
        let x = leaves(case);
        let out = MSELoss::with_reduction(reduction).forward(&x[0], &x[1]);
        assert_eq!(out.grad_fn(), Some("MseLossBackward0"));
        assert!(
            reference::close(&out.value(), &case.out, 1e-5, 1e-6),
            "{}",
            case.name
        );
        out.sum().backward();
        check_grads(case, &x);
        gradcheck(
            |x| functional::mse_loss(&x[0], &x[1], reduction),
            &case.inputs,
            GradcheckOptions::default(),
        )
        .unwrap();
    }
}

#[test]
fn linear_matches_pytorch() {
    let cases = cases("linear");
    assert_eq!(cases.len(), 4);
    for case in &cases {
        let x = leaves(case);
        let out = functional::linear(&x[0], &x[1], x.get(2)).unwrap();
        assert!(
            reference::close(&out.value(), &case.out, 1e-5, 1e-5),
            "{}",
            case.name
        );
        out.sum().backward();
        check_grads(case, &x);
        gradcheck(
            |x| functional::linear(&x[0], &x[1], x.get(2)),
            &case.inputs,
            GradcheckOptions::default(),
        )
        .unwrap();
    }
}

#[test]
fn linear_layer_shapes_init_and_names() {
    tensor::manual_seed(0);
    let layer = Linear::new(784, 256);
    assert_eq!(layer.weight().shape(), [256, 784]);
    assert_eq!(layer.bias().unwrap().shape(), [256]);
    assert_eq!((layer.in_features(), layer.out_features()), (784, 256));
    let bound = 1.0 / 784f32.sqrt();
    let w = layer.weight().value();
    assert!(
        w.abs().max().item() <= bound && w.abs().max().item() > 0.9 * bound,
        "Kaiming-uniform bound"
    );
    assert!(layer.weight().requires_grad() && layer.weight().is_leaf());
    let out = layer.forward(&Tensor::ones(&[3, 784]));
    assert_eq!(out.shape(), [3, 256]);
    assert_eq!(out.grad_fn(), Some("AddmmBackward0"));
    let no_bias = Linear::with_bias(3, 2, false);
    assert_eq!(no_bias.parameters().len(), 1);
    assert_eq!(
        no_bias.forward(&Tensor::ones(&[1, 3])).grad_fn(),
        Some("MmBackward0")
    );
    let e = layer.try_forward(&Tensor::ones(&[3, 5])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "linear: input of shape [3, 5] does not match weight of shape [256, 784] (expected the input's last dim to be in_features)"
    );
}

#[test]
fn sequential_names_indexes_and_modes() {
    let mut net = Sequential::new()
        .append(Linear::new(2, 4))
        .append(ReLU)
        .append(Linear::new(4, 1))
        .append(Sigmoid)
        .append(Tanh);
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
    assert_eq!(net.len(), 5);
    assert_eq!(net[0].parameter("weight").unwrap().shape(), [4, 2]);
    assert!(net.parameter("2.bias").is_some());
    assert!(net.get::<ReLU>(0).is_none() && net.get::<ReLU>(1).is_some());
    // Parameters are handles to the layer's own tensors.
    net.layer::<Linear>(0).weight().data().fill_(0.5);
    assert_eq!(net.parameters()[0].to_vec(), vec![0.5; 8]);
    assert_eq!(net.forward(&Tensor::ones(&[3, 2])).shape(), [3, 1]);
    assert!(net.is_training());
    net.eval();
    assert!(!net.is_training());
    net.train();
    assert!(net.is_training());
    let y = net.forward(&Tensor::ones(&[1, 2]));
    y.sum().backward();
    assert!(net.parameters().iter().all(|p| p.grad().is_some()));
    net.zero_grad();
    assert!(net.parameters().iter().all(|p| p.grad().is_none()));
}

#[test]
#[should_panic(
    expected = "Sequential::layer: no layer of type nn::linear::Linear at index 1 (the network has 2 layers)"
)]
fn layer_of_the_wrong_type_panics_with_its_index() {
    let net = Sequential::new().append(Linear::new(2, 2)).append(ReLU);
    net.layer::<Linear>(1);
}

#[test]
fn activation_modules_match_pytorch() {
    let modules: [(&str, &dyn Module); 3] = [
        ("relu", &ReLU::default()),
        ("sigmoid", &Sigmoid::default()),
        ("tanh", &Tanh::default()),
    ];
    for (op, module) in modules {
        let cases = cases(op);
        assert!(!cases.is_empty(), "no reference case for {op}");
        for case in &cases {
            let x = leaves(case);
            let out = module.forward(&x[0]);
            assert!(
                reference::close(&out.value(), &case.out, 1e-6, 1e-6),
                "{}",
                case.name
            );
            out.sum().backward();
            check_grads(case, &x);
        }
    }
}

#[test]
fn mse_loss_refuses_shapes_that_differ() {
    // PyTorch warns and broadcasts [4, 1] against [4] to a [4, 4] loss.
    let e = MSELoss::new()
        .try_forward(&Tensor::ones(&[4, 1]), &Tensor::ones(&[4]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "mse_loss: input shape [4, 1] and target shape [4] differ (broadcasting them would \
         compare every pair, giving shape [4, 4]); reshape one to the other's shape, e.g. \
         target.reshape(&[4, 1])"
    );
    let e = MSELoss::new()
        .try_forward(&Tensor::ones(&[3]), &Tensor::ones(&[2]))
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("mse_loss: input shape [3] and target shape [2] differ; "),
        "{e}"
    );
}

#[test]
fn a_parameter_registered_twice_is_listed_once() {
    let shared = Linear::new(2, 2);
    let net = Sequential::new()
        .append(shared.clone())
        .append(ReLU)
        .append(shared.clone());
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias"]);
    assert_eq!(net.parameters().len(), 2);
    // An SGD step over the parameters then moves the shared weight once, not twice.
    let before = shared.weight().to_vec();
    net.forward(&Tensor::ones(&[1, 2])).sum().backward();
    let grad = shared.weight().grad().unwrap().to_vec();
    for p in net.parameters() {
        p.data().add_scaled_(&p.grad().unwrap(), -0.1);
    }
    let expected: Vec<f32> = before.iter().zip(&grad).map(|(w, g)| w - 0.1 * g).collect();
    assert_eq!(shared.weight().to_vec(), expected);
}

#[test]
fn clones_share_parameters_and_deep_copies_do_not() {
    let a = Sequential::new().append(Linear::new(2, 3)).append(ReLU);
    let shallow = a.clone();
    let deep = a.deep_copy();
    assert_eq!(shallow.parameters()[0].id(), a.parameters()[0].id());
    assert_ne!(deep.parameters()[0].id(), a.parameters()[0].id());
    assert_eq!(deep.parameters()[0].to_vec(), a.parameters()[0].to_vec());
    assert!(deep
        .parameters()
        .iter()
        .all(|p| p.requires_grad() && p.is_leaf()));
    let original = a.parameters()[0].to_vec();
    deep.parameters()[0].data().fill_(7.0);
    assert_eq!(a.parameters()[0].to_vec(), original);
    shallow.parameters()[0].data().fill_(5.0);
    assert_eq!(a.parameters()[0].to_vec(), vec![5.0; 6]);
    // Sharing inside the module is kept in the copy.
    let layer = Linear::new(2, 2);
    let tied = Sequential::new().append(layer.clone()).append(layer);
    let copy = tied.deep_copy();
    assert_eq!(copy.parameters().len(), 2);
    assert_eq!(
        copy.layer::<Linear>(0).weight().id(),
        copy.layer::<Linear>(1).weight().id()
    );
    assert_ne!(
        copy.layer::<Linear>(0).weight().id(),
        tied.layer::<Linear>(0).weight().id()
    );
    let single = Linear::new(3, 1);
    assert_ne!(single.deep_copy().weight().id(), single.weight().id());
}

#[test]
#[should_panic(expected = "Sequential: index 5 is out of range for a network of 2 layers")]
fn indexing_past_the_last_layer_names_the_index_and_the_length() {
    let net = Sequential::new().append(Linear::new(2, 2)).append(ReLU);
    let _ = &net[5];
}

#[test]
fn linear_of_an_impossible_size_is_an_error() {
    let e = Linear::try_new(1 << 32, 1 << 32).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Linear: cannot create a parameter of shape [4294967296, 4294967296] (uniform: shape \
         [4294967296, 4294967296] is too large: its number of elements overflows)"
    );
}

/// The file and line a panic reports.
fn panic_location(f: impl FnOnce()) -> String {
    use std::sync::{Arc, Mutex};
    let location = Arc::new(Mutex::new(String::new()));
    let slot = location.clone();
    let previous = std::panic::take_hook();
    let this_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        // Other tests of this binary may panic concurrently: keep ours only.
        if std::thread::current().id() != this_thread {
            return;
        }
        if let Some(l) = info.location() {
            *slot.lock().unwrap() = format!("{}:{}", l.file(), l.line());
        }
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    assert!(result.is_err(), "expected a panic");
    let location = location.lock().unwrap().clone();
    location
}

#[test]
fn panics_report_the_callers_line() {
    let net = Sequential::new().append(Linear::new(2, 2));
    let line = line!() + 1;
    let at = panic_location(|| drop(net.forward(&Tensor::ones(&[1, 3]))));
    assert_eq!(at, format!("{}:{line}", file!()));
    let layer: &dyn Module = &net[0];
    let line = line!() + 1;
    let at = panic_location(|| drop(layer.forward(&Tensor::ones(&[1, 3]))));
    assert_eq!(at, format!("{}:{line}", file!()));
    let (loss, a, b) = (MSELoss::new(), Tensor::ones(&[2]), Tensor::ones(&[3]));
    let line = line!() + 1;
    let at = panic_location(|| drop(loss.forward(&a, &b)));
    assert_eq!(at, format!("{}:{line}", file!()));
    let line = line!() + 1;
    let at = panic_location(|| drop(Linear::new(1 << 32, 1 << 32)));
    assert_eq!(at, format!("{}:{line}", file!()));
}

#[test]
fn linear_with_a_broadcast_bias_composes_and_differentiates() {
    let x = Tensor::ones(&[4, 2]);
    let w = Tensor::ones(&[3, 2]).requires_grad_(true);
    let b = Tensor::zeros(&[1, 3]).requires_grad_(true);
    let out = functional::linear(&x, &w, Some(&b)).unwrap();
    assert_eq!(out.grad_fn(), Some("AddBackward0"));
    out.sum().backward();
    assert_eq!(b.grad().unwrap().shape(), [1, 3]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![4.0; 3]);
    assert_eq!(w.grad().unwrap().to_vec(), vec![4.0; 6]);
}

/// A module that lists its parameter but forgot `parameters_mut`.
#[derive(Clone)]
struct Forgetful {
    weight: Tensor,
}

impl Module for Forgetful {
    fn try_forward(&self, input: &Tensor) -> autograd::Result<Tensor> {
        input.try_mul(&self.weight)
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("weight".to_string(), self.weight.clone())]
    }
}

#[test]
#[should_panic(
    expected = "deep_copy: nn::Forgetful lists parameter \"weight\" in named_parameters but not in parameters_mut, so the copy would share it; implement parameters_mut"
)]
fn deep_copy_refuses_to_share_silently() {
    let module = Forgetful {
        weight: Tensor::ones(&[2]).requires_grad_(true),
    };
    let _ = module.deep_copy();
}

#[test]
fn a_linear_layer_without_inputs_has_a_zero_bias_as_pytorch() {
    // bound = 0: uniform_(-0.0, 0.0) fills +0.0, printed `0.` (not `-0.`).
    let layer = Linear::new(0, 3);
    assert_eq!(
        layer.bias().unwrap().to_string(),
        "tensor([0., 0., 0.], requires_grad=True)"
    );
    assert_eq!(layer.forward(&Tensor::ones(&[2, 0])).to_vec(), vec![0.0; 6]);
}

#[test]
fn linear_nodes_are_named_as_pytorch_names_them() {
    // type(F.linear(x, w, b).grad_fn).__name__ in PyTorch 2.15, by input dims.
    let w = Tensor::ones(&[3, 4]).requires_grad_(true);
    let b = Tensor::ones(&[3]).requires_grad_(true);
    let name = |shape: &[usize], bias: Option<&Tensor>| {
        let x = Tensor::ones(shape).requires_grad_(true);
        functional::linear(&x, &w, bias).unwrap().grad_fn()
    };
    assert_eq!(name(&[2, 4], Some(&b)), Some("AddmmBackward0"));
    assert_eq!(name(&[2, 5, 4], Some(&b)), Some("UnsafeViewBackward0"));
    assert_eq!(name(&[4], Some(&b)), Some("UnsafeViewBackward0"));
    assert_eq!(name(&[2, 4], None), Some("MmBackward0"));
    assert_eq!(name(&[2, 5, 4], None), Some("UnsafeViewBackward0"));
    assert_eq!(name(&[4], None), Some("SqueezeBackward4"));
    // The 3-D form's values and gradients match the 2-D form's.
    let x = Tensor::arange(0.0, 40.0, 1.0)
        .reshape(&[2, 5, 4])
        .requires_grad_(true);
    let y = functional::linear(&x, &w, Some(&b)).unwrap();
    assert_eq!(y.shape(), vec![2, 5, 3]);
    y.sum().backward();
    assert_eq!(b.grad().unwrap().to_vec(), vec![10.0; 3]);
    assert_eq!(x.grad().unwrap().to_vec(), vec![3.0; 40]);
}

mod forward_hooks {
    use std::sync::{Arc, Mutex};

    use autograd::Tensor;
    use nn::{Linear, Module, ModuleHooks, ReLU, RegisterHooks, Sequential};

    fn net() -> Sequential {
        Sequential::new().append(Linear::new(2, 3)).append(ReLU)
    }

    #[test]
    fn hooks_see_and_replace_inputs_and_outputs() {
        let net = net();
        let x = Tensor::from_data(&[1.0f32, -2.0], &[1, 2]).unwrap();
        let plain = net.forward(&x).to_vec();
        // A forward hook on the nested ReLU sees the layer's output; one on
        // the network replaces the result.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let inner = net[1].register_forward_hook(move |module, input, output| {
            log.lock().unwrap().push((
                module.type_name().rsplit("::").next().unwrap().to_string(),
                input.to_vec(),
                output.to_vec(),
            ));
            None
        });
        let outer = net.register_forward_hook(|_, _, output| Some(output * 2.0));
        let doubled = net.forward(&x).to_vec();
        assert_eq!(doubled, plain.iter().map(|v| v * 2.0).collect::<Vec<_>>());
        let seen_now = seen.lock().unwrap().clone();
        assert_eq!(seen_now.len(), 1);
        assert_eq!(seen_now[0].0, "ReLU");
        assert_eq!(seen_now[0].2, plain);
        // A pre-hook replaces the input (PyTorch's forward_pre_hook).
        let zero_input = net.register_forward_pre_hook(|_, input| Some(input * 0.0));
        let bias_only = net.forward(&x).to_vec();
        let bias: Vec<f32> = net.layer::<Linear>(0).bias().unwrap().to_vec();
        let want: Vec<f32> = bias.iter().map(|b| b.max(0.0) * 2.0).collect();
        assert_eq!(bias_only, want);
        // try_forward is the module's own computation (PyTorch's
        // module.forward): not its own hooks, but its children are called,
        // hooks included, as PyTorch's Sequential.forward calls them.
        assert_eq!(net.try_forward(&x).unwrap().to_vec(), plain);
        assert_eq!(seen.lock().unwrap().len(), 3);
        // Removing hooks restores the plain call; removing twice is harmless.
        for handle in [inner, outer, zero_input] {
            handle.remove();
        }
        assert_eq!(net.forward(&x).to_vec(), plain);
        assert_eq!(seen.lock().unwrap().len(), 3);
    }

    #[test]
    fn hooks_run_in_registration_order_and_may_call_the_module() {
        let layer = Linear::new(2, 2);
        let order = Arc::new(Mutex::new(Vec::new()));
        for i in 0..3 {
            let order = order.clone();
            layer.register_forward_hook(move |_, _, _| {
                order.lock().unwrap().push(i);
                None
            });
        }
        // A hook that calls the module itself (no lock is held while hooks run).
        let again = layer.clone();
        let reentered = Arc::new(Mutex::new(false));
        let flag = reentered.clone();
        let handle = layer.register_forward_pre_hook(move |_, input| {
            let mut entered = flag.lock().unwrap();
            if !*entered {
                *entered = true;
                drop(entered);
                again.try_forward(input).unwrap();
            }
            None
        });
        layer.forward(&Tensor::ones(&[1, 2]));
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
        assert!(*reentered.lock().unwrap());
        handle.remove();
        // Clones share hooks, as they share parameters.
        layer.clone().forward(&Tensor::ones(&[1, 2]));
        assert_eq!(order.lock().unwrap().len(), 6);
    }

    #[test]
    fn a_module_without_hook_storage_says_how_to_add_it() {
        #[derive(Clone)]
        struct Double;
        impl Module for Double {
            fn try_forward(&self, input: &Tensor) -> autograd::Result<Tensor> {
                Ok(input * 2.0)
            }
        }
        let err = Double
            .try_register_forward_hook(|_, _, _| None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("keeps no hooks"), "{err}");
        assert!(err.contains("nn::ModuleHooks"), "{err}");
        // With a ModuleHooks field returned from `hooks`, it accepts them.
        #[derive(Clone, Default)]
        struct Hooked {
            hooks: ModuleHooks,
        }
        impl Module for Hooked {
            fn try_forward(&self, input: &Tensor) -> autograd::Result<Tensor> {
                Ok(input * 2.0)
            }
            fn hooks(&self) -> Option<&ModuleHooks> {
                Some(&self.hooks)
            }
        }
        let m = Hooked::default();
        m.register_forward_hook(|_, _, out| Some(out + 1.0));
        assert_eq!(m.forward(&Tensor::ones(&[1])).to_vec(), vec![3.0]);
    }
}
