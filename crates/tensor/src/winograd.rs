//! Winograd's minimal filtering F(2×2, 3×3) for 3×3 convolutions with
//! stride 1 and dilation 1 (ResNet's and VGG's main layers): each 2×2
//! output tile costs 16 multiplications per channel pair instead of 36.
//!
//! With `U = G g Gᵀ` (each 3×3 kernel as 4×4), `V = Bᵀ d B` (each 4×4 input
//! tile) and `Y = Aᵀ M A`, the convolution becomes 16 independent matrix
//! products `M[ξ] = U[ξ] · V[ξ]` (`[O, C] · [C, tiles]`), which the matrix
//! kernel computes. The transforms are exact in exact arithmetic (their
//! coefficients are 0, ±1 and ½), so results differ from the direct
//! method by rounding only.

use std::ops::Range;

use crate::arith::Float;
use crate::matmul::{gemm, GemmElement, MatRef};

/// The shape of one convolution computed this way: `[N, C, H, W]` by
/// `[O, C, 3, 3]` to `[N, O, oh, ow]`, with zeros added before (`pad`) the
/// input; the output size implies the zeros after.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    pub batch: usize,
    pub channels: usize,
    pub outputs: usize,
    pub input: [usize; 2],
    pub output: [usize; 2],
    pub pad: [usize; 2],
}

/// Output tiles per image and in each direction.
impl Plan {
    pub(crate) fn tiles(&self) -> [usize; 2] {
        [self.output[0].div_ceil(2), self.output[1].div_ceil(2)]
    }

    fn tiles_per_image(&self) -> usize {
        let [th, tw] = self.tiles();
        th * tw
    }

    /// The pieces one set of products covers, each `(first image, images,
    /// tile rows)`: whole images grouped while they have fewer than
    /// `columns` tiles, else one image's tile rows in blocks of about
    /// `columns` tiles, so that a block's transformed tiles stay in cache.
    pub(crate) fn blocks(
        &self,
        images: Range<usize>,
        columns: usize,
    ) -> Vec<(usize, usize, Range<usize>)> {
        let [th, tw] = self.tiles();
        let per_product = (columns / self.tiles_per_image().max(1)).max(1);
        if per_product > 1 || th == 0 {
            return images
                .clone()
                .step_by(per_product)
                .map(|start| (start, per_product.min(images.end - start), 0..th))
                .collect();
        }
        let rows = (columns / tw.max(1)).max(1);
        images
            .flat_map(|n| {
                (0..th)
                    .step_by(rows)
                    .map(move |r| (n, 1, r..(r + rows).min(th)))
            })
            .collect()
    }

    /// The most columns [`blocks`](Plan::blocks) gives one set of products.
    pub(crate) fn block_columns(&self, columns: usize) -> usize {
        let [th, tw] = self.tiles();
        let per_product = (columns / self.tiles_per_image().max(1)).max(1);
        match per_product > 1 {
            true => per_product.min(self.batch.max(1)) * self.tiles_per_image(),
            false => (columns / tw.max(1)).max(1).min(th) * tw,
        }
    }
}

/// `U = G g Gᵀ` for every `[O, C]` kernel, laid out as 16 matrices `[O, C]`.
pub(crate) fn transform_weights<T: Float>(weight: &[T], outputs: usize, channels: usize) -> Vec<T> {
    let half = T::from_f64(0.5);
    let mut u = vec![T::zero(); 16 * outputs * channels];
    let plane = outputs * channels;
    for (oc, g) in weight.chunks_exact(9).enumerate() {
        // G g: 4×3.
        let mut gg = [[T::zero(); 3]; 4];
        for j in 0..3 {
            let (g0, g1, g2) = (g[j], g[3 + j], g[6 + j]);
            gg[0][j] = g0;
            gg[1][j] = half.mul(g0.add(g1).add(g2));
            gg[2][j] = half.mul(g0.sub(g1).add(g2));
            gg[3][j] = g2;
        }
        // (G g) Gᵀ: 4×4.
        for (i, row) in gg.iter().enumerate() {
            let (a, b, c) = (row[0], row[1], row[2]);
            let values = [a, half.mul(a.add(b).add(c)), half.mul(a.sub(b).add(c)), c];
            for (j, v) in values.into_iter().enumerate() {
                u[(i * 4 + j) * plane + oc] = v;
            }
        }
    }
    u
}

