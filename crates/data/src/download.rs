//! Downloading dataset files as torchvision does: each missing (or damaged)
//! file is fetched from the first mirror that serves it with the published
//! MD5, into a temporary file renamed into place once verified.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use md5::{Digest, Md5};

use crate::mnist::MnistKind;
use crate::DataError;

/// Fetches the files of `kind`'s split that are not already present with
/// the right checksum, trying `mirrors` (URL prefixes) in order.
pub(crate) fn fetch_missing(
    kind: MnistKind,
    root: &Path,
    train: bool,
    mirrors: &[&str],
) -> Result<(), DataError> {
    let folder = root.join(kind.folder()).join("raw");
    std::fs::create_dir_all(&folder).map_err(|e| DataError::Io {
        path: folder.display().to_string(),
        message: e.to_string(),
    })?;
    for (file, md5) in kind.files(train) {
        let path = folder.join(file);
        if crate::mnist::read_checked(&path, md5, kind).is_ok() {
            continue;
        }
        let mut attempts = Vec::new();
        let fetched = mirrors.iter().any(|mirror| {
            let url = format!("{mirror}{file}");
            match fetch(&url, &path, md5) {
                Ok(()) => true,
                Err(reason) => {
                    attempts.push(match reason.contains(&url) {
                        true => reason,
                        false => format!("{url}: {reason}"),
                    });
                    false
                }
            }
        });
        if !fetched {
            return Err(DataError::Download {
                file: file.into(),
                attempts,
                folder: folder.display().to_string(),
            });
        }
    }
    Ok(())
}

/// Downloads `url` to `path` through a temporary file, checking its MD5.
fn fetch(url: &str, path: &Path, md5: &str) -> Result<(), String> {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(10))
        .timeout_read(Duration::from_secs(60))
        .build();
    let response = agent.get(url).call().map_err(|e| e.to_string())?;
    let total = response
        .header("Content-Length")
        .and_then(|n| n.parse::<u64>().ok());
    let progress = match total {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::no_length(),
    };
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:30} {bytes}/{total_bytes} ({bytes_per_sec})",
        )
        .expect("a valid template"),
    );
    progress.set_message(format!("Downloading {url}"));
    let mut reader = response.into_reader();
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
        progress.inc(n as u64);
    }
    progress.finish_and_clear();
    let found = format!("{:x}", Md5::digest(&bytes));
    if found != md5 {
        return Err(format!("MD5 {found}, expected {md5}"));
    }
    let partial = path.with_extension("part");
    let write = || -> std::io::Result<()> {
        std::fs::File::create(&partial)?.write_all(&bytes)?;
        std::fs::rename(&partial, path)
    };
    write().map_err(|e| format!("cannot write {}: {e}", path.display()))
}
