import numpy as np
import pytest
import torch
from torch import nn

from layerwatch.frames import decode_frame


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.act1 = nn.ReLU()
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(16, 12)
        self.out = nn.Linear(12, 3)

    def forward(self, x):
        return self.out(torch.relu(self.fc2(self.drop(self.act1(self.fc1(x))))))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, padding=1)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        h = torch.relu(self.conv2(torch.relu(self.bn(self.conv1(x)))))
        return self.head(h.mean(dim=(2, 3)))


def frames_of(transport, index=-1):
    step, msg, frames = transport.checkpoints[index]
    return msg, {h["layer"]: (h, a) for h, a in (decode_frame(f) for f in frames)}


def test_hooks_capture_the_watched_layers(recording_run):
    run, transport = recording_run
    torch.manual_seed(0)
    model = MLP().eval()
    x = torch.randn(10, 8)
    run.watch(model, layers=["fc1", model.fc2], probe=x, labels=np.arange(10) % 3, class_names=["a", "b", "c"])
    run.checkpoint(0)
    layers, probe = transport.declarations[0]
    assert [d["name"] for d in layers["layers"]] == ["fc1", "fc2", "logits"]
    assert [d["units"] for d in layers["layers"]] == [16, 12, 3]
    assert [d["kind"] for d in layers["layers"]] == ["dense", "dense", "logits"]
    assert probe == {"type": "probe", "examples": 10, "labels": [0, 1, 2, 0, 1, 2, 0, 1, 2, 0], "classNames": ["a", "b", "c"]}
    msg, frames = frames_of(transport)
    assert msg["layers"] == ["fc1", "fc2", "logits"] and msg["step"] == 0
    with torch.no_grad():
        h1 = model.fc1(x)
        h2 = model.fc2(torch.relu(h1))
        logits = model(x)
    np.testing.assert_allclose(frames["fc1"][1], h1.numpy().T, rtol=1e-6)
    np.testing.assert_allclose(frames["fc2"][1], h2.numpy().T, rtol=1e-6)
    np.testing.assert_allclose(frames["logits"][1], logits.numpy().T, rtol=1e-6)
    assert frames["fc1"][0]["shape"] == [16, 10]


def test_probe_runs_in_batches_and_every_n_steps(recording_run):
    run, transport = recording_run
    model = MLP()
    run.watch(model, layers=["fc1"], probe=torch.randn(7, 8), every=3, batch_size=2)
    for _ in range(7):
        model(torch.randn(4, 8))  # training forwards are not captured
        run.step()
    assert [c[0] for c in transport.checkpoints] == [3, 6]
    _, frames = frames_of(transport)
    assert frames["fc1"][1].shape == (16, 7)


def test_step_schedule_as_a_collection(recording_run):
    run, transport = recording_run
    run.watch(MLP(), layers=["fc1"], probe=torch.randn(4, 8), every=[1, 2, 5])
    for _ in range(6):
        run.step()
    assert [c[0] for c in transport.checkpoints] == [1, 2, 5]


def test_conv_outputs_are_pooled_per_channel(recording_run):
    run, transport = recording_run
    torch.manual_seed(1)
    model = CNN().eval()
    x = torch.randn(5, 1, 8, 8)
    run.watch(model, layers=["conv1", "conv2"], probe=x)
    run.checkpoint(1)
    layers, _ = transport.declarations[0]
    assert [(d["name"], d["units"], d["kind"]) for d in layers["layers"]] == [("conv1", 4, "conv"), ("conv2", 6, "conv"), ("logits", 2, "logits")]
    assert all("spatial" not in d for d in layers["layers"])
    _, frames = frames_of(transport)
    with torch.no_grad():
        c1 = model.conv1(x)
    np.testing.assert_allclose(frames["conv1"][1], c1.mean(dim=(2, 3)).numpy().T, rtol=1e-5, atol=1e-6)
    assert frames["conv1"][0]["kind"] == "activations"


