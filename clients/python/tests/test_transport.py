import socket
import time
import warnings

import numpy as np
import pytest
import torch
from torch import nn

import layerwatch
from conftest import wait_until
from fake_server import FakeIngestServer


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def acts(step, m=4):
    rng = np.random.default_rng(step)
    return {"h1": rng.normal(size=(3, m)), "h2": rng.normal(size=(2, m))}


@pytest.fixture
def server():
    s = FakeIngestServer()
    yield s
    s.stop()


def test_stream_to_server(server):
    with layerwatch.init(url=server.url, name="t", config={"lr": 1e-3, "bad": float("nan")}) as run:
        assert run.id == "run-1"
        for step in range(5):
            run.send_activations(step, acts(step))
            run.log({"loss": 1.0 / (step + 1)}, step=step)
    fake = server.runs["run-1"]
    assert fake.steps == [0, 1, 2, 3, 4] and fake.status == "finished"
    np.testing.assert_allclose(fake.frames[3]["h1"][1], acts(3)["h1"], rtol=1e-6)
    assert [s for s, _ in fake.scalars] == [0, 1, 2, 3, 4]
    hello = fake.hellos[0]
    assert hello["client"].startswith("layerwatch-python/") and hello["run"]["config"] == {"lr": 1e-3, "bad": None, "runtime": hello["run"]["config"]["runtime"]}
    assert run.buffered() == (0, 0)


def test_unreachable_server_never_raises_and_drops_oldest_once():
    port = free_port()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.monotonic()
        run = layerwatch.init(url="ws://127.0.0.1:%d/ingest" % port, name="t", buffer_checkpoints=3, backoff_max=0.2)
        for step in range(10):
            run.send_activations(step, acts(step))
            run.log({"loss": 0.1}, step=step)
        assert run.buffered()[0] == 3 and run.dropped_checkpoints == 7
        with run._transport._cond:
            steps = [i.step for i in run._transport._pending if i.kind == "checkpoint"]
        assert steps == [7, 8, 9]  # the newest are kept
        run.finish()
        assert time.monotonic() - t0 < 5
    drops = [w for w in caught if "dropping the oldest" in str(w.message)]
    assert len(drops) == 1


