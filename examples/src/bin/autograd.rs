//! The autograd tour of the tutorial, line for line.
//!
//! `cargo run -p examples --bin autograd -- [--seed N]`
//!
//! PyTorch draws `x = torch.randn((2, 3))`; this program starts from the
//! values the tutorial printed for it (rounded to 4 decimals), so every line
//! matches the tutorial except the last digits of results computed from the
//! unrounded draw. Pass `--seed N` to draw `x` from this library's generator
//! instead.

use autograd::{no_grad, Tensor};
use clap::Parser;

/// The autograd tour of the tutorial, printing what PyTorch prints.
#[derive(Parser)]
#[command(
    about = "The tutorial's autograd tour (the book's section 2.5), printing what PyTorch prints.",
    long_about = None
)]
struct Args {
    /// Draw `x` from the default generator seeded with N instead of using
    /// the tutorial's printed values.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

/// A bool as Python prints it, so the output reads like PyTorch's.
fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn main() {
    let seed = examples::parse_args::<Args>().seed;

    // x = torch.ones(3, 2, requires_grad=True); print(x)
    let x = Tensor::ones(&[3, 2]).requires_grad_(true);
    examples::outln!("{x}");
    // y = x + 2; print(y)
    let y = &x + 2.0;
    examples::outln!("{y}");

    // x = torch.randn((2, 3), requires_grad=True); print(x)
    let x = match seed {
        Some(seed) => {
            tensor::manual_seed(seed);
            Tensor::randn(&[2, 3])
        }
        None => Tensor::from_vec(
            vec![-1.5443, -0.0354, -0.8403, 1.5566, 0.7182, 1.5884],
            &[2, 3],
        )
        .expect("six values for a 2x3 tensor"),
    }
    .requires_grad_(true);
    examples::outln!("{x}");
    // y = x + 2; print(y)
    let y = &x + 2.0;
    examples::outln!("{y}");
    // y = y.sum(); y.backward(); print(x.grad)
    let mut y = y.sum();
    y.backward();
    examples::outln!("{}", x.grad().expect("backward reached x"));
    // while y.data.norm() < 1000: y = y * 2
    while y.data().norm().item() < 1000.0 {
        y = &y * 2.0;
    }
    examples::outln!("{y}");

    // Gradients accumulate: a second backward through a new graph adds to x.grad.
    (&x + 2.0).sum().backward();
    examples::outln!("{}", x.grad().expect("accumulated"));
    // x.grad.zero_()
    x.grad().expect("present").zero_();
    examples::outln!("{}", x.grad().expect("present"));

    // Non-scalar output: y.backward(v) computes the vector-Jacobian product v·J.
    let y = &x * 2.0;
    let v = Tensor::from_vec(vec![0.1, 1.0, 0.0001, 0.1, 1.0, 0.0001], &[2, 3]).expect("2x3");
    y.backward_with(&v);
    examples::outln!("{}", x.grad().expect("backward reached x"));

    // with torch.no_grad(): print((x ** 2).requires_grad)
    examples::outln!("{}", py_bool(x.pow_scalar(2.0).requires_grad()));
    {
        let _guard = no_grad();
        examples::outln!("{}", py_bool(x.pow_scalar(2.0).requires_grad()));
    }

    // y = x.detach(); print(y.requires_grad); print(x.eq(y).all())
    let d = x.detach();
    examples::outln!("{}", py_bool(d.requires_grad()));
    examples::outln!(
        "tensor({})",
        py_bool(d.value().allclose(&x.value(), 0.0, 0.0))
    );
}
