"""A run: the object a training loop talks to. Nothing here raises into training once init() has returned."""
import logging
import math
import numbers
import queue
import time

import numpy as np

from .distributed import RANK0, REDUCE, RankInfo
from .frames import encode_frame_buffer
from .freeze import FreezeOnAdvice
from .sketch import Sketch, SketchPlan, sketch_layer

log = logging.getLogger("layerwatch")


def _now_ms():
    return time.time() * 1000.0


def _scalar(value):
    """A JSON-safe float (None for non-finite) from a Python, numpy or torch number; raises TypeError otherwise."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if isinstance(value, bool):
            return float(value)
        raise TypeError("scalar values must be numbers, got %s" % type(value).__name__)
    value = float(value)
    return value if math.isfinite(value) else None


class Run:
    """Streams checkpoints and scalars of one training run; see layerwatch.init()."""

    def __init__(self, transport, on_advice=None, ranks=None, sketch=None, raw_every=None, raw_layers=None):
        self._transport = transport
        self.ranks = ranks or RankInfo(0, 1)
        # Which layers go as sketches and when they go raw anyway (docs: clients/python/README.md, "Sketches")
        self._plan = SketchPlan(sketch, raw_every, raw_layers)
        self._checkpoints = 0  # checkpoints queued so far: the plan's raw_every counts them
        self.on_advice = on_advice
        self.advice = []  # every advice message received, in order
        self.frozen = []  # every layer reported frozen ({"layer", "step"}), in order
        self.server_warnings = []
        self._inbox = queue.Queue()
        self._declared = None  # (layer decls, m) once layers and probe are declared
        self._probe_extra = {}
        self._images = None  # probe images, n × h × w × c float32 in [0, 1], sent after the probe
        self._masks = None  # concept masks frames, sent after the first checkpoint's frames
        self._gradcam = None  # a GradCam whose maps follow every checkpoint
        self._watch = None
        self._step = 0
        self._logged_step = 0  # the highest step given to log(): system metrics use it when run.step() is not called
        self._system = None  # the system-metrics thread (layerwatch/system.py)
        self._system_step = None
        self._system_reduce = None
        self._warned = set()
        self.finished = False
        if transport is not None:
            transport._on_message = self._inbox.put
        if isinstance(on_advice, FreezeOnAdvice) and on_advice.run is None:
            on_advice.run = self  # freeze_on_advice(model) given to init(): its freezes are reported on this run

    # ---- identity and state --------------------------------------------------------------

    @property
    def id(self):
        """The run id the server assigned (None until the first connection succeeded)."""
        return self._transport.run_id if self._transport else None

    @property
    def connected(self):
        return bool(self._transport and self._transport.connected)

    @property
    def dropped_checkpoints(self):
        """How many checkpoints were dropped from the full buffer (the server was away, or buffer_wait ran out)."""
        return self._transport.dropped_checkpoints if self._transport else 0

    def buffered(self):
        """(checkpoints, bytes) still waiting for the server's acknowledgement."""
        return self._transport.buffered() if self._transport else (0, 0)

    @property
    def current_step(self):
        return self._step

    @property
    def rank(self):
        """This process's rank in a distributed run (0 otherwise)."""
        return self.ranks.rank

    @property
    def world_size(self):
        """How many processes the run has (1 unless distributed)."""
        return self.ranks.world_size

    # ---- the training-loop API -----------------------------------------------------------

    def watch(self, model, layers, probe, labels=None, class_names=None, every=None, spatial=False,
              logits=True, concepts=None, concept_labels=None, batch_size=256, images=None, masks=None,
              gradcam=None, gradcam_examples=16, sketch=None, raw_every=None, raw_layers=None):
        """Hooks `layers` of a torch `model` and checkpoints them on the fixed `probe` inputs every N steps.

        `model` may be wrapped (DistributedDataParallel, DataParallel, torch.compile): layers are named as in the model
        inside, and the probe pass runs that model. On ranks other than 0 of a distributed run nothing is hooked or sent
        (the names are still checked).
        `layers`: module names (as in model.named_modules()) or module objects, input side first.
        `probe`: the probe inputs, or a ProbeSet (layerwatch.probe_from), whose labels and images are used unless given.
        `every`: an int N (checkpoint when run.step() reaches a multiple of N), a collection of steps, or None
        (only explicit run.checkpoint()). `spatial`: True, or names of conv layers to send as spatial maps.
        `images`: the probe examples as pictures (n × h × w or n × h × w × c, c 1 or 3; uint8 or any float), shown as
        thumbnails of each unit's top-activating examples; scaled to [0, 1] and downsampled to at most 64 × 64.
        `masks`: per-example concept masks (m × len(concepts) × h × w, 0/1), for dissecting the `spatial` layers.
        `gradcam`: a conv layer (name or module) whose Grad-CAM maps are sent with every checkpoint, for
        `gradcam_examples` probe examples (a count, spread over the classes, or a list of probe indices).
        `sketch`: K (or True for 64) to send each layer wider than K as its K-direction sketch, computed on the model's
        device; False for raw frames; None keeps init()'s choice. `raw_every`, `raw_layers`: as in init() (None keeps
        init()'s choice).
        """
        from .probe import ProbeSet
        from .unwrap import resolve_layer
        from .watch import Watch  # torch is imported only here

        self._plan = self._plan.replace(sketch, raw_every, raw_layers)
        if isinstance(probe, ProbeSet):
            labels = probe.labels if labels is None else labels
            images = probe.images if images is None else images
            probe = probe.inputs
        if self.rank > 0:
            for layer in layers:
                resolve_layer(model, layer)  # a wrong name fails on every rank, not only on rank 0
            return self
        self._watch = Watch(model, layers, probe, spatial=spatial, logits=logits, batch_size=batch_size)
        self._every = every if (every is None or isinstance(every, int)) else frozenset(int(s) for s in every)
        self._probe_extra = _probe_fields(self._watch.examples, labels, class_names, concepts, concept_labels)
        self._set_images(images, self._watch.examples)
        if masks is not None:
            self._masks = _mask_frames(masks, self._watch.examples, len(concepts or ()))
            self._probe_extra["maskSize"] = {"h": int(np.shape(masks)[2]), "w": int(np.shape(masks)[3])}
        if gradcam is not None:
            from .gradcam import GradCam, subset

            self._gradcam = GradCam(model, gradcam, self._watch.probe, subset(gradcam_examples, self._watch.examples, labels), labels)
        return self

    def step(self, n=1):
        """Advances the step counter by `n` and checkpoints if the schedule says so; returns the step."""
        self._step += n
        self._deliver()
        every = getattr(self, "_every", None)
        if self._watch is not None and every is not None:
            due = (self._step % every == 0) if isinstance(every, int) else (self._step in every)
            if due:
                self.checkpoint(self._step)
        return self._step

    def checkpoint(self, step=None):
        """Runs the probe set through the watched model (eval mode, no_grad) and queues the activations."""
        if step is not None:
            self._step = int(step)
        self._deliver()
        if self.rank > 0:
            return  # only rank 0 sends activations
        if self._watch is None:
            self._warn_once("no-watch", "layerwatch: run.checkpoint() before run.watch(); ignored")
            return
        try:
            acts, decls = self._watch.collect(self._plan, raw=self._plan.raw_at(self._checkpoints))
            self._queue_checkpoint(self._step, acts, decls, self._gradcam_frames(self._step))
        except Exception as exc:  # noqa: BLE001 — never raise into the training loop
            self._warn_once("checkpoint:" + type(exc).__name__, "layerwatch: checkpoint at step %d failed: %r" % (self._step, exc))

    def send_activations(self, step, activations, labels=None, class_names=None, kinds=None, images=None, sketch=None):
        """Queues one checkpoint from arrays: {layer name: units × m array}, input side first (numpy; or torch tensors).

        The first call declares the layers (kind "dense" unless `kinds` says otherwise; 4-d arrays are
        spatial maps units × m × h × w) and the probe set (m examples, optional labels, class names and `images`
        as in watch()). `sketch`: as in watch(); a torch tensor is sketched on its own device.
        """
        plan = self._plan if sketch is None else self._plan.replace(sketch)
        raw_now = plan.raw_at(self._checkpoints)
        self._step = int(step)
        self._deliver()
        if self.rank > 0:
            return  # only rank 0 sends activations
        try:
            arrays, decls = {}, []
            for name, arr in activations.items():
                shape = tuple(int(d) for d in np.shape(arr)) if not hasattr(arr, "detach") else tuple(arr.shape)
                if len(shape) not in (2, 4):
                    raise ValueError("layer %r: expected units × m (or units × m × h × w), got shape %s" % (name, shape))
                decl = {"name": name, "units": int(shape[0]), "kind": (kinds or {}).get(name, "conv" if len(shape) == 4 else "dense")}
                if len(shape) == 4:
                    decl["spatial"] = {"h": int(shape[2]), "w": int(shape[3])}
                if plan.declares(decl):
                    decl["sketch"] = plan.k
                if plan.declares(decl) and not raw_now:
                    arrays[name] = sketch_layer(arr.detach().T if hasattr(arr, "detach") else np.asarray(arr).T, plan.k)
                else:
                    arrays[name] = np.asarray(arr.detach().cpu() if hasattr(arr, "detach") else arr, dtype=np.float32)
                decls.append(decl)
            if self._declared is None and not self._probe_extra:
                m = _examples(next(iter(arrays.values())))
                self._probe_extra = _probe_fields(m, labels, class_names, None, None)
                self._set_images(images, m)
            self._queue_checkpoint(self._step, arrays, decls)
        except Exception as exc:  # noqa: BLE001
            self._warn_once("send:" + type(exc).__name__, "layerwatch: send_activations at step %s failed: %r" % (step, exc))

    def log(self, values, step=None, reduce=RANK0):
        """Queues scalars {name: number}; non-finite values are sent as null. Uses the current step by default.

        In a distributed run, `reduce` says what becomes of each rank's values: "rank0" (the default) logs rank 0's
        only (other ranks send nothing); "mean", "sum" or "max" combines every rank's value per step on the server
        (once all ranks gave theirs); None keeps each rank's values as its own series, `name{rank=r}`. In a single
        process every choice logs the values as they are.
        """
        self._deliver()
        if reduce != RANK0 and reduce not in REDUCE:
            self._warn_once("reduce:%r" % (reduce,), "layerwatch: reduce=%r is not one of %s; scalars not sent" % (reduce, ("rank0",) + REDUCE))
            return
        try:
            s = int(step) if step is not None else self._step
            self._logged_step = max(self._logged_step, s)
            if self.world_size > 1 and reduce == RANK0 and self.rank > 0:
                return
            clean = {}
            for name, value in values.items():
                try:
                    clean[str(name)] = _scalar(value)
                except TypeError as exc:
                    self._warn_once("scalar:" + str(name), "layerwatch: scalar %r skipped: %s" % (name, exc))
            if clean and self._transport:
                msg = {"type": "scalars", "step": s, "time": _now_ms(), "values": clean}
                if self.world_size > 1 and reduce != RANK0:
                    msg["reduce"] = reduce or "none"
                self._transport.put_scalars(s, msg)
        except Exception as exc:  # noqa: BLE001
            self._warn_once("log:" + type(exc).__name__, "layerwatch: log at step %s failed: %r" % (step, exc))

    def _send_system(self, values):
        """Sends one system-metrics sample (from the sampling thread: no callbacks run here) at the current step, at most
        one per step (the server keeps one value per step and name)."""
        step = max(self._step, self._logged_step)
        if step == self._system_step or not self._transport:
            return
        self._system_step = step
        msg = {"type": "scalars", "step": step, "time": _now_ms(), "values": {k: _scalar(v) for k, v in values.items()}}
        if self._system_reduce:
            msg["reduce"] = self._system_reduce
        self._transport.put_scalars(step, msg)

    def report_frozen(self, layer, step=None):
        """Tells the server that `layer` was frozen (no longer trained) at `step` (default: the current step).

        The views say "advised" for a layer the server advised freezing until this confirmation, then "frozen at
        step N". layerwatch.freeze(model, name, run=run) and freeze_on_advice() call it for you.
        """
        s = int(step) if step is not None else self._step
        self.frozen.append({"layer": str(layer), "step": s})
        if self._transport and self.rank == 0:
            try:
                self._transport.put_frozen({"type": "frozen", "layer": str(layer), "step": s})
            except Exception as exc:  # noqa: BLE001 — never raise into the training loop
                self._warn_once("frozen:" + type(exc).__name__, "layerwatch: report_frozen(%r) failed: %r" % (layer, exc))

    def poll(self):
        """Delivers advice received since the last call to the on_advice callback (also done by step/log/checkpoint)."""
        self._deliver()

    def finish(self, status="finished", timeout=30.0):
        """Sends "end" after everything queued; waits up to `timeout` s (much less if the server is unreachable)."""
        if self.finished:
            return
        self.finished = True
        if self._system is not None:
            self._system.stop()
        if self._watch is not None:
            self._watch.remove()
        if self._transport is not None:
            try:
                self._transport.finish(status, timeout)
            except Exception as exc:  # noqa: BLE001
                log.warning("layerwatch: finish failed: %r", exc)
        self._deliver()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.finish("failed" if exc_type is not None else "finished")
        return False

    # ---- internals -----------------------------------------------------------------------

    def _gradcam_frames(self, step):
        """The Grad-CAM frame of this checkpoint (none without gradcam=, or when nothing is sent); a failure is reported once and skipped."""
        if self._gradcam is None or self._transport is None:
            return []
        try:
            maps, classes = self._gradcam.compute()
            layer = "__gradcam__:" + self._gradcam.layer
            return [encode_frame_buffer(step, layer, maps, kind="gradcam", examples=self._gradcam.examples, classes=classes)]
        except Exception as exc:  # noqa: BLE001 — never raise into the training loop
            self._warn_once("gradcam:" + type(exc).__name__, "layerwatch: Grad-CAM at step %d failed: %r" % (step, exc))
            return []

    def _queue_checkpoint(self, step, arrays, decls, after=()):
        """Queues the checkpoint's frames; `after` are frames the server takes once the checkpoint is complete
        (Grad-CAM maps; the concept masks ride behind the first checkpoint)."""
        names = [d["name"] for d in decls]
        m = _examples(next(iter(arrays.values())))
        first = self._declared is None
        if self._declared is None:
            self._declared = (decls, m)
            if self._transport:
                probe = dict(self._probe_extra, type="probe", examples=m)
                if self._images is None:
                    self._transport.declare({"type": "layers", "layers": decls}, probe)
                else:
                    n, h, w, c = self._images.shape
                    probe["imageSize"] = {"h": h, "w": w, "channels": c}
                    self._transport.declare({"type": "layers", "layers": decls}, probe, images=_image_frames(self._images))
        else:
            known = {d["name"]: d for d in self._declared[0]}
            for d in decls:
                if known.get(d["name"]) != d or m != self._declared[1]:
                    raise ValueError("layer %r or the probe size changed since the first checkpoint: %r" % (d["name"], d))
        if not self._transport:
            return
        self._checkpoints += 1
        frames, raw = [], []
        for d in decls:
            data = arrays[d["name"]]
            if isinstance(data, Sketch) and data.constant is not None:
                data = data.constant  # a layer constant over the probe set has no direction to send: its values go raw
            if "sketch" in d and not isinstance(data, Sketch):
                raw.append(d["name"])  # a sketched layer sent raw here (raw_every, or constant): listed in "raw"
            if isinstance(data, Sketch):
                info = {"singular": data.singular, "total": data.total}
                frames.append(encode_frame_buffer(step, d["name"], data.basis, kind="sketch", sketch=info))
            else:
                frames.append(encode_frame_buffer(step, d["name"], data, kind="spatial" if "spatial" in d else "activations"))
        # The transport only acknowledges what it knows (checkpoints, images): masks ride behind the first checkpoint.
        frames += (self._masks or []) if first else []
        frames += list(after)
        msg = {"type": "checkpoint", "step": int(step), "time": _now_ms(), "layers": names}
        if raw:
            msg["raw"] = raw
        self._transport.put_checkpoint(int(step), msg, frames)

    def _set_images(self, images, m):
        """Keeps the probe images to send after the probe; a bad array is reported once and left out."""
        if images is None:
            return
        try:
            self._images = probe_images(images, m)
        except Exception as exc:  # noqa: BLE001 — never raise into the training loop
            self._warn_once("images", "layerwatch: probe images not sent: %s" % exc)

    def _deliver(self):
        while True:
            try:
                msg = self._inbox.get_nowait()
            except queue.Empty:
                return
            if msg.get("type") == "advice":
                self.advice.append(msg)
                if self.on_advice is not None:
                    try:
                        self.on_advice(msg)
                    except Exception:  # noqa: BLE001 — a failing user callback must not stop training
                        log.exception("layerwatch: the on_advice callback raised")
            elif msg.get("type") == "warning":
                self.server_warnings.append(msg)
                self._warn_once("server:%s:%s" % (msg.get("code"), msg.get("layer")), "layerwatch: server warning: %s" % msg.get("message"))

    def _warn_once(self, key, text):
        if key not in self._warned:
            self._warned.add(key)
            log.warning(text)


