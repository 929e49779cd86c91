//! The [`Tensor`] type: a storage, a layout and a dtype; construction from
//! data, accessors, and the locked read/write access every kernel goes through.

use std::mem::MaybeUninit;

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, IxDyn, ShapeBuilder};

use crate::alloc::checked_numel;
use crate::dtype::{dispatch, DType, Element};
use crate::error::{Result, TensorError};
use crate::layout::Layout;
use crate::shape::same_dims;
use crate::storage::{ReadGuard, Storage, WriteGuard};

/// A dense n-dimensional tensor: a view (shape, strides, offset) of a shared
/// storage of elements of one [`DType`].
///
/// **Aliasing is PyTorch's.** Views made by [`transpose`](Tensor::transpose),
/// [`narrow`](Tensor::narrow), [`expand`](Tensor::expand),
/// [`view`](Tensor::view), [`alias`](Tensor::alias), ... copy nothing and
/// share the storage, so an in-place write through any of them (`add_`,
/// `fill_`, `copy_`, ...) is visible through all of them. `Clone` makes an
/// independent copy, like PyTorch's `x.clone()`; [`alias`](Tensor::alias)
/// makes another handle to the same elements.
///
/// PyTorch equivalent: `torch.Tensor` on the CPU.
pub struct Tensor {
    pub(crate) storage: Storage,
    pub(crate) layout: Layout,
    pub(crate) dtype: DType,
}

/// Unwraps a result, panicking with the error's message at the caller's location.
#[track_caller]
pub(crate) fn or_panic<T>(result: Result<T>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("{err}"),
    }
}

/// `Clone` copies the elements into a new contiguous storage: the copy and
/// the original never see each other's writes. PyTorch equivalent: `x.clone()`.
impl Clone for Tensor {
    #[track_caller]
    fn clone(&self) -> Tensor {
        or_panic(self.try_clone())
    }
}

impl Tensor {
    // ----- construction ------------------------------------------------------

    /// A new contiguous tensor of `shape` whose elements `fill` writes (the
    /// buffer starts zeroed). One allocation.
    #[inline]
    pub(crate) fn try_build<T: Element>(
        op: &'static str,
        shape: &[usize],
        fill: impl FnOnce(&mut [T]),
    ) -> Result<Tensor> {
        Tensor::try_build_like::<T>(op, shape, None, fill)
    }

    /// [`try_build`](Tensor::try_build), reusing the layout of `like` (an
    /// input of the same shape) when it is the plain row-major layout:
    /// copying a settled layout is cheaper than building a fresh one.
    #[inline]
    pub(crate) fn try_build_like<T: Element>(
        op: &'static str,
        shape: &[usize],
        like: Option<&Tensor>,
        fill: impl FnOnce(&mut [T]),
    ) -> Result<Tensor> {
        let layout = match like {
            Some(t) if t.layout.offset == 0 && same_dims(t.shape(), shape) && t.is_contiguous() => {
                t.layout.clone()
            }
            _ => Layout::contiguous(shape),
        };
        let numel = checked_numel(op, shape)?;
        let storage = Storage::try_zeroed(op, T::DTYPE, numel)?;
        // SAFETY: the storage is new, so no other handle can reach it; it
        // holds `numel` zeroed elements of `T`, a valid value of every dtype.
        let values =
            unsafe { std::slice::from_raw_parts_mut(storage.data_ptr().cast::<T>(), numel) };
        fill(values);
        Ok(Tensor {
            storage,
            layout,
            dtype: T::DTYPE,
        })
    }

    /// A new contiguous tensor of `shape` whose elements `fill` writes,
    /// starting from uninitialised memory (no zeroing pass over a large
    /// output that a kernel overwrites anyway).
    ///
    /// # Safety
    /// `fill` must initialise every element of the slice it is given.
    pub(crate) unsafe fn try_build_uninit<T: Element>(
        op: &'static str,
        shape: &[usize],
        fill: impl FnOnce(&mut [MaybeUninit<T>]),
    ) -> Result<Tensor> {
        let numel = checked_numel(op, shape)?;
        let storage = Storage::try_uninit(op, T::DTYPE, numel)?;
        // SAFETY: the storage is new, so no other handle can reach it, and
        // holds `numel` elements of `T`'s size and alignment.
        let values = unsafe {
            std::slice::from_raw_parts_mut(storage.data_ptr().cast::<MaybeUninit<T>>(), numel)
        };
        fill(values);
        Ok(Tensor {
            storage,
            layout: Layout::contiguous(shape),
            dtype: T::DTYPE,
        })
    }

