"""Binary activation frames of /ingest: "LWF1", u32 LE header length, JSON header, zero padding to 4, float32 LE payload."""
import json
import struct

import numpy as np

MAGIC = b"LWF1"
MAX_HEADER_BYTES = 4096
KINDS = ("activations", "spatial", "masks", "images", "gradcam", "sketch")


def _align4(n):
    return (n + 3) & ~3


def encode_frame(step, layer, data, run=None, kind="activations", examples=None, classes=None):
    """Encodes one frame; `data` is units × m (units × m × h × w for spatial, n × h × w × c for images,
    n × targets × h × w for gradcam, whose header also carries the probe `examples` and the `classes`), any float dtype."""
    return encode_frame_buffer(step, layer, data, run, kind, examples, classes).tobytes()


def encode_frame_buffer(step, layer, data, run=None, kind="activations", examples=None, classes=None, sketch=None):
    """encode_frame into a new uint8 array, the values converted and copied in one pass (what the client queues).

    kind "sketch": `data` is the K × m basis and `sketch` {"singular": [K floats], "total": float} (docs/protocol.md).
    """
    if kind not in KINDS:
        raise ValueError("frame kind must be one of %s" % (KINDS,))
    if (kind == "sketch") != (sketch is not None):
        raise ValueError('a "sketch" field goes with kind "sketch", and only there')
    arr = np.asarray(data)
    if arr.dtype.kind not in "biuf":
        arr = np.asarray(arr, dtype="<f4")  # raises for what is not numeric, as a cast would
    header = {"step": int(step), "layer": layer, "dtype": "float32", "shape": [int(d) for d in arr.shape], "kind": kind}
    if run is not None:
        header["run"] = run
    if examples is not None:
        header["examples"] = [int(e) for e in examples]
    if classes is not None:
        header["classes"] = [int(c) for c in np.asarray(classes).reshape(-1)]
    if sketch is not None:
        header["sketch"] = {"singular": [float(v) for v in sketch["singular"]], "total": float(sketch["total"])}
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if not 0 < len(head) <= MAX_HEADER_BYTES:
        raise ValueError("frame header is %d bytes; the limit is %d" % (len(head), MAX_HEADER_BYTES))
    offset = _align4(8 + len(head))
    out = np.empty(offset + 4 * arr.size, dtype=np.uint8)  # not zeroed: every byte is written below
    out[0:4] = np.frombuffer(MAGIC, dtype=np.uint8)
    out[4:8] = np.frombuffer(struct.pack("<I", len(head)), dtype=np.uint8)
    out[8 : 8 + len(head)] = np.frombuffer(head, dtype=np.uint8)
    out[8 + len(head) : offset] = 0
    np.copyto(out[offset:].view("<f4").reshape(arr.shape), arr, casting="unsafe")
    return out


def decode_frame(buf):
    """Decodes one frame into (header dict, float32 ndarray of header["shape"]); raises ValueError if malformed.

    Reads float16 frames too (a run log written by the server's float16 store), as float32 values.
    """
    buf = memoryview(buf)
    if len(buf) < 8 or bytes(buf[0:4]) != MAGIC:
        raise ValueError('binary frame does not start with "LWF1"')
    (head_len,) = struct.unpack_from("<I", buf, 4)
    if head_len == 0 or head_len > MAX_HEADER_BYTES or 8 + head_len > len(buf):
        raise ValueError("frame header length %d is invalid" % head_len)
    header = json.loads(bytes(buf[8 : 8 + head_len]).decode("utf-8"))
    shape = tuple(int(d) for d in header["shape"])
    offset = _align4(8 + head_len)
    count = int(np.prod(shape, dtype=np.int64))
    half = header.get("dtype") == "float16"  # the server's float16 store: binary16 values × a power-of-two scale
    if len(buf) != offset + (2 if half else 4) * count:
        raise ValueError("frame payload is %d bytes; shape %s needs %d" % (len(buf) - offset, shape, (2 if half else 4) * count))
    if half:
        data = (np.frombuffer(buf, dtype="<f2", count=count, offset=offset).astype(np.float32) * np.float32(header.get("scale", 1))).reshape(shape)
    else:
        data = np.frombuffer(buf, dtype="<f4", count=count, offset=offset).reshape(shape)
    return header, data
