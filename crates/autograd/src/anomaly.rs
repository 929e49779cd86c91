//! Anomaly mode: which operation produced a NaN or infinite gradient, and
//! where in the program it was created.
//!
//! While a [`detect_anomaly`] guard is alive on a thread, every recorded node
//! keeps a backtrace of its creation, and every backward pass on that thread
//! checks each gradient a node produces. The first NaN or infinity is
//! reported as [`AutogradError::Anomaly`](crate::AutogradError::Anomaly):
//! the node (`LogBackward0`), which input's gradient went bad, the source
//! line that created the operation, and the path of nodes the backward took
//! to reach it. Off (the default), it costs a thread-local read per recorded
//! operation and per backward pass.
//!
//! ```
//! use autograd::{detect_anomaly, AutogradError, Tensor};
//!
//! let _guard = detect_anomaly();
//! let x = Tensor::from_slice(&[1.0, 0.0]).requires_grad_(true);
//! let y = x.sqrt().sum(); // d sqrt(x)/dx = inf at 0
//! match y.try_backward() {
//!     Err(AutogradError::Anomaly { node, input, .. }) => {
//!         assert_eq!((node, input), ("SqrtBackward0", 0));
//!     }
//!     other => panic!("expected an anomaly, got {other:?}"),
//! }
//! ```

use std::backtrace::Backtrace;

use crate::grad_mode::{ModeGuard, ModeStack};
use crate::tensor::RawTensor;

thread_local! {
    static ANOMALY_MODE: ModeStack = const { ModeStack::new(false) };
}

/// Whether anomaly mode is on for this thread.
/// PyTorch equivalent: `torch.is_anomaly_enabled()`.
pub fn is_anomaly_enabled() -> bool {
    ANOMALY_MODE.with(ModeStack::get)
}

/// Turns anomaly mode on or off for this thread until dropped (guards nest
/// as grad-mode guards do).
#[must_use = "anomaly mode is restored as soon as the guard is dropped"]
pub struct AnomalyModeGuard(#[allow(dead_code)] ModeGuard);

/// Anomaly mode on for this thread until the guard is dropped.
/// PyTorch equivalent: `with torch.autograd.detect_anomaly():`.
pub fn detect_anomaly() -> AnomalyModeGuard {
    set_detect_anomaly(true)
}

/// Anomaly mode on or off for this thread until the guard is dropped.
/// PyTorch equivalent: `with torch.autograd.set_detect_anomaly(mode):`.
pub fn set_detect_anomaly(enabled: bool) -> AnomalyModeGuard {
    AnomalyModeGuard(ModeGuard::set(&ANOMALY_MODE, enabled))
}

/// Where a node was created: captured only in anomaly mode.
pub(crate) struct Creation {
    backtrace: Backtrace,
}

impl Creation {
    /// The current backtrace, if anomaly mode is on (else nothing is captured).
    pub(crate) fn capture() -> Option<Box<Creation>> {
        is_anomaly_enabled().then(|| {
            Box::new(Creation {
                backtrace: Backtrace::force_capture(),
            })
        })
    }

    /// The first frame of the backtrace outside this library and the
    /// standard library, as `path:line:column`: the line of the program
    /// that created the node.
    pub(crate) fn site(&self) -> String {
        /// Crates whose frames are not the program's.
        const LIBRARY: [&str; 8] = [
            "autograd", "tensor", "nn", "optim", "data", "std", "core", "alloc",
        ];
        let text = self.backtrace.to_string();
        let mut lines = text.lines().map(str::trim).peekable();
        while let Some(line) = lines.next() {
            // Frames read `N: symbol`, then (with debug info) `at path:line:col`.
            let Some((index, symbol)) = line.split_once(": ") else {
                continue;
            };
            if index.parse::<usize>().is_err() {
                continue;
            }
            let krate = symbol
                .trim_start_matches('<')
                .split("::")
                .next()
                .unwrap_or_default();
            let location = lines.peek().and_then(|next| next.strip_prefix("at "));
            if LIBRARY.contains(&krate) || krate.starts_with("__") {
                continue;
            }
            return location.unwrap_or(symbol).to_string();
        }
        "an unknown location (no backtrace available)".to_string()
    }
}

/// The first NaN or infinity in `grad`, printed as PyTorch prints it.
pub(crate) fn bad_value(grad: &RawTensor) -> Option<&'static str> {
    let bad = grad.to_vec().into_iter().find(|v| !v.is_finite())?;
    Some(if bad.is_nan() {
        "nan"
    } else if bad > 0.0 {
        "inf"
    } else {
        "-inf"
    })
}
