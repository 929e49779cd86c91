//! `state_dict` and `load_state_dict`: PyTorch's names, order, strict rules
//! and messages (the expected strings were printed by PyTorch 2.15 for the
//! same modules), in-place and all-or-nothing loading.

use autograd::Tensor;
use nn::{BatchNorm1d, BatchNorm2d, IncompatibleKeys, Linear, Module, ReLU, Sequential, StateDict};
use optim::{Optimizer, SGD};
use tensor::DType;

/// `nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2), nn.ReLU(), nn.Linear(2, 4))`.
fn net() -> Sequential {
    Sequential::new()
        .append(Linear::new(3, 2))
        .append(BatchNorm1d::new(2))
        .append(ReLU)
        .append(Linear::new(2, 4))
}

fn keys(sd: &StateDict) -> Vec<&str> {
    sd.keys().map(String::as_str).collect()
}

fn values(sd: &StateDict) -> Vec<Vec<f64>> {
    sd.values().map(|t| t.value().to_vec_as::<f64>()).collect()
}

#[test]
fn state_dict_has_pytorchs_names_order_and_dtypes() {
    let m = net();
    let sd = m.state_dict();
    assert_eq!(
        keys(&sd),
        [
            "0.weight",
            "0.bias",
            "1.weight",
            "1.bias",
            "1.running_mean",
            "1.running_var",
            "1.num_batches_tracked",
            "3.weight",
            "3.bias"
        ]
    );
    assert_eq!(sd["1.num_batches_tracked"].dtype(), DType::Int64);
    assert!(sd
        .values()
        .all(|t| !t.requires_grad() && t.grad_fn().is_none()));
    // Detached, but the same storage: a write shows in the module, as in PyTorch.
    sd["0.bias"].value().fill_(7.0);
    assert_eq!(m.named_parameters()[1].1.to_vec(), vec![7.0, 7.0]);

    let bn = BatchNorm2d::with_options(3, 1e-5, Some(0.1), false, true);
    assert_eq!(
        keys(&bn.state_dict()),
        ["running_mean", "running_var", "num_batches_tracked"]
    );
    let relu = ReLU;
    assert!(relu.state_dict().is_empty());
}

#[test]
fn loading_copies_in_place_so_optimizers_keep_their_parameters() {
    let trained = net();
    trained.state_dict()["1.running_mean"].value().fill_(0.5);
    trained.state_dict()["1.num_batches_tracked"]
        .value()
        .fill_(3i64);
    let mut fresh = net();
    let handles: Vec<u64> = fresh.parameters().iter().map(Tensor::id).collect();
    let mut opt = SGD::new(fresh.parameters(), 0.1).unwrap();
    let keys_left = fresh.load_state_dict(&trained.state_dict(), true).unwrap();
    assert_eq!(keys_left, IncompatibleKeys::default());
    assert_eq!(values(&fresh.state_dict()), values(&trained.state_dict()));
    assert_eq!(
        fresh
            .parameters()
            .iter()
            .map(Tensor::id)
            .collect::<Vec<_>>(),
        handles
    );
    let x = Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.4, 0.5, -0.6], &[2, 3]).unwrap();
    fresh.eval();
    let mut trained = trained;
    trained.eval();
    assert_eq!(fresh.forward(&x).to_vec(), trained.forward(&x).to_vec());
    // The optimizer built before the load trains the loaded values.
    fresh.train();
    fresh.forward(&x).sum().backward();
    let before = fresh.state_dict()["3.bias"].to_vec();
    opt.step();
    assert_ne!(fresh.state_dict()["3.bias"].to_vec(), before);
}

#[test]
fn strict_loading_lists_every_problem_in_pytorchs_words_and_changes_nothing() {
    let mut m = net();
    let before = values(&m.state_dict());
    let mut sd = net().state_dict();
    sd.shift_remove("1.running_var");
    sd.insert("2.weight".into(), Tensor::zeros(&[1]));
    sd.insert("0.weight".into(), Tensor::zeros(&[3, 3]));
    sd.insert("3.bias".into(), Tensor::zeros(&[5]));
    let err = m.load_state_dict(&sd, true).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: \"1.running_var\". \n\tUnexpected key(s) in state_dict: \"2.weight\". \n\tsize mismatch for 0.weight: copying a param with shape torch.Size([3, 3]) from checkpoint, the shape in current model is torch.Size([2, 3]).\n\tsize mismatch for 3.bias: copying a param with shape torch.Size([5]) from checkpoint, the shape in current model is torch.Size([4])."
    );
    assert_eq!(err.missing_keys, ["1.running_var"]);
    assert_eq!(err.unexpected_keys, ["2.weight"]);
    // Shape mismatches fail without strict too; nothing was loaded either time.
    let err = m.load_state_dict(&sd, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Error(s) in loading state_dict for Sequential:\n\tsize mismatch for 0.weight: copying a param with shape torch.Size([3, 3]) from checkpoint, the shape in current model is torch.Size([2, 3]).\n\tsize mismatch for 3.bias: copying a param with shape torch.Size([5]) from checkpoint, the shape in current model is torch.Size([4])."
    );
    assert_eq!(values(&m.state_dict()), before);
}

#[test]
fn non_strict_loading_skips_and_reports_keys() {
    let mut m = net();
    let source = net();
    let mut sd = source.state_dict();
    sd.shift_remove("1.running_var");
    sd.insert("x".into(), Tensor::zeros(&[1]));
    let skipped = m.load_state_dict(&sd, false).unwrap();
    assert_eq!(
        skipped,
        IncompatibleKeys {
            missing_keys: vec!["1.running_var".into()],
            unexpected_keys: vec!["x".into()],
        }
    );
    assert_eq!(
        m.state_dict()["0.weight"].to_vec(),
        source.state_dict()["0.weight"].to_vec()
    );
    assert_eq!(m.state_dict()["1.running_var"].to_vec(), vec![1.0, 1.0]);
}

#[test]
fn float64_loads_into_float32_and_integer_float_mixups_are_refused() {
    let mut m = Linear::new(2, 1);
    let mut sd = StateDict::new();
    sd.insert(
        "weight".into(),
        Tensor::from_elems(&[0.25f64, -0.5]).reshape(&[1, 2]),
    );
    sd.insert("bias".into(), Tensor::from_elems(&[1.0f64]));
    m.load_state_dict(&sd, true).unwrap();
    assert_eq!(m.weight().dtype(), DType::Float32);
    assert_eq!(m.weight().to_vec(), vec![0.25, -0.5]);

    let mut bn = BatchNorm1d::new(2);
    let mut sd = bn.state_dict();
    sd.insert("num_batches_tracked".into(), Tensor::scalar(2.0));
    let err = bn.load_state_dict(&sd, true).unwrap_err().to_string();
    assert_eq!(
        err,
        "Error(s) in loading state_dict for BatchNorm1d:\n\tdtype mismatch for num_batches_tracked: copying a param of dtype torch.float32 from checkpoint, the dtype in current model is torch.int64."
    );
}

#[test]
fn a_state_dict_survives_a_safetensors_file() {
    let m = net();
    m.state_dict()["1.num_batches_tracked"].value().fill_(11i64);
    let path = std::env::temp_dir().join(format!("nn-state-{}.safetensors", std::process::id()));
    serialization::save_file(&m.state_dict(), &path).unwrap();
    let mut fresh = net();
    fresh
        .load_state_dict(&serialization::load_file(&path).unwrap(), true)
        .unwrap();
    assert_eq!(values(&fresh.state_dict()), values(&m.state_dict()));
    std::fs::remove_file(path).unwrap();
}
