"""The real server for the Python benches: `layerwatch serve --no-pages` on a free port with its own data directory."""
import os
import re
import signal
import subprocess
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def start_real_server(data, env=None):
    """Starts the server on port 0 with `data` as its data directory (`env`: extra environment variables for it);
    returns (process, ingest url), or (None, None)."""
    serve = os.path.join(ROOT, "server", "cli", "serve.ts")
    if not os.path.exists(serve):
        return None, None
    proc = subprocess.Popen(["node", os.path.join(ROOT, "bin", "layerwatch.mjs"), "serve", "--port", "0", "--data", data, "--no-pages"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, start_new_session=True,
                            env=dict(os.environ, **(env or {})))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        m = re.search(r"http://([0-9.]+):(\d+)", line)
        if m:
            # Keep reading its output, or a chatty server would block on a full pipe mid-bench.
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, "ws://%s:%s/ingest" % (m.group(1), m.group(2))
        if not line and proc.poll() is not None:
            break
    stop_server(proc)
    return None, None


def stop_server(proc):
    """Kills the server's whole process group and waits for it."""
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
