"""Torch side: forward hooks on the watched modules, and one probe pass per checkpoint."""
import numpy as np
import torch
from torch import nn

from .sketch import SketchPlan, sketch_layer
from .unwrap import resolve_layer, unwrap

LOGITS = "logits"
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d,
         nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
         nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
_TOKENS = (nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerDecoderLayer, nn.Embedding,
           nn.LSTM, nn.GRU, nn.RNN, nn.Linear, nn.LayerNorm)


def _first_tensor(out):
    while isinstance(out, (tuple, list)) and out:
        out = out[0]
    if not torch.is_tensor(out):
        raise TypeError("a watched module returned %s, not a tensor" % type(out).__name__)
    return out


def reduce_output(out, module=None, spatial=False):
    """(examples × units float32 tensor on the output's device, kind, spatial hw or None) from one module output of a probe batch.

    2-d outputs are dense. Channel-first outputs (N, C, ...) of conv-like modules are averaged over space
    per channel (units = C) unless `spatial`, which keeps (N, C, H, W). 3-d outputs of sequence modules
    (N, T, F) are averaged over the T positions (units = F).
    """
    t = _first_tensor(out).detach()
    if t.dim() == 1:
        return t.float().reshape(-1, 1), "other", None
    if t.dim() == 2:
        return t.float().clone(), "dense", None  # a clone: an in-place activation after the module would change it
    if t.dim() == 3 and isinstance(module, _TOKENS) and not isinstance(module, _CONV):
        kind = "attention" if isinstance(module, (nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)) else "other"
        return t.float().mean(dim=1), kind, None
    if spatial and t.dim() == 4:
        return t.float(), "conv", (int(t.shape[2]), int(t.shape[3]))
    return t.float().flatten(2).mean(dim=2), "conv", None


class Watch:
    """The watched layers of one model, the probe inputs, and the hooks that capture them."""

    def __init__(self, model, layers, probe, spatial=False, logits=True, batch_size=256):
        if not isinstance(model, nn.Module):
            raise TypeError("watch() needs a torch.nn.Module")
        # The probe pass runs the model inside DDP / DataParallel / torch.compile: a DDP forward on rank 0 alone could
        # wait forever in a collective (buffer broadcast), and a compiled model would recompile for eval mode.
        self.model = unwrap(model)
        self.batch_size = int(batch_size)
        self.logits = bool(logits)
        self.names, self.modules = [], []
        for layer in layers:
            name, module = resolve_layer(self.model, layer)
            if not name:
                raise ValueError("watch the model's layers, not the model itself (its output is sent as %r)" % LOGITS)
            if name in self.names or (self.logits and name == LOGITS):
                raise ValueError("layer %r is watched twice" % name)
            self.names.append(name)
            self.modules.append(module)
        if not self.names and not self.logits:
            raise ValueError("nothing to watch")
        if spatial is True:
            self.spatial = set(self.names)
        else:
            self.spatial = {resolve_layer(self.model, n)[0] if isinstance(n, str) else n for n in (spatial or ())}
            unknown = self.spatial - set(self.names)
            if unknown:
                raise ValueError("spatial names layers that are not watched: %s" % sorted(unknown))
        self.probe = probe if torch.is_tensor(probe) else torch.as_tensor(np.asarray(probe))
        if self.probe.dim() < 1 or self.probe.shape[0] < 1:
            raise ValueError("the probe set needs at least one example (first dimension)")
        self.examples = int(self.probe.shape[0])
        self._capturing = False
        self._sketch_now = set()  # names sketched in the probe pass under way: their batches stay on the device
        self._captured = {}
        self._handles = [m.register_forward_hook(self._hook(n, m)) for n, m in zip(self.names, self.modules)]

    def _hook(self, name, module):
        spatial = name in self.spatial

        def hook(_module, _inputs, output):
            if self._capturing:  # training forwards pay only this test
                self._captured[name].append(self._keep(name, reduce_output(output, module, spatial)))

        return hook

    def _keep(self, name, reduced):
        """A probe batch's output stays on the model's device only when it may be sketched there."""
        t, kind, hw = reduced
        return reduced if name in self._sketch_now else (t.cpu(), kind, hw)

    def remove(self):
        """Removes the forward hooks."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def collect(self, plan=None, raw=False):
        """One probe pass in eval mode under no_grad (mode restored): ({name: units × m array}, layer decls).

        plan (a SketchPlan): the layers it declares as sketches say "sketch": K in their decl, and are reduced on the
        model's device to their K-direction sketch (layerwatch.sketch), which takes the array's place, unless `raw`
        (this checkpoint goes raw whole).
        """
        plan = plan or SketchPlan()
        model = self.model
        was_training = model.training
        modes = [(m, m.training) for m in model.modules()]
        self._captured = {n: [] for n in self.names}
        # Before the pass, a layer's width is not known: keep on the device what could be sketched, move the rest.
        self._sketch_now = set() if raw or plan.k is None else {n for n in self.names + [LOGITS] if n not in self.spatial and n not in plan.raw_layers}
        outputs = []
        try:
            device = next((p.device for p in model.parameters()), torch.device("cpu"))
            model.eval()
            self._capturing = True
            with torch.no_grad():
                for start in range(0, self.examples, self.batch_size):
                    batch = self.probe[start : start + self.batch_size].to(device)
                    out = model(batch)
                    if self.logits:
                        outputs.append(self._keep(LOGITS, reduce_output(out, None, False)))
        finally:
            self._capturing = False
            # Restore each module's own mode: a model may keep, e.g., frozen batch norms in eval.
            for m, mode in modes:
                m.training = mode
            model.training = was_training
        arrays, decls = {}, []
        parts = [(n, self._captured[n]) for n in self.names]
        if self.logits:
            parts.append((LOGITS, outputs))
        for name, chunks in parts:
            if not chunks:
                raise RuntimeError("layer %r produced no output during the probe pass (is it used in forward?)" % name)
            kind, hw = chunks[0][1], chunks[0][2]
            acts = torch.cat([c[0] for c in chunks], dim=0)
            if acts.shape[0] != self.examples:
                raise RuntimeError("layer %r returned %d rows for %d probe examples (called more than once per forward?)" % (name, acts.shape[0], self.examples))
            decl = {"name": name, "units": int(acts.shape[1]), "kind": LOGITS if name == LOGITS else kind}
            if hw is not None:
                decl["spatial"] = {"h": hw[0], "w": hw[1]}
            if plan.declares(decl):
                decl["sketch"] = plan.k
            if plan.declares(decl) and not raw:
                arrays[name] = sketch_layer(acts, plan.k)
            else:
                # Neurons × datapoints, as the protocol wants: (m, units) → (units, m); (m, C, H, W) → (C, m, H, W).
                arrays[name] = np.ascontiguousarray(np.swapaxes(acts.cpu().numpy(), 0, 1), dtype=np.float32)
            decls.append(decl)
        self._captured = {}
        return arrays, decls
