//! PyTorch's aliasing: views share storage, and a write through any of them
//! shows through all of them; `clone` is independent; version counters are
//! shared by a storage's views. (Expected values as PyTorch 2.15 prints them.)

use std::sync::Arc;

use tensor::{DType, Tensor};

fn arange(n: usize, shape: &[isize]) -> Tensor {
    Tensor::arange(0.0, n as f32, 1.0).reshape(shape)
}

#[test]
fn writes_through_a_transpose_change_the_base() {
    // x = torch.arange(6.).reshape(2, 3); x.t().add_(1); x
    let x = arange(6, &[2, 3]);
    let t = x.t();
    assert!(t.shares_storage(&x) && !t.is_contiguous());
    assert_eq!((t.shape(), t.stride()), (&[3, 2][..], &[1, 3][..]));
    t.add_scalar_(1.0);
    assert_eq!(x.to_vec(), vec![1., 2., 3., 4., 5., 6.]);
    // And the other way round.
    x.get(1).fill_(0.0);
    assert_eq!(t.to_vec(), vec![1., 0., 2., 0., 3., 0.]);
}

#[test]
fn every_view_op_shares_storage_and_writes_through() {
    let x = arange(24, &[2, 3, 4]);
    let views: Vec<(&str, Tensor)> = vec![
        ("transpose", x.transpose(0, 2)),
        ("permute", x.permute(&[2, 0, 1])),
        ("narrow", x.narrow(2, 1, 2)),
        ("select", x.select(1, 2)),
        ("slice", x.slice(2, Some(1), None, 2)),
        ("unsqueeze", x.unsqueeze(1)),
        ("squeeze", x.unsqueeze(0).squeeze()),
        ("view", x.view(&[6, 4])),
        ("reshape", x.reshape(&[4, -1])),
        ("flatten", x.flatten()),
        ("unfold", x.unfold(2, 2, 2)),
        ("chunk", x.chunk(2, 2).remove(1)),
        ("split", x.split(1, 0).remove(1)),
        ("alias", x.alias()),
    ];
    for (name, v) in views {
        assert!(v.shares_storage(&x), "{name} copied");
        let before = x.sum().item();
        v.fill_(-1.0);
        let changed = x.to_vec().iter().filter(|&&e| e == -1.0).count();
        assert_eq!(
            changed,
            v.numel(),
            "{name}: {changed} elements of the base changed"
        );
        assert_ne!(x.sum().item(), before, "{name}");
        x.copy_(&arange(24, &[2, 3, 4]));
    }
}

#[test]
fn view_and_reshape_follow_pytorch_on_non_contiguous_input() {
    let t = arange(6, &[2, 3]).t();
    // A view cannot merge the dims of a transpose: PyTorch's error.
    let e = t.try_view(&[6]).unwrap_err().to_string();
    assert!(
        e.contains("view size is not compatible with input tensor's size and stride"),
        "{e}"
    );
    assert!(e.contains("Use .reshape(...) instead."), "{e}");
    // reshape copies then, and only then.
    let r = t.reshape(&[6]);
    assert!(!r.shares_storage(&t));
    assert_eq!(r.to_vec(), vec![0., 3., 1., 4., 2., 5.]);
    // Splitting a dim of a transpose is still a view.
    let split = t.view(&[3, 2, 1]);
    assert!(split.shares_storage(&t));
    // A contiguous tensor reshapes without copying.
    let c = arange(6, &[2, 3]);
    assert!(c.reshape(&[3, 2]).shares_storage(&c));
    assert_eq!(c.reshape(&[3, 2]).stride(), &[2, 1]);
}

