"""read_log(): a stored run log (docs/storage.md) as numpy arrays, without a server."""
import json
import os
import struct
import zlib
from collections import namedtuple

import numpy as np

from .frames import decode_frame

FILE_MAGIC = b"LWLOG\x00"
FILE_HEADER_SIZE = 16
RECORD_MAGIC = 0x3152574C
RECORD_HEADER = struct.Struct("<IIIBBHd")  # magic, length, crc, kind, flags, reserved, time
KIND_JSON, KIND_FRAME, KIND_EVENT, KIND_ANALYSIS = 1, 2, 3, 4

Series = namedtuple("Series", "steps values")


class RunLog:
    """A run log's contents. `activations[layer]` is checkpoints × units × m (float32; NaN where a
    checkpoint lacks the layer); `spatial[layer]` is checkpoints × units × m × h × w for spatial layers;
    `scalars[name]` is a Series of steps (int64) and values (float64, NaN for null). `images` holds the probe
    images when the trainer sent them (m × h × w × channels, float32 in [0, 1]), `masks` the concept masks
    (m × concepts × h × w); each is None when absent or incomplete. In a distributed run, a scalar combined
    across ranks is in `scalars` (the server's combination per step) and each rank's own values in
    `rank_scalars[name][rank]`; a scalar kept per rank is in `scalars` as `name{rank=r}`."""

    def __init__(self):
        self.path = None
        self.version = None
        self.run_id = None
        self.run = {}
        self.hellos = []
        self.layers = []
        self.probe = None
        self.labels = None
        self.class_names = None
        self.images = None
        self.masks = None
        self.steps = np.zeros(0, dtype=np.int64)
        self.times = np.zeros(0, dtype=np.float64)
        self.activations = {}
        self.spatial = {}
        self.scalars = {}
        self.rank_scalars = {}
        self.events = []
        self.advice = []
        self.frozen = []  # the trainer's "frozen" confirmations ({"layer", "step"}), first per layer
        self.status = None
        self.records = 0
        self.torn_bytes = 0
        self.corrupt = []

    @property
    def layer_names(self):
        return [d["name"] for d in self.layers]

    def __getitem__(self, layer):
        return self.activations[layer] if layer in self.activations else self.spatial[layer]

    def __repr__(self):
        return "RunLog(%r, layers=%s, checkpoints=%d, scalars=%s)" % (self.run_id, self.layer_names, len(self.steps), sorted(self.scalars))


