"""Grad-CAM (Selvaraju et al. 2017) for a fixed subset of the probe set, computed at each checkpoint.

For a class c and a conv layer with output A (N, K, H, W): α_k = mean over (h, w) of ∂y_c/∂A_k, and the map is
ReLU(Σ_k α_k A_k), at the layer's own H × W. y_c is the model's output for class c (the logit, before any softmax).
"""
import numpy as np
import torch

from .watch import _first_tensor

DEFAULT_EXAMPLES = 16


def subset(examples, m, labels=None):
    """The probe indices to explain: `examples` if it is a list, else that many, spread evenly over the probe set and,
    with labels, taken class by class in turn so that every class shows up."""
    if not isinstance(examples, (int, np.integer)):
        idx = [int(e) for e in examples]
        if not idx or len(set(idx)) != len(idx) or min(idx) < 0 or max(idx) >= m:
            raise ValueError("gradcam_examples must be distinct probe indices in 0..%d" % (m - 1))
        return idx
    n = min(int(examples), m)
    if n < 1:
        raise ValueError("gradcam_examples must be at least 1")
    if labels is None:
        return [int(i) for i in np.linspace(0, m - 1, n).round().astype(int)]
    labels = np.asarray(labels).reshape(-1)
    queues = [list(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    out = []
    while len(out) < n:
        for q in queues:
            if q and len(out) < n:
                out.append(int(q.pop(0)))
    return sorted(out)


class GradCam:
    """Grad-CAM maps of one conv layer for fixed probe examples: for each, its true class (when labels are known) and the
    predicted class."""

    def __init__(self, model, layer, probe, examples, labels=None):
        self.model = model
        if isinstance(layer, str):
            self.module, self.layer = model.get_submodule(layer), layer
        else:
            names = {id(m): n for n, m in model.named_modules()}
            if id(layer) not in names or not names[id(layer)]:
                raise ValueError("the Grad-CAM layer is not a submodule of the model")
            self.module, self.layer = layer, names[id(layer)]
        self.examples = list(examples)
        self.inputs = probe[self.examples]
        self.labels = None if labels is None else torch.as_tensor(np.asarray(labels).reshape(-1)[self.examples], dtype=torch.long)

    def compute(self):
        """(maps n × targets × h × w float32, classes n × targets int64): one forward and one gradient per target class,
        in eval mode (each module's mode restored), never touching a parameter's .grad."""
        model = self.model
        modes = [(m, m.training) for m in model.modules()]
        captured = []

        def hook(_module, _inputs, output):
            a = _first_tensor(output)
            if a.dim() != 4:
                raise ValueError("Grad-CAM needs a conv layer with (N, C, H, W) output; %r gives %s" % (self.layer, tuple(a.shape)))
            if not a.requires_grad:
                # Frozen layers below: let the gradient start here (nothing below this layer is needed).
                a = a.detach().requires_grad_(True)
                captured.append(a)
                return a if torch.is_tensor(output) else None
            captured.append(a)
            return None

        handle = self.module.register_forward_hook(hook)
        try:
            device = next((p.device for p in model.parameters()), torch.device("cpu"))
            model.eval()
            with torch.enable_grad():
                logits = _first_tensor(model(self.inputs.to(device)))
                if not captured:
                    raise RuntimeError("layer %r produced no output during the Grad-CAM pass" % self.layer)
                acts = captured[-1]
                predicted = logits.argmax(dim=1)
                targets = [predicted] if self.labels is None else [self.labels.to(device), predicted]
                maps = []
                for t, cls in enumerate(targets):
                    # Each example's score depends only on its own activations (eval mode), so one gradient of the sum
                    # gives every example's gradient.
                    score = logits.gather(1, cls[:, None]).sum()
                    (grad,) = torch.autograd.grad(score, acts, retain_graph=t < len(targets) - 1)
                    weights = grad.mean(dim=(2, 3), keepdim=True)
                    maps.append(torch.relu((weights * acts).sum(dim=1)).detach())
        finally:
            handle.remove()
            for m, mode in modes:
                m.training = mode
        out = torch.stack(maps, dim=1).float().cpu().numpy()
        classes = torch.stack(targets, dim=1).cpu().numpy().astype(np.int64)
        return np.ascontiguousarray(out, dtype=np.float32), classes
