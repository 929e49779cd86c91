//! The book's classifiers on real images: the bundled MNIST split (8,000
//! training images, 2,000 held out), batch 256, 10 epochs, SGD lr 0.1,
//! cross-entropy, weights from N(0, 0.01²). PyTorch 2.15 reaches held-out
//! accuracy 0.912 with softmax regression and 0.924 with the 784-256-10 MLP
//! on this split; these tests ask for at least 0.89 and 0.90. A LeNet with
//! ReLU and max pooling (chapter 7), trained the same way, ends at 0.91 to
//! 0.97 in PyTorch depending on the seed (lr 0.1 makes the last epochs
//! jumpy): the test asks for a median of 0.90 over three seeds.
//!
//! Slow in a debug build, so ignored by default; `.ci/run` runs them with
//! `cargo test --release -p examples --test classification -- --ignored`.

use data::{DataLoader, Dataset};
use examples::classification::{
    bundled_mnist_split, evaluate_accuracy, mlp, softmax_regression, train_epoch,
};
use nn::{Module, Sequential};
use optim::SGD;

fn held_out_accuracy(mut net: Sequential, seed: u64) -> f64 {
    tensor::manual_seed(seed);
    let (train, test) = bundled_mnist_split().expect("the bundled MNIST files");
    let train = DataLoader::builder(train)
        .batch_size(256)
        .shuffle(true)
        .seed(seed)
        .build()
        .unwrap();
    let test = DataLoader::builder(test).batch_size(256).build().unwrap();
    let mut trainer = SGD::new(net.parameters(), 0.1).unwrap();
    let mut last = (0.0, 0.0);
    for _ in 0..10 {
        last = train_epoch(&mut net, &train, &mut trainer);
    }
    let accuracy = evaluate_accuracy(&mut net, &test);
    eprintln!(
        "train loss {:.3}, train acc {:.3}, held-out acc {accuracy:.3}",
        last.0, last.1
    );
    accuracy
}

#[test]
#[ignore = "trains for 10 epochs: run in release"]
fn softmax_regression_reaches_the_book_s_accuracy() {
    let accuracy = held_out_accuracy(softmax_regression(), 0);
    assert!(accuracy >= 0.89, "held-out accuracy {accuracy}");
}

#[test]
#[ignore = "trains for 10 epochs: run in release"]
fn the_mlp_reaches_the_book_s_accuracy() {
    let accuracy = held_out_accuracy(mlp(256), 0);
    assert!(accuracy >= 0.90, "held-out accuracy {accuracy}");
}

#[test]
#[ignore = "trains for 10 epochs: run in release"]
fn lenet_reaches_pytorch_s_accuracy() {
    let mut accuracies: Vec<f64> = (0..3)
        .map(|seed| {
            tensor::manual_seed(seed);
            held_out_accuracy(examples::cnn::lenet_relu(), seed)
        })
        .collect();
    accuracies.sort_by(f64::total_cmp);
    assert!(accuracies[1] >= 0.90, "held-out accuracies {accuracies:?}");
}

#[test]
fn the_bundled_split_holds_real_digits() {
    let (train, test) = bundled_mnist_split().unwrap();
    assert_eq!((train.len(), test.len()), (8_000, 2_000));
    let sample = train.get(0);
    assert_eq!(sample[0].shape(), vec![1, 28, 28]);
    // The first test digit of MNIST is a 7.
    assert_eq!(sample[1].item_as::<i64>(), 7);
    let pixels = sample[0].to_vec();
    assert!(pixels.iter().all(|&p| (0.0..=1.0).contains(&p)) && pixels.contains(&1.0));
}
