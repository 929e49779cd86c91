//! Dropout, Flatten, Identity, the activation modules with options, and
//! walking a module tree (children, named_modules, apply, train/eval).

use autograd::Tensor;
use nn::functional::{dropout, flatten};
use nn::{
    Dropout, Flatten, GeluApproximate, Identity, LeakyReLU, Linear, Module, ReLU, Sequential,
    Softplus, ELU, GELU,
};

#[test]
fn dropout_scales_in_training_and_passes_through_in_eval() {
    tensor::manual_seed(0);
    let x = Tensor::ones(&[10_000]).requires_grad_(true);
    let y = dropout(&x, 0.25, true).unwrap();
    assert_eq!(y.grad_fn(), Some("MulBackward0"));
    let values = y.to_vec();
    let kept = values.iter().filter(|&&v| v != 0.0).count();
    // Kept elements are scaled by 1 / (1 - p); about 75% are kept.
    assert!(values
        .iter()
        .all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
    assert!((7_300..7_700).contains(&kept), "{kept} kept");
    // The gradient is the same mask and scale.
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), values);
    // Evaluation, p = 0 and p = 1.
    assert_eq!(dropout(&x, 0.25, false).unwrap().id(), x.id());
    assert_eq!(dropout(&x, 0.0, true).unwrap().id(), x.id());
    assert!(dropout(&x, 1.0, true)
        .unwrap()
        .to_vec()
        .iter()
        .all(|&v| v == 0.0));
    let e = dropout(&x, 1.5, true).unwrap_err().to_string();
    assert!(
        e.contains("dropout probability has to be between 0 and 1, but got 1.5"),
        "{e}"
    );
    assert!(Dropout::try_new(-0.1).is_err());
}

#[test]
fn train_and_eval_reach_dropout_inside_a_network() {
    let mut net = Sequential::new()
        .append(Linear::new(4, 4))
        .append(Dropout::new(0.5))
        .append(ReLU);
    let x = Tensor::ones(&[2, 4]);
    net.eval();
    assert!(!net.is_training() && !net.layer::<Dropout>(1).is_training());
    let a = net.forward(&x).to_vec();
    assert_eq!(a, net.forward(&x).to_vec(), "no dropout in eval mode");
    net.train();
    assert!(net.layer::<Dropout>(1).is_training());
}

#[test]
fn flatten_keeps_the_batch_dim_by_default() {
    let x = Tensor::zeros(&[2, 3, 4, 5]);
    assert_eq!(Flatten::default().forward(&x).shape(), vec![2, 60]);
    assert_eq!(Flatten::new(0, -1).forward(&x).shape(), vec![120]);
    assert_eq!(flatten(&x, 1, 2).unwrap().shape(), vec![2, 12, 5]);
    assert_eq!(
        flatten(&Tensor::scalar(3.0), 0, -1).unwrap().shape(),
        vec![1]
    );
    let e = flatten(&x, 2, 1).unwrap_err().to_string();
    assert!(e.contains("start_dim cannot come after end_dim"), "{e}");
    let e = flatten(&x, 4, -1).unwrap_err().to_string();
    assert!(
        e.contains("Dimension out of range (expected to be in range of [-4, 3], but got 4)"),
        "{e}"
    );
    assert_eq!(Identity::new().forward(&x).id(), x.id());
}

#[test]
fn activation_modules_have_pytorch_s_defaults() {
    assert_eq!(LeakyReLU::default().negative_slope, 0.01);
    assert_eq!(ELU::default().alpha, 1.0);
    let softplus = Softplus::default();
    assert_eq!((softplus.beta, softplus.threshold), (1.0, 20.0));
    assert_eq!(GELU::default().approximate, GeluApproximate::None);
    let x = Tensor::from_slice(&[-1.0, 0.5]);
    assert_eq!(LeakyReLU::new(0.2).forward(&x).to_vec(), vec![-0.2, 0.5]);
    assert_eq!(
        GELU::new(GeluApproximate::Tanh).forward(&x).to_vec(),
        x.gelu(GeluApproximate::Tanh).to_vec()
    );
}

#[test]
fn a_module_tree_can_be_walked_and_changed() {
    let inner = Sequential::new().append(Linear::new(3, 2)).append(ReLU);
    let mut net = Sequential::new().append(inner).append(Linear::new(2, 1));
    let names: Vec<String> = net.named_modules().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["", "0", "0.0", "0.1", "1"]);
    assert_eq!(net.children().len(), 2);
    // apply: every Linear's weights set to 0.5, as nn.init in a PyTorch apply.
    let mut visited = 0;
    net.apply(&mut |m: &mut dyn Module| {
        visited += 1;
        for p in m.parameters_mut() {
            p.data().fill_(0.5);
        }
    });
    assert_eq!(visited, 5);
    assert!(net
        .parameters()
        .iter()
        .all(|p| p.to_vec().iter().all(|&v| v == 0.5)));
}

mod init {
    use autograd::Tensor;
    use nn::init::{self, FanMode, Nonlinearity};

    /// Mean and standard deviation of a tensor's values.
    fn moments(t: &Tensor) -> (f64, f64) {
        let v = t.to_vec_as::<f64>();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        (mean, var.sqrt())
    }

