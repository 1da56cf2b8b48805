"""The background sender: one thread owns the /ingest websocket, resends what was not acked, never raises into training."""
import collections
import itertools
import json
import logging
import threading
import time
import warnings

import websocket

from . import __version__
from .ws_writer import IngestSocket

log = logging.getLogger("layerwatch")

PROTOCOL_VERSION = 1
CLIENT = "layerwatch-python/" + __version__
# Errors after which retrying cannot help: streaming stops, training goes on.
STOP_CODES = {"PROTOCOL_VERSION", "UNAUTHORIZED", "RUN_EXISTS", "BAD_RUN_ID", "HELLO_REQUIRED"}
# Errors the server answers when it could not store something right now: reconnect and resend later.
RETRY_CODES = {"DISK_FULL", "IO_ERROR", "RATE_LIMITED", "LIMIT_INFLIGHT_BYTES"}
# The server pings every 15 s; silence for this long means the connection is dead.
SILENCE_LIMIT = 45.0


class _Item:
    """One queued message: a checkpoint (JSON + its binary frames), a scalars message, or a probe-images frame (no JSON)."""

    __slots__ = ("seq", "kind", "step", "text", "frames", "nbytes")

    def __init__(self, seq, kind, step, text, frames=()):
        self.seq, self.kind, self.step, self.text, self.frames = seq, kind, step, text, list(frames)
        self.nbytes = len(text) + sum(len(f) for f in self.frames)


class _Reconnect(Exception):
    """Raised inside a session to drop the connection and come back after a backoff."""


