"""A fixed probe set in one line: a seeded, class-stratified sample of any indexable torch dataset."""
import numpy as np


class ProbeSet:
    """The probe set: `inputs` (a tensor, m × …), `labels` (int64 tensor or None), `images` (the inputs when they look like
    images, m × h × w or m × c × h × w, else None), `indices` (dataset indices, ascending) and `class_counts` ({label: n})."""

    def __init__(self, inputs, labels, images, indices):
        self.inputs, self.labels, self.images, self.indices = inputs, labels, images, indices
        self.class_counts = {} if labels is None else {int(c): int(n) for c, n in zip(*np.unique(labels.numpy(), return_counts=True))}

    def __len__(self):
        return len(self.indices)

    def __repr__(self):
        return "ProbeSet(m=%d, inputs=%s, classes=%d, images=%s)" % (len(self), tuple(self.inputs.shape), len(self.class_counts), self.images is not None)


def _labels_of(dataset):
    """Every label of the dataset, as int64 numpy, or None: from `.targets` / `.labels` / a TensorDataset's second tensor
    (through Subsets) when present, else by reading dataset[i][1] for every i."""
    from torch.utils.data import Subset, TensorDataset

    if isinstance(dataset, Subset):
        inner = _labels_of(dataset.dataset)
        return None if inner is None else inner[np.asarray(dataset.indices, dtype=np.int64)]
    for attr in ("targets", "labels"):
        values = getattr(dataset, attr, None)
        if values is not None and not callable(values):
            arr = np.asarray(values.numpy() if hasattr(values, "numpy") else values)
            if arr.ndim == 1 and len(arr) == len(dataset):
                return arr.astype(np.int64)
    if isinstance(dataset, TensorDataset):
        return dataset.tensors[1].numpy().astype(np.int64) if len(dataset.tensors) > 1 else None
    first = dataset[0]
    if not isinstance(first, (tuple, list)) or len(first) < 2:
        return None
    return np.asarray([int(dataset[i][1]) for i in range(len(dataset))], dtype=np.int64)


def stratified_counts(class_sizes, n):
    """How many examples of each class a sample of `n` takes: proportional to the class sizes (largest remainders),
    at least one of every class when n allows, never more than a class has."""
    sizes = np.asarray(class_sizes, dtype=np.int64)
    n = int(min(n, sizes.sum()))
    quota = n * sizes / sizes.sum()
    counts = np.floor(quota).astype(np.int64)
    # The examples left go to the largest remainders (each at most one more: never past a class's size).
    counts[np.argsort(-(quota - counts), kind="stable")[: n - counts.sum()]] += 1
    if n >= np.count_nonzero(sizes):
        for c in np.flatnonzero((counts == 0) & (sizes > 0)):
            donor = np.argmax(np.where(counts > 1, counts - quota, -np.inf))
            counts[donor] -= 1
            counts[c] = 1
    return counts


def probe_from(dataset, n=1000, seed=0, stratify=True):
    """A fixed probe set of `n` examples of `dataset` (anything with len() and [i] → (input, label) or input).

    stratify=True keeps each class's share of the dataset (at least one example of every class when n allows); the
    sample is seeded, so every run of a comparison sees the same probe set. n larger than the dataset takes all of it.
    """
    import torch

    total = len(dataset)
    if total == 0:
        raise ValueError("the dataset is empty")
    rng = np.random.default_rng(seed)
    labels = _labels_of(dataset)
    if stratify and labels is not None:
        classes, inverse = np.unique(labels, return_inverse=True)
        counts = stratified_counts(np.bincount(inverse, minlength=len(classes)), n)
        picked = [rng.choice(np.flatnonzero(inverse == c), size=k, replace=False) for c, k in enumerate(counts) if k]
        indices = np.sort(np.concatenate(picked))
    else:
        indices = np.sort(rng.choice(total, size=min(int(n), total), replace=False))
    items = [dataset[int(i)] for i in indices]
    xs = [it[0] if isinstance(it, (tuple, list)) else it for it in items]
    inputs = torch.stack([x if torch.is_tensor(x) else torch.as_tensor(np.asarray(x)) for x in xs])
    y = None if labels is None else torch.from_numpy(labels[indices])
    return ProbeSet(inputs, y, _images_of(inputs), indices)


def _images_of(inputs):
    """The inputs as pictures when they look like images (m × h × w, or m × c × h × w with c 1 or 3, both sides ≥ 8)."""
    shape = tuple(inputs.shape)
    if len(shape) == 3 and min(shape[1:]) >= 8:
        return inputs
    if len(shape) == 4 and shape[1] in (1, 3) and min(shape[2:]) >= 8:
        return inputs
    return None
