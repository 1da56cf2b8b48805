"""Ranks of a distributed run on the client: who they are, what each sends, and how they learn rank 0's run id."""
import itertools

import pytest
import torch
import torch.distributed as dist
from torch import nn

import layerwatch
from conftest import RecordingTransport
from layerwatch.distributed import RankInfo, RunIdExchange, rank_info, runtime_config
from layerwatch.run import Run


def test_rank_from_environment_and_arguments(monkeypatch):
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(k, raising=False)
    assert (rank_info().rank, rank_info().world_size, rank_info().source) == (0, 1, "single")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "1")
    info = rank_info()
    assert (info.rank, info.world_size, info.local_rank, info.source) == (3, 4, 1, "env")
    assert rank_info(rank=0).rank == 0 and rank_info(world_size=8).world_size == 8
    with pytest.raises(ValueError, match="not in 0..3"):
        rank_info(rank=4)
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match="WORLD_SIZE"):
        rank_info()


def run_of(rank, world):
    transport = RecordingTransport()
    return Run(transport, ranks=RankInfo(rank, world)), transport


def test_what_each_rank_logs():
    r0, t0 = run_of(0, 2)
    r1, t1 = run_of(1, 2)
    for run in (r0, r1):
        run.log({"loss": 1.0}, step=1)  # default: rank 0's value only
        run.log({"loss": 2.0}, step=2, reduce="mean")
        run.log({"gpu": 3.0}, step=2, reduce=None)
        run.log({"x": 1.0}, step=3, reduce="median")  # not a reduction: warned once, not sent
    assert [(s, m["values"], m.get("reduce")) for s, m in t0.scalars] == [(1, {"loss": 1.0}, None), (2, {"loss": 2.0}, "mean"), (2, {"gpu": 3.0}, "none")]
    assert [(s, m.get("reduce")) for s, m in t1.scalars] == [(2, "mean"), (2, "none")]
    single, ts = run_of(0, 1)
    single.log({"loss": 1.0}, step=1, reduce="sum")  # one process: a plain series
    assert "reduce" not in ts.scalars[0][1]


def test_only_rank_0_sends_activations():
    model = nn.Sequential(nn.Linear(4, 3))
    r1, t1 = run_of(1, 2)
    r1.watch(model, layers=["0"], probe=torch.randn(5, 4), every=1)
    r1.step()
    r1.checkpoint(5)
    r1.send_activations(6, {"h": [[1.0, 2.0]]})
    r1.report_frozen("0")
    assert t1.declarations == [] and t1.checkpoints == [] and model[0]._forward_hooks == {}
    with pytest.raises(ValueError, match="no layer"):  # names are still checked on every rank
        r1.watch(model, layers=["1"], probe=torch.randn(5, 4))
    r0, t0 = run_of(0, 2)
    r0.watch(model, layers=["0"], probe=torch.randn(5, 4))
    r0.checkpoint(5)
    assert len(t0.checkpoints) == 1


def test_runtime_in_config():
    cfg = runtime_config(RankInfo(0, 2, backend="gloo"))
    assert cfg["world_size"] == 2 and cfg["backend"] == "gloo" and cfg["device_types"] == (["cuda"] if torch.cuda.is_available() else ["cpu"])
    assert cfg["torch"] == torch.__version__


def test_ranks_learn_rank_0s_run_id_from_the_process_group_store(monkeypatch, tmp_path, caplog):
    monkeypatch.delenv("LAYERWATCH_RUN_ID", raising=False)
    dist.init_process_group("gloo", store=dist.FileStore(str(tmp_path / "store"), 1), rank=0, world_size=1)
    try:
        # Two "processes" of one run, each at its first init (the n-th init of every process uses the same key).
        monkeypatch.setattr(RunIdExchange, "_calls", itertools.count())
        zero = RunIdExchange(RankInfo(0, 2, source="arguments"), None, "My DDP run!")
        monkeypatch.setattr(RunIdExchange, "_calls", itertools.count())
        one = RunIdExchange(RankInfo(1, 2, source="arguments"), None, "My DDP run!", timeout=5)
        assert zero.run_id.startswith("my-ddp-run-") and one.run_id is None
        zero.publish(zero.run_id)  # never waits, whether or not anyone listens
        assert one.receive() == zero.run_id
        # A rank whose rank 0 never publishes gives up after its timeout and sends nothing.
        lonely = RunIdExchange(RankInfo(1, 2, source="arguments"), None, "x", timeout=0.2)
        assert lonely.receive() is None and "did not learn" in caplog.text
        # A run id given on every rank needs no exchange.
        assert RunIdExchange(RankInfo(1, 2), "given-id", "x").receive() == "given-id"
    finally:
        dist.destroy_process_group()


def test_without_a_process_group_other_ranks_need_the_run_id(monkeypatch, caplog):
    monkeypatch.setenv("LAYERWATCH_RUN_ID", "")
    run = layerwatch.init(url="ws://127.0.0.1:9/ingest", rank=1, world_size=2, wait=0, system_metrics=False)
    assert run.id is None and run.rank == 1 and "has no run to attach to" in caplog.text
    monkeypatch.setenv("LAYERWATCH_RUN_ID", "env-run")
    assert RunIdExchange(RankInfo(1, 2), None, "x").receive() == "env-run"
