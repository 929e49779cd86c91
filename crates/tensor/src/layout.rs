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
    #[inline]
    pub fn from_slice(values: &[usize]) -> Dims {
        if values.len() <= INLINE {
            let mut inline = [0; INLINE];
            inline[..values.len()].copy_from_slice(values);
            Dims(DimsRepr::Inline(values.len() as u8, inline))
        } else {
            Dims(DimsRepr::Heap(values.to_vec()))
        }
    }

    /// The dimensions as a slice.
    pub fn as_slice(&self) -> &[usize] {
        self
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
    #[inline]
    fn deref(&self) -> &[usize] {
        match &self.0 {
            DimsRepr::Inline(len, values) => &values[..*len as usize],
            DimsRepr::Heap(values) => values,
        }
    }
}

impl DerefMut for Dims {
    #[inline]
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

impl PartialEq<Vec<usize>> for Dims {
    fn eq(&self, other: &Vec<usize>) -> bool {
        **self == **other
    }
}

impl PartialEq<[usize]> for Dims {
    fn eq(&self, other: &[usize]) -> bool {
        **self == *other
    }
}

impl<const N: usize> PartialEq<[usize; N]> for Dims {
    fn eq(&self, other: &[usize; N]) -> bool {
        **self == other[..]
    }
}

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
///
/// Sizes and strides of up to six dims live inline, so a tensor (storage,
/// layout, dtype) is 128 bytes and creating one never allocates for its
/// shape. (A plain struct rather than an enum: building one writes aligned
/// words in place, which keeps moves free of store-forwarding stalls.)
pub(crate) struct Layout {
    /// Up to six dims: their sizes. Beyond six, element 0 holds a pointer
    /// to a heap block of `2 * ndim` values (sizes, then strides) that this
    /// layout owns.
    sizes: [usize; INLINE],
    strides: [usize; INLINE],
    pub(crate) offset: usize,
    ndim: usize,
}

impl Layout {
    /// A layout with the given sizes, strides (of equal length) and offset.
    #[inline]
    pub(crate) fn new(shape: &[usize], strides: &[usize], offset: usize) -> Layout {
        assert_eq!(shape.len(), strides.len(), "one stride per dim");
        let n = shape.len();
        let mut layout = Layout {
            sizes: [0; INLINE],
            strides: [0; INLINE],
            offset,
            ndim: n,
        };
        if n <= INLINE {
            layout.sizes[..n].copy_from_slice(shape);
            layout.strides[..n].copy_from_slice(strides);
        } else {
            let block: Box<[usize]> = shape.iter().chain(strides).copied().collect();
            layout.sizes[0] = Box::into_raw(block).cast::<usize>() as usize;
        }
        layout
    }

    /// The row-major layout of `shape` starting at element 0.
    #[inline]
    pub(crate) fn contiguous(shape: &[usize]) -> Layout {
        let n = shape.len();
        if n > INLINE {
            return Layout::new(shape, &contiguous_strides(shape), 0);
        }
        let mut layout = Layout {
            sizes: [0; INLINE],
            strides: [0; INLINE],
            offset: 0,
            ndim: n,
        };
        let mut stride = 1usize;
        for i in (0..n).rev() {
            layout.sizes[i] = shape[i];
            layout.strides[i] = stride;
            stride = stride.saturating_mul(shape[i].max(1));
        }
        layout
    }

    /// The heap block of a layout of more than six dims.
    fn spilled(&self) -> *mut usize {
        debug_assert!(self.ndim > INLINE);
        self.sizes[0] as *mut usize
    }

    #[inline]
    pub(crate) fn shape(&self) -> &[usize] {
        if self.ndim <= INLINE {
            &self.sizes[..self.ndim]
        } else {
            // SAFETY: the block holds 2 * ndim values and lives as long as self.
            unsafe { std::slice::from_raw_parts(self.spilled(), self.ndim) }
        }
    }

    #[inline]
    pub(crate) fn strides(&self) -> &[usize] {
        if self.ndim <= INLINE {
            &self.strides[..self.ndim]
        } else {
            // SAFETY: as in `shape`.
            unsafe { std::slice::from_raw_parts(self.spilled().add(self.ndim), self.ndim) }
        }
    }

    /// Sizes and strides, mutable (their number cannot change).
    pub(crate) fn dims_mut(&mut self) -> (&mut [usize], &mut [usize]) {
        let n = self.ndim;
        if n <= INLINE {
            (&mut self.sizes[..n], &mut self.strides[..n])
        } else {
            // SAFETY: the block holds 2 * ndim values owned by self; the two
            // halves do not overlap.
            unsafe {
                let block = std::slice::from_raw_parts_mut(self.spilled(), 2 * n);
                block.split_at_mut(n)
            }
        }
    }

    /// Swaps dims `a` and `b`.
    pub(crate) fn swap(&mut self, a: usize, b: usize) {
        let (sizes, strides) = self.dims_mut();
        sizes.swap(a, b);
        strides.swap(a, b);
    }

