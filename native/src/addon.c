/* N-API bindings: exit(code), reexec(args, name, value), centre(x, rows, cols, out, sumsq), gram(x, rows, cols, out), gramT(x, rows, cols, out), eigTop(s, n, k, values, vectors), f16Encode(x, scale, out), f16Decode(h, scale, out), cross(a, ra, b, rb, cols, out), mul(a, ar, ac, b, bc, out), eigh(s, n, values), eigvals(s, n, values). */
#define NAPI_VERSION 8
#define _POSIX_C_SOURCE 200809L
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "kernels.h"

#define MAX_ARGS 6

typedef struct { void *data; size_t length; int f32; } Array;

/* A typed array of exactly `want` type. */
static int get_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length) {
  napi_typedarray_type type;
  size_t offset;
  napi_value buf;
  if (napi_get_typedarray_info(env, v, &type, length, data, &buf, &offset) != napi_ok || type != want) return -1;
  return 0;
}

static int get_double(napi_env env, napi_value v, double *out) {
  return napi_get_value_double(env, v, out) == napi_ok ? 0 : -1;
}

static napi_value throw_error(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

/* Reads argument i as a Float32Array or Float64Array (f64only: float64 required). Returns 0 on success. */
static int get_array(napi_env env, napi_value v, int f64only, Array *out) {
  napi_typedarray_type type;
  size_t length, offset;
  void *data;
  napi_value buf;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &buf, &offset) != napi_ok) return -1;
  if (type == napi_float64_array) out->f32 = 0;
  else if (type == napi_float32_array && !f64only) out->f32 = 1;
  else return -1;
  out->data = data;
  out->length = length;
  return 0;
}

static int get_int(napi_env env, napi_value v, int *out) {
  int32_t x;
  if (napi_get_value_int32(env, v, &x) != napi_ok || x < 0) return -1;
  *out = x;
  return 0;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return -1;
  return 0;
}

static napi_value result(napi_env env, int rc) {
  napi_value v;
  napi_create_int32(env, rc, &v);
  return v;
}

/* Ends the process at once (_exit): no platform shutdown, which can deadlock in Node 20 (nodejs/node#54918). */
static napi_value Exit(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  int code;
  if (get_args(env, info, 1, argv) || get_int(env, argv[0], &code)) return throw_error(env, "BAD_ARGUMENT", "exit(code)");
  _exit(code & 0xff);
}

/* A JavaScript string as a malloc'd C string (NULL when it is not a string). */
static char *get_string(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s && napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
    free(s);
    return NULL;
  }
  return s;
}

/*
 * Sets name=value in the environment and replaces the process image with this executable run with args (execv of
 * /proc/self/exe, Linux): the pid, parent, stdin, stdout and stderr stay. For settings read only at process start, such
 * as GLIBC_TUNABLES. Returns only on failure, with errno.
 */
static napi_value Reexec(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS], item;
  bool is_array = false;
  uint32_t n = 0;
  if (get_args(env, info, 3, argv) || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &n) != napi_ok || n == 0 || n > 65536)
    return throw_error(env, "BAD_ARGUMENT", "reexec(args, name, value)");
  char **args = calloc(n + 1, sizeof(char *));
  char *name = get_string(env, argv[1]), *value = get_string(env, argv[2]);
  int ok = args && name && value;
  for (uint32_t i = 0; ok && i < n; i++) ok = napi_get_element(env, argv[0], i, &item) == napi_ok && (args[i] = get_string(env, item));
  int err = EINVAL;
  if (ok && setenv(name, value, 1) == 0) {
    // Node opens stdin, stdout and stderr close-on-exec: the new image must keep them.
    for (int fd = 0; fd <= 2; fd++) {
      int flags = fcntl(fd, F_GETFD);
      if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    execv("/proc/self/exe", args);
    err = errno;
  }
  for (uint32_t i = 0; args && i < n; i++) free(args[i]);
  free(args);
  free(name);
  free(value);
  if (!ok) return throw_error(env, "BAD_ARGUMENT", "reexec(args, name, value): strings expected");
  return result(env, err);
}

