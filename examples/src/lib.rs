//! Helpers shared by the tutorial binaries.

/// The value of `--seed N` on the command line, if given.
///
/// # Panics
/// If `--seed` is followed by something other than an unsigned integer.
pub fn seed_from_args() -> Option<u64> {
    flag_value("--seed").map(|s| {
        s.parse()
            .unwrap_or_else(|_| panic!("--seed expects an unsigned integer, got {s:?}"))
    })
}

/// The argument following `flag` on the command line, if present.
pub fn flag_value(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}
