"""Does `make lab` serve the notebooks, as root and as a normal user?"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "course-test-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(prefix, env, target="lab", visit=None):
    """Run `make <target>` (with `prefix` before it), wait for the API, return (listing, output).

    `visit(base_url)` runs while the server is up (e.g. a browser check).
    """
    port = free_port()
    cmd = prefix + ["make", "--no-print-directory", target, f"PORT={port}",
                    f"LAB_ARGS=--no-browser --ServerApp.token={TOKEN} --ServerApp.ip=127.0.0.1"]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    listing = None
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                url = f"http://127.0.0.1:{port}/api/contents?token={TOKEN}"
                with urllib.request.urlopen(url, timeout=2) as reply:
                    listing = json.load(reply)
                if visit:
                    visit(f"http://127.0.0.1:{port}")
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.5)
        # Jupyter prints the URL banner just after it starts serving: poll the log for it (no fixed wait)
        while listing is not None and b"/lab?token=" not in log_bytes(log) and time.time() < deadline + 10:
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.seek(0)
        output = log.read().decode(errors="replace")
    assert listing is not None, f"JupyterLab did not answer:\n{output[-3000:]}"
    return listing, output


def log_bytes(log):
    log.seek(0)
    return log.read()


def check(listing, output):
    names = {item["name"] for item in listing["content"]}
    assert "00_start_here.ipynb" in names, names  # served from notebooks/
    assert "/lab?token=" in output  # the URL a learner opens is printed
    assert "Start with 00_start_here.ipynb" in output


@pytest.mark.slow
def test_make_lab_serves_the_notebooks_as_the_current_user(tmp_path):
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    listing, output = serve([], env)
    check(listing, output)
    if os.geteuid() == 0:
        assert "--allow-root" in output  # Jupyter refuses root without it


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def nobody_can_run_the_venv():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    # Run a script through its shebang, as `make lab` does.
    probe = subprocess.run(NOBODY + ["bash", "-c", f"'{ROOT}/.venv/bin/jupyter' --version"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not nobody_can_run_the_venv(),
                    reason="needs root, setpriv, and a .venv whose Python an unprivileged "
                           "user may run (here Python may live under /root)")
def test_make_lab_serves_the_notebooks_as_a_normal_user():
    home = tempfile.mkdtemp(prefix="course-user-")
    os.chmod(home, 0o777)
    try:
        env = {"PATH": os.environ["PATH"], "HOME": home, "LANG": "C.UTF-8"}
        listing, output = serve(NOBODY, env)
        check(listing, output)
        assert "--allow-root" not in output  # passed only when running as root
    finally:
        shutil.rmtree(home, ignore_errors=True)


def nbgrader_ui(base_url):
    """Open JupyterLab in headless Chromium and list the nbgrader UI it shows."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            tempfile.mkdtemp(prefix="chromium-"), executable_path=shutil.which("chromium"),
            headless=True, args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                 "--disable-background-networking",
                                 "--disable-component-update", "--disable-sync"])
        try:
            page = context.new_page()
            page.goto(f"{base_url}/lab?token={TOKEN}")
            page.wait_for_selector("#jp-main-dock-panel", timeout=60000)
            page.wait_for_timeout(1500)  # plugins add menus after the shell appears
            menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
            tabs = page.locator(".lm-TabBar-tab").evaluate_all(
                "els => els.map(e => e.getAttribute('title') || e.textContent)")
        finally:
            context.close()
    return {"menus": menus, "tabs": " ".join(t or "" for t in tabs),
            "formgrader": serves(f"{base_url}/formgrader?token={TOKEN}")}


def serves(url):
    """True if the server answers `url`, False on 404 (an extension that is off)."""
    try:
        with urllib.request.urlopen(url):
            return True
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return False
        raise


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium is not installed (CI installs it)")
@pytest.mark.parametrize("target, instructor", [("lab", False), ("instructor", True)])
def test_only_instructors_see_the_nbgrader_panels(tmp_path, target, instructor):
    seen = {}
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    serve([], env, target=target, visit=lambda url: seen.update(nbgrader_ui(url)))
    assert "menus" in seen, seen
    assert ("Nbgrader" in seen["menus"]) is instructor, seen["menus"]
    assert ("Create Assignment" in seen["tabs"]) is instructor, seen["tabs"]
    assert seen["formgrader"] is instructor
