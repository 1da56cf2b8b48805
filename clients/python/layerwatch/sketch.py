"""Sketches: a layer reduced on its own device (torch) to its top-K centred directions in datapoint space, their
singular values and its exact total variance, so a checkpoint of wide layers travels as K × m instead of units × m.

The directions are exact, not approximate: a Chebyshev-filtered block subspace iteration (float32 to get close, then
float64) stops only when every direction's Rayleigh-Ritz residual is at float64 rounding level, as the server's own
route does (docs/analysis.md, "Top directions"); if it does not get there, a full SVD decides. svcca-k from a sketch
then equals svcca-k from the raw activations (checked to 1e-6 in the tests).
"""
import numpy as np

DEFAULT_SKETCH = 64
MAX_SKETCH = 128  # the singular values travel in the frame's JSON header (4 KB)
DEAD_RATIO = 1e-10  # neurons whose variance is below this × the largest are dropped (DESIGN.md)
RANK_RATIO = 1e-12  # directions whose σ² is at or below this × the largest are numerically zero
RESIDUAL_TOL = 1e-11  # ‖S v − θ v‖ ≤ tol × θ₁ for every direction sent
CLOSE_TOL = 1e-4  # where the float32 phase hands over to float64


class Sketch:
    """basis: d × m float32 numpy (orthonormal rows, descending σ); singular: d floats; total: Σ of every σ².

    d is 0 only for a layer that is constant over the probe set; `constant` then holds its units × m values, sent raw
    (a sketch frame holds at least one direction).
    """

    __slots__ = ("basis", "singular", "total", "applications", "constant")

    def __init__(self, basis, singular, total, applications=0, constant=None):
        self.basis, self.singular, self.total, self.applications, self.constant = basis, singular, total, applications, constant


def sketched(decl, k):
    """Whether a declared layer is sent as sketches of k directions: k is set, the layer is not spatial maps, and it is
    wider than k (a narrower layer's raw frame is no bigger than its sketch, and keeps every metric)."""
    return k is not None and "spatial" not in decl and decl["units"] > k


class SketchPlan:
    """Which layers travel as sketches, and when a sketched layer goes raw anyway.

    k: K directions for layers wider than K (None: no sketches). raw_layers: names always sent raw (their PWCCA and
    concept statistics stay). raw_every: N sends every Nth checkpoint raw whole (the 1st, the N+1th, …), so PWCCA and
    concept statistics exist at those checkpoints and the sketches' CKA can be checked against exact CKA there.
    """

    __slots__ = ("k", "raw_every", "raw_layers")

    def __init__(self, k=None, raw_every=None, raw_layers=None):
        self.k = sketch_size(k)
        if raw_every is not None and (isinstance(raw_every, bool) or not isinstance(raw_every, int) or raw_every < 1):
            raise ValueError("raw_every must be a positive int (every Nth checkpoint is sent raw) or None, got %r" % (raw_every,))
        if isinstance(raw_layers, str) or (raw_layers is not None and not all(isinstance(n, str) for n in raw_layers)):
            raise ValueError("raw_layers must be a list of layer names, got %r" % (raw_layers,))
        self.raw_every = raw_every
        self.raw_layers = frozenset(raw_layers or ())

    def replace(self, k=None, raw_every=None, raw_layers=None):
        """This plan with the options given (not None) changed; k=False turns sketches off."""
        return SketchPlan(self.k if k is None else k, self.raw_every if raw_every is None else raw_every,
                          self.raw_layers if raw_layers is None else raw_layers)

    def declares(self, decl):
        """Whether the layer is declared as sketches (its frames are sketches unless a checkpoint sends it raw)."""
        return sketched(decl, self.k) and decl["name"] not in self.raw_layers

    def raw_at(self, index):
        """Whether the index-th checkpoint of the run (0 for the first) goes raw whole."""
        return self.raw_every is not None and index % self.raw_every == 0


def sketch_size(value):
    """K from the user's `sketch=` option: None/False/0 (off), True (64) or an int 1-128; raises ValueError otherwise."""
    if value is None or value is False or value == 0:
        return None
    if value is True:
        return DEFAULT_SKETCH
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SKETCH:
        raise ValueError("sketch must be True, or an int from 1 to %d (the number of directions kept), got %r" % (MAX_SKETCH, value))
    return value


