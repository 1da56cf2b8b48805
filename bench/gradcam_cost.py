#!/usr/bin/python3
"""Client cost of Grad-CAM per checkpoint on the Fashion-MNIST CNN: 16 examples (true + predicted class maps of conv2),
against the checkpoint's probe pass (500 examples, the anchor) and one training step (batch 64). Prints one JSON line.

    /usr/bin/python3 bench/gradcam_cost.py [--smoke] [--examples 16] [--reps 30]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
from common import seed_everything  # noqa: E402
from fashion_cnn import DATA_DIR, build_model, load  # noqa: E402
from layerwatch.gradcam import GradCam, subset  # noqa: E402
from layerwatch.watch import Watch  # noqa: E402


def median_ms(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--examples", type=int, default=16)
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    reps = 3 if args.smoke else args.reps
    torch.set_num_threads(args.threads)
    seed_everything(0)
    x_train, y_train, probe, _, _ = load(DATA_DIR, 640, 500, 10)
    x_probe, y_probe = probe.inputs, probe.labels
    model = build_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x_train[:64]), y_train[:64]).backward()
        opt.step()

    for _ in range(5):
        train_step()
    watch = Watch(model, ["conv1", "conv2", "fc"], x_probe, spatial={"conv2"})
    cam = GradCam(model, "conv2", x_probe, subset(args.examples, len(x_probe), y_probe.numpy()), y_probe.numpy())
    out = {
        "examples": args.examples,
        "threads": args.threads,
        "gradcam_ms": median_ms(cam.compute, reps),
        "probe_pass_ms": median_ms(watch.collect, reps),
        "train_step_ms": median_ms(train_step, reps),
    }
    out["gradcam_over_probe_pass"] = out["gradcam_ms"] / out["probe_pass_ms"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
