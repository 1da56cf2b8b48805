#!/usr/bin/python3
"""Overhead of the Python client on training time: the digits example with and without streaming, same seed.

    /usr/bin/python3 bench/python_overhead.py [--epochs 30] [--repeat 3] [--url ws://...] [--smoke]

Without --url it starts the real server (node bin/layerwatch.mjs serve --no-pages, temporary data
directory) and falls back to the client tests' in-process fake server if that is not available.
Prints the median wall time of each variant and their ratio.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "examples"))
sys.path.insert(0, os.path.join(ROOT, "clients", "python", "tests"))

import digits_mlp  # noqa: E402
from python_server import start_real_server, stop_server  # noqa: E402


def timed(argv):
    """Wall time of one digits training run, in this process (no interpreter start-up in the figure)."""
    args = digits_mlp.parse_args(argv)
    t0, c0 = time.perf_counter(), time.process_time()
    digits_mlp.train(args)
    return time.perf_counter() - t0, time.process_time() - c0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default=None)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--smoke", action="store_true", help="a tiny run (1 epoch, 1 repeat, 5 checkpoints)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    if args.smoke:
        args.epochs, args.repeat = 1, 1
    checkpoints = 5 if args.smoke else 40
    proc, fake, kind = None, None, "given"
    url = args.url
    tmp = tempfile.TemporaryDirectory()
    if url is None:
        proc, url = start_real_server(tmp.name)
        kind = "server"
        if url is None:
            from fake_server import FakeIngestServer

            fake = FakeIngestServer()
            url, kind = fake.url, "fake server"
    base = ["--epochs", str(args.epochs), "--seed", str(args.seed), "--checkpoints", str(checkpoints)]
    try:
        timed(base + ["--no-stream", "--epochs", "1"])  # warm-up: imports, data, torch kernels
        plain, streamed = [], []
        for _ in range(args.repeat):
            plain.append(timed(base + ["--no-stream"]))
            streamed.append(timed(base + ["--url", url]))
    finally:
        stop_server(proc)
        if fake is not None:
            fake.stop()
        tmp.cleanup()
    a, b = statistics.median(w for w, _ in plain), statistics.median(w for w, _ in streamed)
    ca, cb = statistics.median(c for _, c in plain), statistics.median(c for _, c in streamed)
    result = {"epochs": args.epochs, "checkpoints": checkpoints, "repeat": args.repeat, "collector": kind, "cpus": os.cpu_count(),
              "without_client_s": round(a, 3), "with_client_s": round(b, 3), "ratio": round(b / a, 3),
              "cpu_without_client_s": round(ca, 3), "cpu_with_client_s": round(cb, 3), "cpu_ratio": round(cb / ca, 3)}
    print("digits MLP, %d epochs, %d checkpoints, median of %d, streaming to the %s (%d CPUs)" % (args.epochs, checkpoints, args.repeat, kind, os.cpu_count()))
    print("without client: %.2f s wall, %.2f s CPU of the training process" % (a, ca))
    print("with client:    %.2f s wall, %.2f s CPU (all threads, sender included)" % (b, cb))
    print("ratio:          %.3f wall, %.3f CPU" % (b / a, cb / ca))
    if kind != "given":
        print("(the collector runs on the same machine: on few cores its analysis competes with training for CPU)")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
