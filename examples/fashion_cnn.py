#!/usr/bin/python3
"""A small CNN on Fashion-MNIST (Debian's dataset-fashion-mnist) streaming to Layerwatch.

    /usr/bin/python3 examples/fashion_cnn.py --url ws://127.0.0.1:3000/ingest --epochs 2 --seed 0 [--spatial]
    ... --freeze-advice   # freeze layers the server advises freezing, and report each freeze
"""
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from common import add_freeze_flags, advice_options, base_parser, layerwatch, log_spaced_steps, seed_everything

DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
SPLIT_SEED = 1234  # subsets and probe set are fixed across --seed values


def read_idx(path):
    """An IDX file (optionally gzipped) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(data_dir, stem):
    for name in (stem + "-idx%s-ubyte.gz", stem + "-idx%s-ubyte"):
        for d in (1, 3):
            path = os.path.join(data_dir, name % d)
            if os.path.exists(path):
                return path
    raise FileNotFoundError("no %s IDX file in %s (apt-get install dataset-fashion-mnist, or pass --data-dir)" % (stem, data_dir))


def load(data_dir, train_size, probe_size, test_size):
    """(x_train, y_train, probe, x_test, y_test): a training subset, a class-stratified probe set (a ProbeSet) from the
    test split, and a test subset disjoint from the probe set; all fixed by SPLIT_SEED."""
    xs = {s: read_idx(find(data_dir, s + "-images")) for s in ("train", "t10k")}
    ys = {s: read_idx(find(data_dir, s + "-labels")) for s in ("train", "t10k")}
    rng = np.random.default_rng(SPLIT_SEED)
    tr = rng.permutation(len(xs["train"]))[:train_size]

    def tensors(split, idx):
        x = torch.from_numpy((xs[split][idx].astype(np.float32) / 255.0 - 0.286) / 0.353).unsqueeze(1)
        return x, torch.from_numpy(ys[split][idx].astype(np.int64))

    t10k = TensorDataset(*tensors("t10k", np.arange(len(xs["t10k"]))))
    probe = layerwatch.probe_from(t10k, n=probe_size, seed=SPLIT_SEED)
    order = rng.permutation(len(t10k))
    test = order[~np.isin(order, probe.indices)][:test_size]
    return tensors("train", tr) + (probe,) + tensors("t10k", test)


def build_model():
    """conv 16 → pool → conv 32 → pool → fc 64 → 10; each watched layer is one block."""
    model = nn.Sequential()
    model.add_module("conv1", nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU()))
    model.add_module("pool1", nn.MaxPool2d(2))
    model.add_module("conv2", nn.Sequential(nn.Conv2d(16, 32, 3, padding=1), nn.ReLU()))
    model.add_module("pool2", nn.MaxPool2d(2))
    model.add_module("flat", nn.Flatten())
    model.add_module("fc", nn.Sequential(nn.Linear(32 * 7 * 7, 64), nn.ReLU()))
    model.add_module("out", nn.Linear(64, 10))
    return model


def accuracy(model, x, y, batch=1000):
    was = model.training
    model.eval()
    with torch.no_grad():
        correct = sum((model(x[i : i + batch]).argmax(1) == y[i : i + batch]).sum().item() for i in range(0, len(x), batch))
    model.train(was)
    return correct / len(x)


def train(args):
    torch.set_num_threads(args.threads)
    g = seed_everything(args.seed)
    x_train, y_train, probe, x_test, y_test = load(args.data_dir, args.train_size, args.probe_size, args.test_size)
    model = build_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    total = ((len(x_train) + args.batch_size - 1) // args.batch_size) * args.epochs
    freezer = layerwatch.freeze_on_advice(model) if args.freeze_advice else None
    run = layerwatch.init(
        url=args.url, token=args.token, name=args.name or "fashion-cnn-seed%d" % args.seed, project=args.project or "fashion-mnist",
        config={"model": "cnn-16-32-64", "optimizer": "adam", "lr": 1e-3, "batch": args.batch_size, "epochs": args.epochs,
                "seed": args.seed, "train_size": len(x_train), "spatial": bool(args.spatial), "freeze_advice": bool(args.freeze_advice)},
        on_advice=freezer, options=advice_options(args, total) if args.freeze_advice else None,
        enabled=not args.no_stream, wait=2.0, system_metrics=args.system_interval or False)
    run.watch(model, layers=["conv1", "conv2", "fc"], probe=probe, class_names=CLASSES,
              every=log_spaced_steps(total, args.checkpoints), spatial=["conv2"] if args.spatial else False,
              images=probe.inputs[:, 0].numpy() * 0.353 + 0.286)  # the 28 × 28 grey probe images, un-normalised to [0, 1]
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
            updates += n_params
            skipped += sum(p.numel() for p in model.parameters() if not p.requires_grad)
            step = run.step()
            if step % 10 == 0:
                run.log({"loss": loss.item()}, step=step)
        run.log({"test_accuracy": accuracy(model, x_test, y_test), "epoch": epoch + 1}, step=step)
    test_acc = accuracy(model, x_test, y_test)
    run.finish()
    result = {"run_id": run.id, "test_accuracy": round(test_acc, 4), "steps": step}
    if args.freeze_advice:
        result["frozen"] = list(freezer.frozen)
        result["updates_skipped"] = round(skipped / updates, 4) if updates else 0.0
    return result


def main(argv=None):
    p = base_parser("Fashion-MNIST CNN streaming to Layerwatch", epochs=2)
    p.set_defaults(checkpoints=20)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--train-size", type=int, default=6000, help="training subset (speed)")
    p.add_argument("--probe-size", type=int, default=500, help="fixed probe set from the test split")
    p.add_argument("--test-size", type=int, default=2000, help="test subset, disjoint from the probe set")
    p.add_argument("--spatial", action="store_true", help="send conv2's spatial maps (for dissection)")
    p.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", DATA_DIR))
    add_freeze_flags(p)
    args = p.parse_args(argv)
    t0 = time.time()
    result = train(args)
    if args.json:
        print(json.dumps(result))
    else:
        print("run %s: test accuracy %.4f after %d steps (%.1f s)" % (result["run_id"], result["test_accuracy"], result["steps"], time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