/// `V = Bᵀ d B` of the 4×4 tiles in tile rows `rows` of one image
/// `[C, H, W]`, written from column `col` of the 16 matrices `[C, ld]` in
/// `v`. `padded` is scratch for those rows of one zero-padded channel.
pub(crate) fn transform_input<T: Float>(
    plan: &Plan,
    image: &[T],
    v: &mut [T],
    ld: usize,
    col: usize,
    rows: Range<usize>,
    padded: &mut Vec<T>,
) {
    let tw = plan.tiles()[1];
    let [h, w] = plan.input;
    let (ph, pw) = (2 * rows.len() + 2, 2 * tw + 2);
    let first_row = 2 * rows.start;
    padded.clear();
    padded.resize(ph * pw, T::zero());
    let matrix = plan.channels * ld;
    for (c, src) in image.chunks_exact(h * w).enumerate() {
        // The channel inside its zero border, so tiles never test bounds.
        for y in 0..ph {
            let row = &mut padded[y * pw..(y + 1) * pw];
            row.fill(T::zero());
            let Some(sy) = ((first_row + y) as isize - plan.pad[0] as isize)
                .try_into()
                .ok()
                .filter(|&sy: &usize| sy < h)
            else {
                continue;
            };
            let x0 = plan.pad[1].min(pw);
            let n = w.min(pw.saturating_sub(x0));
            row[x0..x0 + n].copy_from_slice(&src[sy * w..sy * w + n]);
        }
        // Per row of tiles, in two passes that vectorize across the tiles:
        // `d B` of each of the 4 input rows, then `Bᵀ (d B)` into V.
        let mut q = vec![T::zero(); 16 * tw];
        let (mut even, mut odd) = (vec![T::zero(); tw + 1], vec![T::zero(); tw + 1]);
        for ty in 0..rows.len() {
            for r in 0..4 {
                let row = &padded[(2 * ty + r) * pw..(2 * ty + r + 1) * pw];
                let (q0, rest) = q[r * 4 * tw..(r + 1) * 4 * tw].split_at_mut(tw);
                let (q1, rest) = rest.split_at_mut(tw);
                let (q2, q3) = rest.split_at_mut(tw);
                // The row's even and odd elements apart, so the tile
                // arithmetic below reads unit strides: d0, d1, d2, d3 of
                // tile tx are even[tx], odd[tx], even[tx + 1], odd[tx + 1].
                for (j, pair) in row.chunks_exact(2).enumerate() {
                    even[j] = pair[0];
                    odd[j] = pair[1];
                }
                let (e0, e1, o0, o1) = (&even[..tw], &even[1..=tw], &odd[..tw], &odd[1..=tw]);
                for tx in 0..tw {
                    q0[tx] = e0[tx].sub(e1[tx]);
                    q1[tx] = o0[tx].add(e1[tx]);
                    q2[tx] = e1[tx].sub(o0[tx]);
                    q3[tx] = o0[tx].sub(o1[tx]);
                }
            }
            let base = c * ld + col + ty * tw;
            for k in 0..4 {
                let row = |r: usize| &q[(r * 4 + k) * tw..(r * 4 + k + 1) * tw];
                let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3));
                for tx in 0..tw {
                    v[k * matrix + base + tx] = r0[tx].sub(r2[tx]);
                }
                for tx in 0..tw {
                    v[(4 + k) * matrix + base + tx] = r1[tx].add(r2[tx]);
                }
                for tx in 0..tw {
                    v[(8 + k) * matrix + base + tx] = r2[tx].sub(r1[tx]);
                }
                for tx in 0..tw {
                    v[(12 + k) * matrix + base + tx] = r1[tx].sub(r3[tx]);
                }
            }
        }
    }
}

