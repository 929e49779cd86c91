//! MNIST's IDX reader: the bundled test set, and the errors for missing,
//! damaged and malformed files.

use std::path::PathBuf;

use data::{random_split, Dataset, MnistKind, Subset, MNIST};

/// A fresh directory under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mnist-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("MNIST/raw")).unwrap();
    dir
}

#[test]
fn the_bundled_test_set_loads_as_torchvision_does() {
    let mnist = MNIST::new(data::bundled_data_root(), false).unwrap();
    assert_eq!(mnist.len(), 10_000);
    assert_eq!(mnist.images().shape(), vec![10_000, 1, 28, 28]);
    assert_eq!(mnist.labels().dtype(), tensor::DType::Int64);
    // torchvision: the first test labels are 7, 2, 1, 0, 4.
    assert_eq!(mnist.labels().to_vec_as::<i64>()[..5], [7, 2, 1, 0, 4]);
    let batch = mnist.get_batch(&[0, 1]);
    assert_eq!(batch[0].shape(), vec![2, 1, 28, 28]);
    // Class counts of the MNIST test set.
    let labels = mnist.labels().to_vec_as::<i64>();
    let counts: Vec<usize> = (0..10).map(|c| labels.iter().filter(|&&l| l == c).count()).collect();
    assert_eq!(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
}

#[test]
fn missing_and_damaged_files_are_explained() {
    let dir = scratch("missing");
    let e = MNIST::new(&dir, true).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte.gz does not exist"), "{e}");
    assert!(e.contains("put torchvision's MNIST files in"), "{e}");
    let e = MNIST::load(MnistKind::FashionMnist, &dir, false).unwrap_err().to_string();
    assert!(e.contains("FashionMNIST/raw/t10k-images-idx3-ubyte.gz does not exist"), "{e}");
    // A file with the wrong bytes fails its checksum.
    std::fs::write(dir.join("MNIST/raw/t10k-images-idx3-ubyte.gz"), b"not mnist").unwrap();
    let e = MNIST::new(&dir, false).unwrap_err().to_string();
    assert!(e.contains("is damaged or not the published file: MD5"), "{e}");
    assert!(e.contains("expected 9fb629c4189551a2d022fa330f9573f3"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn subsets_and_random_splits_view_the_dataset() {
    let mnist = MNIST::new(data::bundled_data_root(), false).unwrap();
    let head = Subset::new(&mnist, vec![3, 0]).unwrap();
    assert_eq!(head.len(), 2);
    assert_eq!(head.get(0)[1].item_as::<i64>(), 0);
    assert_eq!(head.get_batch(&[0, 1])[1].to_vec_as::<i64>(), vec![0, 7]);
    assert!(Subset::new(&mnist, vec![10_000]).is_err());
    tensor::manual_seed(3);
    let parts = random_split(&mnist, &[9_000, 1_000]).unwrap();
    assert_eq!((parts[0].len(), parts[1].len()), (9_000, 1_000));
    let mut all: Vec<usize> = parts.iter().flat_map(|p| p.indices().to_vec()).collect();
    all.sort_unstable();
    assert_eq!(all, (0..10_000).collect::<Vec<_>>());
    let e = random_split(&mnist, &[1, 2]).unwrap_err().to_string();
    assert!(e.contains("sum of input lengths (3) does not equal the length of the input dataset (10000)"), "{e}");
}
