"""A tiny /ingest server for tests: stdlib sockets, minimal RFC 6455, the protocol's ack and dedup rules."""
import base64
import hashlib
import json
import socket
import struct
import threading
import time

import numpy as np

from layerwatch.frames import decode_frame

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class _Conn:
    def __init__(self, sock, read_rate=None, server=None):
        self.sock = sock
        self.lock = threading.Lock()
        self.buf = bytearray()  # appended to and consumed from the front: both amortised O(1)
        self.read_rate = read_rate  # bytes/s this end reads at most (a slow server), None for as fast as it can
        self.server = server

    def _read(self, n):
        while len(self.buf) < n:
            while self.server is not None and time.monotonic() < self.server.paused_until:
                time.sleep(0.01)
            chunk = self.sock.recv(max(65536, n - len(self.buf)) if self.read_rate is None else 65536)
            if not chunk:
                raise ConnectionError("peer closed")
            if self.read_rate is not None:
                time.sleep(len(chunk) / self.read_rate)
            self.buf += chunk
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def handshake(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
        accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest()).decode()
        self.sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
        return path

    def recv(self):
        """(opcode, payload) of the next complete message; answers pings."""
        parts, first_op = [], None
        while True:
            b0, b1 = self._read(2)
            fin, op, masked, n = b0 & 0x80, b0 & 0x0F, b1 & 0x80, b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack(">H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack(">Q", self._read(8))
            mask = self._read(4) if masked else None
            data = self._read(n)
            if mask:
                arr = np.frombuffer(data, dtype=np.uint8)
                data = (arr ^ np.resize(np.frombuffer(mask, dtype=np.uint8), n)).tobytes()
            if op == 9:
                self.send(10, data)
                continue
            if op == 10:
                continue
            if op == 8:
                return 8, data
            if op != 0:
                first_op = op
            parts.append(data)
            if fin:
                return first_op, b"".join(parts)

    def send(self, op, data):
        n = len(data)
        head = bytes([0x80 | op])
        head += bytes([n]) if n < 126 else (bytes([126]) + struct.pack(">H", n) if n < 65536 else bytes([127]) + struct.pack(">Q", n))
        with self.lock:
            self.sock.sendall(head + data)

    def send_json(self, msg):
        self.send(1, json.dumps(msg).encode())

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class FakeRun:
    def __init__(self, run_id):
        self.id = run_id
        self.layers = None
        self.probe = None
        self.steps = []
        self.frames = {}  # step -> {layer: (header, array)}
        self.scalars = []  # (step, values)
        self.status = "live"
        self.hellos = []


class FakeIngestServer:
    """Speaks /ingest like the real server (welcome, acks, duplicate checkpoints) and can go away and come back."""

    def __init__(self, port=0, ack_checkpoints=True, read_rate=None):
        self.port = port
        self.ack_checkpoints = ack_checkpoints
        self.read_rate = read_rate  # bytes/s each connection reads at most: reachable, but slower than the trainer
        self.paused_until = 0.0
        self.runs = {}
        self.received = []  # every JSON message, in order
        self.conns = []
        self.lock = threading.Lock()
        self._sock = None
        self._counter = 0
        self.start()

    @property
    def url(self):
        return "ws://127.0.0.1:%d/ingest" % self.port

    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(8)
        self.port = s.getsockname()[1]
        self._sock = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def stop(self):
        """The server goes away: the listener and every connection close at once."""
        s, self._sock = self._sock, None
        if s:
            try:
                s.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() so the port is released now
            except OSError:
                pass
            s.close()
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            c.close()

    def pause(self, seconds):
        """Stops reading for `seconds`, connections open (a stalled but reachable server: a long GC, a full disk queue)."""
        self.paused_until = time.monotonic() + seconds

    def send_all(self, msg):
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            c.send_json(msg)

    def _accept(self, s):
        while True:
            try:
                sock, _ = s.accept()
            except OSError:
                return
            if self._sock is not s:
                sock.close()
                return
            conn = _Conn(sock, self.read_rate, self)
            with self.lock:
                self.conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        run, open_cp = None, None
        try:
            conn.handshake()
            while True:
                op, data = conn.recv()
                if op == 8:
                    conn.send(8, data[:2])
                    return
                if op == 2:
                    header, arr = decode_frame(data)
                    step, layers, got = open_cp
                    got[header["layer"]] = (header, arr.copy())
                    if len(got) == len(layers):
                        open_cp = None
                        with self.lock:
                            dup = bool(run.steps) and step <= run.steps[-1]
                            if not dup:
                                run.steps.append(step)
                                run.frames[step] = got
                        if self.ack_checkpoints:
                            conn.send_json(dict({"type": "ack", "of": "checkpoint", "step": step}, **({"duplicate": True} if dup else {})))
                    continue
                msg = json.loads(data.decode())
                with self.lock:
                    self.received.append(msg)
                t = msg["type"]
                if t == "hello":
                    with self.lock:
                        rid = msg["run"].get("id")
                        if rid is None:
                            self._counter += 1
                            rid = "run-%d" % self._counter
                        if rid in self.runs and not msg.get("resume"):
                            conn.send_json({"type": "error", "code": "RUN_EXISTS", "message": "exists", "fatal": True})
                            return
                        run = self.runs.setdefault(rid, FakeRun(rid))
                        run.hellos.append(msg)
                        run.status = "live"
                        last = run.steps[-1] if run.steps else None
                    conn.send_json({"type": "welcome", "protocol": 1, "server": "fake", "runId": rid, "resumed": bool(msg.get("resume")),
                                    "lastStep": last, "checkpoints": len(run.steps), "limits": {"maxFrameBytes": 64 << 20}})
                elif t in ("layers", "probe"):
                    setattr(run, t, msg)
                    conn.send_json({"type": "ack", "of": t})
                elif t == "checkpoint":
                    open_cp = (msg["step"], msg["layers"], {})
                elif t == "scalars":
                    with self.lock:
                        run.scalars.append((msg["step"], msg["values"]))
                    conn.send_json({"type": "ack", "of": "scalars", "step": msg["step"]})
                elif t == "end":
                    run.status = msg.get("status", "finished")
                    conn.send_json({"type": "ack", "of": "end"})
        except (ConnectionError, OSError, ValueError):
            return
        finally:
            with self.lock:
                if conn in self.conns:
                    self.conns.remove(conn)
            conn.close()
            if run is not None and run.status == "live":
                run.status = "interrupted"