/// `M[ξ] = U[ξ] · V[ξ]` for the 16 matrices: `u` `[O, C]`, `v` `[C, ld]`, `m` `[O, ld]`.
pub(crate) fn products<T: Float + GemmElement>(
    plan: &Plan,
    u: &[T],
    v: &[T],
    m: &mut [T],
    ld: usize,
) {
    let (o, c) = (plan.outputs, plan.channels);
    for xi in 0..16 {
        let a = MatRef::new(u[xi * o * c..].as_ptr(), o, c, c as isize, 1);
        let b = MatRef::new(v[xi * c * ld..].as_ptr(), c, ld, ld as isize, 1);
        let out = &mut m[xi * o * ld..(xi + 1) * o * ld];
        // SAFETY: `a`, `b` and `out` are live slices of the sizes the product reads and writes.
        unsafe { gemm(a, b, out.as_mut_ptr(), ld, false) };
    }
}

/// `Y = Aᵀ M A` of every tile at column `col` of `m`, written into one
/// output image `[O, oh, ow]` (plus `bias`) for the tile rows `rows`, the
/// last row and column of tiles cut to the output's size.
pub(crate) fn transform_output<T: Float>(
    plan: &Plan,
    m: &[T],
    ld: usize,
    col: usize,
    rows: Range<usize>,
    bias: Option<&[T]>,
    out: &mut [T],
) {
    let tw = plan.tiles()[1];
    let [oh, ow] = plan.output;
    let matrix = plan.outputs * ld;
    // Per row of tiles, in two passes that vectorize across the tiles:
    // `Aᵀ M` (2 rows of 4), then `(Aᵀ M) A` into the output's two rows.
    let mut r = vec![T::zero(); 8 * tw];
    let (mut left, mut right) = (vec![T::zero(); tw], vec![T::zero(); tw]);
    for (o, plane) in out.chunks_exact_mut(oh * ow).enumerate() {
        let shift = bias.map_or(T::zero(), |b| b[o]);
        for ty in rows.clone() {
            let base = o * ld + col + (ty - rows.start) * tw;
            let at = |xi: usize| &m[xi * matrix + base..][..tw];
            for k in 0..4 {
                let (m0, m1, m2, m3) = (at(k), at(4 + k), at(8 + k), at(12 + k));
                let (top, bottom) = r[2 * k * tw..(2 * k + 2) * tw].split_at_mut(tw);
                for tx in 0..tw {
                    top[tx] = m0[tx].add(m1[tx]).add(m2[tx]);
                    bottom[tx] = m1[tx].sub(m2[tx]).sub(m3[tx]);
                }
            }
            for i in 0..2 {
                let y = 2 * ty + i;
                if y >= oh {
                    break;
                }
                let row = |k: usize| &r[(2 * k + i) * tw..(2 * k + i + 1) * tw];
                let (a0, a1, a2, a3) = (row(0), row(1), row(2), row(3));
                for tx in 0..tw {
                    left[tx] = a0[tx].add(a1[tx]).add(a2[tx]).add(shift);
                    right[tx] = a1[tx].sub(a2[tx]).sub(a3[tx]).add(shift);
                }
                let dst = &mut plane[y * ow..(y + 1) * ow];
                let pairs = ow / 2;
                for (tx, pair) in dst[..2 * pairs].chunks_exact_mut(2).enumerate() {
                    pair[0] = left[tx];
                    pair[1] = right[tx];
                }
                if ow % 2 == 1 {
                    dst[ow - 1] = left[tw - 1];
                }
            }
        }
    }
}