    /// A contiguous tensor of `shape` and `dtype` holding zeros.
    pub(crate) fn try_zeros_of(op: &'static str, dtype: DType, shape: &[usize]) -> Result<Tensor> {
        dispatch!(dtype, T => Tensor::try_build::<T>(op, shape, |_| {}))
    }

    /// A tensor of `shape` and `T`'s dtype with every element `value`.
    pub(crate) fn try_filled<T: Element>(
        op: &'static str,
        shape: &[usize],
        value: T,
    ) -> Result<Tensor> {
        Tensor::try_build::<T>(op, shape, |out| {
            if value != T::default() {
                out.fill(value)
            }
        })
    }

    /// A float32 tensor of `shape` with every element `value`.
    pub(crate) fn filled(op: &'static str, shape: &[usize], value: f32) -> Result<Tensor> {
        Tensor::try_filled(op, shape, value)
    }

    /// A tensor of `shape` holding `values` in row-major order; the dtype
    /// follows the element type (`Vec<i64>` gives int64, `Vec<bool>` bool).
    /// PyTorch equivalent: `torch.tensor(values, dtype=...).reshape(shape)`.
    ///
    /// # Errors
    /// [`TensorError::DataLength`] if `values.len()` is not the product of `shape`.
    pub fn from_data<T: Element>(values: &[T], shape: &[usize]) -> Result<Tensor> {
        Tensor::copied_from("from_data", values, shape)
    }

    /// A tensor of `shape` holding a copy of `values`; errors name `op`.
    fn copied_from<T: Element>(op: &'static str, values: &[T], shape: &[usize]) -> Result<Tensor> {
        let numel = checked_numel(op, shape)?;
        if numel != values.len() {
            return Err(TensorError::DataLength {
                op,
                len: values.len(),
                shape: shape.to_vec(),
                numel,
            });
        }
        Tensor::try_build::<T>(op, shape, |out| out.copy_from_slice(values))
    }

    /// A float32 tensor of `shape` holding `values` in row-major order.
    /// PyTorch equivalent: `torch.tensor(values).reshape(shape)`.
    ///
    /// # Errors
    /// [`TensorError::DataLength`] if `values.len()` is not the product of `shape`.
    pub fn from_vec(values: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        Tensor::copied_from("from_vec", &values, shape)
    }

    /// A 1-D float32 tensor copied from `values`.
    /// PyTorch equivalent: `torch.tensor([2, -3.4])`.
    pub fn from_slice(values: &[f32]) -> Tensor {
        or_panic(Tensor::from_data(values, &[values.len()]))
    }

    /// A 1-D tensor of any dtype copied from `values`:
    /// `Tensor::from_elems(&[1i64, 2, 3])` is int64, `&[true, false]` bool.
    /// PyTorch equivalent: `torch.tensor([1, 2, 3])`.
    pub fn from_elems<T: Element>(values: &[T]) -> Tensor {
        or_panic(Tensor::from_data(values, &[values.len()]))
    }

    /// A 0-d float32 tensor holding `value`. PyTorch equivalent: `torch.tensor(value)`.
    pub fn scalar(value: f32) -> Tensor {
        Tensor::scalar_of(value)
    }

    /// A 0-d tensor of `T`'s dtype holding `value`.
    /// PyTorch equivalent: `torch.tensor(7)` (int64), `torch.tensor(True)`.
    pub fn scalar_of<T: Element>(value: T) -> Tensor {
        or_panic(Tensor::try_build::<T>("scalar", &[], |out| out[0] = value))
    }