    /// Inserts a dim of `size` and `stride` at `d`.
    pub(crate) fn insert(&mut self, d: usize, size: usize, stride: usize) {
        let mut sizes = Dims::from_slice(self.shape());
        let mut strides = Dims::from_slice(self.strides());
        sizes.insert(d, size);
        strides.insert(d, stride);
        *self = Layout::new(&sizes, &strides, self.offset);
    }

    /// Removes dim `d`.
    pub(crate) fn remove(&mut self, d: usize) {
        let mut sizes = Dims::from_slice(self.shape());
        let mut strides = Dims::from_slice(self.strides());
        sizes.remove(d);
        strides.remove(d);
        *self = Layout::new(&sizes, &strides, self.offset);
    }

    /// Appends a dim of `size` and `stride`.
    pub(crate) fn push(&mut self, size: usize, stride: usize) {
        let d = self.shape().len();
        self.insert(d, size, stride);
    }

    #[inline]
    pub(crate) fn numel(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether the elements are consecutive in row-major order (the strides
    /// of size-1 dims do not matter, as in PyTorch).
    #[inline]
    pub(crate) fn is_contiguous(&self) -> bool {
        let mut expected = 1usize;
        for (&size, &stride) in self.shape().iter().zip(self.strides()).rev() {
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
    #[inline]
    pub(crate) fn has_internal_overlap(&self) -> bool {
        // (A contiguous layout, empty ones included, never overlaps.)
        !self.is_contiguous() && self.strided_overlap()
    }

    /// [`has_internal_overlap`](Layout::has_internal_overlap) for a layout
    /// that is not contiguous.
    fn strided_overlap(&self) -> bool {
        if self.shape().contains(&0) {
            return false;
        }
        let mut dims: Vec<(usize, usize)> = self
            .shape()
            .iter()
            .zip(self.strides())
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
        self.for_each_run(|base, size, stride| {
            for j in 0..size {
                f(base + j * stride);
            }
        });
    }

    /// The elements in row-major order as runs `(first offset, length,
    /// stride)` of the coalesced layout: dims of size 1 are skipped and a
    /// dim that steps exactly over the next one's extent is merged with it,
    /// so an expanded scalar (`[10, 1]` with strides `[0, 0]`) or a narrowed
    /// row block is one run, not one per row.
    pub(crate) fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize)) {
        if self.numel() == 0 {
            return;
        }
        // Coalesced sizes and strides, innermost first.
        let (mut sizes, mut strides) = (Dims::new(), Dims::new());
        for (&size, &stride) in self.shape().iter().zip(self.strides()).rev() {
            if size == 1 {
                continue;
            }
            match (sizes.last_mut(), strides.last()) {
                (Some(inner), Some(&inner_stride)) if stride == inner_stride * *inner => {
                    *inner *= size
                }
                _ => {
                    sizes.push(size);
                    strides.push(stride);
                }
            }
        }
        let (Some(&inner_size), Some(&inner_stride)) = (sizes.first(), strides.first()) else {
            return f(self.offset, 1, 0); // a single element
        };
        let nd = sizes.len();
        let mut index = Dims::from_slice(&sizes);
        index.iter_mut().for_each(|i| *i = 0);
        let mut base = self.offset;
        loop {
            f(base, inner_size, inner_stride);
            // Advance the outer multi-index, updating the base offset.
            let mut d = 1;
            loop {
                if d == nd {
                    return;
                }
                index[d] += 1;
                base += strides[d];
                if index[d] < sizes[d] {
                    break;
                }
                base -= index[d] * strides[d];
                index[d] = 0;
                d += 1;
            }
        }
    }
}

impl Clone for Layout {
    /// A copy of the inline fields for up to six dims (every op clones a
    /// layout: kept inlinable), a new heap block beyond.
    #[inline]
    fn clone(&self) -> Layout {
        if self.ndim <= INLINE {
            Layout {
                sizes: self.sizes,
                strides: self.strides,
                offset: self.offset,
                ndim: self.ndim,
            }
        } else {
            self.clone_spilled()
        }
    }
}

impl Layout {
    #[cold]
    #[inline(never)]
    fn clone_spilled(&self) -> Layout {
        Layout::new(self.shape(), self.strides(), self.offset)
    }

    #[cold]
    #[inline(never)]
    fn free_spilled(&mut self) {
        let block = std::ptr::slice_from_raw_parts_mut(self.spilled(), 2 * self.ndim);
        // SAFETY: the block came from `Box::into_raw` in `new` with this
        // length, and only this layout owns it.
        drop(unsafe { Box::from_raw(block) });
    }
}

impl Drop for Layout {
    #[inline]
    fn drop(&mut self) {
        if self.ndim > INLINE {
            self.free_spilled();
        }
    }
}

impl PartialEq for Layout {
    fn eq(&self, other: &Layout) -> bool {
        self.offset == other.offset
            && self.shape() == other.shape()
            && self.strides() == other.strides()
    }
}

impl Eq for Layout {}

impl fmt::Debug for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Layout")
            .field("shape", &self.shape())
            .field("strides", &self.strides())
            .field("offset", &self.offset)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_beyond_six_dims_own_their_block() {
        let shape: Vec<usize> = (1..=9).collect();
        let mut a = Layout::contiguous(&shape);
        let b = a.clone();
        assert_eq!(a.shape(), &shape[..]);
        assert_eq!(a.strides()[8], 1);
        assert_eq!(a.strides()[7], 9);
        a.swap(0, 8);
        assert_eq!(a.shape()[0], 9);
        assert_eq!(b.shape()[0], 1);
        a.remove(0);
        a.insert(0, 5, 7);
        assert_eq!((a.shape()[0], a.strides()[0]), (5, 7));
        a.remove(0);
        a.remove(0);
        a.remove(0);
        assert_eq!(a.shape().len(), 6);
        assert_ne!(a, b);
    }

    /// Every element's storage index by the definition: the offset plus
    /// the dot product of the multi-index with the strides.
    fn offsets_by_definition(layout: &Layout) -> Vec<usize> {
        let (shape, strides) = (layout.shape(), layout.strides());
        let numel: usize = shape.iter().product();
        (0..numel)
            .map(|flat| {
                let (mut rest, mut at) = (flat, layout.offset);
                for (&size, &stride) in shape.iter().zip(strides).rev() {
                    at += (rest % size) * stride;
                    rest /= size;
                }
                at
            })
            .collect()
    }

    #[test]
    fn offsets_walk_every_layout_in_row_major_order() {
        let cases: &[(&[usize], &[usize], usize)] = &[
            (&[], &[], 3),                                             // 0-d
            (&[10, 1], &[0, 0], 0),                                    // expanded scalar
            (&[1, 1, 1], &[7, 5, 2], 4),                               // one element
            (&[2, 3, 4], &[12, 4, 1], 0),                              // contiguous
            (&[4, 3, 2], &[1, 4, 12], 0),                              // permuted
            (&[2, 3], &[8, 1], 5),                                     // narrowed rows
            (&[3, 2, 2], &[0, 2, 1], 1),                               // expanded leading dim
            (&[2, 1, 3], &[6, 9, 2], 1), // size-1 dim, stepped last dim
            (&[2, 2, 2, 2], &[16, 8, 2, 1], 0), // partially mergeable
            (&[2, 0, 3], &[3, 3, 1], 0), // empty
            (&[1, 2, 1, 2, 1, 2, 1, 2], &[0, 8, 0, 4, 0, 2, 0, 1], 0), // beyond six dims
        ];
        for &(shape, strides, offset) in cases {
            let layout = Layout::new(shape, strides, offset);
            let mut walked = Vec::new();
            layout.for_each_offset(|i| walked.push(i));
            assert_eq!(
                walked,
                offsets_by_definition(&layout),
                "{shape:?} {strides:?}"
            );
        }
    }

    #[test]
    fn contiguous_copies_of_every_layout_read_each_element() {
        // The same layouts as above, read through `contiguous` (which
        // copies run by run: contiguous runs, repeated values, strided
        // runs) over a storage holding each element's own offset.
        let cases: &[(&[usize], &[usize], usize)] = &[
            (&[], &[], 3),
            (&[10, 1], &[0, 0], 0),
            (&[4, 3, 2], &[1, 4, 12], 0),
            (&[2, 3], &[8, 1], 5),
            (&[3, 2, 2], &[0, 2, 1], 1),
            (&[2, 1, 3], &[6, 9, 2], 1),
            (&[3, 4], &[1, 0], 2),
            (&[2, 0, 3], &[3, 3, 1], 0),
            (&[1, 2, 1, 2, 1, 2, 1, 2], &[0, 8, 0, 4, 0, 2, 0, 1], 0),
            // Transposed and permuted, with full 16×16 tiles and ragged edges.
            (&[33, 40], &[1, 33], 3),
            (&[2, 17, 35], &[595, 1, 17], 1),
        ];
        let storage = crate::Tensor::arange(0.0, 2000.0, 1.0);
        for &(shape, strides, offset) in cases {
            let view = storage.try_as_strided(shape, strides, offset).unwrap();
            let expected: Vec<f32> = offsets_by_definition(&Layout::new(shape, strides, offset))
                .into_iter()
                .map(|i| i as f32)
                .collect();
            let copy = view.contiguous();
            assert!(copy.is_contiguous());
            assert_eq!(copy.to_vec_as::<f32>(), expected, "{shape:?} {strides:?}");
        }
    }

    #[test]
    fn a_tensor_fits_in_two_cache_lines() {
        assert_eq!(std::mem::size_of::<Layout>(), 112);
        assert_eq!(std::mem::size_of::<crate::Tensor>(), 128);
    }
}