def test_spatial_maps_only_for_requested_layers(recording_run):
    run, transport = recording_run
    model = CNN().eval()
    x = torch.randn(3, 1, 8, 8)
    run.watch(model, layers=["conv1", "conv2"], probe=x, spatial=["conv2"])
    run.checkpoint(0)
    layers, _ = transport.declarations[0]
    decl = {d["name"]: d for d in layers["layers"]}
    assert "spatial" not in decl["conv1"] and decl["conv2"]["spatial"] == {"h": 4, "w": 4}
    _, frames = frames_of(transport)
    header, data = frames["conv2"]
    assert header["kind"] == "spatial" and header["shape"] == [6, 3, 4, 4]
    with torch.no_grad():
        c2 = model.conv2(torch.relu(model.bn(model.conv1(x))))
    np.testing.assert_allclose(data, c2.numpy().transpose(1, 0, 2, 3), rtol=1e-5, atol=1e-6)


def test_train_and_eval_modes_are_restored(recording_run):
    run, transport = recording_run
    torch.manual_seed(2)
    model = MLP()
    model.train()
    model.drop.eval()  # a module the user keeps in eval on purpose
    x = torch.randn(6, 8)
    run.watch(model, layers=["act1"], probe=x)
    run.checkpoint(0)
    assert model.training and model.fc1.training and not model.drop.training
    # The probe pass was in eval mode: dropout off, so two checkpoints agree exactly.
    model.drop.train()
    run.checkpoint(1)
    run.checkpoint(2)
    np.testing.assert_array_equal(frames_of(transport, 1)[1]["logits"][1], frames_of(transport, 2)[1]["logits"][1])
    assert model.drop.training
    model.eval()
    run.checkpoint(3)
    assert not model.training


def test_checkpoint_leaves_gradients_alone(recording_run):
    run, _ = recording_run
    model = MLP()
    model(torch.randn(2, 8)).sum().backward()
    before = [p.grad.clone() for p in model.parameters()]
    run.watch(model, layers=["fc1"], probe=torch.randn(4, 8))
    run.checkpoint(0)
    for b, p in zip(before, model.parameters()):
        assert torch.equal(b, p.grad)


def test_bad_layer_names_fail_at_watch_time(recording_run):
    run, _ = recording_run
    with pytest.raises(AttributeError):
        run.watch(MLP(), layers=["nope"], probe=torch.randn(2, 8))
    with pytest.raises(ValueError):
        run.watch(MLP(), layers=[nn.Linear(2, 2)], probe=torch.randn(2, 8))


def test_errors_during_checkpoint_never_reach_training(recording_run, caplog):
    run, transport = recording_run

    class Broken(MLP):
        def forward(self, x):
            if not self.training:
                raise RuntimeError("boom")
            return super().forward(x)

    model = Broken()
    run.watch(model, layers=["fc1"], probe=torch.randn(2, 8), every=1)
    run.step()
    run.step()
    assert transport.checkpoints == [] and model.training
    assert sum("boom" in r.message for r in caplog.records) == 1


def test_numpy_api_without_torch(recording_run):
    run, transport = recording_run
    a = np.ones((3, 5), dtype=np.float64)
    run.send_activations(10, {"h1": a, "h2": np.zeros((2, 5))}, labels=[0, 1, 0, 1, 0])
    run.log({"loss": np.float32(0.5), "acc": torch.tensor(0.25), "bad": float("nan")}, step=10)
    layers, probe = transport.declarations[0]
    assert layers["layers"] == [{"name": "h1", "units": 3, "kind": "dense"}, {"name": "h2", "units": 2, "kind": "dense"}]
    assert probe["examples"] == 5 and probe["labels"] == [0, 1, 0, 1, 0]
    assert transport.scalars[0][1]["values"] == {"loss": 0.5, "acc": 0.25, "bad": None}
    _, frames = frames_of(transport)
    assert frames["h1"][1].dtype == np.float32 and frames["h1"][1].shape == (3, 5)
