//! Files written by PyTorch (`tools/reference/interop.py`) read here, files
//! written here read back, and every bad file refused with a message.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serialization::{
    load, load_entry, load_file, load_file_with_metadata, save_file, save_file_with_metadata,
    SerializationError, StateDict,
};
use tensor::DType;

/// `load` or `load_file`.
type Reader = fn(&Path) -> Result<StateDict, SerializationError>;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("serialization-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// One line of zoo.txt: name, dtype, shape and the values as text.
struct Expected {
    name: String,
    dtype: DType,
    shape: Vec<usize>,
    values: Vec<String>,
}

fn zoo() -> Vec<Expected> {
    std::fs::read_to_string(data("zoo.txt"))
        .unwrap()
        .lines()
        .map(|line| {
            let (head, values) = line
                .split_once(" | ")
                .unwrap_or((line.trim_end_matches(" |"), ""));
            let mut head = head.split(' ');
            let name = head.next().unwrap().to_string();
            let dtype = match head.next().unwrap() {
                "float32" => DType::Float32,
                "float64" => DType::Float64,
                "int64" => DType::Int64,
                "bool" => DType::Bool,
                other => panic!("dtype {other}"),
            };
            let shape = match head.next().unwrap() {
                "-" => vec![],
                s => s.split(',').map(|d| d.parse().unwrap()).collect(),
            };
            let values = values.split_whitespace().map(str::to_string).collect();
            Expected {
                name,
                dtype,
                shape,
                values,
            }
        })
        .collect()
}

/// Checks every zoo tensor bit for bit (NaN as NaN, -0 with its sign).
fn check_zoo(loaded: &StateDict, what: &str) {
    let expected = zoo();
    assert_eq!(loaded.len(), expected.len(), "{what}: tensors");
    for e in &expected {
        let t = loaded
            .get(&e.name)
            .unwrap_or_else(|| panic!("{what}: no '{}'", e.name));
        let v = t.value();
        assert_eq!(v.dtype(), e.dtype, "{what}: {} dtype", e.name);
        assert_eq!(v.shape(), e.shape.as_slice(), "{what}: {} shape", e.name);
        assert!(!t.requires_grad(), "{what}: {}", e.name);
        let got: Vec<String> = match e.dtype {
            DType::Float32 => v
                .to_vec_as::<f32>()
                .iter()
                .zip(&e.values)
                .map(|(g, want)| {
                    let want: f32 = want.parse().unwrap();
                    let same = g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan());
                    assert!(same, "{what}: {} has {g}, expected {want}", e.name);
                    String::new()
                })
                .collect(),
            DType::Float64 => v
                .to_vec_as::<f64>()
                .iter()
                .zip(&e.values)
                .map(|(g, want)| {
                    assert_eq!(
                        g.to_bits(),
                        want.parse::<f64>().unwrap().to_bits(),
                        "{what}: {}",
                        e.name
                    );
                    String::new()
                })
                .collect(),
            DType::Int64 => v.to_vec_as::<i64>().iter().map(i64::to_string).collect(),
            DType::Bool => v
                .to_vec_as::<bool>()
                .iter()
                .map(|&b| if b { "True" } else { "False" }.to_string())
                .collect(),
        };
        assert_eq!(got.len(), e.values.len(), "{what}: {} count", e.name);
        if matches!(e.dtype, DType::Int64 | DType::Bool) {
            assert_eq!(got, e.values, "{what}: {}", e.name);
        }
    }
}

