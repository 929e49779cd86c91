//! Adam, AdamW, RMSprop, Adagrad and parameter groups against PyTorch
//! trajectories (`tools/reference/optimizers.py` writes
//! `tests/data/optimizers.txt`): 6 steps of a small linear model each, with
//! the parameters compared after every step.

#[path = "../../tensor/tests/common/blocks.rs"]
mod blocks;

use autograd::Tensor;
use optim::{
    Adagrad, AdagradOptions, Adam, AdamOptions, AdamW, Optimizer, ParamGroup, RMSprop,
    RmspropOptions, SgdOptions, SGD,
};

type Parsed = (Vec<usize>, Vec<f32>);

fn parse(text: &str) -> Parsed {
    let (shape, values) = blocks::tensor_line(text);
    (shape, values.iter().map(|&v| v as f32).collect())
}

fn tensor((shape, values): &Parsed) -> Tensor {
    Tensor::from_data(values, shape).unwrap()
}

#[derive(Default)]
struct Case {
    name: String,
    optimizer: String,
    groups: Vec<Vec<(String, String)>>,
    data: Vec<(String, Parsed)>,
    steps: Vec<(Parsed, Parsed)>,
}

impl Case {
    fn get(&self, key: &str) -> Tensor {
        tensor(&self.data.iter().find(|(k, _)| k == key).unwrap().1)
    }

    fn option(group: &[(String, String)], key: &str) -> Option<f64> {
        group
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| match v.as_str() {
                "True" => 1.0,
                "False" => 0.0,
                v => v.parse().unwrap(),
            })
    }

    /// The optimizer over `w` and `b` (one group, or one each).
    fn build(&self, w: &Tensor, b: &Tensor) -> Box<dyn Optimizer> {
        let params: Vec<Vec<Tensor>> = match self.groups.len() {
            1 => vec![vec![w.clone(), b.clone()]],
            _ => vec![vec![w.clone()], vec![b.clone()]],
        };
        let betas = |g: &[(String, String)]| {
            g.iter().find(|(k, _)| k == "betas").map(|(_, v)| {
                let v: Vec<f64> = v.split(',').map(|x| x.parse().unwrap()).collect();
                (v[0], v[1])
            })
        };
        let groups = self.groups.iter().zip(params);
        match self.optimizer.as_str() {
            "Adam" | "AdamW" => {
                let defaults = match self.optimizer.as_str() {
                    "Adam" => Adam::defaults(),
                    _ => AdamW::defaults(),
                };
                let groups: Vec<ParamGroup<AdamOptions>> = groups
                    .map(|(g, params)| {
                        let o = AdamOptions {
                            lr: Case::option(g, "lr").unwrap_or(defaults.lr),
                            betas: betas(g).unwrap_or(defaults.betas),
                            eps: Case::option(g, "eps").unwrap_or(defaults.eps),
                            weight_decay: Case::option(g, "weight_decay")
                                .unwrap_or(defaults.weight_decay),
                            amsgrad: Case::option(g, "amsgrad") == Some(1.0),
                        };
                        ParamGroup::new(params, o)
                    })
                    .collect();
                match self.optimizer.as_str() {
                    "Adam" => Box::new(Adam::with_groups(groups).unwrap()),
                    _ => Box::new(AdamW::with_groups(groups).unwrap()),
                }
            }
            "RMSprop" => {
                let d = RmspropOptions::default();
                let groups = groups
                    .map(|(g, params)| {
                        ParamGroup::new(
                            params,
                            RmspropOptions {
                                lr: Case::option(g, "lr").unwrap_or(d.lr),
                                alpha: Case::option(g, "alpha").unwrap_or(d.alpha),
                                eps: Case::option(g, "eps").unwrap_or(d.eps),
                                weight_decay: Case::option(g, "weight_decay")
                                    .unwrap_or(d.weight_decay),
                                momentum: Case::option(g, "momentum").unwrap_or(d.momentum),
                                centered: Case::option(g, "centered") == Some(1.0),
                            },
                        )
                    })
                    .collect();
                Box::new(RMSprop::with_groups(groups).unwrap())
            }
            "Adagrad" => {
                let d = AdagradOptions::default();
                let groups = groups
                    .map(|(g, params)| {
                        ParamGroup::new(
                            params,
                            AdagradOptions {
                                lr: Case::option(g, "lr").unwrap_or(d.lr),
                                lr_decay: Case::option(g, "lr_decay").unwrap_or(d.lr_decay),
                                weight_decay: Case::option(g, "weight_decay")
                                    .unwrap_or(d.weight_decay),
                                initial_accumulator_value: Case::option(
                                    g,
                                    "initial_accumulator_value",
                                )
                                .unwrap_or(d.initial_accumulator_value),
                                eps: Case::option(g, "eps").unwrap_or(d.eps),
                            },
                        )
                    })
                    .collect();
                Box::new(Adagrad::with_groups(groups).unwrap())
            }
            _ => {
                let groups = groups
                    .map(|(g, params)| {
                        ParamGroup::new(
                            params,
                            SgdOptions {
                                lr: Case::option(g, "lr").unwrap() as f32,
                                weight_decay: Case::option(g, "weight_decay").unwrap_or(0.0) as f32,
                                ..SgdOptions::default()
                            },
                        )
                    })
                    .collect();
                Box::new(SGD::with_groups(groups).unwrap())
            }
        }
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (name, lines) in blocks::blocks(include_str!("data/optimizers.txt")) {
        let mut case = Case {
            name,
            ..Case::default()
        };
        for (key, rest) in lines {
            match key.as_str() {
                "optimizer" => case.optimizer = rest,
                "group" => case.groups.push(
                    rest.split(' ')
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').unwrap();
                            (k.to_string(), v.to_string())
                        })
                        .collect(),
                ),
                "step" => {
                    let (_, rest) = rest.split_once(' ').unwrap();
                    let (which, tensor) = rest.split_once(' ').unwrap();
                    let parsed = parse(tensor);
                    match which {
                        "w" => case.steps.push((parsed, (vec![], vec![]))),
                        _ => case.steps.last_mut().unwrap().1 = parsed,
                    }
                }
                _ => case.data.push((key, parse(&rest))),
            }
        }
        cases.push(case);
    }
    cases
}