def _records(buf, log):
    """Yields (kind, time, payload memoryview) of every valid record; notes torn tails and corrupt stretches."""
    size, pos = len(buf), FILE_HEADER_SIZE
    view = memoryview(buf)

    def valid(at):
        if at + RECORD_HEADER.size > size:
            return None
        magic, length, crc, kind, flags, reserved, time = RECORD_HEADER.unpack_from(buf, at)
        if magic != RECORD_MAGIC or not 1 <= kind <= 4 or reserved != 0:
            return None
        start = at + RECORD_HEADER.size
        if start + length > size:
            return None
        c = zlib.crc32(view[at + 12 : at + 14])
        c = zlib.crc32(view[at + 16 : at + 24], c)
        if zlib.crc32(view[start : start + length], c) != crc:
            return None
        return kind, time, view[start : start + length], start + ((length + 7) // 8) * 8

    while pos < size:
        rec = valid(pos)
        if rec is not None:
            kind, time, payload, pos = rec
            log.records += 1
            yield kind, time, payload
            continue
        # Damaged: find the next valid record on the 8-byte grid; none → a torn tail.
        nxt = pos + 8
        while nxt < size:
            nxt = buf.find(b"LWR1", nxt)
            if nxt < 0:
                break
            if nxt % 8 == 0 and valid(nxt) is not None:
                break
            nxt += 1
        if nxt < 0 or nxt >= size:
            log.torn_bytes = size - pos
            return
        log.corrupt.append((pos, nxt - pos))
        pos = nxt


def _probe_array(chunks, m):
    """Chunks of per-example arrays (in sending order) joined into one array of m examples, or None when they do
    not cover examples 0..m-1 contiguously with one shape."""
    if not chunks:
        return None
    at, parts = 0, []
    for first, data in chunks:
        if first != at or (parts and data.shape[1:] != parts[0].shape[1:]):
            return None
        parts.append(data)
        at += data.shape[0]
    return np.concatenate(parts) if at == m else None


def read_log(path):
    """Reads a run log (a log.lwlog file, or a run directory holding one) into a RunLog of numpy arrays.

    Every record's CRC is checked; a torn last record is dropped (RunLog.torn_bytes says how many bytes)
    and damaged records in the middle are skipped (RunLog.corrupt lists their offsets and lengths).
    """
    if os.path.isdir(path):
        path = os.path.join(path, "log.lwlog")
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < FILE_HEADER_SIZE or buf[:6] != FILE_MAGIC:
        raise ValueError("%s is not a Layerwatch run log (no LWLOG header)" % path)
    out = RunLog()
    out.path = path
    (out.version,) = struct.unpack_from("<H", buf, 6)
    if out.version != 1:
        raise ValueError("%s has run log format version %d; this reader knows version 1" % (path, out.version))
    if os.path.basename(path) == "log.lwlog":
        out.run_id = os.path.basename(os.path.dirname(os.path.abspath(path)))

    checkpoints = []  # (step, time, {layer: (header, data)})
    current = None
    scalars = {}
    rank_points = {}  # name → rank → [(step, value)]: each rank's share of a combined scalar
    probe_chunks = {"images": [], "masks": []}  # per kind: [(first example, data)], restarted by a chunk at 0
    for kind, time, payload in _records(buf, out):
        if kind == KIND_FRAME:
            try:
                header, data = decode_frame(payload)
            except (ValueError, KeyError):
                continue  # the server stores only valid frames; a hand-made log might not
            if header.get("kind") in probe_chunks:
                chunks = probe_chunks[header["kind"]]
                layer = header.get("layer", "")
                first = int(layer.split("@", 1)[1]) if "@" in layer and layer.split("@", 1)[1].isdigit() else 0
                if first == 0:
                    del chunks[:]
                chunks.append((first, data))
            elif current is not None and header.get("step") == current[0]:
                current[2][header["layer"]] = (header, data)
            continue
        if kind == KIND_ANALYSIS:
            continue
        try:
            msg = json.loads(bytes(payload).decode("utf-8"))
        except ValueError:
            continue
        if kind == KIND_EVENT:
            out.events.append(dict(msg, time=time))
            if msg.get("type") == "status":
                out.status = msg.get("status")
            elif msg.get("type") == "advice":
                out.advice.append(msg)
            elif msg.get("type") == "combined":
                for name, value in (msg.get("values") or {}).items():
                    scalars.setdefault(name, []).append((msg["step"], np.nan if value is None else value))
            continue
        t = msg.get("type")
        if t == "hello":
            out.hellos.append(msg)
            if not out.run:
                out.run = dict(msg.get("run") or {})
                out.run_id = out.run.get("id", out.run_id)
        elif t == "layers":
            out.layers = msg["layers"]
        elif t == "probe":
            out.probe = msg
            if "labels" in msg:
                out.labels = np.asarray(msg["labels"], dtype=np.int64)
            out.class_names = msg.get("classNames")
        elif t == "checkpoint":
            if checkpoints and msg["step"] <= checkpoints[-1][0]:
                current = None  # the server never stores these; a hand-made log might
                continue
            current = (msg["step"], msg.get("time", time), {})
            checkpoints.append(current)
        elif t == "end":
            out.status = msg.get("status", "finished")
        elif t == "frozen" and all(f["layer"] != msg.get("layer") for f in out.frozen):
            out.frozen.append({"layer": msg.get("layer"), "step": msg.get("step")})
        elif t == "scalars":
            reduce, rank = msg.get("reduce"), msg.get("rank", 0)
            for name, value in msg["values"].items():
                point = (msg["step"], np.nan if value is None else value)
                if reduce in ("mean", "sum", "max"):
                    rank_points.setdefault(name, {}).setdefault(rank, []).append(point)
                else:
                    scalars.setdefault("%s{rank=%d}" % (name, rank) if reduce == "none" else name, []).append(point)

    out.steps = np.asarray([c[0] for c in checkpoints], dtype=np.int64)
    out.times = np.asarray([c[1] for c in checkpoints], dtype=np.float64)
    m = out.probe["examples"] if out.probe else None
    for decl in out.layers:
        name, units = decl["name"], decl["units"]
        if m is None:
            continue
        shape = (len(checkpoints), units, m) + ((decl["spatial"]["h"], decl["spatial"]["w"]) if decl.get("spatial") else ())
        arr = np.full(shape, np.nan, dtype=np.float32)
        for i, (_, _, frames) in enumerate(checkpoints):
            if name in frames and tuple(frames[name][1].shape) == shape[1:]:
                arr[i] = frames[name][1]
        (out.spatial if decl.get("spatial") else out.activations)[name] = arr
    if m is not None:
        out.images = _probe_array(probe_chunks["images"], m)
        out.masks = _probe_array(probe_chunks["masks"], m)
    for name, points in scalars.items():
        out.scalars[name] = _series(points)
    out.rank_scalars = {name: {rank: _series(points) for rank, points in ranks.items()} for name, ranks in rank_points.items()}
    return out


def _series(points):
    return Series(np.asarray([p[0] for p in points], dtype=np.int64), np.asarray([p[1] for p in points], dtype=np.float64))