#[test]
fn pytorch_checkpoints_and_safetensors_files_give_pytorchs_tensors() {
    for file in ["zoo.pt", "zoo_protocol4.pt"] {
        let loaded = load(data(file)).unwrap();
        check_zoo(&loaded, file);
        // torch.load keeps the dict's order.
        let names: Vec<String> = zoo().into_iter().map(|e| e.name).collect();
        assert_eq!(loaded.keys().cloned().collect::<Vec<_>>(), names, "{file}");
    }
    let loaded = load_file(data("zoo.safetensors")).unwrap();
    check_zoo(&loaded, "zoo.safetensors");
    // Python's load_file lists names sorted.
    let keys: Vec<&String> = loaded.keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn views_sharing_a_storage_load_as_views_as_in_pytorch() {
    let loaded = load(data("zoo.pt")).unwrap();
    let (base, transposed) = (loaded["base"].value(), loaded["transposed"].value());
    assert!(base.shares_storage(&transposed));
    assert_eq!(
        (transposed.stride(), transposed.is_contiguous()),
        (&[1, 6][..], false)
    );
    base.fill_(0.0);
    assert_eq!(transposed.to_vec()[1], 0.0);
    // An expanded view stays a stride-0 view: nothing is allocated for it.
    assert_eq!(loaded["expanded"].value().stride(), &[0, 1]);
}

#[test]
fn a_dict_saved_under_two_keys_is_read_under_both() {
    // torch.save({"model": sd, "ema": sd, "step": 7}): the second is a memo reference.
    let model = load_entry(data("shared.pt"), "model").unwrap();
    let ema = load_entry(data("shared.pt"), "ema").unwrap();
    assert_eq!(model.keys().collect::<Vec<_>>(), ["weight", "bias"]);
    assert_eq!(ema["weight"].to_vec(), model["weight"].to_vec());
    // PyTorch printed weight[0, 0] as -0.5724.
    assert!((model["weight"].to_vec()[0] + 0.5724).abs() < 1e-4);
}

/// `pickle` (a whole data.pkl) loaded from a copy of zoo.pt.
fn load_pickle(pickle: &[u8], name: &str) -> Result<StateDict, SerializationError> {
    let path = scratch(name);
    std::fs::write(&path, with_pickle(pickle)).unwrap();
    load(&path)
}

#[test]
fn hostile_pickles_are_refused_without_crashing() {
    // A million nested tuples: freed without recursion.
    let mut deep = vec![0x80, 2, b'N'];
    deep.extend(std::iter::repeat_n(0x85, 1_000_000));
    deep.push(b'.');
    let err = load_pickle(&deep, "deep.pt").unwrap_err().to_string();
    assert!(err.contains("is a tuple, not a dict"), "{err}");
    // A list memoized and appended to 100,000 times: shared, never copied
    // (a copy per memo entry would need about 40 GB).
    let mut memo = vec![0x80, 2, b']'];
    for _ in 0..100_000 {
        memo.extend([0x94, b'N', b'a']);
    }
    memo.push(b'.');
    let err = load_pickle(&memo, "memo.pt").unwrap_err().to_string();
    assert!(err.contains("is a list, not a dict"), "{err}");
}

#[test]
fn saved_files_load_back_bit_for_bit_and_match_pythons_bytes() {
    // Every dtype, 0-d, empty and non-contiguous tensors, NaN and -0.
    let mut zoo = load(data("zoo.pt")).unwrap();
    zoo.insert(
        "view".into(),
        autograd::Tensor::new(zoo["base"].value().t().narrow(0, 1, 3)),
    );
    let path = scratch("roundtrip.safetensors");
    save_file(&zoo, &path).unwrap();
    let back = load_file(&path).unwrap();
    assert_eq!(back.len(), zoo.len());
    for (name, t) in &zoo {
        let (a, b) = (t.value(), back[name].value());
        assert_eq!((a.dtype(), a.shape()), (b.dtype(), b.shape()), "{name}");
        assert_eq!(a.to_le_bytes(), b.to_le_bytes(), "{name}");
    }
    // The writer is the format's reference implementation: the bytes are
    // the ones Python's safetensors.torch.save_file wrote.
    let python = std::fs::read(data("zoo.safetensors")).unwrap();
    let resaved = scratch("resaved.safetensors");
    save_file(&load_file(data("zoo.safetensors")).unwrap(), &resaved).unwrap();
    assert_eq!(std::fs::read(&resaved).unwrap(), python);
}

#[test]
fn metadata_round_trips() {
    let mut sd = StateDict::new();
    sd.insert("w".into(), autograd::Tensor::from_slice(&[1.0]));
    let metadata = [("format".to_string(), "pt".to_string())]
        .into_iter()
        .collect();
    let path = scratch("metadata.safetensors");
    save_file_with_metadata(&sd, &metadata, &path).unwrap();
    let (back, meta) = load_file_with_metadata(&path).unwrap();
    assert_eq!(back["w"].to_vec(), vec![1.0]);
    assert_eq!(meta, metadata);
    assert!(load_file_with_metadata(data("zoo.safetensors"))
        .unwrap()
        .1
        .is_empty());
}

#[test]
fn parameters_and_nested_checkpoints() {
    let params = load(data("parameters.pt")).unwrap();
    assert_eq!(params["weight"].to_vec(), vec![1.0; 6]);
    assert_eq!(params["bias"].value().shape(), &[2]);

    let err = load(data("nested.pt")).unwrap_err().to_string();
    assert!(
        err.contains("entry 'model' is a dict, not a tensor")
            && err.contains("load_entry(path, \"model\")"),
        "{err}"
    );
    let model = load_entry(data("nested.pt"), "model").unwrap();
    assert_eq!(model.keys().collect::<Vec<_>>(), ["weight", "bias"]);
    assert_eq!(model["weight"].value().shape(), &[2, 3]);
    let err = load_entry(data("nested.pt"), "optimizer")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no entry 'optimizer' (its keys: 'model', 'epoch', 'lr')"),
        "{err}"
    );
    let err = load_entry(data("nested.pt"), "epoch")
        .unwrap_err()
        .to_string();
    assert!(err.contains("['epoch'] is the int 3, not a dict"), "{err}");
}

