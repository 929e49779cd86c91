//! The book's convolutional networks (chapters 7–8): LeNet-5 (§7.6) and
//! its variants with ReLU and max pooling or with batch normalization
//! (§8.5), and a ResNet-18 adapted to 28×28 images (§8.6).

use autograd::{Result, Tensor};
use nn::{
    init, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, ConvOptions, Flatten,
    Linear, MaxPool2d, Module, ModuleHooks, ReLU, Sequential, Sigmoid,
};

/// Xavier-uniform weights for every `Conv2d` and `Linear`, as the book's
/// `init_cnn` applied with `net.apply` does (biases keep PyTorch's default).
pub fn init_cnn(net: &mut Sequential) {
    net.apply(&mut |m: &mut dyn Module| {
        let is_layer =
            (m as &dyn std::any::Any).is::<Conv2d>() || (m as &dyn std::any::Any).is::<Linear>();
        if let (true, Some(weight)) = (is_layer, m.parameter("weight")) {
            init::xavier_uniform_(&weight, 1.0).expect("a weight of 2 or more dims");
        }
    });
}

/// The book's LeNet-5: `Conv2d(1, 6, 5, padding=2), Sigmoid, AvgPool2d(2),
/// Conv2d(6, 16, 5), Sigmoid, AvgPool2d(2), Flatten, Linear(400, 120),
/// Sigmoid, Linear(120, 84), Sigmoid, Linear(84, 10)`, initialised with `init_cnn`.
pub fn lenet() -> Sequential {
    let mut net = Sequential::new()
        .append(Conv2d::with_options(1, 6, 5, ConvOptions::new().padding(2)))
        .append(Sigmoid)
        .append(AvgPool2d::new(2))
        .append(Conv2d::new(6, 16, 5))
        .append(Sigmoid)
        .append(AvgPool2d::new(2))
        .append(Flatten::default())
        .append(Linear::new(16 * 5 * 5, 120))
        .append(Sigmoid)
        .append(Linear::new(120, 84))
        .append(Sigmoid)
        .append(Linear::new(84, 10));
    init_cnn(&mut net);
    net
}

/// LeNet with ReLU activations and max pooling (the modern variant the
/// book suggests in §7.6's exercises), which learns from a few thousand
/// images where the sigmoid version needs the full training set.
pub fn lenet_relu() -> Sequential {
    let mut net = Sequential::new()
        .append(Conv2d::with_options(1, 6, 5, ConvOptions::new().padding(2)))
        .append(ReLU)
        .append(MaxPool2d::new(2))
        .append(Conv2d::new(6, 16, 5))
        .append(ReLU)
        .append(MaxPool2d::new(2))
        .append(Flatten::default())
        .append(Linear::new(16 * 5 * 5, 120))
        .append(ReLU)
        .append(Linear::new(120, 84))
        .append(ReLU)
        .append(Linear::new(84, 10));
    init_cnn(&mut net);
    net
}

/// LeNet with batch normalization after each convolution and hidden
/// linear layer (§8.5's `BNLeNet`).
pub fn lenet_batch_norm() -> Sequential {
    let mut net = Sequential::new()
        .append(Conv2d::new(1, 6, 5))
        .append(BatchNorm2d::new(6))
        .append(Sigmoid)
        .append(AvgPool2d::new(2))
        .append(Conv2d::new(6, 16, 5))
        .append(BatchNorm2d::new(16))
        .append(Sigmoid)
        .append(AvgPool2d::new(2))
        .append(Flatten::default())
        .append(Linear::new(16 * 4 * 4, 120))
        .append(BatchNorm1d::new(120))
        .append(Sigmoid)
        .append(Linear::new(120, 84))
        .append(BatchNorm1d::new(84))
        .append(Sigmoid)
        .append(Linear::new(84, 10));
    init_cnn(&mut net);
    net
}

/// The residual block of §8.6: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`,
/// where the shortcut is `x` or, with `use_1x1conv`, a strided 1×1
/// convolution (`conv3`). Parameter names are the book's (`conv1.weight`, `bn1.running_mean`, ...).
#[derive(Clone)]
pub struct Residual {
    conv1: Conv2d,
    bn1: BatchNorm2d,
    conv2: Conv2d,
    bn2: BatchNorm2d,
    conv3: Option<Conv2d>,
    training: bool,
    hooks: ModuleHooks,
}

