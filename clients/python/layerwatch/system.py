"""System metrics, sampled on a background thread and sent as scalars under `system/…`: process CPU and memory, system
memory, and per visible GPU its utilisation and memory. psutil when importable (Debian's python3-psutil), else /proc."""
import logging
import os
import sys
import threading
import time

log = logging.getLogger("layerwatch")
MIB = float(1 << 20)
DEFAULT_INTERVAL = 10.0


class ProcSource:
    """Process RSS and system memory from /proc (Linux), without psutil."""

    name = "proc"

    def __init__(self, root="/proc"):
        self.root = root
        self._page = os.sysconf("SC_PAGE_SIZE")

    def rss(self):
        with open(os.path.join(self.root, "self", "statm")) as f:
            return int(f.read().split()[1]) * self._page

    def memory(self):
        """(total, available) bytes of the system's memory."""
        fields = {}
        with open(os.path.join(self.root, "meminfo")) as f:
            for line in f:
                key, _, rest = line.partition(":")
                fields[key] = int(rest.split()[0]) * 1024
        return fields["MemTotal"], fields.get("MemAvailable", fields.get("MemFree", 0))


class PsutilSource:
    """Process RSS and system memory from psutil."""

    name = "psutil"

    def __init__(self, psutil):
        self._psutil = psutil
        self._proc = psutil.Process()

    def rss(self):
        return self._proc.memory_info().rss

    def memory(self):
        vm = self._psutil.virtual_memory()
        return vm.total, vm.available


def default_source():
    """psutil when importable, else /proc."""
    try:
        import psutil
    except ImportError:
        return ProcSource()
    return PsutilSource(psutil)


def _visible_nvml_handles(nvml):
    """NVML handles of the GPUs this process sees, in torch's order ($CUDA_VISIBLE_DEVICES: indices or UUIDs)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
    handles = []
    for item in (v.strip() for v in visible.split(",")):
        if not item:
            break
        handles.append(nvml.nvmlDeviceGetHandleByIndex(int(item)) if item.isdigit() else nvml.nvmlDeviceGetHandleByUUID(item))
    return handles


class SystemSampler:
    """Takes one sample of every system metric: {"system/…": value}. CPU % is over the time since the previous sample."""

    def __init__(self, source=None, torch_module=None, nvml=None, clock=time.monotonic):
        self.source = source or default_source()
        self._torch = torch_module
        self._clock = clock
        self._nvml = nvml
        self._nvml_tried = nvml is not None
        self._handles = None
        self._last = (clock(), _cpu_seconds())

    def _gpu_torch(self):
        torch = self._torch if self._torch is not None else sys.modules.get("torch")
        if torch is None or not torch.cuda.is_available():
            return {}
        out = {}
        for i in range(torch.cuda.device_count()):
            # This process's own allocations (0 on a GPU it has not used; nothing initialises CUDA here).
            out["system/gpu%d/memory_allocated_mb" % i] = torch.cuda.memory_allocated(i) / MIB
            out["system/gpu%d/memory_reserved_mb" % i] = torch.cuda.memory_reserved(i) / MIB
        return out

    def _gpu_nvml(self):
        if not self._nvml_tried:
            self._nvml_tried = True
            try:
                import pynvml

                pynvml.nvmlInit()
                self._nvml = pynvml
            except Exception:  # noqa: BLE001 — no module, no driver or no GPU: no NVML series
                self._nvml = None
        if self._nvml is None:
            return {}
        try:
            if self._handles is None:
                self._handles = _visible_nvml_handles(self._nvml)
            out = {}
            for i, h in enumerate(self._handles):
                mem = self._nvml.nvmlDeviceGetMemoryInfo(h)
                out["system/gpu%d/utilization_percent" % i] = float(self._nvml.nvmlDeviceGetUtilizationRates(h).gpu)
                out["system/gpu%d/memory_used_percent" % i] = 100.0 * mem.used / mem.total if mem.total else 0.0
            return out
        except Exception as exc:  # noqa: BLE001
            log.warning("layerwatch: NVML failed (%r); GPU utilisation is no longer sampled", exc)
            self._nvml = None
            return {}

    def sample(self):
        """The metrics now: system/cpu_percent (this process, 100 = one core), system/rss_mb, system/memory_percent
        and system/memory_used_mb (the machine's), per GPU i system/gpu<i>/…, and system/time (Unix seconds)."""
        now, cpu = self._clock(), _cpu_seconds()
        then, cpu_then = self._last
        self._last = (now, cpu)
        total, available = self.source.memory()
        out = {
            "system/cpu_percent": 100.0 * (cpu - cpu_then) / (now - then) if now > then else 0.0,
            "system/rss_mb": self.source.rss() / MIB,
            "system/memory_percent": 100.0 * (total - available) / total if total else 0.0,
            "system/memory_used_mb": (total - available) / MIB,
        }
        out.update(self._gpu_torch())
        out.update(self._gpu_nvml())
        out["system/time"] = time.time()
        return out


def _cpu_seconds():
    """User + system CPU seconds of this process, all threads."""
    t = os.times()
    return t.user + t.system


class SystemThread:
    """Calls `emit(sample)` every `interval` seconds from a daemon thread, and once more at stop() when it has sampled
    before (so a run's series end where training ended)."""

    def __init__(self, emit, interval=DEFAULT_INTERVAL, sampler=None):
        self.interval = float(interval)
        if not self.interval > 0:
            raise ValueError("system_metrics must be a positive number of seconds, or False")
        self._emit = emit
        self._sampler = sampler or SystemSampler()
        self._stop = threading.Event()
        self._warned = False
        self.samples = 0
        self._thread = threading.Thread(target=self._loop, name="layerwatch-system", daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.wait(self.interval):
            self._take()

    def _take(self):
        try:
            self._emit(self._sampler.sample())
            self.samples += 1
        except Exception as exc:  # noqa: BLE001 — a failed sample must not end the thread or reach training
            if not self._warned:
                self._warned = True
                log.warning("layerwatch: system metrics sample failed: %r", exc)

    def stop(self):
        """Stops sampling (waits for a sample in progress), then takes a last sample if it has taken any."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        if self.samples and not self._thread.is_alive():
            self._take()