    #[test]
    fn gains_and_fans_are_pytorch_s() {
        // nn.init.calculate_gain values.
        assert_eq!(init::calculate_gain(Nonlinearity::Linear), 1.0);
        assert_eq!(init::calculate_gain(Nonlinearity::Tanh), 5.0 / 3.0);
        assert_eq!(init::calculate_gain(Nonlinearity::Relu), 2f64.sqrt());
        assert!(
            (init::calculate_gain(Nonlinearity::LeakyRelu(0.01)) - 1.4141428569978354).abs()
                < 1e-15
        );
        assert_eq!(init::calculate_gain(Nonlinearity::Selu), 0.75);
        // A conv weight [out, in, kh, kw]: fans include the receptive field.
        let w = Tensor::zeros(&[16, 8, 3, 3]);
        assert_eq!(init::calculate_fan_in_and_fan_out(&w).unwrap(), (72, 144));
        let e = init::xavier_uniform_(&Tensor::zeros(&[5]), 1.0)
            .unwrap_err()
            .to_string();
        assert!(e.contains(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        ));
    }

    #[test]
    fn initialisers_draw_with_the_documented_spread() {
        tensor::manual_seed(1);
        // A parameter that requires grad: filled without recording.
        let w = Tensor::zeros(&[512, 256]).requires_grad_(true);
        init::kaiming_uniform_(&w, FanMode::FanIn, Nonlinearity::Relu).unwrap();
        assert!(w.is_leaf());
        let bound = (6.0f64 / 256.0).sqrt();
        assert!(w.to_vec_as::<f64>().iter().all(|v| v.abs() <= bound));
        let (mean, std) = moments(&w);
        assert!(
            mean.abs() < 0.01 && (std - (2.0f64 / 256.0).sqrt()).abs() < 0.003,
            "{mean} {std}"
        );
        init::kaiming_normal_(&w, FanMode::FanOut, Nonlinearity::Relu).unwrap();
        let (_, std) = moments(&w);
        assert!((std - (2.0f64 / 512.0).sqrt()).abs() < 0.002, "{std}");
        init::xavier_normal_(&w, 2.0).unwrap();
        let (_, std) = moments(&w);
        assert!((std - 2.0 * (2.0f64 / 768.0).sqrt()).abs() < 0.003, "{std}");
        init::constant_(&w, 0.25).unwrap();
        assert!(w.to_vec().iter().all(|&v| v == 0.25));
        init::ones_(&w).unwrap();
        init::zeros_(&w).unwrap();
        assert!(w.to_vec().iter().all(|&v| v == 0.0));
        init::uniform_(&w, -0.1, 0.3).unwrap();
        assert!(w.to_vec().iter().all(|&v| (-0.1..0.3).contains(&v)));
        init::normal_(&w, 1.0, 0.5).unwrap();
        let (mean, std) = moments(&w);
        assert!((mean - 1.0).abs() < 0.01 && (std - 0.5).abs() < 0.01);
        // Empty tensors are left alone by kaiming, as in PyTorch.
        init::kaiming_uniform_(&Tensor::zeros(&[0, 3]), FanMode::FanIn, Nonlinearity::Relu)
            .unwrap();
    }
}

mod clipping {
    use autograd::Tensor;
    use nn::utils::{clip_grad_norm_, clip_grad_value_};

    fn with_grads() -> (Tensor, Tensor) {
        let a = Tensor::from_slice(&[1.0, 1.0]).requires_grad_(true);
        let b = Tensor::from_slice(&[1.0]).requires_grad_(true);
        (&(&a * &Tensor::from_slice(&[3.0, 4.0])).sum() + &(&b * 12.0).sum()).backward();
        (a, b)
    }

    #[test]
    fn the_joint_norm_is_clipped_as_pytorch_does() {
        let (a, b) = with_grads();
        // Grads [3, 4] and [12]: joint 2-norm 13.
        let norm = clip_grad_norm_(&[a.clone(), b.clone()], 6.5, 2.0, false).unwrap();
        assert_eq!(norm, 13.0);
        let coefficient = (6.5 / (13.0 + 1e-6)) as f32;
        assert_eq!(
            a.grad().unwrap().to_vec(),
            vec![3.0 * coefficient, 4.0 * coefficient]
        );
        assert_eq!(b.grad().unwrap().to_vec(), vec![12.0 * coefficient]);
        // Under the limit nothing changes; the infinity norm is the largest |g|.
        let (a, b) = with_grads();
        assert_eq!(
            clip_grad_norm_(&[a.clone(), b], 100.0, f64::INFINITY, false).unwrap(),
            12.0
        );
        assert_eq!(a.grad().unwrap().to_vec(), vec![3.0, 4.0]);
        // A non-finite norm is an error only when asked.
        let c = Tensor::from_slice(&[1.0]).requires_grad_(true);
        (&c * f32::INFINITY).sum().backward();
        let e = clip_grad_norm_(std::slice::from_ref(&c), 1.0, 2.0, true).unwrap_err();
        assert!(
            e.to_string()
                .contains("is non-finite, so it cannot be clipped"),
            "{e}"
        );
    }

    #[test]
    fn values_are_clamped() {
        let (a, b) = with_grads();
        clip_grad_value_(&[a.clone(), b.clone()], 3.5);
        assert_eq!(a.grad().unwrap().to_vec(), vec![3.0, 3.5]);
        assert_eq!(b.grad().unwrap().to_vec(), vec![3.5]);
    }
}
