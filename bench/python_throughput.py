#!/usr/bin/python3
"""Throughput of the Python client: checkpoints of 8 × 512 × 2,000 float32 sent with run.send_activations as fast as a loop can.

    /usr/bin/python3 bench/python_throughput.py [--checkpoints 12] [--repeat 3] [--before DIR] [--smoke] [--json]

1. Send path, to a sink process that reads and discards (no server work), the same LWF1 frames through:
   websocket-client's own masking (ws.send_binary); the client's path before this change (numpy XOR inside
   websocket-client's ABNF, ws.send_frame); the client's frame writer now (layerwatch.ws_writer); and the anchor,
   a raw socket sendall of the unmasked frames (what loopback TCP takes from Python with no websocket work).
2. End to end: the whole client (send_activations in a loop, then finish()) against the real server, started fresh
   for each run (`layerwatch serve --no-pages`, analysis on). The clock stops at the ack of `end`, which follows the
   run log's fsync, so the figure is durable MB/s; the checkpoints stored are read back from the run log.
   --before DIR runs the same with the client in DIR (another checkout's clients/python) for a before/after ratio;
   --server-before K=V (repeatable) runs the server with that environment as well (e.g. WS_NO_BUFFER_UTIL=1: ws
   unmasks in JavaScript, as before bufferutil; LAYERWATCH_ANALYSIS_NICE=0: analysis at the server's priority;
   LAYERWATCH_HUGE_PAGES=0: 4 KB pages), alternating with the plain server run for run, for a server ratio.
Target: ≥ 150 MB/s end to end, every checkpoint stored.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TARGET_MBPS = 150.0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoints", type=int, default=12)
    p.add_argument("--layers", type=int, default=8)
    p.add_argument("--units", type=int, default=512)
    p.add_argument("--examples", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--before", default=None, help="a clients/python directory to run the end-to-end part with as well")
    p.add_argument("--server-before", action="append", default=[], metavar="K=V",
                   help="also run end to end with the server under this environment variable, alternating, for a ratio")
    p.add_argument("--no-send-path", action="store_true", help="only the end-to-end part")
    p.add_argument("--client", default=os.path.join(ROOT, "clients", "python"), help=argparse.SUPPRESS)
    p.add_argument("--e2e-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--smoke", action="store_true", help="a tiny size: 3 checkpoints of 2 × 64 × 500, one repeat")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.smoke:
        args.checkpoints, args.layers, args.units, args.examples, args.repeat = 3, 2, 64, 500, 1
    return args


# ---- the discard sink (its own process, so it takes no GIL from the sender) -------------------

def sink():
    """Accepts connections; answers the websocket upgrade, reads to EOF, replies with the byte count."""
    import base64
    import hashlib

    srv = socket.create_server(("127.0.0.1", 0))
    print(srv.getsockname()[1], flush=True)
    buf = bytearray(1 << 20)
    while True:
        conn, _ = srv.accept()
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(4096)
        key = [line.split(b":", 1)[1].strip() for line in head.split(b"\r\n") if line.lower().startswith(b"sec-websocket-key")][0]
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        total = len(head) - head.index(b"\r\n\r\n") - 4
        while True:
            n = conn.recv_into(buf)
            if not n:
                break
            total += n
        conn.sendall(total.to_bytes(8, "little"))
        conn.close()


def send_path(args, frames):
    """MB/s of each way of putting the frames on a socket, to the discard sink; median of args.repeat."""
    import websocket

    from layerwatch.ws_writer import FrameWriter

    class BeforeFrame(websocket.ABNF):
        """The client's binary frame before this change: numpy XOR of the whole payload inside websocket-client's ABNF."""

        def __init__(self, data):
            super().__init__(fin=1, opcode=websocket.ABNF.OPCODE_BINARY, mask=1, data=data)

        def _get_masked(self, mask_key):
            n = len(self.data)
            key = np.frombuffer(mask_key * ((n + 3) // 4), dtype=np.uint8)[:n]
            return mask_key + np.bitwise_xor(np.frombuffer(self.data, dtype=np.uint8), key).tobytes()

    writer = FrameWriter()
    variants = {
        "websocket-client send_binary": lambda ws, f: ws.send_binary(f),
        "before: numpy XOR in websocket-client's ABNF": lambda ws, f: ws.send_frame(BeforeFrame(f)),
        "now: layerwatch.ws_writer": lambda ws, f: writer.send(ws, websocket.ABNF.OPCODE_BINARY, f, lambda: True),
        "anchor: raw socket, unmasked": lambda ws, f: ws.sock.sendall(f),
    }
    proc = subprocess.Popen([sys.executable, __file__, "--sink"], stdout=subprocess.PIPE, text=True)
    url = "ws://127.0.0.1:%s/" % proc.stdout.readline().strip()
    total = sum(len(f) for f in frames) * args.checkpoints
    out = {}
    try:
        for name, send in variants.items():
            times = []
            for _ in range(args.repeat):
                ws = websocket.create_connection(url, enable_multithread=True)
                t0 = time.perf_counter()
                for _ in range(args.checkpoints):
                    for f in frames:
                        send(ws, f)
                ws.sock.shutdown(socket.SHUT_WR)
                got = int.from_bytes(ws.sock.recv(8), "little")
                times.append(time.perf_counter() - t0)
                ws.close()
                assert got >= total, "the sink got %d of %d bytes" % (got, total)
            out[name] = total / 1e6 / statistics.median(times)
    finally:
        proc.kill()
    return out


# ---- end to end, against the real server ---------------------------------------------------

def main_thread_cpu(pid):
    """CPU seconds (user + system) of a process's main thread so far: the server's ingest path, without its analysis
    worker; unlike MB/s it does not depend on how much of the shared machine the server got."""
    with open("/proc/%d/task/%d/stat" % (pid, pid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def end_to_end(args, server_env=None):
    """One timed run of the whole client; returns MB/s (durable), loop and finish seconds, client CPU, steps stored, drops."""
    import layerwatch
    from python_server import start_real_server, stop_server

    rng = np.random.default_rng(0)
    acts = [{"l%d" % i: rng.standard_normal((args.units, args.examples), dtype=np.float32) for i in range(args.layers)}
            for _ in range(min(args.checkpoints, 4))]  # 4 distinct checkpoints, cycled: distinct data, bounded memory
    with tempfile.TemporaryDirectory() as data:
        proc, url = start_real_server(data, server_env)
        if url is None:
            raise SystemExit("the server did not start")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                run = layerwatch.init(url=url, name="bench-python-throughput")
                s0 = main_thread_cpu(proc.pid)
                t0, c0 = time.perf_counter(), time.process_time()
                for step in range(args.checkpoints):
                    run.send_activations(step, acts[step % len(acts)])
                t1 = time.perf_counter()
                run.finish(timeout=600)
                t2, c2 = time.perf_counter(), time.process_time()
                server_cpu = main_thread_cpu(proc.pid) - s0
            steps = layerwatch.read_log(os.path.join(data, "runs", run.id, "log.lwlog")).steps.tolist()
        finally:
            stop_server(proc)
    mb = args.checkpoints * args.layers * args.units * args.examples * 4 / 1e6
    drops = [str(w.message) for w in caught if "dropping the oldest" in str(w.message)]
    return {"mbps": mb / (t2 - t0), "loop_s": t1 - t0, "finish_s": t2 - t1, "cpu_s": c2 - c0, "stored": len(steps),
            "server_cpu_s_per_gb": server_cpu / (mb / 1000),
            "dropped": run.dropped_checkpoints, "warning": drops[0] if drops else None}


def median_of(args, runs):
    best = sorted(runs, key=lambda r: r["mbps"])[len(runs) // 2]
    cpu = sorted(r["server_cpu_s_per_gb"] for r in runs)[len(runs) // 2]
    return dict(best, runs=[round(r["mbps"], 1) for r in runs], all_stored=all(r["stored"] == args.checkpoints for r in runs),
                server_cpu_s_per_gb=cpu, server_cpu_runs=[round(r["server_cpu_s_per_gb"], 2) for r in runs])


def end_to_end_median(args):
    return median_of(args, [end_to_end(args) for _ in range(args.repeat)])


def end_to_end_pair(args, env):
    """The plain server and the server under `env`, run for run alternately (the load drifts on a shared machine)."""
    now, before = [], []
    for _ in range(args.repeat):
        now.append(end_to_end(args))
        before.append(end_to_end(args, env))
    return median_of(args, now), median_of(args, before)


def before_client(args):
    """The end-to-end figures with the client in args.before, from a child process (its own `layerwatch` module)."""
    argv = [sys.executable, __file__, "--e2e-only", "--json", "--client", args.before, "--checkpoints", str(args.checkpoints),
            "--layers", str(args.layers), "--units", str(args.units), "--examples", str(args.examples), "--repeat", str(args.repeat)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def e2e_line(label, r, n):
    return "%s %.1f MB/s (median of %s; loop %.2f s, finish %.2f s, client CPU %.2f s); server main thread %.2f s CPU/GB (median of %s); stored %d of %d, dropped %d%s" % (
        label, r["mbps"], r["runs"], r["loop_s"], r["finish_s"], r["cpu_s"], r["server_cpu_s_per_gb"], r["server_cpu_runs"], r["stored"], n, r["dropped"],
        "; warning: %s" % r["warning"] if r["warning"] else "")


def main():
    args = parse_args()
    if args.sink:
        return sink()
    sys.path.insert(0, args.client)
    if args.e2e_only:
        print(json.dumps(end_to_end_median(args)))
        return 0
    frame_mb = args.layers * args.units * args.examples * 4 / 1e6
    print("Python client, %d checkpoints of %d × %d × %d float32 (%.1f MB a checkpoint); load average %.1f on %d CPUs" % (
        args.checkpoints, args.layers, args.units, args.examples, frame_mb, os.getloadavg()[0], os.cpu_count()))
    from layerwatch.frames import encode_frame_buffer

    acts = np.random.default_rng(1).standard_normal((args.units, args.examples), dtype=np.float32)
    frames = [encode_frame_buffer(0, "l%d" % i, acts).tobytes() for i in range(args.layers)]
    paths = {} if args.no_send_path else send_path(args, frames)
    if paths:
        print("send path, to a discard sink (median of %d):" % args.repeat)
        anchor = paths["anchor: raw socket, unmasked"]
        for name, mbps in paths.items():
            print("  %-46s %8.1f MB/s  (%.2f× the raw socket)" % (name, mbps, mbps / anchor))
        now, before = paths["now: layerwatch.ws_writer"], paths["before: numpy XOR in websocket-client's ABNF"]
        print("  ratio now / before: %.2f×; now / websocket-client: %.2f×" % (now / before, now / paths["websocket-client send_binary"]))
    server_env = dict(kv.split("=", 1) for kv in args.server_before)
    if server_env:
        after, old_server = end_to_end_pair(args, server_env)
    else:
        after = end_to_end_median(args)
    print(e2e_line("end to end (real server, durable):", after, args.checkpoints))
    if server_env:
        label = " ".join(args.server_before)
        print(e2e_line("end to end, server under %s:" % label, old_server, args.checkpoints))
        print("  ratio server now / under %s, end to end: %.2f× MB/s; server main-thread CPU per GB %.2f×" % (
            label, after["mbps"] / old_server["mbps"], after["server_cpu_s_per_gb"] / old_server["server_cpu_s_per_gb"]))
    result = {"checkpoints": args.checkpoints, "shape": [args.layers, args.units, args.examples], "load": os.getloadavg()[0],
              "send_path_mbps": {k: round(v, 1) for k, v in paths.items()}, "end_to_end": after}
    if args.before:
        old = before_client(args)
        print(e2e_line("end to end, client in %s:" % args.before, old, args.checkpoints))
        print("  ratio now / before, end to end: %.2f×" % (after["mbps"] / old["mbps"]))
        result["end_to_end_before"] = old
    if server_env:
        result["end_to_end_server_before"] = dict(old_server, env=server_env)
    met = after["mbps"] >= TARGET_MBPS and after["all_stored"]
    print("target: ≥ %.0f MB/s end to end, every checkpoint stored → %s" % (TARGET_MBPS, "met" if met else "NOT met"))
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
