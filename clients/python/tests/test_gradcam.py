"""Grad-CAM: against a closed form and an independent backward pass, without side effects on the model or optimizer."""
import copy

import numpy as np
import pytest
import torch
from torch import nn

from layerwatch.frames import decode_frame
from layerwatch.gradcam import GradCam, subset


def conv2d_numpy(x, weight, bias):
    """A 3 × 3, padding 1 convolution in float64 loops (n × 1 × h × w input): an independent forward pass."""
    n, _, h, w = x.shape
    k = weight.shape[0]
    padded = np.pad(x[:, 0], ((0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, k, h, w))
    for c in range(k):
        for dy in range(3):
            for dx in range(3):
                out[:, c] += weight[c, 0, dy, dx] * padded[:, dy : dy + h, dx : dx + w]
        out[:, c] += bias[c]
    return out


def linear_model(seed=0, k=3, h=5, w=4, classes=4):
    torch.manual_seed(seed)
    model = nn.Sequential()
    model.add_module("conv", nn.Sequential(nn.Conv2d(1, k, 3, padding=1), nn.ReLU()))
    model.add_module("flat", nn.Flatten())
    model.add_module("out", nn.Linear(k * h * w, classes))
    return model


def test_closed_form_on_a_one_conv_linear_model():
    """y_c = Σ W_c[k,i,j] A_k[i,j] + b_c, so ∂y_c/∂A_k = W_c[k] and the map is ReLU(Σ_k mean(W_c[k]) · A_k)."""
    model = linear_model()
    x = torch.randn(6, 1, 5, 4, dtype=torch.float32)
    labels = np.array([0, 1, 2, 3, 0, 1])
    maps, classes = GradCam(model, "conv", x, list(range(6)), labels).compute()
    conv = model.conv[0]
    acts = np.maximum(conv2d_numpy(x.numpy().astype(np.float64), conv.weight.detach().numpy().astype(np.float64), conv.bias.detach().numpy().astype(np.float64)), 0)
    weights = model.out.weight.detach().numpy().astype(np.float64).reshape(4, 3, 5, 4)
    logits = model(x).detach().numpy()
    assert classes.tolist() == [[int(labels[i]), int(logits[i].argmax())] for i in range(6)]
    for i in range(6):
        for t, c in enumerate(classes[i]):
            alpha = weights[c].mean(axis=(1, 2))
            expected = np.maximum((alpha[:, None, None] * acts[i]).sum(axis=0), 0)
            np.testing.assert_allclose(maps[i, t], expected, rtol=1e-5, atol=1e-6)
    assert maps.shape == (6, 2, 5, 4) and maps.dtype == np.float32


class Deep(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(4, 6, 3, padding=1), nn.ReLU())
        self.drop = nn.Dropout(0.5)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(24, 5))

    def forward(self, x):
        return self.head(self.drop(self.conv2(self.conv1(x))))


def manual_gradcam(model, x, cls):
    """Per example, on a copy in eval mode: keep conv2's output, backward y_c, weight and rectify."""
    twin = copy.deepcopy(model).eval()
    kept = {}
    twin.conv2.register_forward_hook(lambda _m, _i, out: kept.__setitem__("a", out))
    out = []
    for i in range(len(x)):
        y = twin(x[i : i + 1])
        a = kept["a"]
        a.retain_grad()
        twin.zero_grad()
        y[0, int(cls[i])].backward()
        alpha = a.grad[0].mean(dim=(1, 2))
        out.append(torch.relu((alpha[:, None, None] * a[0]).sum(0)).detach().numpy())
    return np.stack(out)


