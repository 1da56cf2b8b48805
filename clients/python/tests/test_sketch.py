"""sketch=K: each wide layer reduced on its own device to its K leading directions, checked against numpy's SVD."""
import json
import os
import subprocess

import numpy as np
import pytest
import torch
from torch import nn

import layerwatch
from layerwatch.frames import decode_frame
from layerwatch.sketch import SketchPlan, sketch_layer, sketch_size


def layer(rng, m, n, rank=12, noise=0.05):
    """examples × units activations with a decaying spectrum (a few strong directions over noise), seeded."""
    scales = 2.0 ** -np.arange(rank)
    return (rng.standard_normal((m, rank)) * scales) @ rng.standard_normal((rank, n)) + noise * rng.standard_normal((m, n))


def numpy_top(x, k):
    """The centred layer's k leading datapoint-space singular vectors (k × m) and all singular values, by numpy's SVD."""
    xc = x - x.mean(axis=0)
    u, s, _ = np.linalg.svd(xc, full_matrices=False)
    return u[:, :k].T, s


def svcca_k(basis_a, basis_b):
    """svcca-k from two orthonormal k × m bases: the mean canonical correlation, the singular values of Qa Qbᵀ."""
    return float(np.linalg.svd(basis_a @ basis_b.T, compute_uv=False).mean())


@pytest.mark.parametrize("m,n,k", [(300, 40, 16), (600, 400, 8), (400, 900, 10)])
def test_sketch_is_the_exact_top_k_of_the_centred_layer(m, n, k):
    # (300, 40): the full SVD route; the others: subspace iteration on the datapoint side, units < m and units > m.
    x = layer(np.random.default_rng(m + n), m, n) + 3.0  # an offset the sketch must centre away
    s = sketch_layer(torch.from_numpy(x.astype(np.float32)), k)
    want, sv = numpy_top(x.astype(np.float32).astype(np.float64), k)
    assert s.basis.shape == (k, m) and s.basis.dtype == np.float32
    np.testing.assert_allclose(s.singular, sv[:k], rtol=1e-6)
    assert s.total == pytest.approx(float((sv ** 2).sum()), rel=1e-9)
    # Each direction matches numpy's up to sign (the spectrum has no ties), to float32 rounding.
    dots = np.abs(np.sum(s.basis.astype(np.float64) * want, axis=1))
    assert dots.min() > 1 - 1e-6, dots
    np.testing.assert_allclose(s.basis.astype(np.float64) @ s.basis.T.astype(np.float64), np.eye(k), atol=1e-6)


def test_svcca_k_from_sketches_equals_numpy_from_the_raw_layers():
    rng = np.random.default_rng(7)
    a = layer(rng, 500, 700)
    b = a @ rng.standard_normal((700, 300)) * 0.1 + layer(rng, 500, 300, noise=0.2)
    sa, sb = sketch_layer(a, 16), sketch_layer(b, 16)
    for k in (4, 10, 16):
        exact = svcca_k(numpy_top(a, k)[0], numpy_top(b, k)[0])
        assert svcca_k(sa.basis[:k].astype(np.float64), sb.basis[:k].astype(np.float64)) == pytest.approx(exact, abs=1e-6)


def test_constant_and_rank_deficient_layers():
    m = 200
    const = np.full((m, 50), 1.5)
    s = sketch_layer(const, 8)
    assert s.basis.shape == (0, m) and s.constant.shape == (50, m) and np.all(s.constant == 1.5)
    low = np.random.default_rng(1).standard_normal((m, 3)) @ np.random.default_rng(2).standard_normal((3, 60))
    s = sketch_layer(low, 8)
    assert len(s.singular) == 3 and s.basis.shape == (3, m), "directions at rounding level are not sent"


def test_sketch_option_values():
    assert sketch_size(None) is None and sketch_size(False) is None and sketch_size(0) is None
    assert sketch_size(True) == 64 and sketch_size(32) == 32
    for bad in (129, -1, 2.5, "64"):
        with pytest.raises(ValueError, match="sketch must be"):
            sketch_size(bad)
    with pytest.raises(ValueError, match="sketch must be"):
        layerwatch.init(url="ws://127.0.0.1:9/ingest", sketch=500, wait=0)


