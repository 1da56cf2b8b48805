import json
import struct
import zlib

import numpy as np
import pytest

import layerwatch
from layerwatch.frames import encode_frame


def record(kind, payload, time=1.0e12, flags=0):
    """One run-log record as docs/storage.md describes it (written independently of the reader)."""
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload).encode()
    covered = struct.pack("<BB", kind, flags) + struct.pack("<d", time)
    crc = zlib.crc32(payload, zlib.crc32(covered))
    head = struct.pack("<III", 0x3152574C, len(payload), crc) + struct.pack("<BBH", kind, flags, 0) + struct.pack("<d", time)
    assert head[:4] == b"LWR1" and len(head) == 24
    return head + payload + b"\0" * (-len(payload) % 8)


def build_log(path, steps=(0, 10, 20), m=5, torn=True, corrupt=False):
    rng = np.random.default_rng(3)
    data = {s: {"h1": rng.normal(size=(3, m)).astype(np.float32), "logits": rng.normal(size=(2, m)).astype(np.float32)} for s in steps}
    out = bytearray(b"LWLOG\0" + struct.pack("<HII", 1, 0, 0))
    assert len(out) == 16
    out += record(1, {"type": "hello", "protocol": 1, "run": {"name": "x", "id": "run-a"}})
    out += record(1, {"type": "layers", "layers": [{"name": "h1", "units": 3, "kind": "dense"}, {"name": "logits", "units": 2, "kind": "logits"}]})
    out += record(1, {"type": "probe", "examples": m, "labels": [0, 1, 0, 1, 1], "classNames": ["a", "b"]})
    for i, s in enumerate(steps):
        cp = record(1, {"type": "checkpoint", "step": s, "time": 5.0 + s, "layers": ["h1", "logits"]})
        frames = b"".join(record(2, encode_frame(s, name, data[s][name])) for name in ("h1", "logits"))
        if corrupt and i == 1:
            cp = cp[:30] + bytes([cp[30] ^ 0xFF]) + cp[31:]  # a flipped payload byte: CRC mismatch
        out += cp + frames
        out += record(1, {"type": "scalars", "step": s, "values": {"loss": 1.0 / (s + 1), "acc": None}})
    out += record(3, {"type": "advice", "layer": "h1", "step": steps[-1], "evidence": {}})
    out += record(3, {"type": "status", "status": "finished"})
    full = len(out)
    if torn:
        out += record(1, {"type": "scalars", "step": 99, "values": {"loss": 0.0}})[:-11]
    path.write_bytes(bytes(out))
    return data, len(out) - full


def test_read_log_arrays(tmp_path):
    run_dir = tmp_path / "runs" / "run-a"
    run_dir.mkdir(parents=True)
    data, torn = build_log(run_dir / "log.lwlog")
    log = layerwatch.read_log(str(run_dir))
    assert log.run_id == "run-a" and log.layer_names == ["h1", "logits"]
    assert log.steps.tolist() == [0, 10, 20] and log.times.tolist() == [5.0, 15.0, 25.0]
    assert log["h1"].shape == (3, 3, 5) and log["h1"].dtype == np.float32
    for i, s in enumerate((0, 10, 20)):
        np.testing.assert_array_equal(log.activations["h1"][i], data[s]["h1"])
        np.testing.assert_array_equal(log.activations["logits"][i], data[s]["logits"])
    assert log.labels.tolist() == [0, 1, 0, 1, 1] and log.class_names == ["a", "b"]
    loss = log.scalars["loss"]
    assert loss.steps.tolist() == [0, 10, 20] and np.allclose(loss.values, [1.0, 1 / 11, 1 / 21])
    assert np.isnan(log.scalars["acc"].values).all()
    assert log.status == "finished" and log.advice[0]["layer"] == "h1"
    assert log.torn_bytes == torn > 0 and log.corrupt == []


