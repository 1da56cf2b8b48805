/* Dense float64 kernels over OpenBLAS + LAPACKE; float32 inputs are widened to float64 before any accumulation. */
#include "kernels.h"
#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>
#include <math.h>
#include <pthread.h>
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

int lw_gram_t(const void *x, int f32, int rows, int cols, double *out) {
  double *owned;
  const double *d = widen(x, f32, (size_t)rows * cols, &owned);
  if (!d) return -1;
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, cols, rows, 1.0, d, cols, 0.0, out, cols);
  for (int i = 0; i < cols; i++)
    for (int j = 0; j < i; j++) out[(size_t)i * cols + j] = out[(size_t)j * cols + i];
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

/* Values above which centring splits its rows over two threads. */
#define CENTRE_PARALLEL_MIN ((size_t)1 << 20)

/* Four independent partial sums (j mod 4) then (s0 + s1) + (s2 + s3): the order centre.ts uses. */
#define LANE_SUM(TERM, RESULT)                                    \
  do {                                                            \
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;                        \
    size_t j = 0;                                                 \
    for (; j + 4 <= m; j += 4) {                                  \
      { size_t k = j; s0 += TERM; }                               \
      { size_t k = j + 1; s1 += TERM; }                           \
      { size_t k = j + 2; s2 += TERM; }                           \
      { size_t k = j + 3; s3 += TERM; }                           \
    }                                                             \
    for (; j < m; j++) { size_t k = j; s0 += TERM; }              \
    RESULT = (s0 + s1) + (s2 + s3);                               \
  } while (0)

/* One variant per (input, output) element type; the arithmetic is in double throughout. */
#define CENTRE_ROWS(NAME, IN, OUT)                                                        \
  static long NAME(const IN *x, int rows, size_t m, OUT *out, double *sumsq) {            \
    for (int r = 0; r < rows; r++) {                                                      \
      const IN *v = x + (size_t)r * m;                                                    \
      OUT *o = out + (size_t)r * m;                                                       \
      double sum, corr, ss;                                                               \
      LANE_SUM((double)v[k], sum);                                                        \
      if (!isfinite(sum)) return r;                                                       \
      double mean = sum / (double)m;                                                      \
      /* Second pass corrects the mean for rounding in the first (never sum(x^2) - m mean^2). */ \
      LANE_SUM((double)v[k] - mean, corr);                                                \
      mean += corr / (double)m;                                                           \
      for (size_t k = 0; k < m; k++) o[k] = (OUT)((double)v[k] - mean);                   \
      LANE_SUM(((double)v[k] - mean) * ((double)v[k] - mean), ss);                        \
      sumsq[r] = ss;                                                                      \
    }                                                                                     \
    return -1;                                                                            \
  }

CENTRE_ROWS(centre_ff, float, float)
CENTRE_ROWS(centre_fd, float, double)
CENTRE_ROWS(centre_dd, double, double)
CENTRE_ROWS(centre_df, double, float)

static long centre_part(const void *x, int x32, int rows, size_t m, void *out, int out32, double *sumsq) {
  if (x32) return out32 ? centre_ff(x, rows, m, out, sumsq) : centre_fd(x, rows, m, out, sumsq);
  return out32 ? centre_df(x, rows, m, out, sumsq) : centre_dd(x, rows, m, out, sumsq);
}

typedef struct { const void *x; int x32; int rows; size_t m; void *out; int out32; double *sumsq; long bad; } CentreJob;

static void *centre_job(void *p) {
  CentreJob *j = (CentreJob *)p;
  j->bad = centre_part(j->x, j->x32, j->rows, j->m, j->out, j->out32, j->sumsq);
  return NULL;
}

/* Rows are independent, so a large layer is split in two halves on two threads when OpenBLAS may use more than one
   (the server sets OPENBLAS_NUM_THREADS=1 in its workers: one thread there). The loop is bound by memory and by
   first-touch page faults of the fresh output, which two cores take in parallel. Results do not depend on the split. */
