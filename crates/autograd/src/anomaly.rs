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
#[inline]
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
    #[inline]
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
        program_frame(&self.backtrace.to_string())
            .unwrap_or_else(|| "an unknown location (no backtrace available)".to_string())
    }
}

/// The location (or, without debug information, the symbol) of the first
/// frame of a printed backtrace that belongs to neither this library nor
/// the standard library.
///
/// A frame is the library's when its symbol's crate is one of the library's
/// or the standard library's, or when its source file is under `/rustc/`.
/// Builds with reduced debug information (`debug = "line-tables-only"`) name
/// inlined frames without their crate (`{closure#0}`, `record<..>`): such a
/// frame is the library's when its file is one the library's named frames
/// are in.
fn program_frame(backtrace: &str) -> Option<String> {
    /// Crates whose frames are not the program's.
    const LIBRARY: [&str; 8] = [
        "autograd", "tensor", "nn", "optim", "data", "std", "core", "alloc",
    ];
    // Frames read `N: symbol`, then (with debug info) `at path:line:col`.
    let mut frames: Vec<(&str, Option<&str>)> = Vec::new();
    let mut lines = backtrace.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        let Some((index, symbol)) = line.split_once(": ") else {
            continue;
        };
        if index.parse::<usize>().is_err() {
            continue;
        }
        let location = lines.peek().and_then(|next| next.strip_prefix("at "));
        frames.push((symbol, location));
    }
    /// The crate a symbol names, if it names one (`a::b<c::d>` -> `a`).
    fn path(symbol: &str) -> Option<&str> {
        let name = symbol.trim_start_matches('<');
        let name = name.split('<').next().unwrap_or_default();
        name.split_once("::").map(|(krate, _)| krate)
    }
    let file = |location: &str| location.split(':').next().unwrap_or_default().to_string();
    let library_files: Vec<String> = frames
        .iter()
        .filter(|(symbol, _)| path(symbol).is_some_and(|krate| LIBRARY.contains(&krate)))
        .filter_map(|(_, location)| location.map(file))
        .collect();
    let is_library = |symbol: &str, location: Option<&str>| match path(symbol) {
        _ if symbol.starts_with("__") => true,
        _ if location.is_some_and(|at| at.starts_with("/rustc/")) => true,
        Some(krate) => LIBRARY.contains(&krate),
        None => location.is_some_and(|at| library_files.contains(&file(at))),
    };
    frames
        .iter()
        .find(|(symbol, location)| !is_library(symbol, *location))
        .map(|(symbol, location)| location.unwrap_or(symbol).to_string())
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

#[cfg(test)]
mod tests {
    use super::program_frame;

    /// Frames as a build with `debug = "line-tables-only"` prints them:
    /// inlined frames carry short names.
    #[test]
    fn short_names_of_inlined_frames_are_placed_by_their_files() {
        let trace = "   0: {closure#0}
             at ./src/anomaly.rs:69:28
   1: core::bool::<impl bool>::then
             at /rustc/abc/library/core/src/bool.rs:66:24
   2: autograd::anomaly::Creation::capture
             at ./src/anomaly.rs:67:30
   3: record<autograd::ops::elementwise::{impl#0}::sqrt::{closure_env#0}>
             at ./src/graph.rs:455:49
   4: autograd::graph::<impl autograd::tensor::Tensor>::from_differentiable
             at ./src/graph.rs:390:9
   5: my_test
             at ./tests/semantics.rs:697:18
   6: semantics::my_test::{{closure}}
             at ./tests/semantics.rs:688:73";
        assert_eq!(
            program_frame(trace).as_deref(),
            Some("./tests/semantics.rs:697:18")
        );
    }

    /// Full debug information: every frame has its path; without
    /// locations, the symbol stands in.
    #[test]
    fn full_paths_and_missing_locations() {
        let trace = "   0: autograd::anomaly::Creation::capture
             at /src/autograd/src/anomaly.rs:67:30
   1: <core::iter::Map<I, F> as Iterator>::next
             at /rustc/abc/library/core/src/iter/map.rs:1:1
   2: app::main::{{closure}}
             at /home/u/app/src/main.rs:12:5";
        assert_eq!(
            program_frame(trace).as_deref(),
            Some("/home/u/app/src/main.rs:12:5")
        );
        let bare = "   0: autograd::graph::record\n   1: app::main";
        assert_eq!(program_frame(bare).as_deref(), Some("app::main"));
        assert_eq!(program_frame(""), None);
    }
}