    /// A copy of an ndarray array. PyTorch equivalent: `torch.from_numpy(a)`
    /// (which shares memory; this copies once).
    pub fn from_array<T: Element>(array: ArrayD<T>) -> Tensor {
        let shape = array.shape().to_vec();
        or_panic(Tensor::try_build::<T>("from_array", &shape, |out| {
            out.iter_mut().zip(array.iter()).for_each(|(o, &v)| *o = v)
        }))
    }

    // ----- accessors -----------------------------------------------------------

    /// The sizes of the dimensions. PyTorch equivalent: `x.shape`.
    #[inline]
    pub fn shape(&self) -> &[usize] {
        self.layout.shape()
    }

    /// The step, in elements, between neighbours along each dimension.
    /// PyTorch equivalent: `x.stride()`.
    pub fn stride(&self) -> &[usize] {
        self.layout.strides()
    }

    /// The index of the first element in the storage.
    /// PyTorch equivalent: `x.storage_offset()`.
    pub fn storage_offset(&self) -> usize {
        self.layout.offset
    }

    /// The element type. PyTorch equivalent: `x.dtype`.
    #[inline]
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Whether the dtype is float32 or float64.
    /// PyTorch equivalent: `x.is_floating_point()`.
    pub fn is_floating_point(&self) -> bool {
        self.dtype.is_floating_point()
    }

    /// The number of dimensions. PyTorch equivalent: `x.dim()`.
    #[inline]
    pub fn dim(&self) -> usize {
        self.layout.shape().len()
    }

    /// The number of elements. PyTorch equivalent: `x.numel()`.
    #[inline]
    pub fn numel(&self) -> usize {
        self.layout.numel()
    }

    /// The size of dimension 0, like Python's `len(x)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] on a 0-d tensor, as Python's `len()` raises on one.
    pub fn try_len(&self) -> Result<usize> {
        self.shape()
            .first()
            .copied()
            .ok_or_else(|| TensorError::invalid("len", "a 0-d tensor has no length"))
    }

    /// Panicking form of [`try_len`](Tensor::try_len).
    ///
    /// # Panics
    /// On a 0-d tensor.
    #[track_caller]
    pub fn len(&self) -> usize {
        or_panic(self.try_len())
    }

    /// Whether the tensor holds no elements.
    pub fn is_empty(&self) -> bool {
        self.numel() == 0
    }

    /// Another handle to the same elements (a view of the whole tensor):
    /// writes through either are seen by both. PyTorch equivalent:
    /// `x.view_as(x)` (or simply a second Python reference).
    #[inline]
    pub fn alias(&self) -> Tensor {
        Tensor {
            storage: self.storage.clone(),
            layout: self.layout.clone(),
            dtype: self.dtype,
        }
    }

    /// A view of the same storage with another layout.
    #[inline]
    pub(crate) fn with_layout(&self, mut layout: Layout) -> Tensor {
        // An empty view addresses nothing: its offset (which the view ops
        // compute without overflow checks) is normalised to the start.
        if layout.shape().contains(&0) {
            layout.offset = 0;
        }
        Tensor {
            storage: self.storage.clone(),
            layout,
            dtype: self.dtype,
        }
    }

    /// Whether both tensors view the same elements of the same storage with
    /// the same shape and strides. PyTorch equivalent: `x.is_set_to(y)`.
    pub fn is_set_to(&self, other: &Tensor) -> bool {
        self.storage.ptr_eq(&other.storage) && self.layout == other.layout
    }

    /// Whether the two tensors share a storage (one is a view of the other,
    /// or both of a third). PyTorch equivalent:
    /// `x.untyped_storage().data_ptr() == y.untyped_storage().data_ptr()`.
    pub fn shares_storage(&self, other: &Tensor) -> bool {
        self.storage.ptr_eq(&other.storage)
    }

    /// The version counter of the storage, shared by all its views; the
    /// autograd layer bumps it on the in-place writes it records.
    /// PyTorch equivalent: `x._version`.
    pub fn version(&self) -> u64 {
        self.storage.version()
    }

    /// Increments the storage's version counter.
    pub fn bump_version(&self) {
        self.storage.bump_version()
    }