class Transport:
    """Buffers checkpoints and scalars, and streams them to /ingest from a daemon thread."""

    def __init__(self, url, run, token=None, run_id=None, resume=False, options=None,
                 max_checkpoints=100, max_bytes=256 << 20, max_scalars=100_000, max_wait=10.0,
                 backoff_initial=0.1, backoff_max=4.0, connect_timeout=5.0, on_message=None):
        self.url = url
        self._run_meta = {k: v for k, v in run.items() if v is not None}
        self._token, self._options = token, options
        self.run_id, self._resume = run_id, bool(resume)
        self.max_checkpoints, self.max_bytes, self.max_scalars = max_checkpoints, max_bytes, max_scalars
        self.max_wait = max_wait  # seconds a full buffer holds the producer while the server is connected
        self.backoff_initial, self.backoff_max, self.connect_timeout = backoff_initial, backoff_max, connect_timeout
        self._on_message = on_message or (lambda msg: None)
        self._cond = threading.Condition()
        self._pending = collections.deque()  # not yet sent on the current connection, in enqueue order
        self._inflight_ckpt = collections.deque()  # sent, waiting for an ack
        self._inflight_scalars = collections.deque()
        self._seq = itertools.count()
        self._declarations = []  # JSON texts of layers and probe, resent on every connection
        self._decl_unacked = 0  # layers/probe/images sent on this connection and not yet acknowledged
        self._images = []  # probe-images frames, sent after the probe until every one was answered once
        self._images_answered = 0
        self._frozen = []  # JSON texts of "frozen" confirmations, resent on every connection (the server stores each layer once)
        self._end_status = None
        self._end_acked = False
        self._closing = False
        self.connected = False
        self.fatal = None
        self.welcome = None
        self.limits = {}
        self.dropped_checkpoints = 0
        self.dropped_scalars = 0
        self.failed_connects = 0
        self.connections = 0
        self._warned_drop = set()  # drop causes already warned about: "away", "slow"
        self._stalled = False  # a wait for room ran out; no more waiting until the server acks a checkpoint
        self._ws = None
        self._reader = None
        self._last_seen = 0.0
        self.first_attempt = threading.Event()
        self._thread = threading.Thread(target=self._main, name="layerwatch-sender", daemon=True)
        self._thread.start()

    # ---- called from the training thread -------------------------------------------------

    def declare(self, layers_msg, probe_msg, images=()):
        """Sets the layer and probe declarations (sent first on every connection) and the probe-images frames after them."""
        texts = [json.dumps(layers_msg, allow_nan=False), json.dumps(probe_msg, allow_nan=False)]
        with self._cond:
            self._declarations = texts
            self._images = list(images)
            self._images_answered = 0
            # Declarations go out before anything queued after them, also on the live connection.
            for item in reversed(self._declaration_items()):
                self._pending.appendleft(item)
            self._cond.notify_all()

    def _declaration_items(self):
        """Layers, probe, the images not yet answered by a server, then the frozen confirmations (lock held)."""
        items = [_Item(next(self._seq), "declare", None, t) for t in self._declarations]
        if self._images_answered < len(self._images):
            items += [_Item(next(self._seq), "images", None, "", [f]) for f in self._images]
        return items + [_Item(next(self._seq), "frozen", None, t) for t in self._frozen]

    def put_frozen(self, msg):
        """Queues a "frozen" confirmation, also sent after the declarations on every later connection (the server keeps
        one per layer); unlike declarations it holds nothing back, so a server that does not know it costs nothing."""
        text = json.dumps(msg, allow_nan=False)
        with self._cond:
            if self.fatal or self._closing:
                return
            self._frozen.append(text)
            self._pending.append(_Item(next(self._seq), "frozen", None, text))
            self._cond.notify_all()

    def put_checkpoint(self, step, msg, frames):
        """Queues a checkpoint. Over the bound it waits (up to max_wait s) for a connected server to catch up;
        the oldest buffered checkpoints are dropped only if the server is away or that wait runs out (one warning per cause)."""
        item = _Item(next(self._seq), "checkpoint", step, json.dumps(msg, allow_nan=False), frames)
        with self._cond:
            if self.fatal or self._closing:
                return
            self._pending.append(item)
            self._cond.notify_all()
            self._make_room()

    def put_scalars(self, step, msg):
        """Queues a scalars message (bounded; the oldest are dropped beyond max_scalars)."""
        item = _Item(next(self._seq), "scalars", step, json.dumps(msg, allow_nan=False))
        with self._cond:
            if self.fatal or self._closing:
                return
            self._pending.append(item)
            if self._count("scalars") > self.max_scalars:
                self._drop_oldest("scalars")
                self.dropped_scalars += 1
            self._cond.notify_all()

    def buffered(self):
        """(checkpoints, bytes) held until acknowledged."""
        with self._cond:
            items = [i for i in itertools.chain(self._inflight_ckpt, self._pending) if i.kind == "checkpoint"]
            return len(items), sum(i.nbytes for i in items)

    def finish(self, status, timeout):
        """Sends end after everything queued; waits up to `timeout` s for the acks (less if the server is down)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._end_status is None:
                self._end_status = status
            start_failures = self.failed_connects
            # A server never reached is given one more attempt; one that was there may be restarting.
            grace = time.monotonic() + (min(timeout, 10.0) if self.connections else 0.0)
            self._cond.notify_all()  # wakes a sender sleeping in its backoff: try now
            while not (self._end_acked or self.fatal or not self._thread.is_alive()):
                now = time.monotonic()
                if now >= deadline:
                    break
                if not self.connected and self.failed_connects > start_failures and now >= grace:
                    break  # the server is away: do not hold the trainer
                self._cond.wait(min(deadline - now, 0.1))
            ok = self._end_acked
            self._closing = True
            self._cond.notify_all()
        if not ok:
            n, _ = self.buffered()
            if n:
                log.warning("layerwatch: %d checkpoint(s) were not delivered before finish()", n)
        self._thread.join(timeout=1.0)
        return ok

    def close(self):
        """Stops the sender thread without waiting for anything."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        ws = self._ws
        if ws is not None:
            try:
                ws.abort()
            except Exception:  # noqa: BLE001 — closing a broken socket may fail; nothing to do
                pass

    # ---- bounds (lock held) ---------------------------------------------------------------

    def _count(self, kind):
        inflight = self._inflight_ckpt if kind == "checkpoint" else self._inflight_scalars
        return len(inflight) + sum(1 for i in self._pending if i.kind == kind)

    @property
    def away(self):
        """True while the server is known to be away: a connection attempt failed or the connection was lost, and none is up yet."""
        return not self.connected and (self.failed_connects > 0 or self.connections > 0)

    def _over_bound(self):
        items = [i for i in itertools.chain(self._inflight_ckpt, self._pending) if i.kind == "checkpoint"]
        return len(items) > 1 and (len(items) > self.max_checkpoints or sum(i.nbytes for i in items) > self.max_bytes)

    def _make_room(self):
        """Holds the producer while a connected server drains the buffer; drops the oldest if it is away or too slow (lock held)."""
        deadline = None
        while self._over_bound() and not (self.fatal or self._closing):
            if self.away:
                self._drop_oldest_checkpoint("away")
                continue
            now = time.monotonic()
            deadline = now + self.max_wait if deadline is None else deadline
            if self._stalled or now >= deadline:
                self._stalled = True
                self._drop_oldest_checkpoint("slow")
                continue
            self._cond.wait(deadline - now)  # acks, a lost connection, finish() and errors all notify

    def _drop_oldest_checkpoint(self, cause):
        self._drop_oldest("checkpoint")
        self.dropped_checkpoints += 1
        if cause in self._warned_drop:
            return
        self._warned_drop.add(cause)
        bound = "%d checkpoints / %d MB" % (self.max_checkpoints, self.max_bytes >> 20)
        if cause == "away":
            text = ("layerwatch: the server is away (not connected; the client keeps retrying) and the buffer is full (%s); "
                    "dropping the oldest checkpoints until it is back (this warning is shown once)" % bound)
        else:
            text = ("layerwatch: the server is connected but slower than training: no checkpoint was acknowledged within "
                    "buffer_wait=%gs while the buffer was full (%s); dropping the oldest checkpoints (this warning is shown "
                    "once; a larger buffer_wait or buffer_bytes waits longer)" % (self.max_wait, bound))
        warnings.warn(text, RuntimeWarning, stacklevel=6)  # the trainer's send_activations()/checkpoint() line

    def _drop_oldest(self, kind):
        inflight = self._inflight_ckpt if kind == "checkpoint" else self._inflight_scalars
        if inflight:
            return inflight.popleft()
        for idx, item in enumerate(self._pending):
            if item.kind == kind:
                del self._pending[idx]
                return item
        raise AssertionError("nothing to drop")

    # ---- the sender thread ----------------------------------------------------------------

    def _main(self):
        backoff = self.backoff_initial
        while True:
            with self._cond:
                if self._closing or self.fatal or self._end_acked:
                    break
            try:
                ws = self._connect()
            except Exception as exc:  # noqa: BLE001 — any failure to connect means "try again later"
                with self._cond:
                    self.failed_connects += 1
                    self._cond.notify_all()
                    self.first_attempt.set()
                    log.debug("layerwatch: cannot connect to %s: %s", self.url, exc)
                    self._cond.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max)
                continue
            backoff = self.backoff_initial
            try:
                self._session(ws)
            except Exception as exc:  # noqa: BLE001 — a broken session is retried, never raised
                log.debug("layerwatch: connection lost: %s", exc)
            finally:
                self._disconnect(ws)
            with self._cond:
                if not (self._closing or self.fatal or self._end_acked):
                    self._cond.wait(backoff)
        self.first_attempt.set()

    def _connect(self):
        ws = websocket.create_connection(self.url, timeout=self.connect_timeout, enable_multithread=True, class_=IngestSocket)
        ws.keep_sending = self._keep_sending
        try:
            hello = {"type": "hello", "protocol": PROTOCOL_VERSION, "client": CLIENT, "run": dict(self._run_meta)}
            if self._token is not None:
                hello["token"] = self._token
            if self.run_id is not None:
                hello["run"]["id"] = self.run_id
                hello["resume"] = True if self.connections else self._resume
            if self._options:
                hello["options"] = self._options
            ws.send(json.dumps(hello, allow_nan=False))
            reply = json.loads(ws.recv())
            if reply.get("type") == "error":
                with self._cond:
                    self._on_error(reply)
                raise ConnectionError("%s: %s" % (reply.get("code"), reply.get("message")))
            if reply.get("type") != "welcome":
                raise ConnectionError("expected welcome, got %r" % reply.get("type"))
        except BaseException:
            ws.abort()
            ws.close()
            raise
        with self._cond:
            self.run_id = reply["runId"]
            self.welcome = reply
            self.limits = reply.get("limits") or {}
            self.connections += 1
            self.connected = True
            self._stalled = False
            self._ws = ws
            self._last_seen = time.monotonic()
            self._requeue(reply.get("lastStep"))
            self._cond.notify_all()
        self.first_attempt.set()
        return ws

    def _requeue(self, last_step):
        """On a new connection: declarations first, then every unacked item in its original order (lock held)."""
        items = sorted(itertools.chain(self._inflight_ckpt, self._inflight_scalars, self._pending), key=lambda i: i.seq)
        self._inflight_ckpt.clear()
        self._inflight_scalars.clear()
        # The server already stores checkpoints up to lastStep: no need to send them again.
        keep = [i for i in items if i.kind == "scalars" or (i.kind == "checkpoint" and (last_step is None or i.step > last_step))]
        self._pending = collections.deque(self._declaration_items() + keep)
        self._decl_unacked = 0

    def _session(self, ws):
        self._reader = threading.Thread(target=self._read_loop, args=(ws,), name="layerwatch-reader", daemon=True)
        self._reader.start()
        end_sent = False
        while True:
            with self._cond:
                while True:
                    if self._closing or self.fatal or self._end_acked or not self.connected:
                        return
                    if not self._server_alive():
                        raise _Reconnect("no message or ping from the server for %.0f s" % SILENCE_LIMIT)
                    # Checkpoints wait for the acks of layers and probe: the server checks them against stored state.
                    blocked = self._decl_unacked > 0 and self._pending and self._pending[0].kind == "checkpoint"
                    if self._pending and not blocked:
                        item = self._pending.popleft()
                        if item.kind in ("declare", "images"):
                            self._decl_unacked += 1
                        if item.kind == "checkpoint":
                            self._inflight_ckpt.append(item)
                        elif item.kind == "scalars":
                            self._inflight_scalars.append(item)
                        break
                    if self._end_status is not None and not end_sent and not self._pending:
                        item = _Item(next(self._seq), "end", None, json.dumps({"type": "end", "status": self._end_status}))
                        end_sent = True
                        break
                    self._cond.wait(1.0)
            self._send(ws, item)

    def _send(self, ws, item):
        max_frame = self.limits.get("maxFrameBytes")
        if item.kind == "checkpoint" and max_frame and any(len(f) > max_frame for f in item.frames):
            log.warning("layerwatch: checkpoint %d has a frame larger than the server's limit (%d bytes); not sent", item.step, max_frame)
            with self._cond:
                if item in self._inflight_ckpt:
                    self._inflight_ckpt.remove(item)
                self._cond.notify_all()  # room for a producer waiting on the bound
            return
        if item.kind == "images" and max_frame and any(len(f) > max_frame for f in item.frames):
            log.warning("layerwatch: a probe-images frame is larger than the server's limit (%d bytes); images not sent", max_frame)
            with self._cond:
                self._decl_unacked = max(0, self._decl_unacked - 1)
                self._images_answered += 1
                self._cond.notify_all()
            return
        if item.text:
            ws.send(item.text)
        for frame in item.frames:
            ws.send_binary(frame)

    def _server_alive(self):
        """False once the server has been silent (no message, no ping) for SILENCE_LIMIT seconds."""
        return time.monotonic() - self._last_seen <= SILENCE_LIMIT

    def _keep_sending(self):
        """Whether a send into a full socket should go on waiting: the server is alive and finish()/close() has not given up."""
        return self._server_alive() and not self._closing

    def _read_loop(self, ws):
        try:
            while True:
                try:
                    opcode, frame = ws.recv_data_frame(True)
                except websocket.WebSocketTimeoutException:
                    continue
                self._last_seen = time.monotonic()
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    self._on_text(frame.data.decode("utf-8"))
                elif opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
        except Exception as exc:  # noqa: BLE001 — the sender thread reconnects
            log.debug("layerwatch: reader stopped: %s", exc)
        finally:
            with self._cond:
                if self._ws is ws:
                    self.connected = False
                self._cond.notify_all()

    def _disconnect(self, ws):
        with self._cond:
            self.connected = False
            self._ws = None
            self._cond.notify_all()
        try:
            if self._end_acked:
                ws.send_close()  # the server answers with its close frame, which ends the reader
                if self._reader is not None:
                    self._reader.join(timeout=1.0)
            else:
                ws.abort()
        except Exception:  # noqa: BLE001 — the socket may already be gone
            pass
        try:
            ws.shutdown()
        except Exception:  # noqa: BLE001
            pass

    # ---- server messages (reader thread) --------------------------------------------------

    def _on_text(self, text):
        try:
            msg = json.loads(text)
        except ValueError:
            return
        kind = msg.get("type")
        with self._cond:
            if kind == "ack":
                self._on_ack(msg)
            elif kind == "error":
                self._on_error(msg)
            self._cond.notify_all()
        if kind in ("advice", "warning"):
            self._on_message(msg)

    def _on_ack(self, msg):
        of, step = msg.get("of"), msg.get("step")
        if of == "checkpoint" and step is not None:
            self._stalled = False  # the server is making progress: a full buffer may wait for it again
            while self._inflight_ckpt and self._inflight_ckpt[0].step <= step:
                done = self._inflight_ckpt.popleft()
                if done.step != step:
                    log.warning("layerwatch: checkpoint %d was not stored by the server", done.step)
        elif of == "scalars":
            while self._inflight_scalars:
                if self._inflight_scalars.popleft().step == step:
                    break
        elif of in ("layers", "probe"):
            self._decl_unacked = max(0, self._decl_unacked - 1)
        elif of == "images":
            self._decl_unacked = max(0, self._decl_unacked - 1)
            self._images_answered += 1
        elif of == "end":
            self._end_acked = True
            self._inflight_ckpt.clear()
            self._inflight_scalars.clear()

    def _on_error(self, msg):
        code, text = msg.get("code"), msg.get("message")
        if code in STOP_CODES:
            self.fatal = code
            self._pending.clear()
            self._inflight_ckpt.clear()
            self._inflight_scalars.clear()
            warnings.warn("layerwatch: the server refused the run (%s: %s); streaming stopped, training continues" % (code, text),
                          RuntimeWarning, stacklevel=2)
            return
        log.warning("layerwatch: server error %s: %s", code, text)
        if code in RETRY_CODES or msg.get("fatal"):
            self.connected = False  # the session ends; everything unacked is resent after a backoff
            return
        # An error takes the place of the ack of the message it answers; resending would not fix it.
        of, step = msg.get("of"), msg.get("step")
        if of in ("layers", "probe"):
            self._decl_unacked = max(0, self._decl_unacked - 1)
        elif of == "images":
            self._decl_unacked = max(0, self._decl_unacked - 1)
            self._images_answered += 1
        elif of == "scalars" and self._inflight_scalars:
            self._inflight_scalars.popleft()
        elif step is not None:
            for item in list(self._inflight_ckpt):
                if item.step == step:
                    self._inflight_ckpt.remove(item)
