"""Set up a lesson: seed everything, pick the device, set the plot style.

Lesson 00 (`00_start_here.ipynb`) shows the setup cell every lesson starts with.
"""
import os
import random

import numpy as np
import torch


def seed_everything(seed):
    """Seed Python's, NumPy's and torch's generators (CPU and every GPU) with `seed`."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators


def _choose(cuda, mps):
    """Return the device name and why, given which accelerators are usable."""
    if cuda:
        return "cuda", "an NVIDIA GPU (CUDA) is available"
    if mps:
        return "mps", "an Apple-silicon GPU (MPS) is available"
    return "cpu", "no CUDA or Apple MPS GPU found; every lesson still runs in seconds"


def pick_device(prefer=None):
    """Return the fastest usable device: CUDA, then Apple MPS, then the CPU.

    Args:
        prefer: a device name ("cpu", "cuda", "mps") that overrides the choice;
            the environment variable COURSE_DEVICE does the same for a whole
            session (e.g. COURSE_DEVICE=cpu to compare timings).
    Returns:
        (torch.device, reason): the device and a sentence saying why.
    """
    prefer = prefer or os.environ.get("COURSE_DEVICE")
    if prefer:
        return torch.device(prefer), f"asked for {prefer!r}"
    mps = getattr(torch.backends, "mps", None)
    name, reason = _choose(torch.cuda.is_available(), bool(mps and mps.is_available()))
    return torch.device(name), reason


def cpu_threads(device):
    """Return the intra-op thread count for `device`: 1 on the CPU, unless COURSE_THREADS says.

    The course's models are tiny. Handing each small operation to a pool of
    threads gains nothing on an idle machine (measured: the same lesson
    times with 1 and 2 threads) and loses badly on a busy one, where a
    thread waits for a core (a sweep took 3.6 s with 2 threads and 0.4 s
    with 1 while other programs ran on this course's 2-core test machine).
    """
    if device.type != "cpu":
        return torch.get_num_threads()
    return int(os.environ.get("COURSE_THREADS", 1))


def setup(seed=0, device=None, quiet=False):
    """Seed everything, pick the device, set the course plot style; return the device.

    The one call at the top of every lesson. It prints one line saying which
    device it picked and why, so a learner knows where training runs. On the
    CPU it also sets torch to one thread (see cpu_threads).

    Args:
        seed: seeds Python, NumPy and torch, so every number a lesson shows
            is the same on every run (on the same kind of device).
        device: force a device ("cpu", "cuda", "mps"); default: the fastest.
        quiet: do not print the one-line summary.
    Returns:
        torch.device
    """
    from helpers.plots import use_course_style  # matplotlib loads only when needed

    seed_everything(seed)
    dev, reason = pick_device(device)
    torch.set_num_threads(cpu_threads(dev))
    use_course_style()
    if not quiet:
        threads = f" | CPU threads: {torch.get_num_threads()}" if dev.type == "cpu" else ""
        print(f"torch {torch.__version__} | device: {dev} ({reason}) | seed: {seed}{threads}")
    return dev