def test_byte_bound():
    run = layerwatch.init(url="ws://127.0.0.1:%d/ingest" % free_port(), buffer_checkpoints=100, buffer_bytes=2000, wait=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for step in range(20):
            run.send_activations(step, {"h": np.zeros((10, 10))})  # ~500 bytes per checkpoint
    n, nbytes = run.buffered()
    assert nbytes <= 2000 and n == 3
    run._transport.close()


def test_reconnect_resends_unacked_after_server_restart():
    server = FakeIngestServer(ack_checkpoints=False)  # nothing acked: everything stays buffered
    port = server.port
    run = layerwatch.init(url=server.url, name="r", backoff_max=0.2)
    rid = run.id
    for step in range(3):
        run.send_activations(step, acts(step))
    assert wait_until(lambda: server.runs[rid].steps == [0, 1, 2])
    assert run.buffered()[0] == 3  # kept until acked
    server.stop()
    for step in range(3, 6):  # training goes on while the server is away
        run.send_activations(step, acts(step))
        run.log({"loss": float(step)}, step=step)
    assert wait_until(lambda: not run.connected)
    server2 = FakeIngestServer(port=port)
    server2.runs = server.runs  # same data directory
    assert wait_until(lambda: run.connected and run.buffered()[0] == 0, timeout=10)
    run.finish()
    fake = server2.runs[rid]
    assert fake.steps == [0, 1, 2, 3, 4, 5] and fake.status == "finished"
    resumed = fake.hellos[-1]
    assert resumed["run"]["id"] == rid and resumed["resume"] is True
    assert [s for s, _ in fake.scalars] == [3, 4, 5]
    # Layers and probe were declared again on the new connection, before the resent checkpoints.
    kinds = [m["type"] for m in server2.received]
    assert kinds[:3] == ["hello", "layers", "probe"]
    server2.stop()


def test_server_down_at_start_then_up():
    port = free_port()
    run = layerwatch.init(url="ws://127.0.0.1:%d" % port, name="late", backoff_max=0.2, wait=0.5)
    assert run.id is None
    run.send_activations(1, acts(1))
    server = FakeIngestServer(port=port)
    assert wait_until(lambda: run.buffered()[0] == 0)
    run.finish()
    assert server.runs[run.id].steps == [1]
    server.stop()


def test_fatal_error_stops_streaming_not_training(server):
    first = layerwatch.init(url=server.url, run_id="taken")
    first.finish()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = layerwatch.init(url=server.url, run_id="taken")
        run.send_activations(0, acts(0))
        run.finish()
    assert run._transport.fatal == "RUN_EXISTS"
    assert any("RUN_EXISTS" in str(w.message) for w in caught)


def test_advice_callback_runs_on_the_training_thread_and_freezes(server):
    model = nn.Sequential()
    model.add_module("h1", nn.Sequential(nn.Linear(4, 8), nn.ReLU()))
    model.add_module("h2", nn.Sequential(nn.Linear(8, 8), nn.ReLU()))
    model.add_module("out", nn.Linear(8, 2))
    callback = layerwatch.freeze_on_advice(model)
    run = layerwatch.init(url=server.url, on_advice=callback)
    run.watch(model, layers=["h1", "h2"], probe=torch.randn(5, 4))
    run.checkpoint(0)
    model(torch.randn(3, 4)).sum().backward()
    advice = {"type": "advice", "runId": run.id, "layer": "h1", "step": 0, "action": "freeze",
              "evidence": {"metric": "cka", "threshold": 0.98, "window": 3, "stability": [1, 1, 1], "steps": [0, 0, 0]}}
    server.send_all(advice)
    server.send_all(dict(advice, layer="logits"))
    assert wait_until(lambda: run._inbox.qsize() == 2)
    assert callback.frozen == []  # not delivered behind the trainer's back
    run.step()
    assert callback.frozen == ["h1"] and len(run.advice) == 2
    assert all(not p.requires_grad and p.grad is None for p in model.h1.parameters())
    assert all(p.requires_grad for p in model.h2.parameters())
    # The freeze is confirmed to the server, at the step the trainer froze it (advice alone is not a freeze).
    assert callback.run is run and run.frozen == [{"layer": "h1", "step": 1}]
    assert wait_until(lambda: {"type": "frozen", "layer": "h1", "step": 1} in server.received)
    run.checkpoint(2)  # a server that does not answer "frozen" (this fake, an older server) holds nothing back
    assert wait_until(lambda: 2 in server.runs[run.id].steps)
    run.finish()
    assert [m for m in server.received if m["type"] == "frozen"] == [{"type": "frozen", "layer": "h1", "step": 1}]


def test_frozen_confirmations_are_resent_on_every_connection(server):
    run = layerwatch.init(url=server.url, backoff_max=0.2)
    run.send_activations(0, {"h": np.ones((2, 3), dtype=np.float32)})
    layerwatch.freeze(nn.Sequential(nn.Linear(2, 2)), "0", run=run)
    assert wait_until(lambda: any(m["type"] == "frozen" for m in server.received))
    server.stop()
    server.start()
    run.send_activations(3, {"h": np.ones((2, 3), dtype=np.float32)})
    assert wait_until(lambda: sum(m["type"] == "frozen" for m in server.received) == 2, timeout=20)
    order = [m["type"] for m in server.received]
    assert order.index("frozen", order.index("frozen") + 1) > order.index("probe", order.index("hello", 1))
    run.finish()


def test_freeze_stops_adam_updates():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        model(torch.randn(4, 3)).sum().backward()
        opt.step()
    assert layerwatch.freeze(model, "0") == 12
    frozen = [p.clone() for p in model[0].parameters()]
    for _ in range(3):
        opt.zero_grad(set_to_none=False)
        model(torch.randn(4, 3)).sum().backward()
        opt.step()
    assert all(torch.equal(a, b) for a, b in zip(frozen, model[0].parameters()))
