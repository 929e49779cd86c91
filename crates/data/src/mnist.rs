//! MNIST and Fashion-MNIST from their IDX files, in torchvision's directory
//! layout (`<root>/MNIST/raw/t10k-images-idx3-ubyte.gz`, …), checked against
//! torchvision's MD5 checksums. PyTorch equivalent:
//! `torchvision.datasets.MNIST(root, train, transform=ToTensor())`.

use std::io::Read;
use std::path::{Path, PathBuf};

use autograd::Tensor;
use md5::{Digest, Md5};

use crate::dataset::Dataset;
use crate::DataError;

/// Which of the two datasets, with torchvision's names and checksums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MnistKind {
    /// Handwritten digits. torchvision: `datasets.MNIST`.
    Mnist,
    /// Zalando's clothing images, same layout. torchvision: `datasets.FashionMNIST`.
    FashionMnist,
}

impl MnistKind {
    /// The directory under the root, as torchvision names it.
    pub(crate) fn folder(self) -> &'static str {
        match self {
            MnistKind::Mnist => "MNIST",
            MnistKind::FashionMnist => "FashionMNIST",
        }
    }

    /// torchvision's download mirrors, tried in order; for Fashion-MNIST,
    /// then the dataset's own repository (the same files, by their MD5s).
    pub fn mirrors(self) -> &'static [&'static str] {
        match self {
            MnistKind::Mnist => &[
                "https://ossci-datasets.s3.amazonaws.com/mnist/",
                "http://yann.lecun.com/exdb/mnist/",
            ],
            MnistKind::FashionMnist => &[
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            ],
        }
    }

    /// (file, MD5) of the images and labels of one split, torchvision's.
    pub(crate) fn files(self, train: bool) -> [(&'static str, &'static str); 2] {
        match (self, train) {
            (MnistKind::Mnist, true) => [
                (
                    "train-images-idx3-ubyte.gz",
                    "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                ),
                (
                    "train-labels-idx1-ubyte.gz",
                    "d53e105ee54ea40749a09fcbcd1e9432",
                ),
            ],
            (MnistKind::Mnist, false) => [
                (
                    "t10k-images-idx3-ubyte.gz",
                    "9fb629c4189551a2d022fa330f9573f3",
                ),
                (
                    "t10k-labels-idx1-ubyte.gz",
                    "ec29112dd5afa0611ce80d1b7f02629c",
                ),
            ],
            (MnistKind::FashionMnist, true) => [
                (
                    "train-images-idx3-ubyte.gz",
                    "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                ),
                (
                    "train-labels-idx1-ubyte.gz",
                    "25c81989df183df01b3e8a0aad5dffbe",
                ),
            ],
            (MnistKind::FashionMnist, false) => [
                (
                    "t10k-images-idx3-ubyte.gz",
                    "bef4ecab320f06d8554ea6380940ec79",
                ),
                (
                    "t10k-labels-idx1-ubyte.gz",
                    "bb300cfdad3c16e7a12a480ee83cd310",
                ),
            ],
        }
    }
}

/// The root holding this repository's bundled copy of the MNIST test set
/// (`data/MNIST/raw`): pass it as `root` with `train = false`.
pub fn bundled_data_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// One split of MNIST or Fashion-MNIST in memory: images as float32
/// `[N, 1, 28, 28]` in `[0, 1]` (torchvision's `ToTensor()`), labels as
/// int64 `[N]`. A sample is `[image, label]`.
#[derive(Clone, Debug)]
pub struct MNIST {
    images: Tensor,
    labels: Tensor,
}

impl MNIST {
    /// Reads MNIST's training (`train`) or test split from
    /// `<root>/MNIST/raw`. PyTorch equivalent: `datasets.MNIST(root, train)`.
    ///
    /// # Errors
    /// [`DataError::DatasetNotFound`] (saying where to put the files),
    /// [`DataError::Checksum`] for a damaged file, [`DataError::Idx`] for a
    /// file that is not IDX.
    pub fn new(root: impl AsRef<Path>, train: bool) -> Result<MNIST, DataError> {
        MNIST::load(MnistKind::Mnist, root.as_ref(), train)
    }

    /// Fashion-MNIST's training (`train`) or test split from
    /// `<root>/FashionMNIST/raw`, downloaded first if `download` and missing.
    /// PyTorch equivalent: `datasets.FashionMNIST(root, train, download)`.
    ///
    /// # Errors
    /// As [`with_download`](MNIST::with_download).
    pub fn fashion(
        root: impl AsRef<Path>,
        train: bool,
        download: bool,
    ) -> Result<MNIST, DataError> {
        MNIST::with_download(MnistKind::FashionMnist, root.as_ref(), train, download)
    }

    /// Reads either dataset's split from `<root>/<MNIST|FashionMNIST>/raw`,
    /// after downloading the files that are missing or damaged when
    /// `download` is set (from torchvision's mirrors, with a progress bar
    /// on a terminal). PyTorch equivalent: `datasets.MNIST(root, train,
    /// download=True)` / `datasets.FashionMNIST(...)`.
    ///
    /// # Errors
    /// As [`new`](MNIST::new); [`DataError::Download`] when no mirror gives
    /// a file with the right checksum (offline, say), naming where to put it.
    pub fn with_download(
        kind: MnistKind,
        root: &Path,
        train: bool,
        download: bool,
    ) -> Result<MNIST, DataError> {
        match download {
            true => MNIST::with_mirrors(kind, root, train, kind.mirrors()),
            false => MNIST::load(kind, root, train),
        }
    }

    /// As [`with_download`](MNIST::with_download), from the given mirrors
    /// (URL prefixes to which the file names are appended, tried in order):
    /// a local copy of torchvision's, for example.
    ///
    /// # Errors
    /// As [`with_download`](MNIST::with_download).
    pub fn with_mirrors(
        kind: MnistKind,
        root: &Path,
        train: bool,
        mirrors: &[&str],
    ) -> Result<MNIST, DataError> {
        crate::download::fetch_missing(kind, root, train, mirrors)?;
        MNIST::load(kind, root, train)
    }

    /// Reads either dataset's split from `<root>/<MNIST|FashionMNIST>/raw`.
    ///
    /// # Errors
    /// As [`new`](MNIST::new).
    pub fn load(kind: MnistKind, root: &Path, train: bool) -> Result<MNIST, DataError> {
        let folder = root.join(kind.folder()).join("raw");
        let [(images_file, images_md5), (labels_file, labels_md5)] = kind.files(train);
        let images = read_checked(&folder.join(images_file), images_md5, kind)?;
        let labels = read_checked(&folder.join(labels_file), labels_md5, kind)?;
        let (image_dims, pixels) = parse_idx(images_file, &images, 3)?;
        let (label_dims, classes) = parse_idx(labels_file, &labels, 1)?;
        if image_dims[0] != label_dims[0] {
            return Err(DataError::Idx {
                file: images_file.into(),
                message: format!("{} images but {} labels", image_dims[0], label_dims[0]),
            });
        }
        let scaled: Vec<f32> = pixels.iter().map(|&p| f32::from(p) / 255.0).collect();
        let classes: Vec<i64> = classes.iter().map(|&c| i64::from(c)).collect();
        let shape = [image_dims[0], 1, image_dims[1], image_dims[2]];
        Ok(MNIST {
            images: Tensor::from_data(&scaled, &shape).map_err(DataError::tensor)?,
            labels: Tensor::from_data(&classes, &[label_dims[0]]).map_err(DataError::tensor)?,
        })
    }

    /// All images, `[N, 1, 28, 28]`. PyTorch: `dataset.data` (as floats).
    pub fn images(&self) -> &Tensor {
        &self.images
    }

    /// All labels, `[N]`. PyTorch: `dataset.targets`.
    pub fn labels(&self) -> &Tensor {
        &self.labels
    }
}

impl Dataset for MNIST {
    fn len(&self) -> usize {
        self.labels.shape()[0]
    }

    #[track_caller]
    fn get(&self, index: usize) -> Vec<Tensor> {
        vec![self.images.get(index), self.labels.get(index)]
    }

    #[track_caller]
    fn get_batch(&self, indices: &[usize]) -> Vec<Tensor> {
        vec![
            self.images.index_select(0, indices),
            self.labels.index_select(0, indices),
        ]
    }
}

/// The bytes of `path` (gunzipped when it ends in `.gz`), after checking
/// the compressed file's MD5 against `md5`.
pub(crate) fn read_checked(path: &Path, md5: &str, kind: MnistKind) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DataError::DatasetNotFound {
            path: path.display().to_string(),
            hint: format!(
                "put torchvision's {} files in {} (as `torchvision.datasets.{}(root, download=True)` leaves them)",
                kind.folder(),
                path.parent().map_or(String::new(), |p| p.display().to_string()),
                kind.folder()
            ),
        },
        _ => DataError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        },
    })?;
    let found = format!("{:x}", Md5::digest(&raw));
    if found != md5 {
        return Err(DataError::Checksum {
            path: path.display().to_string(),
            expected: md5.into(),
            found,
        });
    }
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(raw.as_slice())
        .read_to_end(&mut bytes)
        .map_err(|e| DataError::Idx {
            file: path.display().to_string(),
            message: format!("not a gzip file: {e}"),
        })?;
    Ok(bytes)
}

/// The dims and the unsigned-byte payload of an IDX file of `rank` dims.
fn parse_idx<'a>(
    file: &str,
    bytes: &'a [u8],
    rank: usize,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let error = |message: String| DataError::Idx {
        file: file.into(),
        message,
    };
    let header = 4 + 4 * rank;
    if bytes.len() < header {
        return Err(error(format!(
            "{} bytes is shorter than its header",
            bytes.len()
        )));
    }
    // Magic: two zero bytes, the type (0x08: unsigned byte), the rank.
    if bytes[..2] != [0, 0] || bytes[2] != 0x08 || usize::from(bytes[3]) != rank {
        return Err(error(format!(
            "magic number {:02x?} is not that of a {rank}-d unsigned-byte IDX file",
            &bytes[..4]
        )));
    }
    let dims: Vec<usize> = (0..rank)
        .map(|d| {
            let at = 4 + 4 * d;
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
        })
        .collect();
    let expected = dims.iter().product::<usize>();
    let payload = &bytes[header..];
    if payload.len() != expected {
        return Err(error(format!(
            "dims {dims:?} need {expected} bytes but the file holds {}",
            payload.len()
        )));
    }
    Ok((dims, payload))
}