static napi_value Centre(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  Array x, out, sumsq;
  int rows, cols;
  if (get_args(env, info, 5, argv) || get_array(env, argv[0], 0, &x) || get_int(env, argv[1], &rows) ||
      get_int(env, argv[2], &cols) || get_array(env, argv[3], 0, &out) || get_array(env, argv[4], 1, &sumsq))
    return throw_error(env, "BAD_ARGUMENT", "centre(x, rows, cols, out, sumsq)");
  if (x.length < (size_t)rows * cols || out.length < (size_t)rows * cols || sumsq.length < (size_t)rows)
    return throw_error(env, "SHAPE_MISMATCH", "centre: array too short");
  return result(env, (int)lw_centre(x.data, x.f32, rows, cols, out.data, out.f32, sumsq.data));
}

static napi_value Gram(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  Array x, out;
  int rows, cols;
  if (get_args(env, info, 4, argv) || get_array(env, argv[0], 0, &x) || get_int(env, argv[1], &rows) ||
      get_int(env, argv[2], &cols) || get_array(env, argv[3], 1, &out))
    return throw_error(env, "BAD_ARGUMENT", "gram(x, rows, cols, out)");
  if (x.length < (size_t)rows * cols || out.length < (size_t)rows * rows)
    return throw_error(env, "SHAPE_MISMATCH", "gram: array too short");
  return result(env, lw_gram(x.data, x.f32, rows, cols, out.data));
}

static napi_value GramT(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  Array x, out;
  int rows, cols;
  if (get_args(env, info, 4, argv) || get_array(env, argv[0], 0, &x) || get_int(env, argv[1], &rows) ||
      get_int(env, argv[2], &cols) || get_array(env, argv[3], 1, &out))
    return throw_error(env, "BAD_ARGUMENT", "gramT(x, rows, cols, out)");
  if (x.length < (size_t)rows * cols || out.length < (size_t)cols * cols)
    return throw_error(env, "SHAPE_MISMATCH", "gramT: array too short");
  return result(env, lw_gram_t(x.data, x.f32, rows, cols, out.data));
}

static napi_value EigTop(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  Array s, values, vectors;
  int n, k;
  if (get_args(env, info, 5, argv) || get_array(env, argv[0], 1, &s) || get_int(env, argv[1], &n) ||
      get_int(env, argv[2], &k) || get_array(env, argv[3], 1, &values) || get_array(env, argv[4], 1, &vectors))
    return throw_error(env, "BAD_ARGUMENT", "eigTop(s, n, k, values, vectors)");
  if (k > n || s.length < (size_t)n * n || values.length < (size_t)k || vectors.length < (size_t)k * n)
    return throw_error(env, "SHAPE_MISMATCH", "eigTop: array too short or k > n");
  return result(env, lw_eig_top(s.data, n, k, values.data, vectors.data));
}

static napi_value Cross(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  Array a, b, out;
  int ra, rb, cols;
  if (get_args(env, info, 6, argv) || get_array(env, argv[0], 0, &a) || get_int(env, argv[1], &ra) ||
      get_array(env, argv[2], 0, &b) || get_int(env, argv[3], &rb) || get_int(env, argv[4], &cols) ||
      get_array(env, argv[5], 1, &out))
    return throw_error(env, "BAD_ARGUMENT", "cross(a, ra, b, rb, cols, out)");
  if (a.length < (size_t)ra * cols || b.length < (size_t)rb * cols || out.length < (size_t)ra * rb)
    return throw_error(env, "SHAPE_MISMATCH", "cross: array too short");
  return result(env, lw_cross(a.data, a.f32, ra, b.data, b.f32, rb, cols, out.data));
}

