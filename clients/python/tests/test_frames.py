import json
import struct

import numpy as np
import pytest

from layerwatch.frames import decode_frame, encode_frame


def test_layout_matches_docs_example():
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    buf = encode_frame(5, "fc1", data, run="r1")
    assert buf[:4] == b"LWF1"
    (h,) = struct.unpack("<I", buf[4:8])
    header = json.loads(buf[8 : 8 + h].decode("utf-8"))
    assert header == {"run": "r1", "step": 5, "layer": "fc1", "dtype": "float32", "shape": [2, 3], "kind": "activations"}
    assert h == 88 and len(buf) == 120  # the worked example in docs/protocol.md
    payload = np.frombuffer(buf[96:], dtype="<f4")
    assert payload.tolist() == [0, 1, 2, 3, 4, 5]  # row-major units × m


@pytest.mark.parametrize("name", ["a", "ab", "abc", "abcd"])
def test_padding_is_zero_and_payload_aligned(name):
    data = np.array([[1.5, -2.0]], dtype=np.float64)  # converted to float32 LE
    buf = encode_frame(0, name, data)
    (h,) = struct.unpack("<I", buf[4:8])
    offset = (8 + h + 3) & ~3
    assert offset % 4 == 0 and buf[8 + h : offset] == b"\0" * (offset - 8 - h)
    assert len(buf) == offset + 8
    assert struct.unpack("<2f", buf[offset:]) == (1.5, -2.0)


def test_roundtrip_spatial_and_non_contiguous():
    data = np.random.default_rng(0).normal(size=(4, 3, 5, 5)).astype(np.float32)
    buf = encode_frame(7, "conv1", data.transpose(0, 1, 3, 2), kind="spatial")
    header, out = decode_frame(buf)
    assert header["kind"] == "spatial" and header["shape"] == [4, 3, 5, 5]
    np.testing.assert_array_equal(out, data.transpose(0, 1, 3, 2))


def test_decode_rejects_bad_frames():
    buf = encode_frame(1, "x", np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError):
        decode_frame(b"LWF2" + buf[4:])
    with pytest.raises(ValueError):
        decode_frame(buf[:-4])