def sketch_layer(acts, k, seed=0):
    """The sketch of one layer's activations `acts` (examples × units, a torch tensor on any device, or numpy).

    Computed on acts' device in float64 (float32 for the first iterations); only the K × m basis comes back to the host.
    """
    import torch  # only here: send_activations without sketches needs no torch
    x = torch.as_tensor(acts).detach()
    if x.dim() != 2 or x.shape[0] < 2:
        raise ValueError("a sketch needs examples × units activations with at least 2 examples, got shape %s" % (tuple(x.shape),))
    x = x.to(torch.float64, copy=True)  # our own copy: centred in place below
    mean = x.mean(dim=0, keepdim=True)
    x.sub_(mean)
    x.sub_(x.mean(dim=0, keepdim=True))  # second pass: rounding in the first mean
    sumsq = torch.linalg.vector_norm(x, dim=0).square()
    if not torch.isfinite(sumsq).all():
        raise ValueError("activations have NaN or Inf values")
    top = float(sumsq.max()) if sumsq.numel() else 0.0
    live = sumsq >= DEAD_RATIO * top
    if top > 0 and not bool(live.all()):
        x, sumsq = x[:, live], sumsq[live]
    total = float(sumsq.sum())
    m, n = x.shape
    want = min(k, n, m)
    if n == 0 or want == 0 or not total > 0:
        return _constant(mean, m, total)
    block = min(m, want + max(8, want))
    if min(n, m) <= 3 * block:
        values, vectors, apps = _exact(x, want)
    else:
        values, vectors, apps = _iterate(x, want, block, seed)
    d = 0
    while d < want and values[d] > RANK_RATIO * values[0] and values[d] > 0:
        d += 1
    if d == 0:
        return _constant(mean, m, total)
    basis = vectors[:, :d].T.contiguous().float().cpu().numpy()
    singular = [float(v) ** 0.5 for v in values[:d].cpu().tolist()]
    return Sketch(basis, singular, total, apps)


def _constant(mean, m, total):
    """The empty sketch of a layer that is constant over the probe set, with its values (units × m) to send raw."""
    constant = mean.float().cpu().numpy().reshape(-1, 1).repeat(m, axis=1)
    return Sketch(np.zeros((0, m), dtype=np.float32), [], total, constant=constant)


def _exact(x, want):
    """Small layers: the full SVD (datapoint-side singular vectors are the basis)."""
    import torch
    u, s, _ = torch.linalg.svd(x, full_matrices=False)
    return (s * s)[:want], u[:, :want], 0


def _iterate(x, want, block, seed):
    """Chebyshev-filtered subspace iteration on S = X Xᵀ (datapoint space), float32 until close, then float64."""
    import torch
    m = x.shape[0]
    gen = torch.Generator(device=x.device).manual_seed(seed)
    q = torch.randn(m, block, generator=gen, device=x.device, dtype=torch.float64)
    apps = 0
    budget = max(60, min(x.shape) // (2 * block))  # applications per phase; past it, the SVD is about as cheap
    for dtype, tol in ((torch.float32, CLOSE_TOL), (torch.float64, RESIDUAL_TOL)):
        xd = x.to(dtype)
        q = torch.linalg.qr(q.to(dtype))[0]
        degree, used = 2, 0
        while True:
            y = xd @ (xd.T @ q)
            apps, used = apps + 1, used + 1
            theta, ritz, s_ritz = _rayleigh_ritz(q, y)
            res = torch.linalg.norm(s_ritz[:, :want] - ritz[:, :want] * theta[:want], dim=0)
            if float(res.max()) <= tol * float(theta[0]):
                break
            if used + degree > budget:
                if dtype == torch.float32:
                    break  # float64 takes over from here
                values, vectors, _ = _exact(x, want)
                return values, vectors, apps
            q = torch.linalg.qr(_chebyshev(xd, ritz, s_ritz, float(theta[-1]), float(theta[0]), degree))[0]
            apps, used = apps + degree - 1, used + degree - 1
            degree = min(8, degree + 2)
        q = ritz
    return theta[:want].to(torch.float64), ritz[:, :want].to(torch.float64), apps


def _rayleigh_ritz(q, y):
    """Ritz values (descending), vectors and their images for the orthonormal block q and y = S q."""
    import torch
    h = q.T @ y
    h = (h + h.T) / 2
    theta, u = torch.linalg.eigh(h)
    theta, u = theta.flip(0), u.flip(1)
    return theta, q @ u, y @ u


def _chebyshev(x, v, sv, upper, top, degree):
    """Zhou & Saad's scaled Chebyshev filter damping [0, upper], started from v with its image sv already known."""
    e = c = upper / 2
    if not e > 0 or not top > upper:
        return sv
    sigma = e / (top - c)
    tau = 2 / sigma
    prev, cur = v, (sv - c * v) * (sigma / e)
    for _ in range(2, degree + 1):
        nxt = 1 / (tau - sigma)
        s = x @ (x.T @ cur)
        prev, cur = cur, (s - c * cur) * (2 * nxt / e) - prev * (sigma * nxt)
        sigma = nxt
    return cur
