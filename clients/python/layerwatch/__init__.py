"""Layerwatch client: stream a training run's per-layer activations and scalars to a Layerwatch server."""
__version__ = "0.1.0"

from .api import init  # noqa: E402
from .frames import decode_frame, encode_frame  # noqa: E402
from .freeze import FreezeOnAdvice, freeze, freeze_on_advice  # noqa: E402
from .probe import ProbeSet, probe_from  # noqa: E402
from .run import Run  # noqa: E402
from .run_log import RunLog, read_log  # noqa: E402
from .unwrap import UnknownLayerError, unwrap  # noqa: E402

__all__ = ["init", "Run", "read_log", "RunLog", "freeze", "freeze_on_advice", "FreezeOnAdvice", "probe_from", "ProbeSet",
           "unwrap", "UnknownLayerError", "encode_frame", "decode_frame", "__version__"]
