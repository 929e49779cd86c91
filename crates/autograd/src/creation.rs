//! Constructors, mirroring the `tensor` crate's. Each returns a leaf that
//! does not require grad; chain `.requires_grad_(true)` for one that does.

use crate::error::Result;
use crate::tensor::{RawTensor, Tensor};

impl Tensor {
    /// PyTorch equivalent: `torch.zeros(shape)`.
    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::new(RawTensor::zeros(shape))
    }

    /// PyTorch equivalent: `torch.ones(shape)`.
    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::new(RawTensor::ones(shape))
    }

    /// PyTorch equivalent: `torch.full(shape, value)`.
    pub fn full(shape: &[usize], value: f32) -> Tensor {
        Tensor::new(RawTensor::full(shape, value))
    }

    /// A 0-d tensor. PyTorch equivalent: `torch.tensor(value)`.
    pub fn scalar(value: f32) -> Tensor {
        Tensor::new(RawTensor::scalar(value))
    }

    /// A 1-D tensor. PyTorch equivalent: `torch.tensor([2, -3.4])`.
    pub fn from_slice(values: &[f32]) -> Tensor {
        Tensor::new(RawTensor::from_slice(values))
    }

    /// `values` in row-major order with `shape`.
    ///
    /// # Errors
    /// If `values.len()` is not the product of `shape`.
    pub fn from_vec(values: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        Ok(Tensor::new(RawTensor::from_vec(values, shape)?))
    }

    /// PyTorch equivalent: `torch.arange(start, end, step)`.
    ///
    /// # Panics
    /// On a zero step or one pointing away from `end`.
    #[track_caller]
    pub fn arange(start: f32, end: f32, step: f32) -> Tensor {
        Tensor::new(RawTensor::arange(start, end, step))
    }

    /// PyTorch equivalent: `torch.linspace(start, end, steps)`.
    pub fn linspace(start: f32, end: f32, steps: usize) -> Tensor {
        Tensor::new(RawTensor::linspace(start, end, steps))
    }

    /// Samples of N(`mean`, `std`²) from the default generator.
    /// PyTorch equivalent: `torch.normal(mean, std, shape)`.
    ///
    /// # Panics
    /// If `std` is negative or not finite.
    #[track_caller]
    pub fn normal(mean: f32, std: f32, shape: &[usize]) -> Tensor {
        Tensor::new(RawTensor::normal(mean, std, shape))
    }

    /// Standard normal samples. PyTorch equivalent: `torch.randn(shape)`.
    pub fn randn(shape: &[usize]) -> Tensor {
        Tensor::new(RawTensor::randn(shape))
    }

    /// Uniform samples in [0, 1). PyTorch equivalent: `torch.rand(shape)`.
    pub fn rand(shape: &[usize]) -> Tensor {
        Tensor::new(RawTensor::rand(shape))
    }

    /// Uniform samples in [`low`, `high`). PyTorch equivalent: `torch.empty(shape).uniform_(low, high)`.
    ///
    /// # Panics
    /// If `low > high` or a bound is not finite.
    #[track_caller]
    pub fn uniform(low: f32, high: f32, shape: &[usize]) -> Tensor {
        Tensor::new(RawTensor::uniform(low, high, shape))
    }

    /// PyTorch equivalent: `torch.zeros_like(x)`.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros(&self.shape())
    }

    /// PyTorch equivalent: `torch.ones_like(x)`.
    pub fn ones_like(&self) -> Tensor {
        Tensor::ones(&self.shape())
    }

    /// PyTorch equivalent: `torch.randn_like(x)`.
    pub fn randn_like(&self) -> Tensor {
        Tensor::randn(&self.shape())
    }

    /// PyTorch equivalent: `torch.full_like(x, value)`.
    pub fn full_like(&self, value: f32) -> Tensor {
        Tensor::full(&self.shape(), value)
    }

    /// PyTorch equivalent: `torch.rand_like(x)`.
    pub fn rand_like(&self) -> Tensor {
        Tensor::rand(&self.shape())
    }
}
