/* Dense float64 kernels over OpenBLAS + LAPACKE; float32 inputs are widened to float64 before any accumulation. */
#include "kernels.h"
#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>

/* Returns a float64 view of x: x itself when already float64, else a widened copy the caller frees (*owned set). */
static const double *widen(const void *x, int f32, size_t n, double **owned) {
  *owned = NULL;
  if (!f32) return (const double *)x;
  double *d = (double *)malloc(n * sizeof(double));
  if (!d) return NULL;
  const float *f = (const float *)x;
  for (size_t i = 0; i < n; i++) d[i] = (double)f[i];
  *owned = d;
  return d;
}

int lw_gram(const void *x, int f32, int rows, int cols, double *out) {
  double *owned;
  const double *d = widen(x, f32, (size_t)rows * cols, &owned);
  if (!d) return -1;
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, rows, cols, 1.0, d, cols, 0.0, out, rows);
  /* dsyrk fills one triangle; mirror it so callers see a full symmetric matrix. */
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < i; j++) out[(size_t)i * rows + j] = out[(size_t)j * rows + i];
  free(owned);
  return 0;
}

int lw_cross(const void *a, int a32, int ra, const void *b, int b32, int rb, int cols, double *out) {
  double *oa, *ob;
  const double *da = widen(a, a32, (size_t)ra * cols, &oa);
  if (!da) return -1;
  const double *db = widen(b, b32, (size_t)rb * cols, &ob);
  if (!db) { free(oa); return -1; }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ra, rb, cols, 1.0, da, cols, db, cols, 0.0, out, rb);
  free(oa);
  free(ob);
  return 0;
}

int lw_mul(const double *a, int ar, int ac, const void *b, int b32, int bc, double *out) {
  double *ob;
  const double *db = widen(b, b32, (size_t)ac * bc, &ob);
  if (!db) return -1;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ar, bc, ac, 1.0, a, ac, db, bc, 0.0, out, bc);
  free(ob);
  return 0;
}

int lw_eigvals(double *s, int n, double *values) {
  if (n == 0) return 0;
  int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', n, s, n, values);
  for (int i = 0, j = n - 1; i < j; i++, j--) { double t = values[i]; values[i] = values[j]; values[j] = t; }
  return info;
}

int lw_eigh(double *s, int n, double *values) {
  if (n == 0) return 0;
  /* Column-major on a symmetric input is the same matrix; eigenvectors come back as contiguous columns = our rows. */
  int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'U', n, s, n, values);
  if (info != 0) return info;
  /* LAPACK sorts ascending; reverse to descending (values and vector rows). */
  double *tmp = (double *)malloc((size_t)n * sizeof(double));
  if (!tmp) return -1;
  for (int i = 0, j = n - 1; i < j; i++, j--) {
    double t = values[i]; values[i] = values[j]; values[j] = t;
    memcpy(tmp, s + (size_t)i * n, (size_t)n * sizeof(double));
    memcpy(s + (size_t)i * n, s + (size_t)j * n, (size_t)n * sizeof(double));
    memcpy(s + (size_t)j * n, tmp, (size_t)n * sizeof(double));
  }
  free(tmp);
  return 0;
}