    /// Whether no other handle or view shares this tensor's storage.
    #[inline]
    pub fn is_unique(&self) -> bool {
        self.storage.is_unique()
    }

    /// Whether the elements are laid out contiguously in row-major order.
    /// PyTorch equivalent: `x.is_contiguous()`.
    #[inline]
    pub fn is_contiguous(&self) -> bool {
        self.layout.is_contiguous()
    }

    /// The value of a one-element tensor as `f32`, converted as PyTorch's
    /// `float(x.item())` would be. PyTorch equivalent: `x.item()`.
    ///
    /// # Errors
    /// [`TensorError::NotAScalar`] if the tensor has more or fewer than one element.
    pub fn try_item(&self) -> Result<f32> {
        self.try_item_as::<f32>()
    }

    /// Panicking form of [`try_item`](Tensor::try_item).
    ///
    /// # Panics
    /// If the tensor does not hold exactly one element.
    #[track_caller]
    pub fn item(&self) -> f32 {
        or_panic(self.try_item())
    }

    /// The value of a one-element tensor as `T`: exact when `T` is the
    /// tensor's element type (`x.item_as::<i64>()` on an int64 tensor),
    /// converted as [`to_dtype`](Tensor::to_dtype) would otherwise.
    /// PyTorch equivalent: `x.item()`.
    ///
    /// # Errors
    /// [`TensorError::NotAScalar`] if the tensor has more or fewer than one element.
    pub fn try_item_as<T: Element>(&self) -> Result<T> {
        if self.numel() != 1 {
            return Err(TensorError::NotAScalar {
                shape: self.shape().to_vec(),
                numel: self.numel(),
            });
        }
        Ok(self.to_vec_as::<T>()[0])
    }

    /// Panicking form of [`try_item_as`](Tensor::try_item_as).
    ///
    /// # Panics
    /// If the tensor does not hold exactly one element.
    #[track_caller]
    pub fn item_as<T: Element>(&self) -> T {
        or_panic(self.try_item_as())
    }

    /// The elements in logical row-major order, as `f32`.
    /// PyTorch equivalent: `x.flatten().tolist()`.
    pub fn to_vec(&self) -> Vec<f32> {
        self.to_vec_as::<f32>()
    }

    /// The elements in logical row-major order as `T`, converted from the
    /// tensor's dtype as [`to_dtype`](Tensor::to_dtype) converts.
    pub fn to_vec_as<T: Element>(&self) -> Vec<T> {
        dispatch!(self.dtype, S => {
            let read = self.read::<S>();
            let mut out = Vec::with_capacity(self.numel());
            read.for_each(|v| out.push(crate::dtype::cast::<S, T>(v)));
            out
        })
    }

    /// A copy of the elements as an owned ndarray array of `T`.
    pub fn to_array<T: Element>(&self) -> ArrayD<T> {
        ArrayD::from_shape_vec(IxDyn(self.shape()), self.to_vec_as::<T>())
            .expect("one value per element")
    }

    /// Runs `f` on an ndarray view of the elements (no copy), holding the
    /// storage's read lock. `f` must not write in place to this tensor or
    /// any view of it: the write would wait for the lock `f` holds forever.
    ///
    /// # Panics
    /// If `T` is not the tensor's element type.
    pub fn with_view<T: Element, R>(&self, f: impl FnOnce(ArrayViewD<'_, T>) -> R) -> R {
        f(self.read::<T>().array())
    }

    // ----- locked access for kernels ------------------------------------------

    /// Read access to the elements as `T` under the storage's shared lock.
    ///
    /// # Panics
    /// If `T` is not the tensor's element type (a bug in the caller).
    #[inline]
    pub(crate) fn read<T: Element>(&self) -> Reader<'_, T> {
        assert_eq!(
            T::DTYPE,
            self.dtype,
            "typed read of a {} tensor",
            self.dtype
        );
        let guard = self.storage.read();
        // SAFETY: the layout addresses elements of this storage only.
        let ptr = unsafe { self.storage.data_ptr().cast::<T>().add(self.layout.offset) };
        Reader {
            _guard: guard,
            layout: &self.layout,
            ptr,
        }
    }

