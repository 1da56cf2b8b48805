"""A full buffer: a reachable but slower server holds the producer (nothing lost); only a server that is away loses the oldest."""
import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest

import layerwatch
from conftest import wait_until
from fake_server import FakeIngestServer
from layerwatch.ws_writer import FrameWriter
from test_real_server import Server, pytestmark as real_server  # skipped where this checkout has no server
from test_transport import free_port

LAYERS, UNITS, M = 4, 64, 500  # 512 KB of float32 per checkpoint
CHECKPOINT_BYTES = LAYERS * UNITS * M * 4


def activations(step):
    rng = np.random.default_rng(step)
    return {"h%d" % i: rng.standard_normal((UNITS, M), dtype=np.float32) for i in range(LAYERS)}


def drop_warnings(caught):
    return [str(w.message) for w in caught if "dropping the oldest" in str(w.message)]


def send_all(run, steps, bound_bytes):
    """Sends checkpoints as fast as a loop can; returns the largest (count, bytes) buffered after any send."""
    peak = (0, 0)
    for step in steps:
        run.send_activations(step, activations(step))
        n, nbytes = run.buffered()
        assert nbytes <= bound_bytes or n == 1, "the buffer bound was exceeded: %d checkpoints, %d bytes" % (n, nbytes)
        peak = max(peak, (n, nbytes), key=lambda p: p[1])
    return peak


def test_a_slow_server_holds_the_producer_and_loses_nothing():
    # 12 checkpoints (6 MB) into a 3-checkpoint buffer, to a server that reads 4 MB/s: without waiting, 9 would be dropped.
    server = FakeIngestServer(read_rate=4 << 20)
    bound = 3 * CHECKPOINT_BYTES + 4096
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run = layerwatch.init(url=server.url, name="slow", buffer_bytes=bound, buffer_wait=60)
            peak = send_all(run, range(12), bound)
            run.finish(timeout=60)
        assert drop_warnings(caught) == [] and run.dropped_checkpoints == 0
        assert peak[0] == 3  # the buffer did fill: the producer was ahead of the server and was held
        stored = server.runs[run.id]
        assert stored.steps == list(range(12)) and stored.status == "finished"
        np.testing.assert_array_equal(stored.frames[11]["h3"][1], activations(11)["h3"])
    finally:
        server.stop()


def test_a_stalled_server_outlasting_the_socket_timeout_keeps_its_connection(monkeypatch):
    # The server stops reading for 1 s; the socket timeout is 0.2 s and 24 MB do not fit in the socket buffers.
    timeouts = []
    send = FrameWriter.send

    def counting_send(self, ws, opcode, data, still_alive):
        send(self, ws, opcode, data, lambda: timeouts.append(1) or still_alive())

    monkeypatch.setattr(FrameWriter, "send", counting_send)

    rng = np.random.default_rng(0)
    acts = {"h%d" % i: rng.standard_normal((256, 1000), dtype=np.float32) for i in range(4)}  # 4 MB a checkpoint
    server = FakeIngestServer()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run = layerwatch.init(url=server.url, name="stalled", connect_timeout=0.2)
            run.send_activations(0, acts)
            server.pause(1.0)
            for step in range(1, 6):
                run.send_activations(step, acts)
            run.finish(timeout=60)
        assert timeouts  # the socket was full for longer than its timeout
        assert run._transport.connections == 1 and drop_warnings(caught) == []
        assert server.runs[run.id].steps == list(range(6)) and server.runs[run.id].status == "finished"
    finally:
        server.stop()


def test_the_wait_bound_running_out_drops_with_its_own_warning():
    # Connected, reading everything, never acknowledging a checkpoint: reachable, but no progress.
    server = FakeIngestServer(ack_checkpoints=False)
    bound = 2 * CHECKPOINT_BYTES + 4096
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run = layerwatch.init(url=server.url, name="stuck", buffer_bytes=bound, buffer_wait=0.2)
            send_all(run, range(6), bound)
            assert run.connected and run.buffered()[0] == 2
            with run._transport._cond:
                kept = [i.step for i in run._transport._inflight_ckpt] + [i.step for i in run._transport._pending if i.kind == "checkpoint"]
            assert kept == [4, 5]
            run.finish(timeout=0.5)
        texts = drop_warnings(caught)
        assert len(texts) == 1 and run.dropped_checkpoints == 4
        assert "connected but slower than training" in texts[0] and "buffer_wait=0.2s" in texts[0]
        assert "away" not in texts[0]
    finally:
        server.stop()