#[test]
fn files_that_are_not_state_dicts_are_refused_with_what_they_hold() {
    let cases: [(&str, Reader, &str); 7] = [
        ("module.pt", |p| load(p), "torch.nn.modules.linear.Linear"),
        (
            "tensor.pt",
            |p| load(p),
            "the checkpoint is a tensor, not a dict",
        ),
        ("legacy.pt", |p| load(p), "before PyTorch 1.6"),
        (
            "half.pt",
            |p| load(p),
            "tensor 'weight' has dtype torch.float16",
        ),
        (
            "half.safetensors",
            |p| load_file(p),
            "tensor 'weight' has dtype F16",
        ),
        ("zoo.pt", |p| load_file(p), "not a valid safetensors file"),
        (
            "zoo.safetensors",
            |p| load(p),
            "not a torch.save zip archive",
        ),
    ];
    for (file, read, expected) in cases {
        let err = read(&data(file)).unwrap_err().to_string();
        assert!(
            err.contains(expected) && err.contains(file),
            "{file}: {err}"
        );
    }
    let err = load_file(data("missing.safetensors")).unwrap_err();
    assert!(matches!(err, SerializationError::Io { .. }), "{err}");
    let err = load(data("missing.pt")).unwrap_err();
    assert!(matches!(err, SerializationError::Io { .. }), "{err}");
}

/// `bytes` written to a scratch file, read with `read`: an error or a
/// value, never a panic.
fn read_bytes(bytes: &[u8], name: &str, read: Reader) -> bool {
    let path = scratch(name);
    std::fs::write(&path, bytes).unwrap();
    read(&path).is_ok()
}

#[test]
fn truncated_and_corrupted_files_give_errors_not_panics() {
    for (file, read) in [
        (
            "zoo.safetensors",
            (|p: &Path| load_file(p)) as fn(&Path) -> _,
        ),
        ("zoo.pt", |p: &Path| load(p)),
    ] {
        let bytes = std::fs::read(data(file)).unwrap();
        for len in 0..bytes.len() {
            assert!(
                !read_bytes(&bytes[..len], file, read),
                "{file} truncated to {len} bytes loads"
            );
        }
        for i in 0..bytes.len() {
            let mut corrupt = bytes.clone();
            corrupt[i] ^= 0x5a;
            read_bytes(&corrupt, file, read);
        }
    }
}

/// zoo.pt with its pickle replaced by `pickle` (a valid archive, so the
/// pickle reader itself sees the bad bytes).
fn with_pickle(pickle: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(data("zoo.pt")).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.start_file(name.as_str(), options).unwrap();
        match name.ends_with("data.pkl") {
            true => out.write_all(pickle).unwrap(),
            false => out.write_all(&bytes).unwrap(),
        }
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn corrupted_pickles_give_errors_not_panics() {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(data("zoo.pt")).unwrap()).unwrap();
    let mut pickle = Vec::new();
    archive
        .by_name("zoo/data.pkl")
        .unwrap()
        .read_to_end(&mut pickle)
        .unwrap();
    assert!(read_bytes(&with_pickle(&pickle), "repacked.pt", |p| load(
        p
    )));
    for len in 0..pickle.len() {
        let bytes = with_pickle(&pickle[..len]);
        assert!(
            !read_bytes(&bytes, "short.pt", |p| load(p)),
            "pickle cut at {len} loads"
        );
    }
    for i in 0..pickle.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut corrupt = pickle.clone();
            corrupt[i] ^= flip;
            read_bytes(&with_pickle(&corrupt), "flipped.pt", |p| load(p));
        }
    }
    // A persistent id naming a storage the archive lacks, and huge lengths.
    let err = {
        let mut bad = pickle.clone();
        // BINUNICODE '0', the first storage's key, becomes 'z' (no such entry).
        let at = bad.windows(6).position(|w| w == b"X\x01\0\0\x000").unwrap() + 5;
        bad[at] = b'z';
        let path = scratch("missing-storage.pt");
        std::fs::write(&path, with_pickle(&bad)).unwrap();
        load(&path).unwrap_err().to_string()
    };
    assert!(err.contains("data/z"), "{err}");
}