impl Residual {
    /// A block from `in_channels` to `channels` with the given stride.
    pub fn new(in_channels: usize, channels: usize, use_1x1conv: bool, stride: usize) -> Residual {
        let same = ConvOptions::new().padding(1);
        Residual {
            conv1: Conv2d::with_options(in_channels, channels, 3, same.stride(stride)),
            bn1: BatchNorm2d::new(channels),
            conv2: Conv2d::with_options(channels, channels, 3, same),
            bn2: BatchNorm2d::new(channels),
            conv3: use_1x1conv.then(|| {
                Conv2d::with_options(in_channels, channels, 1, ConvOptions::new().stride(stride))
            }),
            training: true,
            hooks: ModuleHooks::new(),
        }
    }

    fn layers(&self) -> Vec<(&'static str, &dyn Module)> {
        let mut layers: Vec<(&'static str, &dyn Module)> = vec![
            ("conv1", &self.conv1),
            ("bn1", &self.bn1),
            ("conv2", &self.conv2),
            ("bn2", &self.bn2),
        ];
        if let Some(conv3) = &self.conv3 {
            layers.push(("conv3", conv3));
        }
        layers
    }

    fn layers_mut(&mut self) -> Vec<&mut dyn Module> {
        let mut layers: Vec<&mut dyn Module> = vec![
            &mut self.conv1,
            &mut self.bn1,
            &mut self.conv2,
            &mut self.bn2,
        ];
        if let Some(conv3) = &mut self.conv3 {
            layers.push(conv3);
        }
        layers
    }
}

/// `(name, tensor)` pairs of each child, prefixed with the child's name.
fn prefixed(
    children: Vec<(&'static str, &dyn Module)>,
    list: impl Fn(&dyn Module) -> Vec<(String, Tensor)>,
) -> Vec<(String, Tensor)> {
    children
        .into_iter()
        .flat_map(|(name, child)| {
            list(child)
                .into_iter()
                .map(move |(n, t)| (format!("{name}.{n}"), t))
        })
        .collect()
}

impl Module for Residual {
    fn try_forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = self.bn1.try_call(&self.conv1.try_call(x)?)?.relu();
        let y = self.bn2.try_call(&self.conv2.try_call(&y)?)?;
        let shortcut = match &self.conv3 {
            Some(conv3) => conv3.try_call(x)?,
            None => x.clone(),
        };
        Ok((&y + &shortcut).relu())
    }

    fn hooks(&self) -> Option<&ModuleHooks> {
        Some(&self.hooks)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        prefixed(self.layers(), |m| m.named_parameters())
    }

    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        self.layers_mut()
            .into_iter()
            .flat_map(|m| m.parameters_mut())
            .collect()
    }

    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        prefixed(self.layers(), |m| m.named_buffers())
    }

    fn buffers_mut(&mut self) -> Vec<&mut Tensor> {
        self.layers_mut()
            .into_iter()
            .flat_map(|m| m.buffers_mut())
            .collect()
    }

    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        self.layers()
            .into_iter()
            .map(|(n, m)| (n.to_string(), m))
            .collect()
    }

    fn children_mut(&mut self) -> Vec<&mut dyn Module> {
        self.layers_mut()
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        self.layers_mut()
            .into_iter()
            .for_each(|m| m.set_training(training));
    }
}

/// ResNet-18 (§8.6) for 1-channel 28×28 images with every width divided by
/// `width_divisor` (1 is the book's 64-128-256-512): a 7×7 stride-2
/// convolution with batch norm, ReLU and 3×3 max pooling, four stages of
/// two residual blocks, global average pooling and a linear classifier.
pub fn resnet18(width_divisor: usize) -> Sequential {
    let widths = [64, 128, 256, 512].map(|w| (w / width_divisor).max(1));
    let mut net = Sequential::new()
        .append(Conv2d::with_options(
            1,
            widths[0],
            7,
            ConvOptions::new().stride(2).padding(3),
        ))
        .append(BatchNorm2d::new(widths[0]))
        .append(ReLU)
        .append(MaxPool2d::new(3).stride(2).padding(1));
    let mut channels = widths[0];
    for (stage, &width) in widths.iter().enumerate() {
        let first = stage == 0;
        net = net
            .append(Residual::new(
                channels,
                width,
                !first,
                if first { 1 } else { 2 },
            ))
            .append(Residual::new(width, width, false, 1));
        channels = width;
    }
    let mut net = net
        .append(AdaptiveAvgPool2d::new(1))
        .append(Flatten::default())
        .append(Linear::new(channels, 10));
    init_cnn(&mut net);
    net
}
