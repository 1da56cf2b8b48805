"""run.watch on wrapped models (DataParallel, DistributedDataParallel, torch.compile): layers by their unwrapped names."""
import os

import numpy as np
import pytest
import torch
import torch.distributed as dist
from torch import nn

import layerwatch
from layerwatch.unwrap import UnknownLayerError, resolve_layer, unwrap


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def checkpoint_of(run, transport, model, layers):
    run.watch(model, layers=layers, probe=torch.randn(10, 8))
    run.checkpoint(3)
    return transport.declarations[-1][0]["layers"], transport.checkpoints[-1]


def test_data_parallel_on_cpu(recording_run):
    run, transport = recording_run
    torch.manual_seed(0)
    net = Net()
    wrapped = nn.DataParallel(net)  # no GPU: it calls the module directly
    assert unwrap(wrapped) is net
    layers, (step, msg, frames) = checkpoint_of(run, transport, wrapped, ["fc1", "module.fc2"])
    assert [d["name"] for d in layers] == ["fc1", "fc2", "logits"] and step == 3
    assert msg["layers"] == ["fc1", "fc2", "logits"] and len(frames) == 3
    # Training through the wrapper still works, and the hooks capture nothing outside the probe pass.
    wrapped(torch.randn(4, 8)).sum().backward()
    assert net.fc1.weight.grad is not None


def test_distributed_data_parallel_single_process():
    store = dist.FileStore(os.path.join(os.environ.get("TMPDIR", "/tmp"), "lw-ddp-%d" % os.getpid()), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        net = Net()
        ddp = nn.parallel.DistributedDataParallel(net)
        run = layerwatch.init(enabled=False)
        assert run.world_size == 1 and run.rank == 0
        name, module = resolve_layer(ddp, "fc2")
        assert name == "fc2" and module is net.fc2
        from layerwatch.watch import Watch

        w = Watch(ddp, ["fc1", "fc2"], torch.randn(6, 8))
        acts, decls = w.collect()
        assert w.model is net and acts["fc1"].shape == (16, 6)
        with torch.no_grad():
            np.testing.assert_allclose(acts["logits"], net(w.probe).T.numpy(), rtol=1e-5, atol=1e-6)
        w.remove()
        assert layerwatch.freeze(ddp, "module.fc1") == 16 * 8 + 16 and not net.fc1.weight.requires_grad
    finally:
        dist.destroy_process_group()


class Compiled(nn.Module):
    """What torch.compile returns (an OptimizedModule): the original model as `_orig_mod`."""

    def __init__(self, mod):
        super().__init__()
        self._orig_mod = mod

    def forward(self, x):
        return self._orig_mod(x)


def test_compiled_model_is_unwrapped_by_its_orig_mod(recording_run):
    run, transport = recording_run
    net = Net()
    wrapped = nn.DataParallel(Compiled(net))
    assert unwrap(wrapped) is net
    layers, _ = checkpoint_of(run, transport, wrapped, ["fc2", "fc1"])
    assert [d["name"] for d in layers] == ["fc2", "fc1", "logits"]


@pytest.mark.skipif(not hasattr(torch, "compile"), reason="torch %s has no torch.compile (added in 2.0)" % torch.__version__)
def test_torch_compile(recording_run):  # pragma: no cover — runs only where the Debian torch has torch.compile
    run, transport = recording_run
    net = Net()
    compiled = torch.compile(net)
    assert unwrap(compiled) is net
    layers, _ = checkpoint_of(run, transport, compiled, ["fc1"])
    assert [d["name"] for d in layers] == ["fc1", "logits"]


def test_a_wrong_name_lists_the_closest_names(recording_run):
    run, _ = recording_run
    wrapped = nn.DataParallel(Net())
    with pytest.raises(UnknownLayerError, match=r'no layer "fc3" in the model; closest names: fc2, fc1') as err:
        run.watch(wrapped, layers=["fc3"], probe=torch.randn(2, 8))
    assert isinstance(err.value, AttributeError)  # as model.get_submodule() raised before
    big = nn.Sequential(*[nn.Linear(2, 2) for _ in range(20)])
    with pytest.raises(ValueError, match="named_modules"):
        resolve_layer(big, "zzz")
    with pytest.raises(ValueError, match="its modules are: fc1, fc2"):
        resolve_layer(Net(), "q")
