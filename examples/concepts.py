"""Concept labels and masks computed from the probe data itself, deterministic (docs/concepts.md, "Concepts of the examples").

Image-level concepts are lists of example indices per concept; part concepts are pixel masks at the image's resolution.
Everything here is numpy on grey images in [0, 1] (m × h × w); nothing is random.
"""
import numpy as np

# Fashion-MNIST classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.
FASHION_GROUPS = [("tops", (0, 2, 4, 6)), ("footwear", (5, 7, 9)), ("trousers", (1,)), ("dress", (3,)), ("bag", (8,))]
FOREGROUND = 0.04  # a pixel brighter than this (about 10/255) belongs to the item; Fashion-MNIST's background is exactly 0
EDGE_BAND = 3  # pixels of the silhouette, from its left- or rightmost pixel in each row, that make the left/right edge
DECILE = 0.1  # texture and brightness concepts: the lowest and highest 10% of the probe set on a measured statistic


def _shift(a, dy, dx):
    """a shifted by (dy, dx) over its last two axes, filled with False/0."""
    out = np.zeros_like(a)
    h, w = a.shape[-2:]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., yd, xd] = a[..., ys, xs]
    return out


def silhouette(images, threshold=FOREGROUND):
    """The item's silhouette per image (m × h × w bool): pixels above `threshold`, with enclosed holes filled.

    A background pixel belongs to the silhouette when no 4-connected path of background pixels leads from it to the
    image border (a bag's handle hole, the dark inside of a sandal).
    """
    fg = np.asarray(images) > threshold
    outside = ~fg
    reach = np.zeros_like(fg)
    reach[:, 0, :], reach[:, -1, :], reach[:, :, 0], reach[:, :, -1] = outside[:, 0, :], outside[:, -1, :], outside[:, :, 0], outside[:, :, -1]
    while True:
        grown = reach | _shift(reach, 1, 0) | _shift(reach, -1, 0) | _shift(reach, 0, 1) | _shift(reach, 0, -1)
        grown &= outside
        if np.array_equal(grown, reach):
            return ~reach
        reach = grown


