//! MNIST's IDX reader (the bundled test set, and the errors for missing,
//! damaged and malformed files), downloads, subsets, concatenation, and the
//! DataLoader's collate_fn and workers.

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
    let counts: Vec<usize> = (0..10)
        .map(|c| labels.iter().filter(|&&l| l == c).count())
        .collect();
    assert_eq!(
        counts,
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
}

#[test]
fn missing_and_damaged_files_are_explained() {
    let dir = scratch("missing");
    let e = MNIST::new(&dir, true).unwrap_err().to_string();
    assert!(
        e.contains("train-images-idx3-ubyte.gz does not exist"),
        "{e}"
    );
    assert!(e.contains("put torchvision's MNIST files in"), "{e}");
    let e = MNIST::load(MnistKind::FashionMnist, &dir, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("FashionMNIST/raw/t10k-images-idx3-ubyte.gz does not exist"),
        "{e}"
    );
    // A file with the wrong bytes fails its checksum.
    std::fs::write(
        dir.join("MNIST/raw/t10k-images-idx3-ubyte.gz"),
        b"not mnist",
    )
    .unwrap();
    let e = MNIST::new(&dir, false).unwrap_err().to_string();
    assert!(
        e.contains("is damaged or not the published file: MD5"),
        "{e}"
    );
    assert!(
        e.contains("expected 9fb629c4189551a2d022fa330f9573f3"),
        "{e}"
    );
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
    assert!(
        e.contains(
            "sum of input lengths (3) does not equal the length of the input dataset (10000)"
        ),
        "{e}"
    );
}

mod download {
    use std::collections::HashMap;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use data::{Dataset, MnistKind, MNIST};

    /// An HTTP server on the loopback interface serving `files` by path
    /// (404 for anything else); returns its URL prefix and a request count.
    fn serve(files: HashMap<String, Vec<u8>>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    request.push(byte[0]);
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let line = String::from_utf8_lossy(&request)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                let path = line.split(' ').nth(1).unwrap_or("");
                let _ = match files.get(path) {
                    Some(body) => stream
                        .write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).as_bytes())
                        .and_then(|()| stream.write_all(body)),
                    None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
                };
            }
        });
        (format!("http://{address}"), requests)
    }

    fn bundled(file: &str) -> Vec<u8> {
        std::fs::read(data::bundled_data_root().join("MNIST/raw").join(file)).unwrap()
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mnist-download-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn files_come_from_the_first_mirror_that_has_them() {
        let files: HashMap<String, Vec<u8>> =
            ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
                .iter()
                .map(|f| (format!("/mnist/{f}"), bundled(f)))
                .collect();
        let (empty, _) = serve(HashMap::new());
        let (full, requests) = serve(files);
        let root = scratch("ok");
        let mirrors = [format!("{empty}/nothing/"), format!("{full}/mnist/")];
        let mirrors: Vec<&str> = mirrors.iter().map(String::as_str).collect();
        let mnist = MNIST::with_mirrors(MnistKind::Mnist, &root, false, &mirrors).unwrap();
        assert_eq!(mnist.len(), 10_000);
        assert!(root.join("MNIST/raw/t10k-labels-idx1-ubyte.gz").exists());
        assert_eq!(requests.load(Ordering::SeqCst), 2);
        // Files already in place with the right checksum are not fetched again.
        MNIST::with_mirrors(MnistKind::Mnist, &root, false, &mirrors).unwrap();
        assert_eq!(requests.load(Ordering::SeqCst), 2);
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn a_wrong_file_or_no_network_is_a_clear_error() {
        let files: HashMap<String, Vec<u8>> = [(
            "/t10k-images-idx3-ubyte.gz".to_string(),
            b"corrupted".to_vec(),
        )]
        .into();
        let (bad, _) = serve(files);
        let root = scratch("bad");
        let mirror = format!("{bad}/");
        let e = MNIST::with_mirrors(MnistKind::Mnist, &root, false, &[&mirror])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot download t10k-images-idx3-ubyte.gz"),
            "{e}"
        );
        assert!(
            e.contains("expected 9fb629c4189551a2d022fa330f9573f3"),
            "{e}"
        );
        assert!(e.contains("without a network, put the file in"), "{e}");
        assert!(
            !root.join("MNIST/raw/t10k-images-idx3-ubyte.gz").exists(),
            "nothing half-written"
        );
        // A port nobody listens on: the connection error is named.
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/", l.local_addr().unwrap())
        };
        let e = MNIST::with_mirrors(MnistKind::FashionMnist, &root, true, &[&closed])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cannot download train-images-idx3-ubyte.gz"),
            "{e}"
        );
        assert!(e.contains("FashionMNIST/raw"), "{e}");
        let _ = std::fs::remove_dir_all(root);
    }
}