    /// Write access to the elements as `T` under the storage's exclusive
    /// lock. PyTorch refuses in-place writes to a tensor in which several
    /// indices reach one element (an `expand`ed view), and so does this.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] (naming `op`) for such a tensor.
    pub(crate) fn write<T: Element>(&self, op: &'static str) -> Result<Writer<'_, T>> {
        assert_eq!(
            T::DTYPE,
            self.dtype,
            "typed write of a {} tensor",
            self.dtype
        );
        self.check_writable(op)?;
        let guard = self.storage.write();
        // SAFETY: as in `read`.
        let ptr = unsafe { self.storage.data_ptr().cast::<T>().add(self.layout.offset) };
        Ok(Writer {
            _guard: guard,
            layout: &self.layout,
            ptr,
        })
    }

    /// [`TensorError::UnsupportedDType`] unless the tensor's dtype is `dtype`.
    #[inline]
    pub(crate) fn expect_dtype(&self, op: &'static str, dtype: DType) -> Result<()> {
        if self.dtype != dtype {
            return Err(TensorError::UnsupportedDType {
                op,
                dtype: self.dtype,
                expected: match dtype {
                    DType::Bool => "a bool tensor",
                    DType::Int64 => "an int64 tensor",
                    DType::Float32 => "a float32 tensor",
                    DType::Float64 => "a float64 tensor",
                },
            });
        }
        Ok(())
    }

    pub(crate) fn check_writable(&self, op: &'static str) -> Result<()> {
        if self.layout.has_internal_overlap() {
            return Err(TensorError::invalid(
                op,
                format!(
                    "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation. (shape {:?}, strides {:?})",
                    self.shape(),
                    self.stride()
                ),
            ));
        }
        Ok(())
    }

    /// `src` as a tensor that does not share `self`'s storage: `src` itself,
    /// or a copy of it if it does (an in-place op reading a view of what it
    /// writes sees the values from before the write, with no lock reentry).
    pub(crate) fn detached_source(&self, src: &Tensor) -> Result<Tensor> {
        if self.storage.ptr_eq(&src.storage) {
            src.try_clone()
        } else {
            Ok(src.alias())
        }
    }

    /// Runs `f` with write access to `self` and read access to `src` (which
    /// must not share `self`'s storage), taking the two locks in address
    /// order so that concurrent in-place ops on each other never deadlock.
    pub(crate) fn write_reading<T: Element, S: Element, R>(
        &self,
        op: &'static str,
        src: &Tensor,
        f: impl FnOnce(&mut Writer<'_, T>, &Reader<'_, S>) -> R,
    ) -> Result<R> {
        debug_assert!(!self.storage.ptr_eq(&src.storage));
        if self.storage.addr() < src.storage.addr() {
            let mut w = self.write::<T>(op)?;
            let r = src.read::<S>();
            Ok(f(&mut w, &r))
        } else {
            self.check_writable(op)?;
            let r = src.read::<S>();
            let mut w = self.write::<T>(op)?;
            Ok(f(&mut w, &r))
        }
    }

    /// An independent contiguous copy. PyTorch equivalent: `x.clone()`.
    ///
    /// # Errors
    /// [`TensorError::Allocation`] if the copy does not fit in memory.
    pub fn try_clone(&self) -> Result<Tensor> {
        self.copy_contiguous("clone")
    }

    /// A contiguous copy, allocation failures naming `op`.
    fn copy_contiguous(&self, op: &'static str) -> Result<Tensor> {
        dispatch!(self.dtype, T => {
            let read = self.read::<T>();
            Tensor::try_build::<T>(op, self.shape(), |out| read.copy_to(out))
        })
    }

    /// A row-major contiguous tensor with the same values: `self` (shared)
    /// if it already is one, else a copy. PyTorch equivalent: `x.contiguous()`.
    ///
    /// # Errors
    /// [`TensorError::Allocation`] if the copy does not fit in memory.
    pub fn try_contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.alias());
        }
        self.copy_contiguous("contiguous")
    }

    /// Panicking form of [`try_contiguous`](Tensor::try_contiguous).
    ///
    /// # Panics
    /// If the copy does not fit in memory.
    #[track_caller]
    pub fn contiguous(&self) -> Tensor {
        or_panic(self.try_contiguous())
    }

    /// Whether every pair of elements, after broadcasting the two tensors
    /// together, satisfies `|a - b| <= atol + rtol * |b|` (equal infinities
    /// match; NaNs never do). PyTorch equivalent: `torch.allclose(a, b, rtol, atol)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    pub fn try_allclose(&self, other: &Tensor, rtol: f32, atol: f32) -> Result<bool> {
        let shape = crate::shape::broadcast_shapes("allclose", self.shape(), other.shape())?;
        let a = self.try_broadcast_to(&shape)?.to_vec_as::<f64>();
        let b = other.try_broadcast_to(&shape)?.to_vec_as::<f64>();
        Ok(a.iter().zip(&b).all(|(&a, &b)| {
            let error = (a - b).abs();
            a == b || (error.is_finite() && error <= atol as f64 + rtol as f64 * b.abs())
        }))
    }

    /// Panicking form of [`try_allclose`](Tensor::try_allclose).
    ///
    /// # Panics
    /// If the shapes cannot be broadcast together.
    #[track_caller]
    pub fn allclose(&self, other: &Tensor, rtol: f32, atol: f32) -> bool {
        or_panic(self.try_allclose(other, rtol, atol))
    }
}