def test_send_activations_sends_wide_layers_as_sketches(recording_run):
    run, transport = recording_run
    rng = np.random.default_rng(3)
    wide = layer(rng, 120, 300).T.astype(np.float32)  # units × m
    narrow = layer(rng, 120, 6).T.astype(np.float32)
    flat = np.full((40, 120), 2.0, dtype=np.float32)
    run.send_activations(5, {"wide": wide, "flat": flat, "narrow": narrow}, sketch=16)
    (layers, _probe), = transport.declarations
    assert [(d["name"], d.get("sketch")) for d in layers["layers"]] == [("wide", 16), ("flat", 16), ("narrow", None)]
    (_, msg, frames), = transport.checkpoints
    assert msg["raw"] == ["flat"], "a constant layer has no direction: its values go raw"
    head, basis = decode_frame(frames[0].tobytes())
    assert head["kind"] == "sketch" and head["shape"] == [16, 120] and len(head["sketch"]["singular"]) == 16
    want, sv = numpy_top(wide.T.astype(np.float64), 16)
    np.testing.assert_allclose(head["sketch"]["singular"], sv[:16], rtol=1e-6)
    assert np.abs(np.sum(basis.astype(np.float64) * want, axis=1)).min() > 1 - 1e-6
    head, values = decode_frame(frames[1].tobytes())
    assert head["kind"] == "activations" and np.all(values == 2.0)
    head, values = decode_frame(frames[2].tobytes())
    assert head["kind"] == "activations" and np.array_equal(values, narrow)


def test_raw_every_and_raw_layers_send_chosen_checkpoints_and_layers_raw(recording_run):
    run, transport = recording_run
    rng = np.random.default_rng(5)
    wide, kept = layer(rng, 120, 300).T.astype(np.float32), layer(rng, 120, 200).T.astype(np.float32)
    run._plan = SketchPlan(16, raw_every=3, raw_layers=["kept"])
    for step in range(5):
        run.send_activations(step, {"wide": wide, "kept": kept})
    (layers, _probe), = transport.declarations
    assert [(d["name"], d.get("sketch")) for d in layers["layers"]] == [("wide", 16), ("kept", None)], "raw_layers are declared raw"
    kinds = []
    for _, msg, frames in transport.checkpoints:
        kinds.append((decode_frame(frames[0].tobytes())[0]["kind"], decode_frame(frames[1].tobytes())[0]["kind"], msg.get("raw")))
    raw, sketch = ("activations", "activations", ["wide"]), ("sketch", "activations", None)
    assert kinds == [raw, sketch, sketch, raw, sketch], "checkpoints 0 and 3 (every 3rd, the first included) go raw whole"
    head, values = decode_frame(transport.checkpoints[0][2][0].tobytes())
    assert head["shape"] == [300, 120] and np.array_equal(values, wide)


def test_raw_every_and_raw_layers_values():
    assert SketchPlan(8, 4, ["a"]).raw_at(0) and SketchPlan(8, 4).raw_at(8) and not SketchPlan(8, 4).raw_at(3)
    assert not SketchPlan(8).raw_at(0), "without raw_every no checkpoint goes raw"
    assert SketchPlan(8, 2).replace(False).k is None and SketchPlan(8, 2).replace(False).raw_every == 2
    for bad in (0, -2, 1.5, True, "3"):
        with pytest.raises(ValueError, match="raw_every must be"):
            SketchPlan(8, raw_every=bad)
    with pytest.raises(ValueError, match="raw_layers must be"):
        SketchPlan(8, raw_layers="fc")
    with pytest.raises(ValueError, match="raw_every must be"):
        layerwatch.init(url="ws://127.0.0.1:9/ingest", sketch=8, raw_every=0, wait=0)