#[test]
fn expand_is_a_stride_0_view_that_refuses_writes() {
    let x = Tensor::from_slice(&[1.0, 2.0]);
    let e = x.expand(&[3, 2]);
    assert!(e.shares_storage(&x));
    assert_eq!(e.stride(), &[0, 1]);
    assert_eq!(e.to_vec(), vec![1., 2., 1., 2., 1., 2.]);
    let err = std::panic::catch_unwind(|| {
        e.fill_(0.0);
    })
    .unwrap_err();
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(
        msg.contains(
            "more than one element of the written-to tensor refers to a single memory location"
        ),
        "{msg}"
    );
    assert!(e.try_add_(&Tensor::ones(&[3, 2])).is_err());
    // Unchanged by the refused writes.
    assert_eq!(x.to_vec(), vec![1., 2.]);
}

#[test]
fn clone_is_independent_and_alias_is_not() {
    let x = Tensor::from_slice(&[1.0, 2.0]);
    let copy = x.clone();
    let same = x.alias();
    x.add_scalar_(10.0);
    assert_eq!(copy.to_vec(), vec![1., 2.]);
    assert_eq!(same.to_vec(), vec![11., 12.]);
    assert!(!copy.shares_storage(&x) && same.is_set_to(&x));
}

#[test]
fn in_place_ops_reading_their_own_storage_see_the_old_values() {
    // x.add_(x.t()) on a square matrix: PyTorch refuses the partial overlap;
    // here it computes from the values before the write, never half-updated.
    let x = arange(4, &[2, 2]);
    x.add_(&x.t());
    assert_eq!(x.to_vec(), vec![0., 3., 3., 6.]);
    // The same storage on both sides, fully overlapping.
    let y = Tensor::from_slice(&[1.0, 2.0]);
    y.mul_(&y);
    assert_eq!(y.to_vec(), vec![1., 4.]);
}

#[test]
fn views_share_the_version_counter() {
    let x = Tensor::zeros(&[2, 3]);
    let v = x.narrow(1, 0, 2);
    let before = x.version();
    v.bump_version();
    assert_eq!(x.version(), before + 1);
    assert_eq!(x.clone().version(), 0);
}