/// Shared access to a tensor's elements while the storage's read lock is held.
pub(crate) struct Reader<'a, T> {
    _guard: ReadGuard<'a>,
    layout: &'a Layout,
    /// The first element (the layout's offset applied).
    ptr: *const T,
}

impl<'a, T: Element> Reader<'a, T> {
    /// A pointer to the first element, valid for the layout's offsets while
    /// the reader lives.
    pub(crate) fn as_ptr(&self) -> *const T {
        self.ptr
    }

    /// The elements as a row-major slice, if the layout is contiguous.
    #[inline]
    pub(crate) fn slice(&self) -> Option<&[T]> {
        self.layout.is_contiguous().then(|| {
            // SAFETY: a contiguous layout covers `numel` consecutive elements
            // from `ptr`, readable while the lock is held.
            unsafe { std::slice::from_raw_parts(self.ptr, self.layout.numel()) }
        })
    }

    /// The one value every element holds when the layout repeats a single
    /// element (an expanded scalar: every stride 0), if it does.
    #[inline]
    pub(crate) fn repeated_value(&self) -> Option<T> {
        let layout = self.layout;
        (layout.numel() > 0 && layout.strides().iter().all(|&s| s == 0)).then(|| {
            // SAFETY: the layout has an element, at `ptr`.
            unsafe { *self.ptr }
        })
    }

