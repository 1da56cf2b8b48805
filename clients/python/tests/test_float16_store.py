"""The server's float16 store (options.storage.dtype): a run log that read_log reads back within binary16 rounding."""
import numpy as np

import layerwatch
from test_real_server import Server


def test_float16_store_round_trip(tmp_path):
    server = Server(tmp_path)
    try:
        rng = np.random.default_rng(5)
        sent = {s: {"h": (rng.standard_normal((30, 50)) * 10 ** rng.uniform(-3, 3)).astype(np.float32)} for s in (0, 10)}
        with layerwatch.init(url=server.url, name="f16", options={"storage": {"dtype": "float16"}}) as run:
            for step, acts in sent.items():
                run.send_activations(step, acts)
        log = layerwatch.read_log(str(tmp_path / "runs" / run.id / "log.lwlog"))
        for i, step in enumerate(sent):
            want, got = sent[step]["h"], log["h"][i]
            # Scaled by a power of two so the largest value keeps binary16's 11 bits: error ≤ 2⁻¹¹ of the largest magnitude.
            assert np.abs(got - want).max() <= np.abs(want).max() * 2.0 ** -11
            assert not np.array_equal(got, want), "stored as binary16, not float32"
    finally:
        server.kill()