#[test]
fn trajectories_match_pytorch() {
    let cases = cases();
    assert_eq!(cases.len(), 10);
    for case in &cases {
        let (x, y) = (case.get("x"), case.get("y"));
        let w = case.get("w0").requires_grad_(true);
        let b = case.get("b0").requires_grad_(true);
        let mut opt = case.build(&w, &b);
        for (k, (want_w, want_b)) in case.steps.iter().enumerate() {
            opt.zero_grad();
            (&(&x.matmul(&w) + &b) - &y).square().mean().backward();
            opt.step();
            for (name, got, want) in [("w", &w, want_w), ("b", &b, want_b)] {
                for (g, e) in got.to_vec().iter().zip(&want.1) {
                    assert!(
                        (g - e).abs() <= 2e-6 * e.abs().max(1.0),
                        "{} step {k} {name}: got {:?}, PyTorch {:?}",
                        case.name,
                        got.to_vec(),
                        want.1
                    );
                }
            }
        }
    }
}

#[test]
fn hyper_parameters_are_validated_with_pytorch_s_names() {
    let p = || vec![Tensor::zeros(&[1]).requires_grad_(true)];
    let e = Adam::new(p(), -1.0).err().unwrap().to_string();
    assert_eq!(e, "Adam: invalid learning rate: -1");
    let bad_beta = AdamOptions {
        betas: (1.0, 0.9),
        ..AdamOptions::default()
    };
    let e = AdamW::with_options(p(), bad_beta)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(e, "AdamW: invalid beta parameter at index 0: 1");
    let e = RMSprop::with_options(
        p(),
        RmspropOptions {
            alpha: -0.5,
            ..Default::default()
        },
    );
    assert_eq!(
        e.err().unwrap().to_string(),
        "RMSprop: invalid alpha value: -0.5"
    );
    let e = Adagrad::with_options(
        p(),
        AdagradOptions {
            lr_decay: -1.0,
            ..Default::default()
        },
    );
    assert_eq!(
        e.err().unwrap().to_string(),
        "Adagrad: invalid lr_decay value: -1"
    );
    assert_eq!(AdamW::defaults().weight_decay, 0.01);
    assert_eq!(Adam::defaults().weight_decay, 0.0);
}

#[test]
fn groups_hold_their_own_options_and_learning_rates() {
    let w = Tensor::zeros(&[2]).requires_grad_(true);
    let b = Tensor::zeros(&[1]).requires_grad_(true);
    let mut opt = Adam::with_groups(vec![ParamGroup::new(
        vec![w.clone()],
        AdamOptions::default(),
    )])
    .unwrap();
    opt.add_param_group(ParamGroup::new(
        vec![b.clone()],
        AdamOptions {
            lr: 0.5,
            ..Default::default()
        },
    ))
    .unwrap();
    assert_eq!(opt.group_lrs(), vec![1e-3, 0.5]);
    opt.set_group_lr(0, 0.25);
    assert_eq!(opt.group_lrs(), vec![0.25, 0.5]);
    assert_eq!(opt.parameters().len(), 2);
    // A parameter already held cannot join another group.
    let e = opt.add_param_group(ParamGroup::new(vec![w.clone()], AdamOptions::default()));
    assert!(e.is_err());
    // Parameters without gradients are skipped and get no state.
    (&b * 2.0).sum().backward();
    opt.step();
    assert_eq!(w.to_vec(), vec![0.0, 0.0]);
    assert_ne!(b.to_vec(), vec![0.0]);
}
