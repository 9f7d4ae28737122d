//! The one matrix product of the fused Flex operations ([`super::recurrence`],
//! [`super::conv`], [`super::linear`]): `gemm`'s kernels behind a safe call that checks every
//! operand against its slice before the unsafe product.

use gemm::{Parallelism, gemm};

/// A matrix operand of [`matmul`]: its values, and how far apart consecutive rows and columns
/// are (a transposed read swaps the two).
#[derive(Clone, Copy)]
pub(crate) struct Operand<'a> {
    values: &'a [f32],
    row: usize,
    column: usize,
}

impl<'a> Operand<'a> {
    /// `values` read as rows `row` apart, columns adjacent.
    pub(crate) fn rows(values: &'a [f32], row: usize) -> Self {
        Operand {
            values,
            row,
            column: 1,
        }
    }

    /// `values` read transposed: element `(i, j)` at `j * stride + i`.
    pub(crate) fn transposed(values: &'a [f32], stride: usize) -> Self {
        Operand {
            values,
            row: 1,
            column: stride,
        }
    }
}

/// Whether a `rows x columns` matrix at `(row, column)` strides lies inside `len` values, with
/// strides that fit `isize` (what `gemm` takes).
fn inside(len: usize, [rows, columns]: [usize; 2], [row, column]: [usize; 2]) -> bool {
    let strides = isize::try_from(row).is_ok() && isize::try_from(column).is_ok();
    if rows == 0 || columns == 0 {
        return strides;
    }
    let last = (rows - 1)
        .checked_mul(row)
        .zip((columns - 1).checked_mul(column))
        .and_then(|(a, b)| a.checked_add(b));
    strides && last.is_some_and(|last| last < len)
}

/// `dst = lhs x rhs` (or `dst += ..` when `accumulate`) for `[m, n, k]` sizes, `dst` row-major
/// with rows `dst_row` apart, on the calling thread (callers run blocks of work on rayon).
///
/// # Panics
/// When `dst` does not hold `m` rows of `n` values at its stride, `lhs` `m x k` or `rhs`
/// `k x n` values at theirs: a broken internal invariant, caught before the unsafe product.
pub(crate) fn matmul(
    sizes: [usize; 3],
    dst: &mut [f32],
    dst_row: usize,
    accumulate: bool,
    lhs: Operand<'_>,
    rhs: Operand<'_>,
) {
    product(
        sizes,
        dst,
        dst_row,
        accumulate,
        [lhs, rhs],
        Parallelism::None,
    );
}

/// Products of at least this many multiply-adds run on rayon's threads in Flex's `matmul`.
const FLEX_PARALLEL_MACS: usize = 192 * 192 * 192;

/// `dst = lhs x rhs` into a row-major `dst` of `n` columns, threaded as Flex's own `matmul`
/// threads it (on rayon's threads from [`FLEX_PARALLEL_MACS`] multiply-adds): the same `gemm`
/// call Flex makes for operands of these strides, so the same bits.
///
/// # Panics
/// As [`matmul`].
pub(crate) fn matmul_as_flex(
    [m, n, k]: [usize; 3],
    dst: &mut [f32],
    lhs: Operand<'_>,
    rhs: Operand<'_>,
) {
    let threads = if m.saturating_mul(n).saturating_mul(k) >= FLEX_PARALLEL_MACS {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    };
    product([m, n, k], dst, n, false, [lhs, rhs], threads);
}

/// [`matmul`] with `gemm`'s threading chosen by the caller.
fn product(
    [m, n, k]: [usize; 3],
    dst: &mut [f32],
    dst_row: usize,
    accumulate: bool,
    [lhs, rhs]: [Operand<'_>; 2],
    threads: Parallelism,
) {
    assert!(
        inside(dst.len(), [m, n], [dst_row, 1])
            && inside(lhs.values.len(), [m, k], [lhs.row, lhs.column])
            && inside(rhs.values.len(), [k, n], [rhs.row, rhs.column]),
        "a {m}x{k} by {k}x{n} matrix product does not fit its buffers \
         ({} destination, {} and {} operand values)",
        dst.len(),
        lhs.values.len(),
        rhs.values.len()
    );
    let stride = |s: usize| s as isize;
    // SAFETY: the assert above proves that every element gemm reads (lhs m x k, rhs k x n) or
    // writes (dst m x n) through these strides lies inside its slice, and that the strides fit
    // `isize`; `dst` is a unique borrow, so it overlaps neither shared operand. gemm computes
    // dst = alpha dst + beta lhs rhs and keeps no pointer past the call.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            stride(dst_row),
            accumulate,
            lhs.values.as_ptr(),
            stride(lhs.column),
            stride(lhs.row),
            rhs.values.as_ptr(),
            stride(rhs.column),
            stride(rhs.row),
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            threads,
        );
    }
}