def _examples(data):
    """m, the probe examples, of one layer's array (units × m …) or sketch (d × m basis)."""
    return int((data.basis if isinstance(data, Sketch) else data).shape[1])


def _probe_fields(m, labels, class_names, concepts, concept_labels):
    out = {}
    if labels is not None:
        lab = [int(v) for v in np.asarray(labels).reshape(-1).tolist()]
        if len(lab) != m:
            raise ValueError("%d labels for %d probe examples" % (len(lab), m))
        out["labels"] = lab
    if class_names is not None:
        out["classNames"] = [str(c) for c in class_names]
    if concepts is not None:
        out["concepts"] = [dict(c) for c in concepts]
    if concept_labels is not None:
        out["conceptLabels"] = [[int(i) for i in row] for row in concept_labels]
    return out


MAX_IMAGE_SIDE = 64
IMAGE_CHUNK_BYTES = 4 << 20


def probe_images(images, m):
    """The probe images as an n × h × w × c float32 array in [0, 1] (c 1 or 3), at most 64 × 64.

    Accepts n × h × w, n × h × w × c, or n × c × h × w (as torch tensors are laid out) arrays or tensors;
    uint8 is divided by 255, floats outside [0, 1] are min-max scaled over the whole array, NaN/Inf become 0.
    Larger images are block-averaged down by the smallest integer factor that brings both sides to 64 or less.
    """
    if hasattr(images, "detach"):
        images = images.detach().cpu().numpy()
    a = np.asarray(images)
    if a.ndim == 3:
        a = a[..., None]
    elif a.ndim == 4 and a.shape[-1] not in (1, 3) and a.shape[1] in (1, 3):
        a = np.moveaxis(a, 1, -1)
    if a.ndim != 4 or a.shape[-1] not in (1, 3):
        raise ValueError("images must be n × h × w or n × h × w × c with c 1 or 3, got shape %s" % (np.shape(images),))
    if a.shape[0] != m:
        raise ValueError("%d images for %d probe examples" % (a.shape[0], m))
    if a.dtype == np.uint8:
        x = a.astype(np.float32) / 255.0
    else:
        x = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
        if lo < 0.0 or hi > 1.0:
            x = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    factor = -(-max(x.shape[1], x.shape[2]) // MAX_IMAGE_SIDE)
    if factor > 1:
        n, h, w, c = x.shape
        h2, w2 = h // factor, w // factor
        x = x[:, : h2 * factor, : w2 * factor].reshape(n, h2, factor, w2, factor, c).mean(axis=(2, 4))
    return np.ascontiguousarray(np.clip(x, 0.0, 1.0), dtype=np.float32)


def _mask_frames(masks, m, concepts):
    """Concept masks (m × concepts × h × w, values 0/1) as "masks" frames of at most ~4 MB each, in example order."""
    if hasattr(masks, "detach"):
        masks = masks.detach().cpu().numpy()
    a = np.asarray(masks)
    if a.ndim != 4 or a.shape[0] != m or a.shape[1] != concepts:
        raise ValueError("masks must be m × concepts × h × w = %d × %d × h × w, got shape %s" % (m, concepts, a.shape))
    a = (a != 0).astype(np.float32)
    per = max(1, IMAGE_CHUNK_BYTES // (a[0].size * 4))
    return [encode_frame_buffer(0, "__masks__" if first == 0 else "__masks__@%d" % first, a[first : first + per], kind="masks") for first in range(0, m, per)]


def _image_frames(images):
    """The images as "images" frames of at most ~4 MB each, in example order."""
    n = images.shape[0]
    per = max(1, IMAGE_CHUNK_BYTES // (images[0].size * 4))
    frames = []
    for first in range(0, n, per):
        layer = "__images__" if first == 0 else "__images__@%d" % first
        frames.append(encode_frame_buffer(0, layer, images[first : first + per], kind="images"))
    return frames
