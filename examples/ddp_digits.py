#!/usr/bin/python3
"""The digits MLP trained with DistributedDataParallel (gloo on CPU, one process per rank) streaming to Layerwatch:
one run, checkpoints from rank 0 only, the loss of every rank combined per step by the server.

    /usr/bin/python3 examples/ddp_digits.py --world-size 2 --url ws://127.0.0.1:3000/ingest --epochs 10 --seed 0 --json
"""
import json
import os
import socket
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import TensorDataset

from common import base_parser, layerwatch, log_spaced_steps, seed_everything
from digits_mlp import accuracy, build_model, load_digits_split


def train(rank, args):
    """One rank's training; returns the result dict (rank 0's is printed with --json)."""
    world = args.world_size
    g = seed_everything(args.seed)  # the same seed on every rank: the same batch order, each rank takes its share
    x_train, y_train, x_probe, y_probe = load_digits_split()
    # Every held-out example, as in digits_mlp.py (probe_from keeps their order when it takes them all).
    probe = layerwatch.probe_from(TensorDataset(x_probe, y_probe), n=len(x_probe), seed=args.seed)
    model = DistributedDataParallel(build_model())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps_per_epoch = (len(x_train) + args.batch_size - 1) // args.batch_size
    total = steps_per_epoch * args.epochs
    # Every rank calls init (as every rank called init_process_group): rank 0 opens the run, the others attach to it.
    run = layerwatch.init(
        url=args.url, token=args.token, name=args.name or "ddp-digits-seed%d" % args.seed, project=args.project or "digits",
        config={"model": "mlp-64-128-128-128-10", "optimizer": "adam", "lr": 1e-3, "batch": args.batch_size, "epochs": args.epochs,
                "seed": args.seed, "parallel": "ddp"},
        enabled=not args.no_stream, wait=2.0, system_metrics=args.system_interval or False)
    # The DDP-wrapped model as it is: layers are named as in the model inside; on rank 0 only the probe set is run.
    run.watch(model, layers=["h1", "h2", "h3"], probe=probe, class_names=[str(c) for c in range(10)],
              every=log_spaced_steps(total, args.checkpoints), images=probe.inputs.reshape(-1, 8, 8))
    run.checkpoint(0)
    loss_fn = nn.CrossEntropyLoss()
    step = 0
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=g)
        for i in range(0, len(x_train), args.batch_size):
            idx = order[i : i + args.batch_size][rank::world]  # this rank's share of the global batch
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()  # DDP averages the gradients over the ranks
            opt.step()
            step = run.step()
            if step % 10 == 0:
                run.log({"loss": loss.item()}, step=step, reduce="mean")  # every rank's loss, averaged by the server
        if rank == 0:
            run.log({"test_accuracy": accuracy(model.module, x_probe, y_probe), "epoch": epoch + 1}, step=step)
    test_acc = accuracy(model.module, x_probe, y_probe)
    run.finish()
    return {"run_id": run.id, "test_accuracy": round(test_acc, 4), "steps": step, "world_size": world}


def worker(rank, args, port, out_path):
    """One process of the run: joins the gloo process group, trains, and (rank 0) writes the result."""
    torch.set_num_threads(args.threads)
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank, world_size=args.world_size)
    try:
        result = train(rank, args)
        dist.barrier()
    finally:
        dist.destroy_process_group()
    if rank == 0:
        with open(out_path, "w") as f:
            json.dump(result, f)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None):
    p = base_parser("Digits MLP with DistributedDataParallel (gloo, CPU) streaming to Layerwatch", epochs=30)
    p.add_argument("--world-size", type=int, default=2, help="processes (ranks), one CPU thread each")
    p.add_argument("--batch-size", type=int, default=32, help="the global batch; each rank takes its share")
    args = p.parse_args(argv)
    if args.world_size < 1 or args.batch_size < args.world_size:
        p.error("--world-size must be ≥ 1 and at most --batch-size")
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        mp.spawn(worker, args=(args, free_port(), out), nprocs=args.world_size, join=True)
        with open(out) as f:
            result = json.load(f)
    if args.json:
        print(json.dumps(result))
    else:
        print("run %s: %d ranks, test accuracy %.4f after %d steps (%.1f s)" % (
            result["run_id"], result["world_size"], result["test_accuracy"], result["steps"], time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
