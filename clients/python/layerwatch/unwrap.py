"""Wrapped models: layers are found by their names in the model inside DistributedDataParallel, DataParallel and
torch.compile wrappers, and a wrong name is an error that lists the closest names."""
import difflib

# Wrappers whose `module` is the model (torch's, and apex's DistributedDataParallel by the same name).
_WRAPPER_NAMES = {"DistributedDataParallel", "DataParallel"}
_PREFIXES = ("module.", "_orig_mod.")


class UnknownLayerError(ValueError, AttributeError):
    """No module of that name in the (unwrapped) model; an AttributeError too, as model.get_submodule() raises."""


def unwrap(model):
    """The model inside any nesting of DistributedDataParallel, DataParallel and torch.compile (its `_orig_mod`)."""
    from torch import nn  # imported when a model is given, never by `import layerwatch`

    seen = set()
    while id(model) not in seen:
        seen.add(id(model))
        inner = None
        if isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)) or type(model).__name__ in _WRAPPER_NAMES:
            inner = getattr(model, "module", None)
        elif isinstance(getattr(model, "_orig_mod", None), nn.Module):
            inner = model._orig_mod  # torch.compile's OptimizedModule
        if not isinstance(inner, nn.Module):
            return model
        model = inner
    return model


def _strip_wrappers(name, known):
    """`module.h1` (a name as the wrapper lists it) → `h1`, when the unwrapped model has no module of the longer name."""
    while name not in known and name.startswith(_PREFIXES):
        name = name.split(".", 1)[1]
    return name


def resolve_layer(model, layer):
    """(name, module) of `layer`, a module name or module of the unwrapped `model`; raises UnknownLayerError or ValueError."""
    from torch import nn

    inner = unwrap(model)
    named = dict(inner.named_modules())
    if isinstance(layer, str):
        name = _strip_wrappers(layer, named)
        if name not in named:
            raise UnknownLayerError(unknown_layer_message(layer, named))
        return name, named[name]
    if isinstance(layer, nn.Module):
        for name, module in named.items():
            if module is layer:
                return name, module
        raise ValueError("a module passed to watch() is not part of the model")
    raise TypeError("layers must be module names or modules, got %r" % (layer,))


def unknown_layer_message(layer, named):
    """'no layer "h4" in the model; closest names: h3, h1' (or every name, when the model has few)."""
    names = [n for n in named if n]
    close = difflib.get_close_matches(layer, names, n=5, cutoff=0.5)
    if close:
        hint = "closest names: %s" % ", ".join(close)
    elif len(names) <= 12:
        hint = "its modules are: %s" % ", ".join(names)
    else:
        hint = "see model.named_modules() for the %d names" % len(names)
    return 'no layer "%s" in the model; %s' % (layer, hint)
