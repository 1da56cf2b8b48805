"""The frame writer: RFC 6455 masking (checked against websocket-client's own), headers, chunks, slow sockets."""
import socket
import threading
import time

import numpy as np
import pytest
import websocket

from fake_server import _Conn
from layerwatch.ws_writer import CHUNK, OPCODE_BINARY, FrameWriter, IngestSocket, mask_into


class _Ws:
    """What FrameWriter uses of a websocket-client connection: its socket and its send lock."""

    def __init__(self, sock):
        self.sock, self.lock = sock, threading.Lock()


def _payload(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 1001, 4096])
@pytest.mark.parametrize("phase", [0, 1, 2, 3])
def test_mask_into_matches_websocket_clients_masking(n, phase):
    data, key = _payload(n, n), bytes([0x12, 0xA5, 0x00, 0xFF])
    out = bytearray(n)
    mask_into(out, data, key, phase)
    # A payload masked from offset `phase` uses the key rotated by that much.
    assert bytes(out) == websocket.ABNF.mask(key[phase:] + key[:phase], data)
    if n >= 4:  # every key byte is used, one of them non-zero
        assert bytes(out) != data


def _roundtrip(sizes, sock_timeout=None, reader_delay=0.0, still_alive=lambda: True):
    """Sends one frame per size through FrameWriter over a socket pair; returns what an RFC 6455 reader decoded, and the raw headers."""
    a, b = socket.socketpair()
    a.settimeout(sock_timeout)
    got, raw = [], []

    def read():
        time.sleep(reader_delay)
        conn = _Conn(b)
        for _ in sizes:
            while len(conn.buf) < 2:
                conn.buf += b.recv(65536)
            raw.append(conn.buf[:2])
            got.append(conn.recv())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    writer = FrameWriter()
    try:
        for i, n in enumerate(sizes):
            writer.send(_Ws(a), OPCODE_BINARY, _payload(n, i), still_alive)
        reader.join(30)
    finally:
        a.close()
        b.close()
    return got, raw


def test_frames_decode_to_the_bytes_sent():
    sizes = [0, 1, 125, 126, 65535, 65536, CHUNK - 1, CHUNK + 3, 3 * CHUNK + 5]
    got, raw = _roundtrip(sizes)
    assert [op for op, _ in got] == [websocket.ABNF.OPCODE_BINARY] * len(sizes)
    for i, (n, (_, data)) in enumerate(zip(sizes, got)):
        assert data == _payload(n, i), "frame of %d bytes" % n
    for head in raw:
        assert head[0] == 0x82 and head[1] & 0x80  # FIN + binary, masked (a client must mask)


def test_every_frame_of_the_connection_goes_through_the_writer():
    # Text and binary messages, and the pong and close frames websocket-client sends on its own.
    a, b = socket.socketpair()
    ws = IngestSocket(enable_multithread=True)
    ws.sock, ws.connected, ws.keep_sending = a, True, lambda: True
    text = '{"type":"checkpoint","step":3,"layers":["h1","é"]}'
    arr = np.arange(12, dtype=np.float32).view(np.uint8)  # a numpy array is sent as it is
    ws.send(text)
    ws.send_binary(arr)
    ws.pong(b"ping-payload")
    ws.send_close()
    conn = _Conn(b)
    frames = []
    for _ in range(4):
        while len(conn.buf) < 2:
            conn.buf += b.recv(65536)
        assert conn.buf[1] & 0x80  # masked
        frames.append(conn.recv() if conn.buf[0] & 0x0F != 0xA else _pong(conn))
    assert frames[:3] == [(1, text.encode("utf-8")), (2, arr.tobytes()), (0xA, b"ping-payload")]
    assert frames[3][0] == 8
    a.close()
    b.close()


def _pong(conn):
    """The fake server's reader skips pongs; read this one by hand: 2-byte header, key, masked payload."""
    n = conn._read(2)[1] & 0x7F
    key, data = conn._read(4), conn._read(n)
    return 0xA, bytes(d ^ key[i % 4] for i, d in enumerate(data))


def test_a_full_socket_is_waited_out_while_the_server_is_alive():
    # Socket timeouts while the peer reads late: the frame still arrives whole.
    got, _ = _roundtrip([8 * CHUNK], sock_timeout=0.05, reader_delay=0.3)
    assert got[0][1] == _payload(8 * CHUNK, 0)


def test_a_full_socket_fails_once_the_server_is_silent():
    a, b = socket.socketpair()
    a.settimeout(0.05)
    with pytest.raises(TimeoutError):
        FrameWriter().send(_Ws(a), OPCODE_BINARY, _payload(64 * CHUNK), lambda: False)  # nobody reads b
    a.close()
    b.close()