def test_watch_sketches_on_the_models_device(recording_run):
    run, transport = recording_run
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 80), nn.Tanh(), nn.Linear(80, 4))
    probe = torch.randn(100, 5)
    run.watch(model, layers=["1"], probe=probe, sketch=12)
    run.checkpoint(1)
    (layers, _), = transport.declarations
    assert [(d["name"], d["units"], d.get("sketch")) for d in layers["layers"]] == [("1", 80, 12), ("logits", 4, None)]
    (_, _msg, frames), = transport.checkpoints
    head, basis = decode_frame(frames[0].tobytes())
    with torch.no_grad():
        acts = model[1](model[0](probe)).numpy().astype(np.float64)
    want, sv = numpy_top(acts, 12)
    assert head["kind"] == "sketch" and head["shape"] == [12, 100]
    np.testing.assert_allclose(head["sketch"]["singular"], sv[:12], rtol=1e-5)
    assert np.abs(np.sum(basis.astype(np.float64) * want, axis=1)).min() > 1 - 1e-5


def test_server_gives_the_same_svcca_k_from_sketches_as_from_raw_frames(tmp_path):
    from test_real_server import ROOT, Server

    server = Server(tmp_path)
    try:
        rng = np.random.default_rng(11)
        m, steps = 300, 4
        start = [layer(rng, m, u) for u in (150, 220)]
        drift = [rng.standard_normal(x.shape) for x in start]
        checkpoints = [{"h%d" % i: (start[i] + 0.3 * t * drift[i]).T.astype(np.float32) for i in range(2)} for t in range(steps)]
        ids = {}
        # "mixed": sketches with every 2nd checkpoint raw, so the server compares raw frames with sketches.
        for name, sketch, raw_every in (("raw", None, None), ("sketch", 32, None), ("mixed", 32, 2)):
            with layerwatch.init(url=server.url, name=name, sketch=sketch, raw_every=raw_every, options={"analysis": {"k": 10}}) as run:
                for t, acts in enumerate(checkpoints):
                    run.send_activations(t * 10, acts)
            ids[name] = run.id
        grids = {}
        for name, run_id in ids.items():
            out = subprocess.run(["node", os.path.join(ROOT, "bin", "layerwatch.mjs"), "export", run_id, "--data", str(tmp_path), "--json", "--metric", "svcca-k"],
                                 capture_output=True, text=True, cwd=ROOT, timeout=120, check=True)
            grids[name] = np.array(json.loads(out.stdout)["convergence"]["toFinal"], dtype=np.float64)
        assert grids["raw"].shape == (2, steps)
        np.testing.assert_allclose(grids["sketch"], grids["raw"], atol=1e-6, rtol=0)
        np.testing.assert_allclose(grids["mixed"], grids["raw"], atol=1e-6, rtol=0)
        final = [numpy_top(checkpoints[-1]["h%d" % i].T.astype(np.float64), 10)[0] for i in range(2)]
        for i in range(2):
            for t in range(steps):
                mine = svcca_k(numpy_top(checkpoints[t]["h%d" % i].T.astype(np.float64), 10)[0], final[i])
                assert grids["sketch"][i, t] == pytest.approx(mine, abs=1e-6)
    finally:
        server.kill()


def test_watch_raw_every_sends_the_probe_pass_raw_at_those_checkpoints(recording_run):
    run, transport = recording_run
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(5, 80), nn.Tanh(), nn.Linear(80, 4))
    run.watch(model, layers=["1"], probe=torch.randn(100, 5), sketch=12, raw_every=2)
    for step in (1, 2, 3):
        run.checkpoint(step)
    got = [(decode_frame(frames[0].tobytes())[0]["kind"], msg.get("raw")) for _, msg, frames in transport.checkpoints]
    assert got == [("activations", ["1"]), ("sketch", None), ("activations", ["1"])]
    head, values = decode_frame(transport.checkpoints[0][2][0].tobytes())
    assert head["shape"] == [80, 100] and values.dtype == np.float32
