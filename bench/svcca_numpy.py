"""Numpy anchors for bench/svcca.ts: the google/svcca recipe and a Gram-route SVCCA, timed on the same .npy files.

usage: /usr/bin/python3 bench/svcca_numpy.py A.npy B.npy [REPS]   -> one JSON line
       /usr/bin/python3 bench/svcca_numpy.py A.npy B.npy --gram-once  -> load + Gram route once (timed as a whole process)
"""
import json
import statistics
import sys
import time

import numpy as np


def centred(x):
    x = x.astype(np.float64)
    x = x - x.mean(axis=1, keepdims=True)
    return x - x.mean(axis=1, keepdims=True)


def keep99(s2, threshold=0.99):
    c = np.cumsum(s2) / s2.sum()
    return int(np.searchsorted(c, threshold) + 1)


def inv_sqrt(c, eps):
    w, v = np.linalg.eigh(c + eps * np.eye(len(c)))
    w = np.maximum(w, eps)
    return (v / np.sqrt(w)) @ v.T


def google_recipe(a, b):
    """google/svcca's recipe: SVD of each centred layer, keep 99%, then covariance CCA (inverse square roots)."""
    out = []
    for x in (a, b):
        x = centred(x)
        u, s, vt = np.linalg.svd(x, full_matrices=False)
        k = keep99(s * s)
        out.append(s[:k, None] * vt[:k])
    x, y = out
    cov = np.cov(np.vstack([x, y]))
    kx = len(x)
    sxx, sxy, syy = cov[:kx, :kx], cov[:kx, kx:], cov[kx:, kx:]
    scale = max(np.abs(sxx).max(), np.abs(syy).max())
    sxx, sxy, syy = sxx / scale, sxy / scale, syy / scale
    m = inv_sqrt(sxx, 1e-10) @ sxy @ inv_sqrt(syy, 1e-10)
    rho = np.linalg.svd(m, compute_uv=False)
    return float(np.mean(rho[: min(len(x), len(y))]))


def gram_recipe(a, b):
    """Gram route: one centred Gram of both layers, symmetric eigendecompositions, SVD of the small whitened cross block."""
    za, zb = centred(a), centred(b)
    z = np.vstack([za, zb])
    g = z @ z.T
    na = len(za)
    parts = []
    for blk in (g[:na, :na], g[na:, na:]):
        w, v = np.linalg.eigh(blk)
        w, v = w[::-1], v[:, ::-1]
        r = int((w > 1e-12 * w[0]).sum())
        w, v = w[:r], v[:, :r]
        k = keep99(w)
        parts.append(v[:, :k] / np.sqrt(w[:k]))
    m = parts[0].T @ g[:na, na:] @ parts[1]
    rho = np.linalg.svd(m, compute_uv=False)
    return float(rho.mean())


def median_time(fn, a, b, reps):
    """Median wall time of reps runs (the machine is shared, so single runs swing) and the last value."""
    times, value = [], None
    for _ in range(reps):
        t = time.perf_counter()
        value = fn(a, b)
        times.append(time.perf_counter() - t)
    return statistics.median(times), value


def main():
    t0 = time.perf_counter()
    a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
    if sys.argv[3:] == ["--gram-once"]:
        print(json.dumps({"svcca_gram": gram_recipe(a, b)}))
        return
    load = time.perf_counter() - t0
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    tg, vg = median_time(google_recipe, a, b, reps)
    tr, vr = median_time(gram_recipe, a, b, reps)
    print(json.dumps({"google": tg, "gram": tr, "svcca_google": vg, "svcca_gram": vr, "load": load, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