mod loading {
    use autograd::Tensor;
    use data::{ConcatDataset, DataLoader, Dataset, TensorDataset};

    fn numbered(start: i64, n: usize) -> TensorDataset {
        let values: Vec<i64> = (start..start + n as i64).collect();
        TensorDataset::new(&[Tensor::from_data(&values, &[n]).unwrap()]).unwrap()
    }

    #[test]
    fn concatenated_datasets_follow_one_another() {
        let all = ConcatDataset::new(vec![numbered(0, 3), numbered(10, 0), numbered(20, 2)]);
        assert_eq!(all.len(), 5);
        let seen: Vec<i64> = (0..5).map(|i| all.get(i)[0].item_as::<i64>()).collect();
        assert_eq!(seen, [0, 1, 2, 20, 21]);
        let batch = all.get_batch(&[4, 0]);
        assert_eq!(batch[0].to_vec_as::<i64>(), vec![21, 0]);
        let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| all.get(5))).unwrap_err();
        let message = e.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("index 5 is out of range for 5 samples"),
            "{message}"
        );
    }

    #[test]
    fn a_collate_function_builds_the_batches() {
        // A collate_fn that sums each batch's samples instead of stacking them.
        let loader = DataLoader::builder(numbered(1, 5))
            .batch_size(2)
            .collate_fn(|samples| {
                let total: i64 = samples.iter().map(|s| s[0].item_as::<i64>()).sum();
                vec![Tensor::from_data(&[total], &[1]).unwrap()]
            })
            .build()
            .unwrap();
        let sums: Vec<i64> = loader.iter().map(|b| b[0].item_as::<i64>()).collect();
        assert_eq!(sums, [3, 7, 5]);
    }

    #[test]
    fn workers_give_the_same_batches_in_the_same_order() {
        let batches = |workers: usize| -> Vec<Vec<i64>> {
            let loader = DataLoader::builder(numbered(0, 23))
                .batch_size(4)
                .shuffle(true)
                .seed(7)
                .num_workers(workers)
                .build()
                .unwrap();
            // Two epochs: each is reshuffled, identically for any worker count.
            (0..2)
                .flat_map(|_| {
                    loader
                        .iter()
                        .map(|b| b[0].to_vec_as::<i64>())
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let serial = batches(0);
        assert_eq!(serial.len(), 12);
        assert_eq!(batches(1), serial);
        assert_eq!(batches(3), serial);
        // Leaving an epoch early leaves no worker hanging.
        let loader = DataLoader::builder(numbered(0, 100))
            .batch_size(1)
            .num_workers(2)
            .build()
            .unwrap();
        assert_eq!(loader.iter().take(3).count(), 3);
    }

    #[test]
    fn a_worker_s_panic_reaches_the_loop() {
        struct Faulty;
        impl Dataset for Faulty {
            fn len(&self) -> usize {
                4
            }
            fn get(&self, index: usize) -> Vec<Tensor> {
                assert!(index != 2, "sample 2 is unreadable");
                vec![Tensor::scalar(index as f32)]
            }
        }
        let loader = DataLoader::builder(Faulty)
            .batch_size(1)
            .num_workers(2)
            .build()
            .unwrap();
        let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| loader.iter().count()))
            .unwrap_err();
        let message = e.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("DataLoader worker 0 panicked: sample 2 is unreadable"),
            "{message}"
        );
    }

    #[test]
    fn batches_destructure_as_tuples() {
        let x = Tensor::from_data(&[1.0f32, 2.0, 3.0], &[3]).unwrap();
        let y = Tensor::from_data(&[10i64, 20, 30], &[3]).unwrap();
        let loader = DataLoader::builder(TensorDataset::new(&[x, y]).unwrap())
            .batch_size(2)
            .as_tuples::<(Tensor, Tensor)>()
            .build()
            .unwrap();
        let mut seen = Vec::new();
        for (x, y) in &loader {
            seen.push((x.to_vec(), y.to_vec_as::<i64>()));
        }
        assert_eq!(
            seen,
            [(vec![1.0, 2.0], vec![10, 20]), (vec![3.0], vec![30])]
        );
        // With workers too; and a tuple of the wrong length names both.
        let single = DataLoader::builder(numbered(0, 2))
            .num_workers(1)
            .as_tuples::<(Tensor,)>()
            .build()
            .unwrap();
        assert_eq!(
            single
                .iter()
                .map(|(x,)| x.item_as::<i64>())
                .collect::<Vec<_>>(),
            [0, 1]
        );
        let wrong = DataLoader::builder(numbered(0, 2))
            .as_tuples::<(Tensor, Tensor)>()
            .build()
            .unwrap();
        let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wrong.iter().count()))
            .unwrap_err();
        let message = e.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("a batch holds 1 tensors, not the 2 of its tuple"),
            "{message}"
        );
    }
}
