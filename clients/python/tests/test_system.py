"""System metrics: psutil and the /proc fallback agree, values are plausible, GPU series exist only with GPUs."""
import os
import types

import pytest

from conftest import wait_until
from layerwatch.distributed import RankInfo
from layerwatch.run import Run
from layerwatch.system import ProcSource, PsutilSource, SystemSampler, SystemThread

CORES = os.cpu_count() or 1


def burn(seconds=0.3):
    """Spends CPU in this process."""
    import time

    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        x += 1
    return x


def plausible(sample):
    assert 0.0 <= sample["system/cpu_percent"] <= 100.0 * CORES
    assert sample["system/rss_mb"] > 1.0
    assert 0.0 < sample["system/memory_percent"] < 100.0 and sample["system/memory_used_mb"] > 0
    assert sample["system/time"] > 1.6e9


def test_proc_fallback_is_plausible_and_needs_no_psutil():
    sampler = SystemSampler(source=ProcSource())
    burn()
    sample = sampler.sample()
    plausible(sample)
    assert sample["system/cpu_percent"] > 0.0  # the burn above was measured
    assert not any("gpu" in k for k in sample)  # no GPU on this machine: no GPU series at all


def test_psutil_and_proc_agree():
    psutil = pytest.importorskip("psutil")
    a, b = PsutilSource(psutil), ProcSource()
    assert a.memory()[0] == b.memory()[0]
    assert abs(a.memory()[1] - b.memory()[1]) < 0.05 * a.memory()[0]
    assert abs(a.rss() - b.rss()) < 0.2 * a.rss()
    plausible(SystemSampler(source=a).sample())


def test_gpu_series_from_torch_counters_and_nvml():
    cuda = types.SimpleNamespace(is_available=lambda: True, device_count=lambda: 2,
                                 memory_allocated=lambda i: (i + 1) << 20, memory_reserved=lambda i: (i + 2) << 20)
    fake_torch = types.SimpleNamespace(cuda=cuda)
    nvml = types.SimpleNamespace(
        nvmlDeviceGetCount=lambda: 2,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetHandleByUUID=lambda u: 0,
        nvmlDeviceGetUtilizationRates=lambda h: types.SimpleNamespace(gpu=40 + h),
        nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(used=1 + h, total=4),
    )
    env = os.environ.pop("CUDA_VISIBLE_DEVICES", None)
    try:
        os.environ["CUDA_VISIBLE_DEVICES"] = "1"
        sample = SystemSampler(source=ProcSource(), torch_module=fake_torch, nvml=nvml).sample()
    finally:
        os.environ.pop("CUDA_VISIBLE_DEVICES")
        if env is not None:
            os.environ["CUDA_VISIBLE_DEVICES"] = env
    assert sample["system/gpu1/memory_allocated_mb"] == 2.0 and sample["system/gpu0/memory_reserved_mb"] == 2.0
    # Visible device 0 is physical GPU 1.
    assert sample["system/gpu0/utilization_percent"] == 41.0 and sample["system/gpu0/memory_used_percent"] == 50.0
    assert "system/gpu1/utilization_percent" not in sample


def test_the_thread_sends_samples_as_scalars_at_most_one_per_step(recording_run):
    run, transport = recording_run
    thread = SystemThread(run._send_system, interval=0.02)
    try:
        assert wait_until(lambda: len(transport.scalars) >= 1)
        burn(0.1)
        assert len(transport.scalars) == 1  # the step has not moved
        run.step()
        assert wait_until(lambda: len(transport.scalars) == 2)
        run.log({"loss": 1.0}, step=7)  # log(step=) moves it too
        assert wait_until(lambda: [s for s, _ in transport.scalars if s == 7])
        thread._stop.set()  # no more samples on the interval …
        thread._thread.join()
        run.step(10)
    finally:
        thread.stop()  # … but a last one when it stops, at the step training ended at
    assert transport.scalars[-1][0] == 11 and [s for s, _ in transport.scalars].count(11) == 1
    step, msg = transport.scalars[0]
    assert step == 0 and "reduce" not in msg
    plausible(msg["values"])


def test_per_rank_samples_carry_reduce_none():
    from conftest import RecordingTransport

    transport = RecordingTransport()
    run = Run(transport, ranks=RankInfo(1, 2))
    run._system_reduce = "none"
    run._send_system({"system/rss_mb": 5.0})
    assert transport.scalars[0][1]["reduce"] == "none"


def test_a_thread_that_never_sampled_sends_nothing_at_stop(recording_run):
    run, transport = recording_run
    thread = SystemThread(run._send_system, interval=3600)
    thread.stop()
    assert transport.scalars == []


def test_a_bad_interval_is_refused():
    with pytest.raises(ValueError):
        SystemThread(lambda s: None, interval=0)


def test_without_psutil_the_default_is_proc(monkeypatch):
    import importlib.util
    import sys

    from layerwatch.system import default_source

    if importlib.util.find_spec("psutil"):
        assert isinstance(default_source(), PsutilSource)
    monkeypatch.setitem(sys.modules, "psutil", None)  # import psutil now raises ImportError
    assert isinstance(default_source(), ProcSource)
