"""Sweep trainer vs K sequential runs of the plain loop, side by side in one run.

Workloads are the course's sweep sizes: the weight-decay sweep of lesson 02
on the 200-feature regression task, and a decay sweep of a small MLP on the
2-D moons task. Each is timed both ways (best of --repeats), the results
are compared model by model, and the last line is the overall speed-up:
    ratio: X.X   (total sequential seconds / total sweep seconds)
It reports; it asserts nothing about time.
"""
import argparse
import time

import numpy as np
import torch
from torch import nn

from helpers.data import noisy_moons, overfit_regression
from helpers.device import pick_device
from helpers.sweep import train_sweep
from helpers.training import train

WORKLOADS = {
    "regression: Linear(200, 1), 13 decays, 200 epochs, SGD": dict(
        data=lambda dev: overfit_regression(device=dev),
        make_model=lambda: nn.Linear(200, 1),
        weight_decay=np.logspace(-3, 2, 12).tolist() + [0.0],
        kwargs=dict(task="regression", num_epochs=200, lr=0.01, optimizer="sgd")),
    "moons: MLP 2-64-64-1, 8 decays, 300 epochs, SGD+momentum": dict(
        data=lambda dev: noisy_moons(device=dev),
        make_model=lambda: nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64),
                                         nn.ReLU(), nn.Linear(64, 1)),
        weight_decay=[0.0] + np.logspace(-4, -1, 7).tolist(),
        kwargs=dict(task="binary", num_epochs=300, lr=0.02, optimizer="sgd", momentum=0.9)),
}


def sequential(w, data):
    runs = []
    for wd in w["weight_decay"]:
        torch.manual_seed(0)
        model = w["make_model"]()
        runs.append(train(model, data, weight_decay=wd, **w["kwargs"]).val_loss)
    return np.array(runs)


def batched(w, data):
    result = train_sweep(w["make_model"], data, weight_decay=w["weight_decay"], seed=0,
                         progress=False, **w["kwargs"])
    return result.history["val_loss"]


def best_time(fn, repeats, sync):
    times, out = [], None
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        out = fn()
        sync()
        times.append(time.perf_counter() - start)
    return min(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: fastest)")
    args = parser.parse_args()
    device, _ = pick_device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    print(f"device: {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"best of {args.repeats}")
    total_seq = total_sweep = 0.0
    for name, w in WORKLOADS.items():
        data = w["data"](device)
        t_seq, seq = best_time(lambda: sequential(w, data), args.repeats, sync)
        t_sweep, swept = best_time(lambda: batched(w, data), args.repeats, sync)
        total_seq += t_seq
        total_sweep += t_sweep
        diff = np.abs(seq - swept).max()
        print(f"{name}\n  sequential {t_seq:6.2f} s   sweep {t_sweep:6.2f} s   "
              f"speed-up {t_seq / t_sweep:5.1f}x   max |val-loss diff| {diff:.1e} "
              f"({'match' if diff <= 1e-5 else 'MISMATCH'} at 1e-5)")
    print(f"total: sequential {total_seq:.2f} s, sweep {total_sweep:.2f} s")
    print(f"ratio: {total_seq / total_sweep:.1f}")


if __name__ == "__main__":
    main()