def regions(sil, band=EDGE_BAND):
    """Geometric parts of each silhouette: {name: m × h × w bool}.

    Upper/lower half: the silhouette's rows above / from the middle of its bounding box. Left/right edge: per row, the
    silhouette pixels within `band` columns of the row's leftmost / rightmost silhouette pixel.
    """
    m, h, w = sil.shape
    rows = np.arange(h)[None, :, None]
    cols = np.arange(w)[None, None, :]
    any_row = sil.any(axis=2)
    top = np.where(any_row.any(1), any_row.argmax(1), 0)
    bottom = np.where(any_row.any(1), h - 1 - any_row[:, ::-1].argmax(1), -1)
    middle = ((top + bottom + 1) // 2)[:, None, None]
    first = np.where(sil.any(2), sil.argmax(2), w)[:, :, None]
    last = np.where(sil.any(2), w - 1 - sil[:, :, ::-1].argmax(2), -1)[:, :, None]
    return {
        "upper half": sil & (rows < middle),
        "lower half": sil & (rows >= middle),
        "left edge": sil & (cols < first + band),
        "right edge": sil & (cols > last - band),
    }


def image_statistics(images, sil):
    """Per image: high-frequency energy, orientation index and mean intensity (each an m-vector).

    - high-frequency energy: mean squared difference between a pixel and its 3 × 3 neighbourhood mean, over the
      silhouette's interior (silhouette pixels whose 4 neighbours are in it too): the item's own texture, not its outline;
    - orientation index: (Σgx² − Σgy²) / (Σgx² + Σgy²) of central-difference gradients over the whole image, in [−1, 1]:
      +1 when all edges are vertical (intensity changes left to right), −1 when all are horizontal;
    - mean intensity: the mean grey value over the silhouette (the item's brightness, not its size).
    """
    x = np.asarray(images, dtype=np.float64)
    box = sum(_shift(x, dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9.0
    inner = sil & _shift(sil, 1, 0) & _shift(sil, -1, 0) & _shift(sil, 0, 1) & _shift(sil, 0, -1)
    n_inner = np.maximum(inner.sum(axis=(1, 2)), 1)
    hf = (((x - box) ** 2) * inner).sum(axis=(1, 2)) / n_inner
    gx = (_shift(x, 0, -1) - _shift(x, 0, 1)) / 2.0
    gy = (_shift(x, -1, 0) - _shift(x, 1, 0)) / 2.0
    ex, ey = (gx**2).sum(axis=(1, 2)), (gy**2).sum(axis=(1, 2))
    orientation = (ex - ey) / np.maximum(ex + ey, 1e-12)
    n_sil = np.maximum(sil.sum(axis=(1, 2)), 1)
    intensity = (x * sil).sum(axis=(1, 2)) / n_sil
    return {"high-frequency energy": hf, "orientation": orientation, "mean intensity": intensity}


def deciles(values, q=DECILE):
    """(low, high): boolean m-vectors of the examples in the lowest and highest `q` of `values` (by rank, ties by index)."""
    order = np.argsort(values, kind="stable")
    k = max(1, int(round(q * len(values))))
    low, high = np.zeros(len(values), bool), np.zeros(len(values), bool)
    low[order[:k]], high[order[-k:]] = True, True
    return low, high


def _texture_and_brightness(images, sil):
    """Image-level concepts from measured statistics: [(name, category, m-vector bool)]."""
    stats = image_statistics(images, sil)
    smooth, busy = deciles(stats["high-frequency energy"])
    horizontal, vertical = deciles(stats["orientation"])
    dark, bright = deciles(stats["mean intensity"])
    return [("smooth", "texture", smooth), ("high-frequency", "texture", busy),
            ("horizontal edges", "texture", horizontal), ("vertical edges", "texture", vertical),
            ("dark", "brightness", dark), ("bright", "brightness", bright)]


def fashion_concepts(images, labels):
    """Fashion-MNIST probe concepts: (concept declarations, image-level label lists, masks m × C × h × w uint8).

    Objects (garment groups, from the class labels) and texture/brightness concepts are image-level: their mask is the
    whole image of every example that shows them. Parts are the silhouette and its regions, as pixel masks; as
    image-level labels every example with a non-empty region shows the part.
    """
    images = np.asarray(images, dtype=np.float64)
    labels = np.asarray(labels).reshape(-1)
    m, h, w = images.shape
    sil = silhouette(images)
    whole = [(name, "object", np.isin(labels, classes)) for name, classes in FASHION_GROUPS]
    whole += _texture_and_brightness(images, sil)
    parts = [("silhouette", sil)] + list(regions(sil).items())
    decls, masks = [], []
    for name, category, shows in whole[:5]:
        decls.append({"name": name, "category": category})
        masks.append(np.broadcast_to(shows[:, None, None], (m, h, w)))
    for name, mask in parts:
        decls.append({"name": name, "category": "part"})
        masks.append(mask)
    for name, category, shows in whole[5:]:
        decls.append({"name": name, "category": category})
        masks.append(np.broadcast_to(shows[:, None, None], (m, h, w)))
    masks = np.ascontiguousarray(np.stack(masks, axis=1), dtype=np.uint8)
    label_lists = [np.flatnonzero(masks[j].reshape(len(decls), -1).any(axis=1)).tolist() for j in range(m)]
    return decls, label_lists, masks


def digits_concepts(images):
    """sklearn digits probe concepts, image-level only (an MLP has no spatial maps): (declarations, label lists).

    The same texture and brightness deciles as Fashion-MNIST, measured on the 8 × 8 digits (the "silhouette" is the ink).
    """
    images = np.asarray(images, dtype=np.float64)
    sil = silhouette(images, threshold=0.25)
    concepts = _texture_and_brightness(images, sil)
    decls = [{"name": name, "category": category} for name, category, _ in concepts]
    label_lists = [[c for c, (_, _, shows) in enumerate(concepts) if shows[j]] for j in range(len(images))]
    return decls, label_lists
