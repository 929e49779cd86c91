//! [`Layout`]: how a tensor's elements sit in its storage — shape, strides
//! (in elements) and the offset of the first element — and [`Dims`], the
//! small inline vector that holds shapes and strides without a heap
//! allocation for up to six dimensions.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// Dimensions stored inline up to this count.
const INLINE: usize = 6;

/// A list of sizes or strides, inline for up to six dimensions.
#[derive(Clone)]
pub struct Dims(DimsRepr);

#[derive(Clone)]
enum DimsRepr {
    Inline(u8, [usize; INLINE]),
    Heap(Vec<usize>),
}

impl Dims {
    /// An empty list (the shape of a 0-d tensor).
    pub const fn new() -> Dims {
        Dims(DimsRepr::Inline(0, [0; INLINE]))
    }

    /// A copy of `values`.
    pub fn from_slice(values: &[usize]) -> Dims {
        if values.len() <= INLINE {
            let mut inline = [0; INLINE];
            inline[..values.len()].copy_from_slice(values);
            Dims(DimsRepr::Inline(values.len() as u8, inline))
        } else {
            Dims(DimsRepr::Heap(values.to_vec()))
        }
    }

    /// Appends a dimension.
    pub fn push(&mut self, value: usize) {
        match &mut self.0 {
            DimsRepr::Inline(len, values) if (*len as usize) < INLINE => {
                values[*len as usize] = value;
                *len += 1;
            }
            DimsRepr::Inline(len, values) => {
                let mut heap = values[..*len as usize].to_vec();
                heap.push(value);
                self.0 = DimsRepr::Heap(heap);
            }
            DimsRepr::Heap(values) => values.push(value),
        }
    }

    /// Inserts a dimension at `index`.
    pub fn insert(&mut self, index: usize, value: usize) {
        self.push(0);
        let dims = &mut **self;
        dims[index..].rotate_right(1);
        dims[index] = value;
    }

    /// Removes and returns the dimension at `index`.
    pub fn remove(&mut self, index: usize) -> usize {
        let value = self[index];
        let len = self.len();
        self[index..].rotate_left(1);
        match &mut self.0 {
            DimsRepr::Inline(n, _) => *n -= 1,
            DimsRepr::Heap(values) => {
                values.truncate(len - 1);
            }
        }
        value
    }
}

impl Default for Dims {
    fn default() -> Dims {
        Dims::new()
    }
}

impl Deref for Dims {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        match &self.0 {
            DimsRepr::Inline(len, values) => &values[..*len as usize],
            DimsRepr::Heap(values) => values,
        }
    }
}

impl DerefMut for Dims {
    fn deref_mut(&mut self) -> &mut [usize] {
        match &mut self.0 {
            DimsRepr::Inline(len, values) => &mut values[..*len as usize],
            DimsRepr::Heap(values) => values,
        }
    }
}

impl From<&[usize]> for Dims {
    fn from(values: &[usize]) -> Dims {
        Dims::from_slice(values)
    }
}

impl FromIterator<usize> for Dims {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Dims {
        let mut dims = Dims::new();
        for value in iter {
            dims.push(value);
        }
        dims
    }
}

impl PartialEq for Dims {
    fn eq(&self, other: &Dims) -> bool {
        **self == **other
    }
}

impl Eq for Dims {}

impl fmt::Debug for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The row-major (C-order) strides of `shape`.
pub(crate) fn contiguous_strides(shape: &[usize]) -> Dims {
    let mut strides = Dims::from_slice(shape);
    let mut stride = 1usize;
    for (s, &size) in strides.iter_mut().zip(shape).rev() {
        *s = stride;
        stride = stride.saturating_mul(size.max(1));
    }
    strides
}

/// Where a tensor's elements are: element `[i0, i1, ...]` is at
/// `offset + i0 * strides[0] + i1 * strides[1] + ...` in the storage.
/// Strides are in elements and never negative (as in PyTorch); a stride of 0
/// repeats one element along a dim (`expand`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Layout {
    pub(crate) shape: Dims,
    pub(crate) strides: Dims,
    pub(crate) offset: usize,
}

impl Layout {
    /// The row-major layout of `shape` starting at element 0.
    pub(crate) fn contiguous(shape: &[usize]) -> Layout {
        Layout {
            shape: Dims::from_slice(shape),
            strides: contiguous_strides(shape),
            offset: 0,
        }
    }

    pub(crate) fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the elements are consecutive in row-major order (the strides
    /// of size-1 dims do not matter, as in PyTorch).
    pub(crate) fn is_contiguous(&self) -> bool {
        let mut expected = 1usize;
        for (&size, &stride) in self.shape.iter().zip(self.strides.iter()).rev() {
            if size == 0 {
                return true;
            }
            if size != 1 {
                if stride != expected {
                    return false;
                }
                expected *= size;
            }
        }
        true
    }

    /// Whether two distinct indices can reach the same element (a stride of
    /// 0 on a dim of size > 1, or windows that overlap). Checked exactly for
    /// the layouts views produce: sorted by stride, each dim's stride must
    /// exceed the extent of all smaller ones.
    pub(crate) fn has_internal_overlap(&self) -> bool {
        if self.shape.contains(&0) {
            return false;
        }
        let mut dims: Vec<(usize, usize)> = self
            .shape
            .iter()
            .zip(self.strides.iter())
            .filter(|(&size, _)| size > 1)
            .map(|(&size, &stride)| (stride, size))
            .collect();
        dims.sort_unstable();
        let mut extent = 0usize;
        for (stride, size) in dims {
            if stride <= extent {
                return true;
            }
            extent += (size - 1) * stride;
        }
        false
    }

    /// The storage index of every element, in row-major order.
    pub(crate) fn for_each_offset(&self, mut f: impl FnMut(usize)) {
        let numel = self.numel();
        if numel == 0 {
            return;
        }
        let nd = self.shape.len();
        if nd == 0 {
            return f(self.offset);
        }
        let (last_size, last_stride) = (self.shape[nd - 1], self.strides[nd - 1]);
        let mut index = Dims::from_slice(&self.shape[..nd - 1]);
        index.iter_mut().for_each(|i| *i = 0);
        let mut base = self.offset;
        loop {
            for j in 0..last_size {
                f(base + j * last_stride);
            }
            // Advance the outer multi-index, updating the base offset.
            let mut d = nd - 1;
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                index[d] += 1;
                base += self.strides[d];
                if index[d] < self.shape[d] {
                    break;
                }
                base -= index[d] * self.strides[d];
                index[d] = 0;
            }
        }
    }
}
