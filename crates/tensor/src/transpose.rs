//! 8×8 float32 transposes in AVX registers, shared by the copies that turn
//! a transposed layout row-major: `contiguous()` of a transposed view and
//! the matrix product's copy of a column-major right operand.

#![cfg(target_arch = "x86_64")]

/// `dst[i][j] = src[j][i]` for an 8×8 block, `src` rows `ld_src` apart and
/// `dst` rows `ld_dst` apart (the classic unpack, shuffle, permute sequence).
///
/// # Safety
/// The CPU has AVX; both blocks are readable / writable.
#[target_feature(enable = "avx")]
pub(crate) unsafe fn transpose_8x8_avx(
    src: *const f32,
    ld_src: isize,
    dst: *mut f32,
    ld_dst: usize,
) {
    use std::arch::x86_64::*;
    // SAFETY: eight rows of eight floats, as the contract says.
    unsafe {
        let r: [__m256; 8] =
            std::array::from_fn(|k| _mm256_loadu_ps(src.offset(k as isize * ld_src)));
        let t = [
            _mm256_unpacklo_ps(r[0], r[1]),
            _mm256_unpackhi_ps(r[0], r[1]),
            _mm256_unpacklo_ps(r[2], r[3]),
            _mm256_unpackhi_ps(r[2], r[3]),
            _mm256_unpacklo_ps(r[4], r[5]),
            _mm256_unpackhi_ps(r[4], r[5]),
            _mm256_unpacklo_ps(r[6], r[7]),
            _mm256_unpackhi_ps(r[6], r[7]),
        ];
        let u = [
            _mm256_shuffle_ps::<0x44>(t[0], t[2]),
            _mm256_shuffle_ps::<0xEE>(t[0], t[2]),
            _mm256_shuffle_ps::<0x44>(t[1], t[3]),
            _mm256_shuffle_ps::<0xEE>(t[1], t[3]),
            _mm256_shuffle_ps::<0x44>(t[4], t[6]),
            _mm256_shuffle_ps::<0xEE>(t[4], t[6]),
            _mm256_shuffle_ps::<0x44>(t[5], t[7]),
            _mm256_shuffle_ps::<0xEE>(t[5], t[7]),
        ];
        for k in 0..4 {
            _mm256_storeu_ps(
                dst.add(k * ld_dst),
                _mm256_permute2f128_ps::<0x20>(u[k], u[k + 4]),
            );
            _mm256_storeu_ps(
                dst.add((k + 4) * ld_dst),
                _mm256_permute2f128_ps::<0x31>(u[k], u[k + 4]),
            );
        }
    }
}