def test_matches_a_manual_backward_on_a_deeper_model_with_batchnorm_and_dropout():
    torch.manual_seed(1)
    model = Deep()
    model.train()
    with torch.no_grad():  # non-trivial running statistics, so that eval-mode batch norm matters
        model.conv1[1].running_mean.uniform_(-0.5, 0.5)
        model.conv1[1].running_var.uniform_(0.5, 2.0)
    x = torch.randn(7, 1, 6, 6)
    labels = np.array([0, 1, 2, 3, 4, 0, 1])
    maps, classes = GradCam(model, "conv2", x, list(range(7)), labels).compute()
    np.testing.assert_allclose(maps[:, 0], manual_gradcam(model, x, labels), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(maps[:, 1], manual_gradcam(model, x, classes[:, 1]), rtol=1e-5, atol=1e-6)


def test_leaves_gradients_optimizer_modes_and_hooks_as_they_were():
    torch.manual_seed(2)
    model = Deep()
    model.train()
    model.conv1[1].eval()  # a frozen batch norm stays in eval
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss = model(torch.randn(4, 1, 6, 6)).sum()
    loss.backward()
    opt.step()
    model.head[2].bias.grad = None  # one parameter without a gradient
    grads = {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()}
    params = {n: p.detach().clone() for n, p in model.named_parameters()}
    state = copy.deepcopy(opt.state_dict())
    hooks = {n: (len(m._forward_hooks), len(m._backward_hooks)) for n, m in model.named_modules()}
    GradCam(model, "conv2", torch.randn(5, 1, 6, 6), [0, 1, 2, 3, 4]).compute()
    for n, p in model.named_parameters():
        assert (p.grad is None) == (grads[n] is None), n
        if p.grad is not None:
            assert torch.equal(p.grad, grads[n]), n
        assert torch.equal(p.detach(), params[n]), n
    assert str(opt.state_dict()) == str(state)
    assert model.training and not model.conv1[1].training and model.conv2.training
    assert {n: (len(m._forward_hooks), len(m._backward_hooks)) for n, m in model.named_modules()} == hooks


def test_frozen_layers_below_and_no_labels():
    torch.manual_seed(3)
    model = Deep()
    for p in model.parameters():
        p.requires_grad_(False)  # everything frozen: the gradient still starts at conv2's output
    maps, classes = GradCam(model, "conv2", torch.randn(3, 1, 6, 6), [0, 1, 2]).compute()
    assert maps.shape == (3, 1, 6, 6) and classes.shape == (3, 1)
    assert (maps >= 0).all() and np.isfinite(maps).all()


def test_refuses_a_layer_without_spatial_maps():
    model = linear_model()
    with pytest.raises(ValueError, match="conv layer"):
        GradCam(model, "out", torch.randn(2, 1, 5, 4), [0, 1]).compute()


def test_subset_spreads_over_classes_and_checks_indices():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    picked = subset(6, 100, labels)
    assert sorted(labels[picked].tolist()) == [0, 0, 1, 1, 2, 2]
    assert subset(4, 100) == [0, 33, 66, 99]
    assert subset([5, 3], 10) == [5, 3]
    for bad in ([1, 1], [10], [-1], []):
        with pytest.raises(ValueError):
            subset(bad, 10)


def test_run_sends_a_gradcam_frame_after_each_checkpoint_and_masks_after_the_first(recording_run):
    run, transport = recording_run
    model = linear_model()
    probe = torch.randn(8, 1, 5, 4)
    labels = np.arange(8) % 4
    concepts = [{"name": "a", "category": "part"}, {"name": "b", "category": "object"}]
    masks = np.zeros((8, 2, 5, 4), dtype=np.uint8)
    masks[:, 0, :2] = 1
    run.watch(model, layers=["conv"], probe=probe, labels=labels, concepts=concepts, concept_labels=[[0]] * 8, masks=masks,
              spatial=["conv"], gradcam="conv", gradcam_examples=[1, 6])
    run.checkpoint(0)
    run.checkpoint(5)
    _, probe_msg = transport.declarations[0]
    assert probe_msg["maskSize"] == {"h": 5, "w": 4}
    kinds = [[decode_frame(f)[0]["kind"] for f in frames] for _, _, frames in transport.checkpoints]
    assert kinds == [["spatial", "activations", "masks", "gradcam"], ["spatial", "activations", "gradcam"]]
    header, maps = decode_frame(transport.checkpoints[1][2][-1])
    assert header["layer"] == "__gradcam__:conv" and header["step"] == 5 and header["examples"] == [1, 6]
    assert maps.shape == (2, 2, 5, 4) and header["classes"][0] == 1 and header["classes"][2] == 2
    expected, _ = GradCam(model, "conv", probe, [1, 6], labels).compute()
    np.testing.assert_array_equal(maps, expected)
    _, sent_masks = decode_frame(transport.checkpoints[0][2][2])
    np.testing.assert_array_equal(sent_masks, masks.astype(np.float32))


def test_masks_must_match_the_concepts(recording_run):
    run, _ = recording_run
    with pytest.raises(ValueError, match="masks must be"):
        run.watch(linear_model(), layers=["conv"], probe=torch.randn(4, 1, 5, 4), concepts=[{"name": "a", "category": "part"}],
                  masks=np.zeros((4, 2, 5, 4)))
