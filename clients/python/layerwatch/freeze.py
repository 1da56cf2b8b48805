"""Acting on freeze advice: stop training a converged layer (requires_grad = False on its parameters) and tell the server."""
import logging

log = logging.getLogger("layerwatch")


def freeze(model, layer_name, run=None):
    """Freezes the module `layer_name` of `model` (names as in the model inside a DDP / DataParallel / torch.compile
    wrapper): its parameters stop receiving gradients and updates.

    Gradients already held are cleared (set to None) so that optimizers skip the parameters
    instead of applying momentum from earlier steps. With `run`, the freeze is reported to the server
    (run.report_frozen) at the run's current step, so the views say "frozen" rather than "advised".
    Returns the number of parameter values frozen.
    """
    from .unwrap import resolve_layer  # torch is imported only when a model is frozen

    layer_name, module = resolve_layer(model, layer_name)
    frozen = 0
    for p in module.parameters():
        if p.requires_grad:
            p.requires_grad_(False)
            p.grad = None
            frozen += p.numel()
    if run is not None:
        run.report_frozen(layer_name)
    return frozen


class FreezeOnAdvice:
    """An on_advice callback that freezes every layer the server advises to freeze; `frozen` lists them in order.

    Each freeze is reported to `run` (set by layerwatch.init when this callback is its on_advice).
    """

    def __init__(self, model, layers=None, run=None):
        self.model = model
        self.only = set(layers) if layers is not None else None
        self.run = run
        self.frozen = []

    def __call__(self, advice):
        name = advice.get("layer")
        if advice.get("action") != "freeze" or name in self.frozen or (self.only is not None and name not in self.only):
            return
        try:
            count = freeze(self.model, name, run=self.run)
        except AttributeError:
            log.info("layerwatch: advice for %r, which is not a module of the model (e.g. logits); ignored", name)
            return
        self.frozen.append(name)
        log.info("layerwatch: froze %s (%d parameters) at step %s on advice", name, count, self.run.current_step if self.run else advice.get("step"))


def freeze_on_advice(model, layers=None, run=None):
    """The one-line opt-in: `layerwatch.init(..., on_advice=layerwatch.freeze_on_advice(model))`."""
    return FreezeOnAdvice(model, layers, run)