def test_a_server_away_drops_the_oldest_at_once_and_resumes_when_back():
    server = FakeIngestServer()
    port = server.port
    bound = 2 * CHECKPOINT_BYTES + 4096
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # A wait bound far longer than the test: while the server is away the producer must not wait for it.
        run = layerwatch.init(url=server.url, name="away", buffer_bytes=bound, buffer_wait=3600, backoff_max=0.2)
        rid = run.id
        send_all(run, range(3), bound)
        assert wait_until(lambda: server.runs[rid].steps == [0, 1, 2])
        server.stop()
        assert wait_until(lambda: not run.connected)
        t0 = time.monotonic()
        send_all(run, range(3, 9), bound)
        assert time.monotonic() - t0 < 60
        assert run.dropped_checkpoints == 4  # 3..6 dropped, the newest two (7, 8) kept
        back = FakeIngestServer(port=port)
        back.runs = server.runs  # same data directory
        try:
            assert wait_until(lambda: run.connected and run.buffered()[0] == 0, timeout=20)
            send_all(run, range(9, 12), bound)
            run.finish(timeout=30)
            assert back.runs[rid].steps == [0, 1, 2, 7, 8, 9, 10, 11] and back.runs[rid].status == "finished"
        finally:
            back.stop()
    texts = drop_warnings(caught)
    assert len(texts) == 1 and "the server is away" in texts[0] and "slower" not in texts[0]


@pytest.mark.parametrize("value", [-1, float("nan"), "soon", None])
def test_buffer_wait_must_be_seconds(value):
    with pytest.raises(ValueError, match="buffer_wait must be a number of seconds"):
        layerwatch.init(url="ws://127.0.0.1:%d/ingest" % free_port(), buffer_wait=value, wait=0)


@real_server
def test_the_real_server_behind_a_fast_producer_stores_every_checkpoint(tmp_path):
    # The case, scaled down: 12 checkpoints of 8 × 128 × 500 float32 (2 MB) sent as fast as a loop can,
    # with room for only 2 of them unacknowledged.
    rng = np.random.default_rng(0)
    acts = {"l%d" % i: rng.standard_normal((128, 500), dtype=np.float32) for i in range(8)}
    bound = int(2.5 * 8 * 128 * 500 * 4)
    server = Server(tmp_path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run = layerwatch.init(url=server.url, name="fast-producer", buffer_bytes=bound)
            for step in range(12):
                run.send_activations(step, acts)
            run.finish(timeout=120)
            assert run.buffered() == (0, 0)
        assert drop_warnings(caught) == [] and run.dropped_checkpoints == 0
        log = layerwatch.read_log(str(tmp_path / "runs" / run.id / "log.lwlog"))
        assert log.steps.tolist() == list(range(12))
        np.testing.assert_array_equal(log["l7"][11], acts["l7"])
    finally:
        server.kill()


@real_server
def test_the_real_server_paused_mid_run_holds_the_producer_and_loses_nothing(tmp_path):
    # SIGSTOP: the server is reachable (its socket stays open) but reads and acknowledges nothing for 1.5 s.
    bound = 3 * CHECKPOINT_BYTES + 4096
    server = Server(tmp_path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run = layerwatch.init(url=server.url, name="paused", buffer_bytes=bound, buffer_wait=60)
            send_all(run, range(3), bound)
            assert run.connected
            os.killpg(server.proc.pid, signal.SIGSTOP)
            resume = threading.Timer(1.5, os.killpg, (server.proc.pid, signal.SIGCONT))
            resume.start()
            peak = send_all(run, range(3, 12), bound)
            resume.join()
            run.finish(timeout=60)
        assert peak[0] == 3 and drop_warnings(caught) == [] and run.dropped_checkpoints == 0
        log = layerwatch.read_log(str(tmp_path / "runs" / run.id / "log.lwlog"))
        assert log.steps.tolist() == list(range(12)) and log.status == "finished"
        np.testing.assert_array_equal(log["h2"][7], activations(7)["h2"])
    finally:
        os.killpg(server.proc.pid, signal.SIGCONT)
        server.kill()