/// `Ŷ = A dY Aᵀ` (the adjoint of the output transform) of every 2×2 tile of
/// one output gradient `[O, oh, ow]` (zeros past the edge) in tile rows
/// `rows`, written from column `col` of the 16 matrices `[O, ld]` in `m`.
pub(crate) fn transform_output_grad<T: Float>(
    plan: &Plan,
    grad: &[T],
    m: &mut [T],
    ld: usize,
    col: usize,
    rows: Range<usize>,
) {
    let tw = plan.tiles()[1];
    let [oh, ow] = plan.output;
    let matrix = plan.outputs * ld;
    // Two gradient rows at a time, zero past the edge; then, per row `i` of
    // `A dY` (`y0`, `y0 + y1`, `y0 - y1`, `-y1`), the 4 columns of
    // `(A dY) Aᵀ` (`a`, `a + b`, `a - b`, `-b` of each pair), in loops that
    // vectorize across the tiles.
    let (mut y0, mut y1, mut t) = (
        vec![T::zero(); 2 * tw],
        vec![T::zero(); 2 * tw],
        vec![T::zero(); 2 * tw],
    );
    for (o, plane) in grad.chunks_exact(oh * ow).enumerate() {
        for ty in rows.clone() {
            for (r, row) in [&mut y0, &mut y1].into_iter().enumerate() {
                let y = 2 * ty + r;
                row.fill(T::zero());
                if y < oh {
                    row[..ow].copy_from_slice(&plane[y * ow..(y + 1) * ow]);
                }
            }
            let base = o * ld + col + (ty - rows.start) * tw;
            for i in 0..4 {
                for ((t, &a), &b) in t.iter_mut().zip(&y0).zip(&y1) {
                    *t = match i {
                        0 => a,
                        1 => a.add(b),
                        2 => a.sub(b),
                        _ => T::zero().sub(b),
                    };
                }
                let (m0, rest) = m[(i * 4) * matrix..].split_at_mut(matrix);
                let (m1, rest) = rest.split_at_mut(matrix);
                let (m2, m3) = rest.split_at_mut(matrix);
                let (m0, m1, m2, m3) = (
                    &mut m0[base..base + tw],
                    &mut m1[base..base + tw],
                    &mut m2[base..base + tw],
                    &mut m3[base..base + tw],
                );
                for (tx, pair) in t.chunks_exact(2).enumerate() {
                    let (a, b) = (pair[0], pair[1]);
                    m0[tx] = a;
                    m1[tx] = a.add(b);
                    m2[tx] = a.sub(b);
                    m3[tx] = T::zero().sub(b);
                }
            }
        }
    }
}

/// `dU[ξ] (+)= Ŷ[ξ] · V[ξ]ᵀ` for the 16 matrices: `m` `[O, ld]`, `v` `[C, ld]`, `du` `[O, C]`.
pub(crate) fn weight_products<T: Float + GemmElement>(
    plan: &Plan,
    m: &[T],
    v: &[T],
    du: &mut [T],
    ld: usize,
    accumulate: bool,
) {
    let (o, c) = (plan.outputs, plan.channels);
    for xi in 0..16 {
        let a = MatRef::new(m[xi * o * ld..].as_ptr(), o, ld, ld as isize, 1);
        let b = MatRef::new(v[xi * c * ld..].as_ptr(), c, ld, ld as isize, 1).t();
        let out = &mut du[xi * o * c..(xi + 1) * o * c];
        // SAFETY: `a`, `b` and `out` are live slices of the sizes the product reads and writes.
        unsafe { gemm(a, b, out.as_mut_ptr(), c, accumulate) };
    }
}

/// `dg = Gᵀ dU G` (the adjoint of the kernel transform): from 16 matrices
/// `[O, C]` to the kernels' gradient `[O, C, 3, 3]`.
pub(crate) fn transform_weight_grad<T: Float>(
    du: &[T],
    outputs: usize,
    channels: usize,
    dw: &mut [T],
) {
    let half = T::from_f64(0.5);
    let plane = outputs * channels;
    // Gᵀ applied to 4 values: 3.
    let g_t = |u: [T; 4]| -> [T; 3] {
        [
            u[0].add(half.mul(u[1].add(u[2]))),
            half.mul(u[1].sub(u[2])),
            half.mul(u[1].add(u[2])).add(u[3]),
        ]
    };
    for (oc, g) in dw.chunks_exact_mut(9).enumerate() {
        let u = |i: usize, k: usize| du[(i * 4 + k) * plane + oc];
        // Gᵀ dU: 3×4, column by column.
        let mut s = [[T::zero(); 4]; 3];
        for k in 0..4 {
            let column = g_t([u(0, k), u(1, k), u(2, k), u(3, k)]);
            for (row, value) in s.iter_mut().zip(column) {
                row[k] = value;
            }
        }
        // (Gᵀ dU) G: 3×3.
        for (j, row) in s.iter().enumerate() {
            let values = g_t(*row);
            g[j * 3..j * 3 + 3].copy_from_slice(&values);
        }
    }
}
