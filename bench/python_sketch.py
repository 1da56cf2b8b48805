#!/usr/bin/python3
"""Sketches from the Python client (sketch=K): trainer-side cost, wire size, and svcca-k equal to the raw path.

    /usr/bin/python3 bench/python_sketch.py [--layers 32 --units 4096 --examples 2000 --sketch 64]
        [--check-layers 4 --check-units 1024 --checkpoints 3] [--smoke]

1. Wide: one checkpoint of LAYERS × UNITS × EXAMPLES float32 activations (torch tensors, CPU here) sent with
   run.send_activations(..., sketch=K) to the real server: the trainer-side time of that call (the sketches; the send
   itself is on the client's background thread) and the bytes of the checkpoint's frames as the server stored them
   (sketch frames are stored as received, so this is the wire size). Targets: ≤ 24 MB a checkpoint.
2. Equality: CHECKPOINTS of CHECK_LAYERS × CHECK_UNITS × EXAMPLES sent twice, raw and with sketch=K; svcca-k (k = 10)
   of every layer at every checkpoint to the final one, computed by the server from the stored frames
   (`layerwatch export --json --metric svcca-k --k 10`, which recomputes from the log), for both runs, side by side with
   numpy computing the same from the raw matrices (full SVD per layer). Target: sketch = raw within 1e-6.
3. A real run: examples/digits_mlp.py (3 hidden layers of 128 units) trained twice with the same seed, raw and with
   --sketch REAL_SKETCH: svcca-k and CKA of each layer to the final checkpoint from both runs, as the server stored them;
   svcca-k must agree within 1e-6, CKA from sketches is approximate (the rank-K truncations) and its error is printed.
The server time per sketched checkpoint is bench/live.ts --preset llm-sketch's figure (it depends only on K × examples).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import layerwatch  # noqa: E402
from python_server import start_real_server, stop_server  # noqa: E402

WIRE_TARGET_MB = 24.0
EQUAL_TOL = 1e-6
K_SVCCA = 10


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    smoke = "--smoke" in sys.argv
    p.add_argument("--layers", type=int, default=3 if smoke else 32)
    p.add_argument("--units", type=int, default=200 if smoke else 4096)
    p.add_argument("--examples", type=int, default=300 if smoke else 2000)
    p.add_argument("--sketch", type=int, default=16 if smoke else 64)
    p.add_argument("--check-layers", type=int, default=2 if smoke else 4)
    p.add_argument("--check-units", type=int, default=120 if smoke else 1024)
    p.add_argument("--checkpoints", type=int, default=3)
    p.add_argument("--real-sketch", type=int, default=32)
    p.add_argument("--real-epochs", type=int, default=1 if smoke else 30)
    p.add_argument("--real-checkpoints", type=int, default=3 if smoke else 40)
    p.add_argument("--smoke", action="store_true")
    return p.parse_args()


def activations(rng, units, m, rank=40):
    """units × m activations with a decaying spectrum over noise, seeded (a trained layer's shape, not its values)."""
    scales = 1.5 ** -np.arange(rank)
    return ((rng.standard_normal((units, rank)) * scales) @ rng.standard_normal((rank, m)) + 0.05 * rng.standard_normal((units, m))).astype(np.float32)


def stored_frame_bytes(data, run_id):
    """Bytes of every frame record's payload in the run's log (what the trainer sent, for sketch and float32 frames)."""
    from layerwatch.run_log import _records  # the log reader's record walk

    with open(os.path.join(data, "runs", run_id, "log.lwlog"), "rb") as f:
        buf = f.read()
    return sum(len(payload) for kind, _t, payload in _records(memoryview(buf), layerwatch.RunLog()) if kind == 2)


def wide(args, url, data):
    import torch

    rng = np.random.default_rng(1)
    acts = {"l%d" % i: torch.from_numpy(activations(rng, args.units, args.examples)) for i in range(args.layers)}
    from layerwatch.sketch import sketch_layer

    sketch_layer(torch.randn(50, 20), 4)  # warm up torch's kernels outside the clock
    with layerwatch.init(url=url, name="wide-sketch", sketch=args.sketch) as run:
        t0, c0 = time.perf_counter(), time.process_time()
        run.send_activations(0, acts)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    wire = stored_frame_bytes(data, run.id)
    raw = args.layers * args.units * args.examples * 4
    return {"trainer_s": seconds, "trainer_cpu_s": cpu, "wire_mb": wire / 1e6, "raw_mb": raw / 1e6, "warnings": run.server_warnings}


def real_run(args, url, data):
    """digits_mlp.py raw and sketched (same seed): the stored svcca-k and CKA grids of both, compared."""
    ids = {}
    for label, extra in (("raw", []), ("sketch", ["--sketch", str(args.real_sketch)])):
        out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "digits_mlp.py"), "--url", url, "--json", "--name", "digits-" + label,
                              "--epochs", str(args.real_epochs), "--checkpoints", str(args.real_checkpoints)] + extra,
                             capture_output=True, text=True, cwd=ROOT, timeout=1800, check=True).stdout
        ids[label] = json.loads(out.strip().splitlines()[-1])["run_id"]
    grids = {}
    for label, run_id in ids.items():
        for metric in ("svcca-k", "cka"):
            out = subprocess.run(["node", os.path.join(ROOT, "bin", "layerwatch.mjs"), "export", run_id, "--data", data, "--json", "--metric", metric],
                                 capture_output=True, text=True, cwd=ROOT, timeout=600, check=True).stdout
            doc = json.loads(out)
            grids[label, metric] = (doc["layers"], np.array(doc["convergence"]["toFinal"], dtype=np.float64))
    layers, raw_cka = grids["raw", "cka"]
    sk_cka = grids["sketch", "cka"][1]
    hidden = [i for i, name in enumerate(layers) if name != "logits"]
    err = np.abs(sk_cka[hidden] - raw_cka[hidden])
    return {"svcca_k_diff": float(np.abs(grids["sketch", "svcca-k"][1] - grids["raw", "svcca-k"][1]).max()),
            "cka_max_err": float(err.max()), "cka_mean_err": float(err.mean()), "cka_min_exact": float(raw_cka[hidden].min()), "cells": int(err.size)}


