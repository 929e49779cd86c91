//! Learning-rate schedules against PyTorch's (`tools/reference/lr_schedulers.py`
//! writes `tests/data/lr_schedulers.txt`): the rates of two parameter
//! groups after construction and after every step, and for `OneCycleLR`
//! the momentum it cycles.

#[path = "../../tensor/tests/common/blocks.rs"]
mod blocks;

use autograd::Tensor;
use optim::lr_scheduler::{
    Anneal, CosineAnnealingLR, ExponentialLR, LinearLR, LrScheduler, MultiStepLR, OneCycleLR,
    OneCycleOptions, PlateauMode, PlateauOptions, ReduceLROnPlateau, StepLR, ThresholdMode,
};
use optim::{Adam, AdamOptions, Optimizer, ParamGroup, SgdOptions, SGD};

#[derive(Default)]
struct Case {
    name: String,
    optimizer: String,
    metrics: Vec<f64>,
    lrs: Vec<Vec<f64>>,
    momenta: Vec<Vec<f64>>,
}

/// The numbers after ` | `.
fn values(text: &str) -> Vec<f64> {
    text.split_once(" | ")
        .unwrap()
        .1
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect()
}

fn cases() -> Vec<Case> {
    blocks::blocks(include_str!("data/lr_schedulers.txt"))
        .into_iter()
        .map(|(name, lines)| {
            let mut case = Case {
                name,
                ..Case::default()
            };
            for (key, rest) in lines {
                match key.as_str() {
                    "optimizer" => case.optimizer = rest,
                    "metrics" => case.metrics = values(&format!("- {rest}")),
                    "lr" => case.lrs.push(values(&rest)),
                    _ => case.momenta.push(values(&rest)),
                }
            }
            case
        })
        .collect()
}

fn optimizer(kind: &str) -> Box<dyn Optimizer> {
    let (a, b) = (
        Tensor::zeros(&[2]).requires_grad_(true),
        Tensor::zeros(&[1]).requires_grad_(true),
    );
    match kind {
        "Adam" => Box::new(
            Adam::with_groups(vec![
                ParamGroup::new(
                    vec![a],
                    AdamOptions {
                        lr: 0.1,
                        ..Default::default()
                    },
                ),
                ParamGroup::new(
                    vec![b],
                    AdamOptions {
                        lr: 0.02,
                        ..Default::default()
                    },
                ),
            ])
            .unwrap(),
        ),
        _ => Box::new(
            SGD::with_groups(vec![
                ParamGroup::new(
                    vec![a],
                    SgdOptions {
                        lr: 0.1,
                        momentum: 0.9,
                        ..Default::default()
                    },
                ),
                ParamGroup::new(
                    vec![b],
                    SgdOptions {
                        lr: 0.02,
                        momentum: 0.9,
                        ..Default::default()
                    },
                ),
            ])
            .unwrap(),
        ),
    }
}

#[track_caller]
fn assert_close(what: &str, got: &[f64], want: &[f64], tolerance: f64) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= tolerance * w.abs().max(1e-3),
            "{what}: got {got:?}, PyTorch {want:?}"
        );
    }
}

#[test]
fn schedules_match_pytorch() {
    let cases = cases();
    assert_eq!(cases.len(), 10);
    for case in &cases {
        let mut opt = optimizer(&case.optimizer);
        // SGD keeps float32 hyper-parameters; Adam keeps doubles, as PyTorch.
        let tolerance = if case.optimizer == "SGD" { 1e-6 } else { 1e-12 };
        let mut plateau = None;
        let mut schedule: Option<Box<dyn LrScheduler>> = match case.name.as_str() {
            "step" => Some(Box::new(StepLR::new(&mut *opt, 3, 0.5))),
            "multistep" => Some(Box::new(MultiStepLR::new(&mut *opt, &[2, 5, 5, 8], 0.3))),
            "exponential" => Some(Box::new(ExponentialLR::new(&mut *opt, 0.9))),
            "cosine" => Some(Box::new(CosineAnnealingLR::new(&mut *opt, 4, 0.001))),
            "linear" => Some(Box::new(LinearLR::new(&mut *opt, 0.25, 1.0, 4).unwrap())),
            "linear defaults" => Some(Box::new(
                LinearLR::new(&mut *opt, 1.0 / 3.0, 1.0, 5).unwrap(),
            )),
            "one cycle" => Some(Box::new(
                OneCycleLR::new(&mut *opt, &[1.0, 0.5], 10, OneCycleOptions::default()).unwrap(),
            )),
            "one cycle linear three phase" => {
                let options = OneCycleOptions {
                    pct_start: 0.25,
                    anneal_strategy: Anneal::Linear,
                    three_phase: true,
                    div_factor: 10.0,
                    final_div_factor: 100.0,
                    ..OneCycleOptions::default()
                };
                Some(Box::new(
                    OneCycleLR::new(&mut *opt, &[0.8], 12, options).unwrap(),
                ))
            }
            name => {
                plateau = Some(match name {
                    "plateau" => ReduceLROnPlateau::new(PlateauOptions {
                        patience: 2,
                        factor: 0.5,
                        cooldown: 1,
                        ..Default::default()
                    }),
                    _ => ReduceLROnPlateau::new(PlateauOptions {
                        mode: PlateauMode::Max,
                        threshold: 0.05,
                        threshold_mode: ThresholdMode::Abs,
                        patience: 1,
                        min_lr: 0.01,
                        ..Default::default()
                    }),
                });
                None
            }
        };
        assert_close(
            &format!("{} lr 0", case.name),
            &opt.group_lrs(),
            &case.lrs[0],
            tolerance,
        );
        for k in 1..case.lrs.len() {
            opt.step();
            match (&mut schedule, &mut plateau) {
                (Some(s), _) => {
                    s.step(&mut *opt);
                    assert_close(
                        &format!("{} last lr {k}", case.name),
                        &s.get_last_lr(),
                        &case.lrs[k],
                        tolerance,
                    );
                }
                (None, Some(p)) => p.step(&mut *opt, case.metrics[k - 1]),
                _ => unreachable!(),
            }
            assert_close(
                &format!("{} lr {k}", case.name),
                &opt.group_lrs(),
                &case.lrs[k],
                tolerance,
            );
        }
    }
}

#[test]
fn one_cycle_cycles_sgd_momentum_as_pytorch() {
    let case = cases().into_iter().find(|c| c.name == "one cycle").unwrap();
    let (a, b) = (
        Tensor::zeros(&[2]).requires_grad_(true),
        Tensor::zeros(&[1]).requires_grad_(true),
    );
    let mut opt = SGD::with_groups(vec![
        ParamGroup::new(
            vec![a],
            SgdOptions {
                lr: 0.1,
                momentum: 0.9,
                ..Default::default()
            },
        ),
        ParamGroup::new(
            vec![b],
            SgdOptions {
                lr: 0.02,
                momentum: 0.9,
                ..Default::default()
            },
        ),
    ])
    .unwrap();
    let momenta = |opt: &SGD| -> Vec<f64> {
        opt.param_groups()
            .iter()
            .map(|g| f64::from(g.options.momentum))
            .collect()
    };
    let mut schedule =
        OneCycleLR::new(&mut opt, &[1.0, 0.5], 10, OneCycleOptions::default()).unwrap();
    assert_close("momentum 0", &momenta(&opt), &case.momenta[0], 1e-6);
    for k in 1..case.momenta.len() {
        opt.step();
        schedule.step(&mut opt);
        assert_close(
            &format!("momentum {k}"),
            &momenta(&opt),
            &case.momenta[k],
            1e-6,
        );
    }
}
