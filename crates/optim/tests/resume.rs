//! Resuming training: N steps, save the parameters, the optimizer and the
//! scheduler to files, load them into fresh objects, M more steps: the
//! parameters equal those of N+M uninterrupted steps, bit for bit.

use autograd::Tensor;
use optim::lr_scheduler::{CosineAnnealingLR, LrScheduler, OneCycleLR, OneCycleOptions, StepLR};
use optim::{
    Adagrad, AdagradOptions, Adam, AdamOptions, AdamW, OptimError, Optimizer, OptimizerStateDict,
    ParamGroup, RMSprop, RmspropOptions, SgdOptions, SGD,
};
use serialization::StateDict;

type Build = fn(&[Tensor]) -> (Box<dyn Optimizer>, Box<dyn LrScheduler>);

/// Every optimizer with its stateful options on, each with a scheduler;
/// the first two use two parameter groups.
fn setups() -> Vec<(&'static str, Build)> {
    vec![
        ("SGD nesterov, two groups, StepLR", |p| {
            let options = SgdOptions {
                lr: 0.05,
                momentum: 0.9,
                nesterov: true,
                weight_decay: 1e-3,
                ..SgdOptions::default()
            };
            let mut opt = SGD::with_groups(vec![
                ParamGroup::new(vec![p[0].clone()], options),
                ParamGroup::new(
                    vec![p[1].clone()],
                    SgdOptions {
                        lr: 0.02,
                        ..options
                    },
                ),
            ])
            .unwrap();
            let sched = StepLR::new(&mut opt, 2, 0.5);
            (Box::new(opt), Box::new(sched))
        }),
        ("Adam amsgrad, two groups, OneCycleLR", |p| {
            let options = AdamOptions {
                lr: 0.01,
                amsgrad: true,
                weight_decay: 1e-2,
                ..AdamOptions::default()
            };
            let mut opt = Adam::with_groups(vec![
                ParamGroup::new(vec![p[0].clone()], options),
                ParamGroup::new(
                    vec![p[1].clone()],
                    AdamOptions {
                        lr: 0.003,
                        ..options
                    },
                ),
            ])
            .unwrap();
            let sched =
                OneCycleLR::new(&mut opt, &[0.05, 0.01], 12, OneCycleOptions::default()).unwrap();
            (Box::new(opt), Box::new(sched))
        }),
        ("AdamW, CosineAnnealingLR", |p| {
            let mut opt = AdamW::new(p.to_vec(), 0.01).unwrap();
            let sched = CosineAnnealingLR::new(&mut opt, 7, 1e-4);
            (Box::new(opt), Box::new(sched))
        }),
        ("RMSprop centered momentum, StepLR", |p| {
            let options = RmspropOptions {
                lr: 0.01,
                momentum: 0.5,
                centered: true,
                ..RmspropOptions::default()
            };
            let mut opt = RMSprop::with_options(p.to_vec(), options).unwrap();
            let sched = StepLR::new(&mut opt, 3, 0.7);
            (Box::new(opt), Box::new(sched))
        }),
        ("Adagrad lr_decay, StepLR", |p| {
            let options = AdagradOptions {
                lr: 0.1,
                lr_decay: 0.01,
                initial_accumulator_value: 0.1,
                ..AdagradOptions::default()
            };
            let mut opt = Adagrad::with_options(p.to_vec(), options).unwrap();
            let sched = StepLR::new(&mut opt, 4, 0.9);
            (Box::new(opt), Box::new(sched))
        }),
    ]
}

/// Fresh parameters: a 3×2 weight and a bias, with values set by `seed`.
fn params(seed: f32) -> Vec<Tensor> {
    let w: Vec<f32> = (0..6).map(|i| ((i as f32 + seed) * 0.37).sin()).collect();
    vec![
        Tensor::from_vec(w, &[3, 2]).unwrap().requires_grad_(true),
        Tensor::from_slice(&[seed * 0.1, -0.2]).requires_grad_(true),
    ]
}

