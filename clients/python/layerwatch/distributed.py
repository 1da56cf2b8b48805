"""Distributed data parallel: which process (rank) this is, how every rank finds rank 0's run, and what the run's
config records about the processes (docs/protocol.md, "Distributed runs")."""
import datetime
import itertools
import logging
import os
import platform
import re
import secrets
import sys

log = logging.getLogger("layerwatch")

# run.log(reduce=...): the default logs rank 0's values only (other ranks send nothing).
RANK0 = "rank0"
REDUCE = ("mean", "sum", "max", None)


class RankInfo:
    """rank, world_size, local_rank (None if unknown), backend (None without torch.distributed), source."""

    __slots__ = ("rank", "world_size", "local_rank", "backend", "source")

    def __init__(self, rank, world_size, local_rank=None, backend=None, source="single"):
        self.rank, self.world_size, self.local_rank, self.backend, self.source = rank, world_size, local_rank, backend, source

    @property
    def distributed(self):
        return self.world_size > 1

    def __repr__(self):
        return "RankInfo(rank=%d, world_size=%d, local_rank=%r, backend=%r, source=%r)" % (
            self.rank, self.world_size, self.local_rank, self.backend, self.source)


def _initialised_dist():
    """torch.distributed when torch is already imported and a process group is initialised, else None."""
    if "torch" not in sys.modules:
        return None
    import torch.distributed as dist

    return dist if dist.is_available() and dist.is_initialized() else None


def _env_int(name):
    value = os.environ.get(name)
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        raise ValueError("$%s is %r, not an integer" % (name, value)) from None


def rank_info(rank=None, world_size=None):
    """This process's place in a distributed run: torch.distributed when initialised, else $RANK / $WORLD_SIZE /
    $LOCAL_RANK (as torchrun sets them), else a single process; explicit `rank` / `world_size` win."""
    dist = _initialised_dist()
    local = _env_int("LOCAL_RANK")
    if dist is not None:
        info = RankInfo(dist.get_rank(), dist.get_world_size(), local, str(dist.get_backend()), "torch.distributed")
    elif _env_int("WORLD_SIZE") is not None:
        info = RankInfo(_env_int("RANK") or 0, _env_int("WORLD_SIZE"), local, None, "env")
    else:
        info = RankInfo(0, 1, local)
    if rank is not None or world_size is not None:
        info = RankInfo(int(rank if rank is not None else info.rank), int(world_size if world_size is not None else info.world_size),
                        info.local_rank, info.backend, "arguments")
    if not 0 <= info.rank < info.world_size:
        raise ValueError("rank %d is not in 0..%d (world size %d)" % (info.rank, info.world_size - 1, info.world_size))
    return info


def new_run_id(name):
    """A fresh run id made from `name` (as the server makes one): a slug, a dash and 8 hex digits."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", (name or "run").lower()).strip("-_")[:48].rstrip("-_")
    return "%s-%s" % (slug or "run", secrets.token_hex(4))


class RunIdExchange:
    """How the ranks of a distributed run agree on rank 0's run id.

    `run_id` when given, else $LAYERWATCH_RUN_ID, else rank 0 makes one and, when torch.distributed is initialised,
    publishes it in the process group's key-value store once it has tried to connect; the other ranks wait for it there.
    No collective: a rank 0 that calls layerwatch.init alone never waits, and a rank that calls it alone gives up after
    `timeout` seconds (it then sends nothing).
    """

    _calls = itertools.count()  # the n-th init of every process uses the n-th key

    def __init__(self, info, run_id, name, timeout=120.0):
        self.info, self.timeout = info, timeout
        self._store = _default_store() if info.distributed else None
        self._key = "layerwatch/run-id/%d" % next(self._calls) if self._store is not None else None
        given = run_id or os.environ.get("LAYERWATCH_RUN_ID") or None
        self.run_id = given or (new_run_id(name) if info.rank == 0 and info.distributed else None)

    def publish(self, run_id):
        """Rank 0: tells the other ranks the run id (None: there is no run to attach to)."""
        if self._key is not None and self.info.rank == 0:
            self._store.set(self._key, run_id or "")

    def receive(self):
        """Ranks other than 0: rank 0's run id (or the one given), or None when there is none to learn."""
        if self.run_id or self._key is None:
            return self.run_id
        try:
            self._store.wait([self._key], datetime.timedelta(seconds=self.timeout))
            return self._store.get(self._key).decode("utf-8") or None
        except Exception as exc:  # noqa: BLE001 — a store timeout, or rank 0 gone: this rank sends nothing
            log.warning("layerwatch: rank %d did not learn rank 0's run id (%s)", self.info.rank, exc)
            return None


def _default_store():
    """The key-value store of torch.distributed's default process group, or None."""
    if _initialised_dist() is None:
        return None
    try:
        from torch.distributed import distributed_c10d

        return distributed_c10d._get_default_store()
    except Exception:  # noqa: BLE001 — a torch without it: ranks then need run_id or $LAYERWATCH_RUN_ID
        return None


def runtime_config(info):
    """What the run's config records about the processes: {"world_size", "backend", "device_types", "gpus", "torch", "python"}."""
    torch = sys.modules.get("torch")
    devices, gpus = ["cpu"], 0
    if torch is not None:
        try:
            if torch.cuda.is_available():
                gpus = torch.cuda.device_count()
                devices = ["cuda"]
            elif getattr(getattr(torch.backends, "mps", None), "is_available", lambda: False)():
                devices = ["mps"]
        except Exception:  # noqa: BLE001 — a broken driver must not stop init()
            pass
    if info.backend == "nccl":
        devices = ["cuda"]
    return {
        "world_size": info.world_size,
        "backend": info.backend,
        "device_types": devices,
        "gpus": gpus,
        "torch": getattr(torch, "__version__", None) if torch is not None else None,
        "python": platform.python_version(),
    }
