//! Linear regression from scratch (*Dive into Deep Learning* §3.2): the
//! minibatch iterator, model, loss and optimizer written by hand on
//! autograd tensors, each next to the PyTorch it mirrors.

use autograd::{no_grad, Tensor};

/// Yields `(features[batch], labels[batch])` over a fresh shuffle of the samples.
///
/// ```python
/// def data_iter(batch_size, features, labels):
///     indices = list(range(len(features))); random.shuffle(indices)
///     for i in range(0, num_examples, batch_size):
///         batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
///         yield features[batch_indices], labels[batch_indices]
/// ```
pub fn data_iter<'a>(
    batch_size: usize,
    features: &'a Tensor,
    labels: &'a Tensor,
) -> impl Iterator<Item = (Tensor, Tensor)> + 'a {
    let num_examples = features.len();
    let mut indices: Vec<usize> = (0..num_examples).collect();
    tensor::random::default_generator().shuffle(&mut indices); // random.shuffle(indices)
    (0..num_examples).step_by(batch_size).map(move |i| {
        let batch_indices = &indices[i..(i + batch_size).min(num_examples)];
        (
            features.index_select(0, batch_indices),
            labels.index_select(0, batch_indices),
        )
    })
}

/// The linear regression model. PyTorch: `torch.matmul(X, w) + b`.
pub fn linreg(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    &x.matmul(w) + b
}

/// Squared loss. PyTorch: `(y_hat - y.reshape(y_hat.shape)) ** 2 / 2`.
pub fn squared_loss(y_hat: &Tensor, y: &Tensor) -> Tensor {
    let shape: Vec<isize> = y_hat.shape().iter().map(|&d| d as isize).collect();
    (y_hat - &y.reshape(&shape)).pow_scalar(2.0) / 2.0
}

/// Minibatch stochastic gradient descent.
///
/// ```python
/// with torch.no_grad():
///     for param in params:
///         param -= lr * param.grad / batch_size
///         param.grad.zero_()
/// ```
pub fn sgd(params: &[&Tensor], lr: f32, batch_size: usize) {
    let _guard = no_grad();
    for param in params {
        let grad = param.grad().expect("backward reached every parameter");
        param.sub_(&(&(&grad * lr) / batch_size as f32));
        grad.zero_();
    }
}

/// The training loop; calls `on_epoch(epoch, mean training loss)` after each epoch.
///
/// ```python
/// for epoch in range(num_epochs):
///     for X, y in data_iter(batch_size, features, labels):
///         l = loss(net(X, w, b), y)
///         l.sum().backward()
///         sgd([w, b], lr, batch_size)
///     with torch.no_grad():
///         train_l = loss(net(features, w, b), labels)
/// ```
#[allow(clippy::too_many_arguments)]
pub fn train(
    features: &Tensor,
    labels: &Tensor,
    w: &Tensor,
    b: &Tensor,
    lr: f32,
    num_epochs: usize,
    batch_size: usize,
    mut on_epoch: impl FnMut(usize, f32),
) {
    let (net, loss) = (linreg, squared_loss);
    for epoch in 0..num_epochs {
        for (x, y) in data_iter(batch_size, features, labels) {
            let l = loss(&net(&x, w, b), &y);
            l.sum().backward();
            sgd(&[w, b], lr, batch_size);
        }
        let _guard = no_grad();
        let train_l = loss(&net(features, w, b), labels);
        on_epoch(epoch, train_l.mean().item());
    }
}
