"""Helpers for the course on regularization in PyTorch.

Each lesson teaches an idea in a few visible lines; the one reusable copy of
every function lives here, with a docstring that names the lesson that
explains it. Import what you need::

    from helpers import setup
    device = setup(seed=0)
"""
from helpers.device import pick_device, seed_everything, setup

__all__ = ["pick_device", "seed_everything", "setup"]
__version__ = "0.1.0"
