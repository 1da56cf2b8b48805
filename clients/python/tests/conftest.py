import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def wait_until(predicate, timeout=10.0, interval=0.02):
    """Polls `predicate` until true or `timeout` seconds have passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class RecordingTransport:
    """Stands in for the websocket transport: records what a Run queues."""

    def __init__(self):
        self.run_id = "rec"
        self.connected = True
        self.dropped_checkpoints = 0
        self.declarations = []
        self.checkpoints = []
        self.scalars = []
        self._on_message = None

    def declare(self, layers, probe, images=()):
        self.declarations.append((layers, probe))
        self.images = list(images)

    def put_checkpoint(self, step, msg, frames):
        self.checkpoints.append((step, msg, frames))

    def put_scalars(self, step, msg):
        self.scalars.append((step, msg))

    def buffered(self):
        return 0, 0

    def finish(self, status, timeout):
        self.status = status
        return True


@pytest.fixture
def recording_run():
    from layerwatch.run import Run

    transport = RecordingTransport()
    return Run(transport), transport