def test_crc_damage_in_the_middle_is_skipped(tmp_path):
    path = tmp_path / "log.lwlog"
    data, _ = build_log(path, corrupt=True, torn=False)
    log = layerwatch.read_log(str(path))
    # The damaged checkpoint header is skipped; its frames have no checkpoint to belong to.
    assert log.steps.tolist() == [0, 20] and len(log.corrupt) == 1 and log.torn_bytes == 0
    np.testing.assert_array_equal(log["h1"][1], data[20]["h1"])


def test_not_a_log(tmp_path):
    path = tmp_path / "x.lwlog"
    path.write_bytes(b"hello world, not a log")
    with pytest.raises(ValueError):
        layerwatch.read_log(str(path))


def test_probe_images_and_masks_are_read_back_in_example_order(tmp_path):
    """Chunks `__images__`, `__images__@3` (a re-sent first chunk restarts the list, as after a reconnect), one masks frame."""
    m = 5
    rng = np.random.default_rng(7)
    images = rng.random((m, 4, 3, 1)).astype(np.float32)
    masks = (rng.random((m, 2, 4, 3)) > 0.5).astype(np.float32)
    stale = np.zeros((3, 4, 3, 1), dtype=np.float32)
    out = bytearray(b"LWLOG\0" + struct.pack("<HII", 1, 0, 0))
    out += record(1, {"type": "hello", "protocol": 1, "run": {"name": "x", "id": "run-i"}})
    out += record(1, {"type": "layers", "layers": [{"name": "h1", "units": 2, "kind": "dense"}]})
    out += record(1, {"type": "probe", "examples": m, "imageSize": {"h": 4, "w": 3, "channels": 1}, "concepts": [{"name": "a", "category": "c"}, {"name": "b", "category": "c"}], "maskSize": {"h": 4, "w": 3}})
    out += record(2, encode_frame(0, "__images__", stale, kind="images"))
    out += record(2, encode_frame(0, "__images__", images[:3], kind="images"))
    out += record(2, encode_frame(0, "__images__@3", images[3:], kind="images"))
    out += record(2, encode_frame(0, "__masks__", masks, kind="masks"))
    out += record(1, {"type": "checkpoint", "step": 1, "layers": ["h1"]})
    h1 = rng.normal(size=(2, m)).astype(np.float32)
    out += record(2, encode_frame(1, "h1", h1))
    path = tmp_path / "log.lwlog"
    path.write_bytes(bytes(out))
    log = layerwatch.read_log(str(path))
    np.testing.assert_array_equal(log.images, images)
    np.testing.assert_array_equal(log.masks, masks)
    np.testing.assert_array_equal(log["h1"][0], h1)
    # Without the second chunk the images do not cover the probe: None, not a partial array.
    cut = bytes(out).replace(record(2, encode_frame(0, "__images__@3", images[3:], kind="images")), b"")
    path.write_bytes(cut)
    assert layerwatch.read_log(str(path)).images is None


def test_read_log_reads_an_exported_log(tmp_path):
    """An export is the run log followed by its stored analysis (kind-4 records, docs/storage.md): the arrays are the same."""
    plain = tmp_path / "log.lwlog"
    data, _ = build_log(plain, torn=False)
    exported = tmp_path / "export.lwlog"
    analysis = [{"type": "convergence", "reference": 20, "patch": {"metric": "svcca-k", "addSteps": [0, 10, 20], "cells": []}}, {"type": "concepts", "patch": {}}]
    exported.write_bytes(plain.read_bytes() + b"".join(record(4, a) for a in analysis))
    a, b = layerwatch.read_log(str(plain)), layerwatch.read_log(str(exported))
    assert b.steps.tolist() == a.steps.tolist() == [0, 10, 20] and b.torn_bytes == 0 and b.corrupt == []
    for name in ("h1", "logits"):
        np.testing.assert_array_equal(b.activations[name], a.activations[name])
    assert b.status == "finished" and len(b.events) == len(a.events)
