#!/usr/bin/python3
"""Digits MLP (64-128-128-128-10, ReLU, Adam 1e-3, batch 32) streaming to Layerwatch; sklearn's digits, offline.

    /usr/bin/python3 examples/digits_mlp.py --url ws://127.0.0.1:3000/ingest --epochs 30 --seed 0
    ... --freeze-advice   # freeze layers the server reports as converged (SVCCA "freeze training")
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from common import add_freeze_flags, advice_options, base_parser, layerwatch, log_spaced_steps, seed_everything
from concepts import digits_concepts

TRAIN = 1200
SPLIT_SEED = 1234  # the split, and so the probe set, is the same for every --seed: runs stay comparable


def load_digits_split():
    """(x_train, y_train, x_probe, y_probe): 1,200 training images and the other 597 as probe and test set."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    tr, pr = order[:TRAIN], order[TRAIN:]
    return torch.from_numpy(x[tr]), torch.from_numpy(d.target[tr]), torch.from_numpy(x[pr]), torch.from_numpy(d.target[pr])


def build_model():
    """Hidden layers are blocks (Linear + ReLU) so that a watched layer and the layer frozen are the same module."""
    model = nn.Sequential()
    model.add_module("h1", nn.Sequential(nn.Linear(64, 128), nn.ReLU()))
    model.add_module("h2", nn.Sequential(nn.Linear(128, 128), nn.ReLU()))
    model.add_module("h3", nn.Sequential(nn.Linear(128, 128), nn.ReLU()))
    model.add_module("out", nn.Linear(128, 10))
    return model


def train(args):
    """Trains and streams; returns the result dict printed with --json."""
    torch.set_num_threads(args.threads)
    g = seed_everything(args.seed)
    x_train, y_train, x_probe, y_probe = load_digits_split()
    model = build_model()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = (len(x_train) + args.batch_size - 1) // args.batch_size
    total = steps_per_epoch * args.epochs
    schedule = log_spaced_steps(total, args.checkpoints)
    freezer = layerwatch.freeze_on_advice(model) if args.freeze_advice else None
    run = layerwatch.init(
        url=args.url, token=args.token, name=args.name or "digits-mlp-seed%d" % args.seed, project=args.project or "digits",
        config={"model": "mlp-64-128-128-128-10", "optimizer": "adam", "lr": args.lr, "batch": args.batch_size,
                "epochs": args.epochs, "seed": args.seed, "freeze_advice": bool(args.freeze_advice)},
        on_advice=freezer, options=advice_options(args, total) if args.freeze_advice else None,
        enabled=not args.no_stream, wait=2.0, system_metrics=args.system_interval or False, sketch=args.sketch)
    digits = x_probe.numpy().reshape(-1, 8, 8)  # the 8 × 8 grey digits, as thumbnails of top-activating examples
    concepts, concept_labels = digits_concepts(digits)  # texture and brightness deciles (examples/concepts.py)
    # Every held-out example (probe_from keeps their order when it takes them all); its labels go with it.
    probe = layerwatch.probe_from(TensorDataset(x_probe, y_probe), n=len(x_probe), seed=SPLIT_SEED)
    run.watch(model, layers=["h1", "h2", "h3"], probe=probe, class_names=[str(c) for c in range(10)], every=schedule,
              images=digits, concepts=concepts, concept_labels=concept_labels)
    run.checkpoint(0)
    loss_fn = nn.CrossEntropyLoss()
    n_params = sum(p.numel() for p in model.parameters())
    updates = skipped = 0
    step = 0
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=g)
        for i in range(0, len(x_train), args.batch_size):
            idx = order[i : i + args.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
            updates, skipped = updates + n_params, skipped + frozen
            step = run.step()
            if step % 10 == 0:
                run.log({"loss": loss.item()}, step=step)
        acc = accuracy(model, x_probe, y_probe)
        run.log({"test_accuracy": acc, "epoch": epoch + 1}, step=step)
    test_acc = accuracy(model, x_probe, y_probe)
    run.finish()
    result = {"run_id": run.id, "test_accuracy": round(test_acc, 4), "steps": step}
    if args.freeze_advice:
        result["frozen"] = list(freezer.frozen)
        result["updates_skipped"] = round(skipped / updates, 4) if updates else 0.0
    return result


def accuracy(model, x, y):
    was = model.training
    model.eval()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    model.train(was)
    return acc


def parse_args(argv=None):
    p = base_parser("Digits MLP streaming to Layerwatch", epochs=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (an lr sweep: one run per value)")
    add_freeze_flags(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    t0 = time.time()
    result = train(args)
    if args.json:
        print(json.dumps(result))
    else:
        print("run %s: test accuracy %.4f after %d steps (%.1f s)%s" % (
            result["run_id"], result["test_accuracy"], result["steps"], time.time() - t0,
            "; frozen %s, %.1f%% of updates skipped" % (result["frozen"], 100 * result["updates_skipped"]) if args.freeze_advice else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
