"""Probe images through the real client: scaling and downsampling, then the server's `unit-examples` answer has their pixels."""
import base64
import json

import numpy as np
import pytest
import websocket

import layerwatch
from layerwatch.frames import decode_frame
from layerwatch.run import probe_images
from test_real_server import Server


def test_probe_images_scaling_and_layouts():
    grey = np.arange(2 * 8 * 8, dtype=np.float64).reshape(2, 8, 8) % 17  # values 0..16, as sklearn's digits
    x = probe_images(grey, 2)
    assert x.shape == (2, 8, 8, 1) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0 and np.allclose(x[..., 0], grey / 16.0)
    u8 = np.full((3, 4, 5, 3), 255, dtype=np.uint8)
    assert np.array_equal(probe_images(u8, 3), np.ones((3, 4, 5, 3), dtype=np.float32))
    chw = np.random.default_rng(0).random((3, 3, 4, 5)).astype(np.float32)
    assert np.allclose(probe_images(chw, 3), np.moveaxis(chw, 1, -1))
    big = np.random.default_rng(1).random((2, 130, 100))
    small = probe_images(big, 2)
    assert small.shape == (2, 43, 33, 1)  # factor 3 brings 130 to 43 ≤ 64
    assert np.allclose(small[0, 0, 0, 0], big[0, :3, :3].mean(), atol=1e-6)
    with pytest.raises(ValueError):
        probe_images(np.zeros((2, 8, 8, 2)), 2)
    with pytest.raises(ValueError):
        probe_images(np.zeros((3, 8, 8)), 2)


def test_images_are_sent_after_the_probe(recording_run):
    run, transport = recording_run
    images = np.random.default_rng(2).random((6, 8, 8))
    run.send_activations(1, {"fc": np.zeros((2, 6))}, labels=[0, 1, 0, 1, 0, 1], images=images)
    _, probe = transport.declarations[0]
    assert probe["imageSize"] == {"h": 8, "w": 8, "channels": 1}
    header, data = decode_frame(transport.images[0])
    assert header["kind"] == "images" and header["layer"] == "__images__" and header["shape"] == [6, 8, 8, 1]
    assert np.allclose(data[..., 0], images.astype(np.float32))


def _unit_examples(port, run_id, params):
    ws = websocket.create_connection("ws://127.0.0.1:%d/live" % port, timeout=10)
    try:
        ws.recv()  # welcome
        ws.send(json.dumps({"type": "request", "id": 1, "what": "unit-examples", "run": run_id, "params": params}))
        while True:
            msg = json.loads(ws.recv())
            if msg.get("type") == "response":
                return msg
    finally:
        ws.close()


def test_images_reach_the_server_and_come_back_as_thumbnails(tmp_path):
    server = Server(tmp_path)
    try:
        m = 12
        rng = np.random.default_rng(3)
        images = rng.integers(0, 256, size=(m, 100, 90, 3), dtype=np.uint8)  # downsampled by 2 to 50 × 45
        acts = rng.random((4, m)).astype(np.float32)
        with layerwatch.init(url=server.url, name="py-images") as run:
            run.send_activations(5, {"fc": acts}, labels=np.arange(m) % 2, class_names=["even", "odd"], images=images)
        assert run.buffered() == (0, 0)
        res = _unit_examples(server.port, run.id, {"layer": "fc", "unit": 3, "k": 4})
        assert res["ok"], res
        data = res["data"]
        assert data["imageSize"] == {"h": 50, "w": 45, "channels": 3}
        order = sorted(range(m), key=lambda e: (-acts[3, e], e))[:4]
        assert [x["example"] for x in data["examples"]] == order
        sent = probe_images(images, m)
        for x in data["examples"]:
            want = np.floor(sent[x["example"]].astype(np.float64) * 255 + 0.5).astype(np.uint8)  # the server's round(x · 255)
            got = np.frombuffer(base64.b64decode(x["pixels"]), dtype=np.uint8).reshape(50, 45, 3)
            assert np.array_equal(got, want), x["example"]
            assert x["className"] == ["even", "odd"][x["example"] % 2]
    finally:
        server.kill()