    /// An ndarray view of the elements.
    pub(crate) fn array(&self) -> ArrayViewD<'_, T> {
        let shape = IxDyn(self.layout.shape()).strides(IxDyn(self.layout.strides()));
        // SAFETY: every index of the layout addresses an element of the
        // storage, readable while the lock is held; strides are non-negative.
        unsafe { ArrayViewD::from_shape_ptr(shape, self.ptr) }
    }

    /// Calls `f` with every element, in row-major order.
    pub(crate) fn for_each(&self, mut f: impl FnMut(T)) {
        match self.slice() {
            Some(values) => values.iter().for_each(|&v| f(v)),
            None => {
                let base = self.ptr;
                let offset = self.layout.offset;
                // SAFETY: each offset is an element of the layout.
                self.layout
                    .for_each_offset(|i| f(unsafe { *base.add(i - offset) }))
            }
        }
    }

    /// Copies the elements, in row-major order, into `out` (of length numel).
    pub(crate) fn copy_to(&self, out: &mut [T]) {
        assert_eq!(out.len(), self.layout.numel(), "copy_to: numel slots");
        if let Some(values) = self.slice() {
            return out.copy_from_slice(values);
        }
        if self.copy_transposed_to(out) {
            return;
        }
        // Run by run: a contiguous run is one copy, a repeated value (an
        // expanded dim) one fill.
        let (base, offset) = (self.ptr, self.layout.offset);
        let mut rest = out;
        self.layout.for_each_run(|first, len, stride| {
            let (run, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            // SAFETY: `first + j * stride` for `j < len` are offsets of
            // elements of the layout (from `base`, which is at `offset`).
            unsafe {
                let src = base.add(first - offset);
                match stride {
                    0 => run.fill(*src),
                    1 => run.copy_from_slice(std::slice::from_raw_parts(src, len)),
                    _ => {
                        for (j, slot) in run.iter_mut().enumerate() {
                            *slot = *src.add(j * stride);
                        }
                    }
                }
            }
        });
    }

    /// [`copy_to`](Reader::copy_to) for a layout whose last dim is strided
    /// while an earlier dim `p` has stride 1 (a transposed or permuted
    /// view): copies tiles of `TILE` elements along `p` by every position
    /// of the last dim, so reads are contiguous and writes land in `TILE`
    /// rows that stay in cache (float32 tiles with AVX as four 8×8 register
    /// transposes). Element by element, such a copy reads each cache line
    /// once per element. Returns `false` (copying nothing) for other layouts.
    fn copy_transposed_to(&self, out: &mut [T]) -> bool {
        const TILE: usize = 16;
        let (shape, strides) = (self.layout.shape(), self.layout.strides());
        let nd = shape.len();
        if nd < 2 || strides[nd - 1] == 1 || shape[nd - 1] < 2 || self.layout.numel() == 0 {
            return false;
        }
        let Some(p) = (0..nd - 1)
            .rev()
            .find(|&d| strides[d] == 1 && shape[d] >= TILE)
        else {
            return false;
        };
        let out_strides = crate::layout::contiguous_strides(shape);
        let (rows, cols, col_stride, row_out) =
            (shape[p], shape[nd - 1], strides[nd - 1], out_strides[p]);
        // The other dims, walked as an odometer over (source, output) bases.
        let others: Vec<usize> = (0..nd - 1).filter(|&d| d != p).collect();
        let mut index = vec![0usize; others.len()];
        let (mut src, mut dst) = (0usize, 0usize);
        let out = out.as_mut_ptr();
        loop {
            for row in (0..rows).step_by(TILE) {
                let height = TILE.min(rows - row);
                for col in (0..cols).step_by(TILE) {
                    let width = TILE.min(cols - col);
                    // SAFETY: `src + (row + t) + (col + u) * col_stride` is
                    // the offset of an element of the layout (from `ptr`),
                    // and `dst + (row + t) * row_out + col + u` its
                    // row-major index, below numel = out.len() (asserted
                    // by the caller).
                    unsafe {
                        let from = self.ptr.add(src + row + col * col_stride);
                        let to = out.add(dst + row * row_out + col);
                        if height == TILE
                            && width == TILE
                            && transpose_tile_avx(from, col_stride, to, row_out)
                        {
                            // A full float32 tile, in four register transposes.
                        } else if height == TILE && width == TILE {
                            // A full tile: fixed trip counts, unrolled.
                            let mut tile = [[T::default(); TILE]; TILE];
                            for (u, column) in tile.iter_mut().enumerate() {
                                column.copy_from_slice(std::slice::from_raw_parts(
                                    from.add(u * col_stride),
                                    TILE,
                                ));
                            }
                            for t in 0..TILE {
                                let row = std::slice::from_raw_parts_mut(to.add(t * row_out), TILE);
                                for (slot, column) in row.iter_mut().zip(&tile) {
                                    *slot = column[t];
                                }
                            }
                        } else {
                            for t in 0..height {
                                for u in 0..width {
                                    *to.add(t * row_out + u) = *from.add(t + u * col_stride);
                                }
                            }
                        }
                    }
                }
            }
            // Advance the other dims' multi-index.
            let mut k = others.len();
            loop {
                if k == 0 {
                    return true;
                }
                k -= 1;
                let d = others[k];
                index[k] += 1;
                src += strides[d];
                dst += out_strides[d];
                if index[k] < shape[d] {
                    break;
                }
                src -= index[k] * strides[d];
                dst -= index[k] * out_strides[d];
                index[k] = 0;
            }
        }
    }

    /// The elements as a contiguous slice: borrowed if the layout is
    /// contiguous, else copied into `scratch`.
    pub(crate) fn contiguous<'s>(&'s self, scratch: &'s mut Vec<T>) -> &'s [T] {
        match self.slice() {
            Some(values) => values,
            None => {
                scratch.clear();
                scratch.resize(self.layout.numel(), T::default());
                self.copy_to(scratch);
                scratch
            }
        }
    }
}