static napi_value Mul(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  Array a, b, out;
  int ar, ac, bc;
  if (get_args(env, info, 6, argv) || get_array(env, argv[0], 1, &a) || get_int(env, argv[1], &ar) ||
      get_int(env, argv[2], &ac) || get_array(env, argv[3], 0, &b) || get_int(env, argv[4], &bc) ||
      get_array(env, argv[5], 1, &out))
    return throw_error(env, "BAD_ARGUMENT", "mul(a, ar, ac, b, bc, out)");
  if (a.length < (size_t)ar * ac || b.length < (size_t)ac * bc || out.length < (size_t)ar * bc)
    return throw_error(env, "SHAPE_MISMATCH", "mul: array too short");
  return result(env, lw_mul(a.data, ar, ac, b.data, b.f32, bc, out.data));
}

static napi_value Eigh(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  Array s, values;
  int n;
  if (get_args(env, info, 3, argv) || get_array(env, argv[0], 1, &s) || get_int(env, argv[1], &n) ||
      get_array(env, argv[2], 1, &values))
    return throw_error(env, "BAD_ARGUMENT", "eigh(s, n, values)");
  if (s.length < (size_t)n * n || values.length < (size_t)n)
    return throw_error(env, "SHAPE_MISMATCH", "eigh: array too short");
  return result(env, lw_eigh(s.data, n, values.data));
}

static napi_value Eigvals(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  Array s, values;
  int n;
  if (get_args(env, info, 3, argv) || get_array(env, argv[0], 1, &s) || get_int(env, argv[1], &n) ||
      get_array(env, argv[2], 1, &values))
    return throw_error(env, "BAD_ARGUMENT", "eigvals(s, n, values)");
  if (s.length < (size_t)n * n || values.length < (size_t)n)
    return throw_error(env, "SHAPE_MISMATCH", "eigvals: array too short");
  return result(env, lw_eigvals(s.data, n, values.data));
}

static napi_value F16Encode(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  void *x, *out;
  size_t nx, nout;
  double scale;
  if (get_args(env, info, 3, argv) || get_typed(env, argv[0], napi_float32_array, &x, &nx) || get_double(env, argv[1], &scale) ||
      get_typed(env, argv[2], napi_uint16_array, &out, &nout))
    return throw_error(env, "BAD_ARGUMENT", "f16Encode(x: Float32Array, scale, out: Uint16Array)");
  if (nout < nx || !(scale > 0)) return throw_error(env, "SHAPE_MISMATCH", "f16Encode: out too short or scale not positive");
  lw_f16_encode((const float *)x, nx, (float)scale, (uint16_t *)out);
  return result(env, 0);
}

static napi_value F16Decode(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  void *h, *out;
  size_t nh, nout;
  double scale;
  if (get_args(env, info, 3, argv) || get_typed(env, argv[0], napi_uint16_array, &h, &nh) || get_double(env, argv[1], &scale) ||
      get_typed(env, argv[2], napi_float32_array, &out, &nout))
    return throw_error(env, "BAD_ARGUMENT", "f16Decode(h: Uint16Array, scale, out: Float32Array)");
  if (nout < nh) return throw_error(env, "SHAPE_MISMATCH", "f16Decode: out too short");
  lw_f16_decode((const uint16_t *)h, nh, (float)scale, (float *)out);
  return result(env, 0);
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"exit", NULL, Exit, NULL, NULL, NULL, napi_enumerable, NULL},
    {"reexec", NULL, Reexec, NULL, NULL, NULL, napi_enumerable, NULL},
    {"centre", NULL, Centre, NULL, NULL, NULL, napi_enumerable, NULL},
    {"gram", NULL, Gram, NULL, NULL, NULL, napi_enumerable, NULL},
    {"gramT", NULL, GramT, NULL, NULL, NULL, napi_enumerable, NULL},
    {"eigTop", NULL, EigTop, NULL, NULL, NULL, napi_enumerable, NULL},
    {"f16Encode", NULL, F16Encode, NULL, NULL, NULL, napi_enumerable, NULL},
    {"f16Decode", NULL, F16Decode, NULL, NULL, NULL, napi_enumerable, NULL},
    {"cross", NULL, Cross, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mul", NULL, Mul, NULL, NULL, NULL, napi_enumerable, NULL},
    {"eigh", NULL, Eigh, NULL, NULL, NULL, napi_enumerable, NULL},
    {"eigvals", NULL, Eigvals, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
