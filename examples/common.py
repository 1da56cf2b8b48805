"""Shared by the examples: importing the client from the source tree, seeding, the checkpoint schedule, flags."""
import argparse
import os
import random
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "clients", "python"))  # the in-repo client wins over an installed one

import layerwatch  # noqa: E402,F401


def seed_everything(seed):
    """Seeds Python, numpy and torch; returns a torch.Generator for batch order."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def log_spaced_steps(total, count):
    """`count` distinct checkpoint steps from 0 to `total`: step 0, then log-spaced up to the last step."""
    if total <= 0 or count <= 1:
        return [total]
    count = min(count, total + 1)
    raw = np.geomspace(1, total, count - 1)
    steps = [0]
    for i, s in enumerate(raw):
        # Strictly increasing, and leave room for the steps still to come before `total`.
        left = count - 2 - i
        steps.append(int(min(max(round(s), steps[-1] + 1), total - left)))
    return steps


def add_freeze_flags(p):
    """--freeze-advice and the advice overrides, shared by the examples."""
    p.add_argument("--freeze-advice", action="store_true", help="freeze layers when the server advises it (and report each freeze)")
    p.add_argument("--advice-metric", choices=["svcca", "svcca-k", "pwcca", "cka"], default=None)
    p.add_argument("--advice-threshold", type=float, default=None)
    p.add_argument("--advice-window", type=int, default=None)


def advice_options(args, total_steps):
    """The hello's options for --freeze-advice: the planned length (the server then knows the horizon) and any overrides."""
    advice = {"enabled": True, "totalSteps": total_steps}
    if args.advice_metric:
        advice["metric"] = args.advice_metric
    if args.advice_threshold is not None:
        advice["threshold"] = args.advice_threshold
    if args.advice_window is not None:
        advice["window"] = args.advice_window
    return {"advice": advice}


def base_parser(description, epochs):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--url", default=os.environ.get("LAYERWATCH_URL", "ws://127.0.0.1:3000/ingest"), help="the server's /ingest URL")
    p.add_argument("--token", default=os.environ.get("LAYERWATCH_TOKEN"), help="the server's token, if it requires one")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoints", type=int, default=40, help="log-spaced checkpoints over training")
    p.add_argument("--name", default=None, help="run name (default: derived from the example and seed)")
    p.add_argument("--project", default=None)
    p.add_argument("--json", action="store_true", help='last line printed is {"run_id": ..., "test_accuracy": ...}')
    p.add_argument("--no-stream", action="store_true", help="train without the client (for overhead measurements)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest for these small models)")
    p.add_argument("--system-interval", type=float, default=10.0, help="seconds between system-metrics samples (0: none)")
    return p
