"""Websocket frames for /ingest: masked with numpy in chunks through one small reused buffer, sent without copies.

websocket-client masks every byte in Python and copies each frame several times (header + key + masked payload,
then a slice per partial send); for 4 MB activation frames that, and the fresh memory it touches, was the client's
bottleneck (bench/python_throughput.py measures both paths).
"""
import os
import struct

import numpy as np
import websocket

OPCODE_TEXT, OPCODE_BINARY = websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY
CHUNK = 1 << 20  # bytes masked per pass: fits in cache, and the scratch buffer never grows
PREFIX = 16  # room for the longest frame header (2 + 8 length + 4 key) before the 16-aligned chunk


def frame_header(opcode, n, key):
    """FIN + opcode, the masked payload length in 7, 16 or 64 bits, then the 4-byte mask key (RFC 6455 §5.2)."""
    if n < 126:
        return struct.pack("!BB", 0x80 | opcode, 0x80 | n) + key
    if n < 1 << 16:
        return struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n) + key
    return struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n) + key


def mask_into(out, data, key, phase=0):
    """Writes data XOR the repeated 4-byte key into out[:len(data)], 4 bytes at a time (RFC 6455 §5.3).

    `phase` is the payload offset of data[0] modulo 4, so a payload can be masked in pieces.
    """
    n = len(data)
    src = np.frombuffer(data, dtype=np.uint8, count=n)
    dst = np.frombuffer(out, dtype=np.uint8, count=n)
    k = np.frombuffer(key[phase:] + key[:phase], dtype=np.uint8)
    whole = n - n % 4
    np.bitwise_xor(src[:whole].view(np.uint32), k.view(np.uint32)[0], out=dst[:whole].view(np.uint32))
    np.bitwise_xor(src[whole:], k[: n - whole], out=dst[whole:])


class FrameWriter:
    """Sends masked frames on a websocket-client connection, under its send lock (the reader thread sends pongs).

    A send timeout (the socket's, set by websocket-client) only means the socket is full: it is waited out for as
    long as still_alive() is true, so a server that is slower than the trainer slows it down instead of being dropped.
    """

    def __init__(self):
        self._scratch = bytearray(PREFIX + CHUNK)

    def send(self, ws, opcode, data, still_alive):
        """Sends one unfragmented message of that opcode."""
        payload = memoryview(data).cast("B")
        n = len(payload)
        key = os.urandom(4)
        head = frame_header(opcode, n, key)
        view = memoryview(self._scratch)
        with ws.lock:
            start = PREFIX - len(head)
            view[start:PREFIX] = head
            pos = 0
            while True:  # the first chunk goes out with the header, in one send
                piece = payload[pos : pos + CHUNK]
                mask_into(view[PREFIX:], piece, key, pos % 4)
                _send_all(ws.sock, view[start : PREFIX + len(piece)], still_alive)
                pos += len(piece)
                start = PREFIX
                if pos >= n:
                    return


class IngestSocket(websocket.WebSocket):
    """websocket-client's connection with every frame it sends written by a FrameWriter: text and binary messages,
    and also the pongs and the close frame it sends itself (a pong timing out mid-frame would corrupt the stream)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writer = FrameWriter()
        self.keep_sending = lambda: False  # until the owner says how long a full socket is worth waiting for

    def send(self, payload, opcode=OPCODE_TEXT):
        """Sends one message (str is UTF-8 encoded; bytes-like and numpy arrays are sent as they are); returns its length."""
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        self.writer.send(self, opcode, payload, self.keep_sending)
        return len(payload)


def _send_all(sock, view, still_alive):
    """Writes all of `view`; a timeout means "the socket is full", fatal only once the server has gone silent."""
    sent = 0
    while sent < len(view):
        try:
            sent += sock.send(view[sent:])
        except TimeoutError:
            if not still_alive():
                raise
