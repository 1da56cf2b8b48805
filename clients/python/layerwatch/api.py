"""layerwatch.init(): opens a run and starts the background sender."""
import json
import logging
import math
import os
from urllib.parse import urlsplit, urlunsplit

from .distributed import RunIdExchange, rank_info, runtime_config
from .run import Run
from .sketch import SketchPlan
from .system import DEFAULT_INTERVAL, SystemThread
from .transport import Transport

log = logging.getLogger("layerwatch")
DEFAULT_URL = "ws://127.0.0.1:3000/ingest"


def _ingest_url(url):
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path if parts.path not in ("", "/") else "/ingest"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def _seconds(name, value):
    """A duration argument as a float ≥ 0 (infinity allowed); a clear ValueError for anything else."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not seconds >= 0:
        raise ValueError("layerwatch.init: %s must be a number of seconds >= 0, got %r" % (name, value))
    return seconds


def init(url=None, name=None, project=None, config=None, token=None, run_id=None, resume=False,
         on_advice=None, options=None, buffer_checkpoints=100, buffer_bytes=256 << 20,
         backoff_max=4.0, connect_timeout=5.0, wait=5.0, enabled=True, rank=None, world_size=None,
         system_metrics=DEFAULT_INTERVAL, system_all_ranks=False, buffer_wait=10.0, sketch=None, raw_every=None,
         raw_layers=None):
    """Starts a run and returns a Run. Never fails because the server is unreachable: it keeps retrying.

    url: the server's /ingest endpoint (default $LAYERWATCH_URL or ws://127.0.0.1:3000/ingest; a bare
    ws://host:port gets /ingest). token: default $LAYERWATCH_TOKEN. run_id + resume=True appends to an
    existing run. on_advice: called with each advice message, on the training thread, from the next
    run.step()/log()/checkpoint()/poll(). options: the hello's run options, e.g. {"advice": {"threshold": 0.98}}.
    buffer_checkpoints / buffer_bytes: how much is buffered until acknowledged. buffer_wait: when the buffer is full
    and the server is connected but slower than training, run.send_activations()/checkpoint() waits up to this many
    seconds for room; the oldest checkpoints are dropped only when the server is away or that wait runs out.
    wait: seconds to wait for the first connection attempt (for run.id).
    enabled=False (or $LAYERWATCH_MODE=disabled) returns a run that sends nothing.

    Distributed data parallel: rank and world size come from torch.distributed when it is initialised (call init after
    init_process_group, on every rank), else from $RANK / $WORLD_SIZE, else the process is alone; `rank` / `world_size`
    override. Rank 0 owns the run and sends activations; the other ranks attach to it over their own connections and
    send only the scalars logged with a `reduce` (run.log). The run id reaches them through the process group's store
    (or give `run_id` / $LAYERWATCH_RUN_ID on every rank). A dict config (or none) gains "runtime": world size,
    backend, device types, GPU count, torch and Python versions (a "runtime" key of yours is kept).
    system_metrics: seconds between samples of process CPU and memory, system memory and GPUs (scalars "system/…"),
    or False / 0 / None for none; rank 0 only, unless system_all_ranks=True (then one series per rank).
    sketch: K (1-128, or True for 64) sends each layer wider than K as a sketch, its K leading directions computed on the
    model's device: K × m numbers instead of units × m; default None (raw frames). With sketches on, raw_every=N also
    sends every Nth checkpoint raw (the first included), and raw_layers=[names] keeps those layers raw: PWCCA and
    concept statistics for them. See clients/python/README.md, "Sketches".
    """
    max_wait = _seconds("buffer_wait", buffer_wait)
    SketchPlan(sketch, raw_every, raw_layers)  # a bad value raises here, before anything starts
    ranks = rank_info(rank, world_size)
    ids = RunIdExchange(ranks, run_id, name)
    if not enabled or os.environ.get("LAYERWATCH_MODE") == "disabled":
        ids.publish(None)
        return Run(None, on_advice, ranks, sketch=sketch, raw_every=raw_every, raw_layers=raw_layers)
    url = _ingest_url(url or os.environ.get("LAYERWATCH_URL") or DEFAULT_URL)
    token = token if token is not None else os.environ.get("LAYERWATCH_TOKEN")
    if config is None or isinstance(config, dict):
        config = dict(config or {})
        config.setdefault("runtime", runtime_config(ranks))
    # Anything not JSON is sent as its str(); NaN and infinities (not JSON) as null.
    config = json.loads(json.dumps(config, default=str), parse_constant=lambda _c: None)
    # Rank 0 connects first and then tells the others its run id, so they attach to a run that exists.
    run_id = ids.run_id if ranks.rank == 0 else ids.receive()
    if ranks.rank > 0 and run_id is None:
        log.warning("layerwatch: rank %d has no run to attach to (rank 0 streams none, or its run id is unknown: give run_id, "
                    "set $LAYERWATCH_RUN_ID, or call init after init_process_group); this rank sends nothing", ranks.rank)
        return Run(None, on_advice, ranks, sketch=sketch, raw_every=raw_every, raw_layers=raw_layers)
    if ranks.rank > 0:
        meta = {"rank": ranks.rank, "worldSize": ranks.world_size}
    else:
        meta = {"name": name, "project": project, "config": config}
        if ranks.distributed:
            meta.update(rank=0, worldSize=ranks.world_size)
    transport = Transport(url, meta, token=token, run_id=run_id,
                          resume=resume, options=options if ranks.rank == 0 else None, max_checkpoints=buffer_checkpoints,
                          max_bytes=buffer_bytes, max_wait=max_wait, backoff_max=backoff_max, connect_timeout=connect_timeout)
    run = Run(transport, on_advice, ranks, sketch=sketch, raw_every=raw_every, raw_layers=raw_layers)
    if system_metrics and (ranks.rank == 0 or system_all_ranks):
        run._system_reduce = "none" if ranks.distributed and system_all_ranks else None
        run._system = SystemThread(run._send_system, DEFAULT_INTERVAL if system_metrics is True else system_metrics)
    if wait:
        transport.first_attempt.wait(wait)
    ids.publish(run_id)
    if run.id is None and not transport.fatal:
        log.warning("layerwatch: cannot reach %s yet; training goes on and the client keeps retrying", url)
    return run