/// One training step of `tanh(x w + b)` towards a fixed target.
fn step(p: &[Tensor], opt: &mut dyn Optimizer, sched: &mut dyn LrScheduler, t: usize) {
    let x = Tensor::from_vec(
        (0..12).map(|i| ((i * 7 + t) % 5) as f32 - 2.0).collect(),
        &[4, 3],
    )
    .unwrap();
    let y = Tensor::from_vec((0..8).map(|i| (i as f32 * 0.3).cos()).collect(), &[4, 2]).unwrap();
    let out = (x.matmul(&p[0]) + &p[1]).tanh();
    let diff = &out - &y;
    let loss = (&diff * &diff).mean();
    opt.zero_grad();
    loss.backward();
    opt.step();
    sched.step(opt);
}

fn bits(p: &[Tensor]) -> Vec<u32> {
    p.iter()
        .flat_map(|t| t.to_vec())
        .map(f32::to_bits)
        .collect()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("optim-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn resumed_training_equals_uninterrupted_training_bit_for_bit() {
    let (n, m) = (5, 6);
    for (name, build) in setups() {
        let straight = params(1.0);
        let (mut opt, mut sched) = build(&straight);
        for t in 0..n + m {
            step(&straight, opt.as_mut(), sched.as_mut(), t);
        }

        let first = params(1.0);
        let (mut opt, mut sched) = build(&first);
        for t in 0..n {
            step(&first, opt.as_mut(), sched.as_mut(), t);
        }
        let weights: StateDict = [
            ("w".to_string(), first[0].detach()),
            ("b".to_string(), first[1].detach()),
        ]
        .into_iter()
        .collect();
        serialization::save_file(&weights, scratch("weights.safetensors")).unwrap();
        opt.state_dict()
            .save_file(scratch("optimizer.safetensors"))
            .unwrap();
        std::fs::write(scratch("scheduler.json"), sched.state_dict().to_string()).unwrap();
        drop((opt, sched, first));

        // Fresh objects built with other values, then loaded.
        let resumed = params(-3.0);
        let (mut opt, mut sched) = build(&resumed);
        let weights = serialization::load_file(scratch("weights.safetensors")).unwrap();
        resumed[0].data().copy_(&weights["w"]);
        resumed[1].data().copy_(&weights["b"]);
        opt.load_state_dict(
            &OptimizerStateDict::load_file(scratch("optimizer.safetensors")).unwrap(),
        )
        .unwrap();
        let state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(scratch("scheduler.json")).unwrap())
                .unwrap();
        sched.load_state_dict(&state).unwrap();
        assert_eq!(opt.group_lrs(), sched.get_last_lr(), "{name}");
        for t in n..n + m {
            step(&resumed, opt.as_mut(), sched.as_mut(), t);
        }
        assert_eq!(bits(&resumed), bits(&straight), "{name}");
    }
}

#[test]
fn state_dicts_use_pytorchs_layout() {
    let p = params(1.0);
    let mut opt = Adam::with_options(
        p.clone(),
        AdamOptions {
            amsgrad: true,
            ..AdamOptions::default()
        },
    )
    .unwrap();
    let empty = opt.state_dict();
    assert!(empty.state.is_empty());
    assert_eq!(
        serde_json::Value::Object(empty.param_groups[0].clone()).to_string(),
        r#"{"amsgrad":true,"betas":[0.9,0.999],"eps":1e-8,"lr":0.001,"params":[0,1],"weight_decay":0.0}"#
    );
    let mut sched = StepLR::new(&mut opt, 1, 0.5);
    step(&p, &mut opt, &mut sched, 0);
    let sd = opt.state_dict();
    let names: Vec<&str> = sd.state[&1].keys().map(String::as_str).collect();
    assert_eq!(names, ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]);
    assert_eq!(sd.state[&1]["step"].value().item(), 1.0);
    assert_eq!(sd.state[&1]["step"].value().dim(), 0);
    // A copy: later steps leave it alone.
    let before = sd.state[&0]["exp_avg"].to_vec();
    step(&p, &mut opt, &mut sched, 1);
    assert_eq!(sd.state[&0]["exp_avg"].to_vec(), before);
    // PyTorch's keys: the scheduler's settings, last_epoch, base_lrs, _last_lr.
    let state = sched.state_dict();
    assert_eq!(
        (&state["last_epoch"], &state["step_size"]),
        (&2.into(), &1.into())
    );
    assert_eq!(state["_last_lr"], serde_json::json!([0.00025]));

    let mut sgd = SGD::with_options(
        p.clone(),
        SgdOptions {
            momentum: 0.9,
            ..SgdOptions::default()
        },
    )
    .unwrap();
    let mut sched = StepLR::new(&mut sgd, 1, 0.5);
    step(&p, &mut sgd, &mut sched, 0);
    let sd = sgd.state_dict();
    let names: Vec<&str> = sd.state[&0].keys().map(String::as_str).collect();
    assert_eq!(names, ["momentum_buffer"]);
}

