"""Against the real server (node bin/layerwatch.mjs serve), when this checkout has one; skipped otherwise."""
import os
import re
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest
import torch
from torch import nn

import layerwatch
from conftest import wait_until

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SERVE = os.path.join(ROOT, "server", "cli", "serve.ts")
pytestmark = pytest.mark.skipif(not (shutil.which("node") and os.path.exists(SERVE)), reason="no server in this checkout")


class Server:
    def __init__(self, data, port=0):
        self.proc = subprocess.Popen(["node", os.path.join(ROOT, "bin", "layerwatch.mjs"), "serve", "--port", str(port), "--data", str(data), "--no-pages"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            m = re.search(r"http://([0-9.]+):(\d+)", line)
            if m:
                self.port = int(m.group(2))
                self.url = "ws://%s:%d/ingest" % (m.group(1), self.port)
                return
            if not line and self.proc.poll() is not None:
                break
        self.kill()
        pytest.skip("the server did not start: %s" % line)

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def test_stream_and_read_back(tmp_path):
    server = Server(tmp_path)
    try:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
        probe = torch.randn(20, 6)
        with layerwatch.init(url=server.url, name="py-int", config={"x": 1}) as run:
            run.watch(model, layers=["0", "2"], probe=probe, labels=np.arange(20) % 3, every=2)
            for step in range(1, 7):
                run.step()
                run.log({"loss": 1.0 / step}, step=step)
        assert run.buffered() == (0, 0)
        log = layerwatch.read_log(str(tmp_path / "runs" / run.id / "log.lwlog"))
        assert log.layer_names == ["0", "2", "logits"] and log.steps.tolist() == [2, 4, 6]
        with torch.no_grad():
            np.testing.assert_allclose(log["0"][-1], model[0](probe).numpy().T, rtol=1e-5)
        assert log.scalars["loss"].steps.tolist() == [1, 2, 3, 4, 5, 6] and log.status == "finished"
    finally:
        server.kill()


def test_server_killed_and_restarted_mid_run(tmp_path):
    server = Server(tmp_path)
    run = layerwatch.init(url=server.url, name="py-restart", backoff_max=0.5)
    try:
        rng = np.random.default_rng(0)
        sent = {}
        for step in range(0, 30, 3):
            if step == 12:
                server.kill()  # hard kill: nothing acked after this point
            if step == 21:
                server = Server(tmp_path, port=server.port)
            sent[step] = rng.normal(size=(4, 10)).astype(np.float32)
            run.send_activations(step, {"h": sent[step]})
            run.log({"loss": float(step)}, step=step)
            time.sleep(0.05)
        assert wait_until(lambda: run.buffered()[0] == 0, timeout=30)
        run.finish()
        log = layerwatch.read_log(str(tmp_path / "runs" / run.id / "log.lwlog"))
        assert log.steps.tolist() == sorted(sent)
        for i, step in enumerate(log.steps):
            np.testing.assert_array_equal(log["h"][i], sent[int(step)])
        assert log.scalars["loss"].steps.tolist() == sorted(sent)
        assert log.status == "finished" and len(log.hellos) >= 2 and log.hellos[-1]["resume"] is True
    finally:
        run._transport.close()
        server.kill()


def test_gradcam_and_masks_are_stored_and_read_back(tmp_path):
    server = Server(tmp_path)
    try:
        torch.manual_seed(0)
        model = nn.Sequential()
        model.add_module("conv", nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU()))
        model.add_module("flat", nn.Flatten())
        model.add_module("out", nn.Linear(3 * 6 * 6, 4))
        probe = torch.randn(12, 1, 6, 6)
        labels = np.arange(12) % 4
        concepts = [{"name": "top", "category": "part"}, {"name": "even", "category": "object"}]
        masks = np.zeros((12, 2, 6, 6), dtype=np.uint8)
        masks[:, 0, :3] = 1
        masks[::2, 1] = 1
        with layerwatch.init(url=server.url, name="py-gradcam") as run:
            run.watch(model, layers=["conv"], probe=probe, labels=labels, concepts=concepts, concept_labels=[[0, 1] if j % 2 == 0 else [0] for j in range(12)],
                      masks=masks, spatial=["conv"], gradcam="conv", gradcam_examples=4, every=2)
            for _ in range(4):
                run.step()
        log = layerwatch.read_log(str(tmp_path / "runs" / run.id / "log.lwlog"))
        assert log.steps.tolist() == [2, 4]
        np.testing.assert_array_equal(log.masks, masks.astype(np.float32))
        g = log.gradcam
        assert g["layer"] == "conv" and g["steps"].tolist() == [2, 4] and len(g["examples"]) == 4
        assert g["maps"].shape == (2, 4, 2, 6, 6) and g["classes"].shape == (2, 4, 2)
        assert g["classes"][0, :, 0].tolist() == labels[g["examples"]].tolist()
    finally:
        server.kill()


def test_freeze_is_confirmed_to_the_server_once(tmp_path):
    server = Server(tmp_path)
    try:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
        with layerwatch.init(url=server.url, name="py-frozen") as run:
            run.watch(model, layers=["0", "2"], probe=torch.randn(10, 6), every=2)
            for step in range(1, 5):
                run.step()
                if step == 3:
                    layerwatch.freeze(model, "0", run=run)
                    run.report_frozen("0")  # a repeat is acknowledged as a duplicate, not stored again
        log = layerwatch.read_log(str(tmp_path / "runs" / run.id / "log.lwlog"))
        assert log.frozen == [{"layer": "0", "step": 3}]
        raw = (tmp_path / "runs" / run.id / "log.lwlog").read_bytes()
        assert raw.count(b'"type": "frozen"') + raw.count(b'"type":"frozen"') == 1
        assert all(not p.requires_grad for p in model[0].parameters())
    finally:
        server.kill()