def export_svcca_k(data, run_id, recompute=True):
    """The server's svcca-k grid (layers × checkpoints, to the final one) recomputed from the stored log, and its wall time.

    recompute=False exports the grid the live analysis stored: the CLI's start and the log's read, without the analysis.
    """
    t0 = time.perf_counter()
    options = ["--k", str(K_SVCCA)] if recompute else []
    out = subprocess.run(["node", os.path.join(ROOT, "bin", "layerwatch.mjs"), "export", run_id, "--data", data, "--json", "--metric", "svcca-k"] + options,
                         capture_output=True, text=True, cwd=ROOT, timeout=1800, check=True).stdout
    return np.array(json.loads(out)["convergence"]["toFinal"], dtype=np.float64), time.perf_counter() - t0


def numpy_svcca_k(checkpoints, names):
    """svcca-k of each layer at each checkpoint to the final one, from the raw matrices: full SVD, top-k, CCA."""
    t0 = time.perf_counter()

    def top(x):  # units × m → the centred layer's k leading directions in datapoint space (k × m)
        xc = x.astype(np.float64).T
        xc -= xc.mean(axis=0)
        return np.linalg.svd(xc, full_matrices=False)[0][:, :K_SVCCA].T

    grid = np.zeros((len(names), len(checkpoints)))
    for li, name in enumerate(names):
        final = top(checkpoints[-1][name])
        for c, acts in enumerate(checkpoints):
            grid[li, c] = np.linalg.svd(top(acts[name]) @ final.T, compute_uv=False).mean()
    return grid, time.perf_counter() - t0


