"""Does setup() seed everything, pick the right device and say which?"""
import random

import matplotlib as mpl
import numpy as np
import torch

from helpers import device as device_mod
from helpers import setup


def test_setup_makes_every_generator_repeat():
    setup(seed=123, quiet=True)
    first = (random.random(), np.random.rand(), torch.rand(3))
    setup(seed=123, quiet=True)
    second = (random.random(), np.random.rand(), torch.rand(3))
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2])


def test_setup_says_which_device_it_picked(capsys):
    dev = setup(seed=0)
    out = capsys.readouterr().out
    assert isinstance(dev, torch.device)
    assert f"device: {dev}" in out and "seed: 0" in out


def test_device_order_is_cuda_then_mps_then_cpu():
    assert device_mod._choose(cuda=True, mps=True)[0] == "cuda"
    assert device_mod._choose(cuda=False, mps=True)[0] == "mps"
    assert device_mod._choose(cuda=False, mps=False)[0] == "cpu"


def test_this_machine_gets_a_usable_device():
    dev, reason = device_mod.pick_device()
    torch.ones(2, device=dev).sum().item()  # the picked device really works
    assert reason


def test_course_device_variable_overrides_the_choice(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert device_mod.pick_device() == (torch.device("cpu"), "asked for 'cpu'")


def test_setup_sets_a_colour_blind_safe_style():
    setup(seed=0, quiet=True)
    colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    assert colors[0].lower() == "#0072b2"  # Okabe-Ito blue
    assert mpl.rcParams["image.cmap"] == "cividis"


def test_setup_uses_one_cpu_thread_unless_told_otherwise(monkeypatch):
    before = torch.get_num_threads()
    try:
        setup(seed=0, device="cpu", quiet=True)
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("COURSE_THREADS", "2")
        setup(seed=0, device="cpu", quiet=True)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
