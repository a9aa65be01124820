"""Reusable test tools: an isolated progress file, JupyterLab on localhost, Chromium.

Import what a test module needs::

    from labtools import (chromium_page, isolated_progress,  # noqa: F401
                          lab_command, open_notebook, running_lab)

    with running_lab(root) as lab, chromium_page(tmp_path / "profile") as page:
        panel = open_notebook(page, lab, "quiz.ipynb")
        lab_command(page, "notebook:run-all-cells")

`isolated_progress` is an autouse fixture: importing it into a module points
COURSE_PROGRESS_FILE at a temporary file for every test there, so no test
ever writes to the real ~/.regularization-course.

`running_lab` starts `jupyter lab` from the course's virtual environment on a
free 127.0.0.1 port, with a token, in a temporary root, with its own
settings, runtime, data and workspace folders, and stops it (kernels
included) afterwards. `chromium_page` opens Debian's Chromium through
Playwright with a fresh profile; it never downloads a browser (no
`playwright install`). `open_notebook` waits until JupyterLab and the
notebook's kernel are up; `lab_command` runs a JupyterLab command by id.
"""
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

# The venv that runs the tests also runs JupyterLab and its kernels.
VENV_BIN = Path(sys.executable).parent

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

# Settings that keep JupyterLab quiet and predictable under test: no news or
# update pop-ups over the notebook, and every cell kept in the DOM (windowing
# off) so locators find cells that are scrolled out of view.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        {"windowingMode": "none"},
}


@pytest.fixture(autouse=True)
def isolated_progress(tmp_path, monkeypatch):
    """Point COURSE_PROGRESS_FILE at a fresh temporary file; return its path."""
    path = tmp_path / "progress" / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    return path


def chromium_path():
    """Return the Chromium executable on PATH, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium():
    """Skip the calling test, with the reason, when Chromium is not installed."""
    if chromium_path() is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); "
                    "browser tests need it and CI installs it")


def free_port():
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab: where it listens and where its files are."""
    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path

    def notebook_url(self, name):
        """Return the address that opens notebook `name` (relative to root)."""
        return f"{self.url}/lab/tree/{name}?token={self.token}"

    def log_tail(self, chars=3000):
        return self.log.read_text(errors="replace")[-chars:]


def _wait_until_up(lab, timeout):
    deadline = time.monotonic() + timeout
    status = f"{lab.url}/api/status?token={lab.token}"
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{lab.log_tail()}")
        try:
            with urllib.request.urlopen(status, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{lab.log_tail()}")


@contextlib.contextmanager
def running_lab(root, env=None, timeout=60):
    """Run JupyterLab on a free localhost port, serving `root`; yield a Lab.

    Args:
        root: the folder it serves (and its working directory).
        env: extra environment variables for the server and its kernels
            (e.g. COURSE_PROGRESS_FILE).
        timeout: seconds to wait for it to answer.
    """
    root = Path(root)
    home = root.parent / f"{root.name}-jupyter"
    settings = home / "settings"
    for rel, values in LAB_SETTINGS.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    cmd = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           # Lets a test run JupyterLab commands (run all, restart) by name.
           "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # Jupyter refuses root otherwise; only then
    full_env = {**os.environ,
                "JUPYTER_CONFIG_DIR": str(home / "config"),
                "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
                "JUPYTER_DATA_DIR": str(home / "data"),  # notebook-signing key, not ~
                "JUPYTERLAB_SETTINGS_DIR": str(settings),
                "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
                "IPYTHONDIR": str(home / "ipython"),
                "OMP_NUM_THREADS": "1",  # a shared 2-core machine
                "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                **(env or {})}
    log = home / "lab.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(cmd, cwd=root, env=full_env, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, process, log)
    try:
        _wait_until_up(lab, timeout)
        yield lab
    finally:
        _stop(process)


def _stop(process):
    """Stop the server we started (by its pid); on SIGTERM it shuts its kernels down.

    A kernel that outlives it anyway exits by itself: ipykernel watches its
    parent process.
    """
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def chromium_page(profile_dir, viewport=(1280, 1000)):
    """Open headless Chromium with a fresh profile in `profile_dir`; yield a Page."""
    from playwright.sync_api import sync_playwright

    profile_dir = Path(profile_dir)
    # Chromium's crash reporter keeps its database under $XDG_CONFIG_HOME, not
    # in the profile; point it into the test's folder, away from ~/.config.
    env = {**os.environ, "XDG_CONFIG_HOME": str(profile_dir / "xdg-config"),
           "XDG_CACHE_HOME": str(profile_dir / "xdg-cache")}
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile_dir), executable_path=chromium_path(), headless=True,
            args=CHROMIUM_ARGS, env=env,
            viewport={"width": viewport[0], "height": viewport[1]})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def write_notebook(path, cells):
    """Write a Python 3 notebook whose code cells are the given source strings."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, str(path))
    return path


def open_notebook(page, lab, name, timeout=90_000):
    """Open notebook `name` and wait until its kernel is connected.

    Safe to call while JupyterLab is still starting: `window.jupyterapp` is
    undefined until then, and an error in a wait_for_function predicate
    would end the wait at once instead of retrying.

    Returns:
        a Locator for this notebook's panel (other notebooks may be open in
        other tabs; look for cells and outputs inside this one).
    """
    page.goto(lab.notebook_url(name))
    page.wait_for_function(
        "(name) => { const app = window.jupyterapp;"
        " const w = app && app.shell && app.shell.currentWidget;"
        " return w && w.context && w.context.path === name && w.sessionContext.session"
        " && w.sessionContext.session.kernel; }", arg=name, timeout=timeout)
    return page.locator(f"[id='{page.evaluate('window.jupyterapp.shell.currentWidget.id')}']")


def lab_command(page, command):
    """Start a JupyterLab command by id (e.g. "notebook:run-all-cells"); do not wait.

    Not awaiting the command matters: "notebook:restart-run-all" resolves only
    after its confirmation dialog is accepted, which the caller does next.
    """
    page.evaluate("(id) => { window.jupyterapp.commands.execute(id)"
                  ".catch((e) => console.error(id, e)); }", command)


def accept_dialog(page, timeout=15_000):
    """Press the accept button of the dialog JupyterLab shows (e.g. Restart)."""
    button = page.locator(".jp-Dialog .jp-mod-accept")
    button.wait_for(timeout=timeout)
    button.click()


@pytest.fixture
def jupyter_lab(tmp_path):
    """Yield a Lab serving a fresh empty folder (see running_lab)."""
    root = tmp_path / "lab-root"
    root.mkdir()
    with running_lab(root) as lab:
        yield lab


@pytest.fixture
def browser_page(tmp_path):
    """Yield a headless Chromium Page with a fresh profile; skip without Chromium."""
    require_chromium()
    with chromium_page(tmp_path / "chromium-profile") as page:
        yield page
