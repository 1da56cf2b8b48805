"""layerwatch.probe_from: a seeded, class-stratified probe set from any indexable dataset."""
import numpy as np
import pytest
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

import layerwatch
from layerwatch.probe import stratified_counts


def imbalanced(n_per_class=(500, 300, 150, 50), shape=(1, 8, 8), seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.cat([torch.full((n,), c, dtype=torch.int64) for c, n in enumerate(n_per_class)])
    y = y[torch.randperm(len(y), generator=g)]
    x = torch.randn((len(y),) + shape, generator=g) + y.view(-1, *([1] * len(shape))).float()
    return TensorDataset(x, y)


class Items(Dataset):
    """A plain map-style dataset with no .targets: labels come from its items."""

    def __init__(self, base):
        self.base = base
        self.reads = 0

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        self.reads += 1
        x, y = self.base[i]
        return x.numpy(), int(y)


def test_class_shares_are_kept():
    ds = imbalanced()
    probe = layerwatch.probe_from(ds, n=200, seed=3)
    assert len(probe) == 200 and probe.inputs.shape == (200, 1, 8, 8)
    # 500:300:150:50 of 1000 → exactly 100, 60, 30, 10 of 200.
    assert probe.class_counts == {0: 100, 1: 60, 2: 30, 3: 10}
    assert torch.equal(probe.labels, ds.tensors[1][probe.indices])
    assert torch.equal(probe.inputs, ds.tensors[0][probe.indices])
    assert np.all(np.diff(probe.indices) > 0)
    assert probe.images is not None  # 1 × 8 × 8 inputs look like images


def test_seeded_and_fixed():
    ds = imbalanced()
    a, b, c = (layerwatch.probe_from(ds, n=100, seed=s) for s in (1, 1, 2))
    assert np.array_equal(a.indices, b.indices) and not np.array_equal(a.indices, c.indices)


def test_every_class_is_represented_and_small_classes_are_not_overdrawn():
    counts = stratified_counts([1000, 10, 1, 0], 8)
    assert counts.tolist()[1:] == [1, 1, 0] and counts.sum() == 8
    assert stratified_counts([3, 3], 100).tolist() == [3, 3]  # n beyond the dataset takes all of it
    assert stratified_counts([7, 2, 1], 2).sum() == 2


def test_labels_read_from_items_subsets_and_unlabelled_data():
    base = imbalanced((40, 20), shape=(64,))
    items = Items(base)
    probe = layerwatch.probe_from(items, n=30, seed=0)
    assert probe.class_counts == {0: 20, 1: 10} and probe.images is None  # flat inputs are not images
    sub = Subset(base, list(range(0, 60, 2)))
    probe = layerwatch.probe_from(sub, n=10)
    assert probe.labels.tolist() == [int(sub[i][1]) for i in probe.indices]
    plain = layerwatch.probe_from(base.tensors[0], n=5)  # a tensor of inputs: no labels, a uniform sample
    assert probe.labels is not None and plain.labels is None and len(plain) == 5
    with pytest.raises(ValueError):
        layerwatch.probe_from(TensorDataset(torch.zeros(0, 2)))


def test_stratify_false_is_a_uniform_sample():
    ds = imbalanced()
    probe = layerwatch.probe_from(ds, n=1000, stratify=False)
    assert len(probe) == 1000 and sorted(probe.class_counts.values()) == [50, 150, 300, 500]


def test_watch_takes_a_probe_set(recording_run):
    run, transport = recording_run
    ds = imbalanced((6, 4), shape=(1, 8, 8))
    probe = layerwatch.probe_from(ds, n=5)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
    run.watch(model, layers=["1"], probe=probe, logits=False)
    run.checkpoint(0)
    _, decl = transport.declarations[0]
    assert decl["examples"] == 5 and decl["labels"] == probe.labels.tolist() and decl["imageSize"]["h"] == 8