#[test]
fn concurrent_in_place_ops_on_each_other_do_not_deadlock() {
    // a += b and b += a on two threads: the locks are taken in address order.
    let a = Arc::new(Tensor::ones(&[64]));
    let b = Arc::new(Tensor::ones(&[64]));
    let threads: Vec<_> = [(a.clone(), b.clone()), (b.clone(), a.clone())]
        .into_iter()
        .map(|(x, y)| {
            std::thread::spawn(move || {
                for _ in 0..2000 {
                    // x = 0.5 x + 0.5 y: bounded, so the values stay finite.
                    x.mul_scalar_(0.5);
                    x.add_scaled_(&y, 0.5);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Every element of each tensor saw the same sequence of updates.
    for t in [&a, &b] {
        let v = t.to_vec();
        assert!(v.iter().all(|&e| e == v[0] && e.is_finite()));
    }
}

#[test]
fn views_of_every_dtype() {
    let labels = Tensor::from_elems(&[3i64, 1, 4, 1, 5, 9]).reshape(&[2, 3]);
    let col = labels.select(1, 0);
    col.fill_(7.0);
    assert_eq!(labels.to_vec_as::<i64>(), vec![7, 1, 4, 7, 5, 9]);
    assert_eq!(labels.t().dtype(), DType::Int64);
    let mask = labels.gt_scalar(4);
    assert_eq!(mask.dtype(), DType::Bool);
    assert_eq!(
        mask.t().to_string(),
        "tensor([[ True,  True],\n        [False,  True],\n        [False,  True]])"
    );
}

#[test]
fn views_with_extreme_arguments_stay_sound() {
    // Empty views address nothing: their offset starts at 0, however far
    // the view ops would have moved it.
    let e = Tensor::zeros(&[3, 0]).select(0, 2);
    assert_eq!((e.numel(), e.storage_offset()), (0, 0));
    let mut t = Tensor::zeros(&[0]);
    for _ in 0..6 {
        t = t.view(&[1 << 62, 0]).select(0, (1 << 62) - 1);
    }
    assert_eq!(t.storage_offset(), 0);
    // A step too large for the stride: harmless with one element, an error
    // with two or more.
    let x = Tensor::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    let one = x.slice(0, None, None, usize::MAX);
    assert_eq!((one.shape(), one.to_vec()), (&[1, 3][..], vec![0., 1., 2.]));
    let windows = x.unfold(0, 1, usize::MAX);
    assert_eq!(windows.shape(), &[1, 3, 1]);
    let big = Tensor::zeros(&[1]).expand(&[1 << 40]);
    assert!(big.try_slice(0, None, None, usize::MAX).is_ok());
    // Windows whose count overflows are an error, not a wrapped size.
    let e = big.try_unfold(0, 1 << 39, 1).unwrap_err().to_string();
    assert!(e.contains("overflows"), "{e}");
    // scatter with a src of other rank is PyTorch's error, not a panic.
    let index = Tensor::from_data(&[0i64], &[1, 1]).unwrap();
    assert!(Tensor::zeros(&[3, 4])
        .try_scatter(1, &index, &Tensor::zeros(&[5]))
        .is_err());
}

#[test]
fn a_large_kernel_finishes_while_pool_jobs_wait_to_write_its_input() {
    // exp holds x's read lock while its chunks run; jobs on rayon's global
    // pool spin to write x. The chunks run on the kernels' own pool, so the
    // read finishes and the writes proceed.
    let x = Tensor::zeros(&[1 << 20]);
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let w = x.alias();
            std::thread::spawn(move || {
                rayon::scope(|s| {
                    s.spawn(move |_| {
                        for _ in 0..50 {
                            w.fill_(1.0);
                        }
                    })
                })
            })
        })
        .collect();
    for _ in 0..5 {
        drop(x.exp());
    }
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(x.to_vec()[0], 1.0);
}

/// `contiguous()` of transposed, permuted, narrowed and stepped views (the
/// tiled copy for layouts whose stride-1 dim is not the last, with partial
/// tiles) against each element read through its stride and offset; every
/// dtype goes through the same copy.
#[test]
fn contiguous_copies_of_strided_views_match_their_strides() {
    let base = arange(2 * 37 * 19 * 5, &[2, 37, 19, 5]);
    let values = base.to_vec();
    let views = [
        base.permute(&[0, 3, 2, 1]),
        base.permute(&[3, 1, 0, 2]),
        base.permute(&[2, 0, 3, 1]).narrow(3, 3, 33),
        base.reshape(&[74, 95]).t(),
        base.reshape(&[74, 95]).t().slice(0, Some(1), None, 2),
        base.reshape(&[74, 95])
            .narrow(0, 5, 60)
            .t()
            .narrow(1, 7, 17),
        base.reshape(&[2, 37, 95]).transpose(1, 2).select(0, 1),
        base.reshape(&[1406, 5]).t(),
        base.reshape(&[5, 1406]).t(),
        base.reshape(&[2, 37, 95])
            .narrow(0, 0, 0)
            .permute(&[0, 2, 1]),
    ];
    for view in views {
        let (shape, strides, offset) = (
            view.shape().to_vec(),
            view.stride().to_vec(),
            view.storage_offset(),
        );
        let numel: usize = shape.iter().product();
        let expected: Vec<f32> = (0..numel)
            .map(|flat| {
                let (mut rest, mut at) = (flat, offset);
                for (&size, &stride) in shape.iter().zip(&strides).rev() {
                    at += rest % size * stride;
                    rest /= size;
                }
                values[at]
            })
            .collect();
        assert!(numel == 0 || !view.is_contiguous(), "{shape:?} {strides:?}");
        assert_eq!(
            view.contiguous().to_vec(),
            expected,
            "{shape:?} {strides:?}"
        );
        for dtype in [DType::Float64, DType::Int64] {
            let typed = base.to_dtype(dtype);
            let typed_view = typed.try_as_strided(&shape, &strides, offset).unwrap();
            assert_eq!(
                typed_view.contiguous().to_vec(),
                expected,
                "{dtype:?} {shape:?}"
            );
        }
    }
}
