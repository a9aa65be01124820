"""Does the weight-decay slider of lesson 02 redraw in JupyterLab, in a real (headless) browser?"""

import pytest

from labtools import (chromium_page, isolated_progress, lab_command,  # noqa: F401
                      open_notebook, require_chromium, running_lab, write_notebook)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KERNEL_TIMEOUT = 90_000  # ms: a cold kernel imports torch on a busy 2-core machine

SWEEP_CELL = """
import os
from torch import nn
from helpers import setup
from helpers.data import noisy_moons
from helpers.explore import sweep_slider
from helpers.sweep import train_sweep

device = setup(seed=0, quiet=True)
moons = noisy_moons(num_train=40, num_val=40, seed=0)
make = lambda: nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
result = train_sweep(make, moons, task="binary", num_epochs=20, lr=0.1,
                     weight_decay=[0.0, 0.1, 1.0], progress=False)
sweep_slider(result, moons, resolution=40)
"""


def test_moving_the_slider_redraws_the_plots(tmp_path):
    """Does pressing the arrow key on the slider show another model's figure, quickly?"""
    require_chromium()
    from playwright.sync_api import expect

    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "slider.ipynb", [SWEEP_CELL, 'print("slider-ready", os.getpid())'])
    with running_lab(root) as lab, chromium_page(tmp_path / "profile") as page:
        open_notebook(page, lab, "slider.ipynb", timeout=KERNEL_TIMEOUT)
        lab_command(page, "notebook:run-all-cells")
        page.locator(".jp-OutputArea-output", has_text="slider-ready").wait_for(
            timeout=KERNEL_TIMEOUT)

        readout = page.locator(".widget-readout").first
        expect(readout).to_have_text("0")
        image = page.locator(".widget-output img").first
        image.wait_for(timeout=30_000)
        before = image.get_attribute("src")

        page.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        expect(readout).to_have_text("0.1", timeout=15_000)
        # The figure is redrawn (tests/test_explore.py checks that a slide trains nothing; no timing here).
        page.wait_for_function(
            "(old) => { const img = document.querySelector('.widget-output img');"
            " return img && img.getAttribute('src') !== old; }", arg=before, timeout=15_000)