long lw_centre(const void *x, int x32, int rows, int cols, void *out, int out32, double *sumsq) {
  size_t m = (size_t)cols;
  int half = rows / 2;
  pthread_t thread;
  if ((size_t)rows * m < CENTRE_PARALLEL_MIN || half == 0 || openblas_get_num_threads() < 2) return centre_part(x, x32, rows, m, out, out32, sumsq);
  size_t skip = (size_t)half * m;
  CentreJob second = { (const char *)x + skip * (x32 ? 4 : 8), x32, rows - half, m, (char *)out + skip * (out32 ? 4 : 8), out32, sumsq + half, -1 };
  if (pthread_create(&thread, NULL, centre_job, &second) != 0) return centre_part(x, x32, rows, m, out, out32, sumsq);
  long bad = centre_part(x, x32, half, m, out, out32, sumsq);
  pthread_join(thread, NULL);
  if (bad >= 0) return bad;
  return second.bad >= 0 ? second.bad + half : -1;
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

int lw_eig_top(double *s, int n, int k, double *values, double *vectors) {
  if (n == 0 || k == 0) return 0;
  int found = 0;
  int *support = (int *)malloc((size_t)2 * k * sizeof(int));
  double *w = (double *)malloc((size_t)n * sizeof(double));
  if (!support || !w) { free(support); free(w); return -1; }
  /* Indices n-k+1..n (1-based, ascending) are the k largest; eigenvectors come back as contiguous columns = our rows. */
  int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'I', 'U', n, s, n, 0.0, 0.0, n - k + 1, n, 0.0, &found, w, vectors, n, support);
  if (info == 0 && found != k) info = -2;
  if (info == 0) {
    for (int i = 0; i < k; i++) values[i] = w[k - 1 - i];
    double *tmp = (double *)malloc((size_t)n * sizeof(double));
    if (!tmp) info = -1;
    for (int i = 0, j = k - 1; tmp && i < j; i++, j--) {
      memcpy(tmp, vectors + (size_t)i * n, (size_t)n * sizeof(double));
      memcpy(vectors + (size_t)i * n, vectors + (size_t)j * n, (size_t)n * sizeof(double));
      memcpy(vectors + (size_t)j * n, tmp, (size_t)n * sizeof(double));
    }
    free(tmp);
  }
  free(support);
  free(w);
  return info;
}

/* ---- binary16 (half precision) <-> float32, round to nearest even: the opt-in float16 store of raw activations. ---- */
#include <immintrin.h>

static uint16_t half_of(float x) {
  uint32_t b;
  memcpy(&b, &x, 4);
  uint32_t sign = (b >> 16) & 0x8000, exp = (b >> 23) & 0xff, mant = b & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000;
    int shift = 14 - e;
    uint32_t half = 1u << (shift - 1), h = mant >> shift, rest = mant & ((1u << shift) - 1);
    if (rest > half || (rest == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = ((uint32_t)e << 10) | (mant >> 13), rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
  return (uint16_t)(sign | h);
}

static float float_of(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, b;
  if (exp == 0) {
    float v = (float)mant * 5.9604644775390625e-8f; /* 2^-24, exact */
    return sign ? -v : v;
  }
  if (exp == 0x1f) b = sign | 0x7f800000 | (mant << 13);
  else b = sign | ((exp + 112) << 23) | (mant << 13);
  float f;
  memcpy(&f, &b, 4);
  return f;
}

__attribute__((target("avx,f16c"))) static void encode_f16c(const float *x, size_t n, float inv, uint16_t *out) {
  size_t i = 0;
  __m256 s = _mm256_set1_ps(inv);
  for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i *)(out + i), _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(x + i), s), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++) out[i] = half_of(x[i] * inv);
}

__attribute__((target("avx,f16c"))) static void decode_f16c(const uint16_t *h, size_t n, float scale, float *out) {
  size_t i = 0;
  __m256 s = _mm256_set1_ps(scale);
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + i))), s));
  for (; i < n; i++) out[i] = float_of(h[i]) * scale;
}

static int has_f16c(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
}

void lw_f16_encode(const float *x, size_t n, float scale, uint16_t *out) {
  float inv = 1.0f / scale; /* exact: scale is a power of two */
  if (has_f16c()) { encode_f16c(x, n, inv, out); return; }
  for (size_t i = 0; i < n; i++) out[i] = half_of(x[i] * inv);
}

void lw_f16_decode(const uint16_t *h, size_t n, float scale, float *out) {
  if (has_f16c()) { decode_f16c(h, n, scale, out); return; }
  for (size_t i = 0; i < n; i++) out[i] = float_of(h[i]) * scale;
}