#[test]
fn a_state_that_does_not_fit_is_refused_and_changes_nothing() {
    let p = params(1.0);
    let mut opt = SGD::with_options(
        p.clone(),
        SgdOptions {
            lr: 0.1,
            momentum: 0.9,
            ..SgdOptions::default()
        },
    )
    .unwrap();
    let mut sched = StepLR::new(&mut opt, 1, 0.5);
    step(&p, &mut opt, &mut sched, 0);
    let good = opt.state_dict();

    let two_groups = SGD::with_groups(vec![
        ParamGroup::new(vec![p[0].clone()], SgdOptions::default()),
        ParamGroup::new(vec![p[1].clone()], SgdOptions::default()),
    ])
    .unwrap();
    let mut other = SGD::new(p.clone(), 0.3).unwrap();
    let err = other.load_state_dict(&two_groups.state_dict()).unwrap_err();
    assert_eq!(err.to_string(), "SGD: loaded state dict has a different number of parameter groups (2, the optimizer has 1)");

    let mut one = SGD::new(vec![p[0].clone()], 0.3).unwrap();
    let err = one.load_state_dict(&good).unwrap_err();
    assert_eq!(err.to_string(), "SGD: loaded state dict contains a parameter group that doesn't match the size of optimizer's group (2 parameters, the optimizer's group has 1)");

    let mut wrong_shape = good.clone();
    wrong_shape
        .state
        .get_mut(&1)
        .unwrap()
        .insert("momentum_buffer".into(), Tensor::zeros(&[3]));
    let err = other.load_state_dict(&wrong_shape).unwrap_err();
    assert_eq!(
        err.to_string(),
        "SGD: parameter 1: 'momentum_buffer' has shape [3], the parameter [2]"
    );

    let mut missing = good.clone();
    missing.state.get_mut(&0).unwrap().clear();
    let err = other.load_state_dict(&missing).unwrap_err();
    assert_eq!(
        err.to_string(),
        "SGD: parameter 0: its state has no 'momentum_buffer'"
    );

    let mut bad_option = good.clone();
    bad_option.param_groups[0].insert("lr".into(), (-1.0).into());
    let err = other.load_state_dict(&bad_option).unwrap_err();
    assert!(
        matches!(err, OptimError::InvalidHyperParameter { .. }),
        "{err}"
    );
    // None of those changed the optimizer: it still has its own rate and no state.
    assert_eq!(other.group_lrs(), vec![0.30000001192092896]);
    assert!(other.state_dict().state.is_empty());

    other.load_state_dict(&good).unwrap();
    assert_eq!(other.group_lrs(), opt.group_lrs());

    let err = sched
        .load_state_dict(&serde_json::json!({"gamma": 1}))
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("StepLR: not a StepLR state: missing field"),
        "{err}"
    );
    let err = OptimizerStateDict::load_file(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../serialization/tests/data/zoo.safetensors"),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("not an optimizer state file: no param_groups metadata"),
        "{err}"
    );
}