def equality(args, url, data):
    rng = np.random.default_rng(2)
    names = ["h%d" % i for i in range(args.check_layers)]
    start = {n: activations(rng, args.check_units, args.examples) for n in names}
    drift = {n: activations(rng, args.check_units, args.examples) for n in names}
    checkpoints = [{n: start[n] + 0.3 * c * drift[n] for n in names} for c in range(args.checkpoints)]
    ids = {}
    for label, sketch in (("raw", None), ("sketch", args.sketch)):
        with layerwatch.init(url=url, name="equal-" + label, sketch=sketch) as run:
            for c, acts in enumerate(checkpoints):
                run.send_activations(c * 100, acts)
        ids[label] = run.id
    (raw, raw_s), (sk, sk_s) = export_svcca_k(data, ids["raw"]), export_svcca_k(data, ids["sketch"])
    start_s = min(export_svcca_k(data, ids["sketch"], recompute=False)[1] for _ in range(2))
    ref, np_s = numpy_svcca_k(checkpoints, names)
    return {"raw_s": raw_s - start_s, "sketch_s": sk_s - start_s, "start_s": start_s, "numpy_s": np_s, "sketch_vs_raw": float(np.abs(sk - raw).max()),
            "sketch_vs_numpy": float(np.abs(sk - ref).max()), "raw_vs_numpy": float(np.abs(raw - ref).max()), "cells": int(sk.size)}


def main():
    args = parse_args()
    print("bench/python_sketch: sketch=%d; load average %.1f on %d CPUs" % (args.sketch, os.getloadavg()[0], os.cpu_count()))
    with tempfile.TemporaryDirectory(prefix="lw-sketch-") as data:
        proc, url = start_real_server(data)
        if proc is None:
            print("no server in this checkout")
            return 1
        try:
            w = wide(args, url, data)
            e = equality(args, url, data)
            r = real_run(args, url, data)
        finally:
            stop_server(proc)
    print("  wide: %d × %d × %d, one checkpoint: trainer side (torch CPU, sketches of every layer) %.2f s (%.2f s CPU, %.2f s a layer)" % (
        args.layers, args.units, args.examples, w["trainer_s"], w["trainer_cpu_s"], w["trainer_s"] / args.layers))
    print("  wire per checkpoint: %.2f MB as sketches, %.1f MB raw (%.0f× smaller)" % (w["wire_mb"], w["raw_mb"], w["raw_mb"] / w["wire_mb"]))
    if w["warnings"]:
        print("  server warnings: %s" % [x.get("message") for x in w["warnings"]])
    print("  svcca-k (k = %d), %d × %d × %d, %d checkpoints sent both ways, %d cells:" % (K_SVCCA, args.check_layers, args.check_units, args.examples, args.checkpoints, e["cells"]))
    print("    ours from sketches (layerwatch export --k, net of its start)     %6.2f s   max |sketch − raw| %.1e, max |sketch − numpy| %.1e" % (e["sketch_s"], e["sketch_vs_raw"], e["sketch_vs_numpy"]))
    print("    ours from raw frames (the same)                                   %6.2f s   max |raw − numpy| %.1e" % (e["raw_s"], e["raw_vs_numpy"]))
    print("    numpy from the raw matrices (full SVD per layer)                  %6.2f s   (anchor; our times are net of the CLI's start and log read, %.2f s)" % (e["numpy_s"], e["start_s"]))
    print("  real run, digits_mlp.py (%d epochs, %d checkpoints) raw and with --sketch %d, each layer to the final checkpoint (%d hidden cells):" % (
        args.real_epochs, args.real_checkpoints, args.real_sketch, r["cells"]))
    print("    svcca-k: max |sketch − raw| %.1e; CKA from sketches: max error %.4f, mean %.4f (exact CKA down to %.3f)" % (
        r["svcca_k_diff"], r["cka_max_err"], r["cka_mean_err"], r["cka_min_exact"]))
    print("target: ≤ %.0f MB on the wire per checkpoint → %s" % (WIRE_TARGET_MB, "met" if w["wire_mb"] <= WIRE_TARGET_MB else "NOT met"))
    equal = max(e["sketch_vs_raw"], r["svcca_k_diff"]) <= EQUAL_TOL
    print("target: svcca-k from sketches = raw within %.0e (synthetic and real run) → %s" % (EQUAL_TOL, "met" if equal else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
