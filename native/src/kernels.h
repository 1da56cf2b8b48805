/* Dense float64 kernels over OpenBLAS + LAPACKE: Gram, cross products, products, symmetric eigendecomposition. */
#ifndef LAYERWATCH_KERNELS_H
#define LAYERWATCH_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/* out (rows x rows) = x x^T for row-major x (rows x cols); x is float32 (f32 != 0) or float64. Returns 0 or -1 (no memory). */
int lw_gram(const void *x, int f32, int rows, int cols, double *out);

/* out (cols x cols) = x^T x for row-major x (rows x cols): the Gram of the columns. */
int lw_gram_t(const void *x, int f32, int rows, int cols, double *out);

/* out (ra x rb) = a b^T for row-major a (ra x cols), b (rb x cols); each float32 or float64. */
int lw_cross(const void *a, int a32, int ra, const void *b, int b32, int rb, int cols, double *out);

/* out (ar x bc) = a b for row-major float64 a (ar x ac) and b (ac x bc), b float32 or float64. */
int lw_mul(const double *a, int ar, int ac, const void *b, int b32, int bc, double *out);

/* Centres each row of x (rows x cols, float32 if x32) over its columns into out (float32 if out32, else float64) and
   writes each row's sum of squares to sumsq. Four-lane sums in the order lib/analysis/centre.ts uses, so both give
   the same bits. Returns -1, or the first row whose sum is not finite (other rows may or may not be written). */
long lw_centre(const void *x, int x32, int rows, int cols, void *out, int out32, double *sumsq);

/* Symmetric eigendecomposition of s (n x n, overwritten): values descending; row i of s becomes eigenvector i. Returns LAPACK info. */
int lw_eigh(double *s, int n, double *values);

/* Eigenvalues only of symmetric s (n x n, destroyed), descending. Returns LAPACK info. */
int lw_eigvals(double *s, int n, double *values);

/* The k largest eigenpairs of symmetric s (n x n, destroyed) by LAPACK's dsyevr (MRRR, index range): values descending,
   row i of vectors (k x n) eigenvector i. Returns LAPACK info (-2: fewer than k found). */
int lw_eig_top(double *s, int n, int k, double *values, double *vectors);

/* x / scale as IEEE binary16 (round to nearest even; F16C when the CPU has it, the same bits either way). */
void lw_f16_encode(const float *x, size_t n, float scale, uint16_t *out);

/* binary16 values times scale as float32 (exact). */
void lw_f16_decode(const uint16_t *h, size_t n, float scale, float *out);

#endif