/// Exclusive access to a tensor's elements while the storage's write lock is
/// held; the layout has no internal overlap.
pub(crate) struct Writer<'a, T> {
    _guard: WriteGuard<'a>,
    layout: &'a Layout,
    ptr: *mut T,
}

impl<T: Element> Writer<'_, T> {
    /// The elements as a mutable row-major slice, if the layout is contiguous.
    pub(crate) fn slice_mut(&mut self) -> Option<&mut [T]> {
        self.layout.is_contiguous().then(|| {
            // SAFETY: as `Reader::slice`, under the exclusive lock.
            unsafe { std::slice::from_raw_parts_mut(self.ptr, self.layout.numel()) }
        })
    }

    /// A mutable ndarray view of the elements.
    pub(crate) fn array_mut(&mut self) -> ArrayViewMutD<'_, T> {
        let shape = IxDyn(self.layout.shape()).strides(IxDyn(self.layout.strides()));
        // SAFETY: as `Reader::array`, under the exclusive lock; the layout
        // has no internal overlap (checked by `Tensor::write`), so distinct
        // indices are distinct elements.
        unsafe { ArrayViewMutD::from_shape_ptr(shape, self.ptr) }
    }

    /// Calls `f` with every element, in row-major order.
    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(&mut T)) {
        if let Some(values) = self.slice_mut() {
            return values.iter_mut().for_each(f);
        }
        let base = self.ptr;
        let offset = self.layout.offset;
        // SAFETY: each offset is a distinct element of the layout.
        self.layout
            .for_each_offset(|i| f(unsafe { &mut *base.add(i - offset) }))
    }
}

/// Writes `values` into `out`: a helper for building from iterators.
pub(crate) fn write_all<T>(out: &mut [T], values: impl IntoIterator<Item = T>) {
    for (slot, value) in out.iter_mut().zip(values) {
        *slot = value;
    }
}

impl From<f32> for Tensor {
    fn from(value: f32) -> Tensor {
        Tensor::scalar(value)
    }
}

impl From<Vec<f32>> for Tensor {
    fn from(values: Vec<f32>) -> Tensor {
        Tensor::from_slice(&values)
    }
}

impl<T: Element> From<ArrayD<T>> for Tensor {
    fn from(array: ArrayD<T>) -> Tensor {
        Tensor::from_array(array)
    }
}

/// Copies the full 16×16 tile at `from` (element `(t, u)` at
/// `from + t + u * col_stride`) to `to` (element `(t, u)` at
/// `to + t * row_out + u`) as four 8×8 AVX register transposes, if `T` is
/// float32 and the CPU has AVX; otherwise copies nothing and returns `false`.
///
/// # Safety
/// Both tiles are inside their buffers.
#[inline]
unsafe fn transpose_tile_avx<T: Element>(
    from: *const T,
    col_stride: usize,
    to: *mut T,
    row_out: usize,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if T::DTYPE == DType::Float32 && std::arch::is_x86_feature_detected!("avx") {
        for (t, u) in [(0, 0), (0, 8), (8, 0), (8, 8)] {
            // SAFETY: `T` is f32, the CPU has AVX, and each 8×8 quarter is
            // inside the tiles (the contract).
            unsafe {
                crate::transpose::transpose_8x8_avx(
                    from.cast::<f32>().add(t + u * col_stride),
                    col_stride as isize,
                    to.cast::<f32>().add(t * row_out + u),
                    row_out,
                )
            };
        }
        return true;
    }
    false
}
