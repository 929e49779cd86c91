//! The same seed gives PyTorch's numbers: every stream of
//! `tools/reference/random_streams.py` (PyTorch 2.15's CPU generator,
//! seeds 0, 42 and 2^40 + 7), replayed here call by call and compared bit
//! for bit. One test, in its own binary: nothing else draws from the
//! default generator meanwhile.

#[path = "common/streams.rs"]
mod streams;

use streams::{blocks, line};
use tensor::random::{default_generator, manual_seed, Generator, DEFAULT_SEED, STATE_SIZE};
use tensor::{DType, Tensor};

fn check(block: &str, expected: &[String], got: &[String]) {
    assert_eq!(got.len(), expected.len(), "{block}: line count");
    for (e, g) in expected.iter().zip(got) {
        assert_eq!(g, e, "{block}");
    }
}

fn replay(name: &str) -> Option<Vec<String>> {
    let (seed, case) = name.split_once(' ')?;
    let seed: u64 = seed.parse().ok()?;
    manual_seed(seed);
    let lines = match case {
        "rand float32" | "rand float64" => {
            let dtype = if case.ends_with("32") {
                DType::Float32
            } else {
                DType::Float64
            };
            (1..=20)
                .map(|n| {
                    line(
                        &format!("rand({n})"),
                        &Tensor::try_rand_dtype(&[n], dtype).unwrap(),
                    )
                })
                .collect()
        }
        "randn float32" | "randn float64" => {
            let dtype = if case.ends_with("32") {
                DType::Float32
            } else {
                DType::Float64
            };
            let mut out: Vec<String> = (1..=100)
                .map(|n| {
                    line(
                        &format!("randn({n})"),
                        &Tensor::try_randn_dtype(&[n], dtype).unwrap(),
                    )
                })
                .collect();
            out.push(line(
                "randn(1000)",
                &Tensor::try_randn_dtype(&[1000], dtype).unwrap(),
            ));
            out
        }
        "randint" => {
            let random = Tensor::zeros_dtype(&[5], DType::Int64);
            let lines = vec![
                line("randint(0,10,[20])", &Tensor::randint(0, 10, &[20])),
                line("randint(-5,2^40,[6])", &Tensor::randint(-5, 1 << 40, &[6])),
                line("randint(3,4,[2])", &Tensor::randint(3, 4, &[2])),
                line(
                    "randint(-100,100,[3,4])",
                    &Tensor::randint(-100, 100, &[3, 4]),
                ),
            ];
            random.random_(0, 100);
            lines
                .into_iter()
                .chain([line("random_(0,100)", &random)])
                .collect()
        }
        "randperm" => [1, 10, 1000]
            .iter()
            .map(|&n| line(&format!("randperm({n})"), &Tensor::randperm(n)))
            .collect(),
        "bernoulli" => {
            let a = Tensor::zeros(&[20]);
            a.bernoulli_(0.3);
            let b = Tensor::full(&[10], 0.5).bernoulli();
            let c = Tensor::from_elems(&[0.0f64, 1.0, 0.25, 0.75, 0.5]).bernoulli();
            vec![
                line("bernoulli_(0.3)", &a),
                line("bernoulli(full(0.5))", &b),
                line("bernoulli(float64)", &c),
            ]
        }
        "views" => {
            let a = Tensor::zeros(&[4, 6]);
            a.t().normal_(2.0, 3.0);
            let b = Tensor::zeros(&[5, 8]);
            b.slice(1, None, None, 2).normal_(-1.0, 0.5);
            let c = Tensor::zeros(&[3, 4]);
            c.t().uniform_(-2.0, 2.0);
            let d = Tensor::zeros_dtype(&[4, 5], DType::Float64);
            d.t().normal_(0.0, 1.0);
            let e = Tensor::zeros(&[40]);
            e.normal_(1.5, 0.25);
            let f = Tensor::zeros(&[8]);
            f.normal_(0.0, 0.01);
            let g = Tensor::zeros(&[5]);
            g.uniform_(-0.3, 0.7);
            let h = Tensor::zeros_dtype(&[6], DType::Float64);
            h.uniform_(1.0, 3.0);
            let i = Tensor::zeros(&[10]);
            i.exponential_(2.0);
            vec![
                line("zeros(4,6).t().normal_(2,3)", &a),
                line("zeros(5,8)[:,::2].normal_(-1,0.5)", &b),
                line("zeros(3,4).t().uniform_(-2,2)", &c),
                line("zeros(4,5,f64).t().normal_(0,1)", &d),
                line("empty(40).normal_(1.5,0.25)", &e),
                line("empty(8).normal_(0,0.01)", &f),
                line("empty(5).uniform_(-0.3,0.7)", &g),
                line("empty(6,f64).uniform_(1,3)", &h),
                line("empty(10).exponential_(2)", &i),
            ]
        }
        "state" => {
            Tensor::randn(&[3]);
            let state = default_generator().get_state();
            assert_eq!(state.len(), STATE_SIZE);
            let hex: String = state.iter().map(|b| format!("{b:02x}")).collect();
            let next = line("next", &Tensor::randn(&[3]));
            // A state whose next draw would read past the 624 words.
            let mut bad = state.clone();
            bad[8..12].copy_from_slice(&624i32.to_le_bytes());
            bad[16..24].copy_from_slice(&624u64.to_le_bytes());
            let e = default_generator().set_state(&bad).unwrap_err();
            assert_eq!(e.to_string(), "set_state: Invalid mt19937 state");
            let e = default_generator().set_state(&state[1..]).unwrap_err();
            assert!(
                e.to_string()
                    .contains("Expected a CPUGeneratorImplState of size 5056"),
                "{e}"
            );
            default_generator().set_state(&state).unwrap();
            vec![
                format!("hex state {hex}"),
                next,
                line("again", &Tensor::randn(&[3])),
            ]
        }
        // Streams of the nn and data crates, checked there.
        "linear" | "dataloader" => return None,
        other => panic!("unknown case {other}"),
    };
    Some(lines)
}

#[test]
fn every_stream_is_pytorchs_bit_for_bit() {
    let mut checked = 0;
    for (name, expected) in blocks() {
        if name == "default generator" {
            let mut g = Generator::default();
            assert_eq!(expected[0], format!("initial_seed {}", g.initial_seed()));
            assert_eq!(g.initial_seed(), DEFAULT_SEED);
            let t = Tensor::zeros(&[3]);
            g.uniform_(&t, 0.0, 1.0).unwrap();
            assert_eq!(expected[1], line("rand(3)", &t));
            continue;
        }
        if let Some(got) = replay(&name) {
            // The bernoulli block ends with dropout's mask, checked in nn.
            let expected = match name.ends_with("bernoulli") {
                true => &expected[..3],
                false => &expected[..],
            };
            check(&name, expected, &got);
            checked += 1;
        }
    }
    assert_eq!(checked, 27);
}
