"""Do the pip locks, pyproject and environment.yml pin one and the same set?"""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# scripts/ is not a package: load the script from its file, without touching sys.path.
_spec = importlib.util.spec_from_file_location("make_environment_yml", ROOT / "scripts" / "make_environment_yml.py")
make_environment_yml = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_environment_yml)


def pins(lines):
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, version = line.split("==")
            found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def test_environment_yml_is_generated_from_the_locks():
    assert (ROOT / "environment.yml").read_text() == make_environment_yml.render(), \
        "environment.yml drifted from requirements*.txt: run `make lock`"


def test_environment_yml_pins_exactly_the_pip_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    lock = pins(make_environment_yml.pinned_lines("requirements-dev.txt"))
    assert pins(pip_section) == lock


def test_every_direct_pin_is_in_the_lock_with_the_same_version():
    lock = pins((ROOT / "requirements.txt").read_text().splitlines())
    dev_lock = pins((ROOT / "requirements-dev.txt").read_text().splitlines())
    for path, locked in (("requirements.in", lock), ("requirements-dev.in", dev_lock)):
        for name, version in pins((ROOT / path).read_text().splitlines()).items():
            assert locked.get(name) == version, f"{path}: {name}=={version} not in its lock"


def test_every_line_of_the_locks_is_an_exact_pin():
    for path in ("requirements.txt", "requirements-dev.txt", "requirements.in",
                 "requirements-dev.in"):
        for line in (ROOT / path).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r ")):
                assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][A-Za-z0-9.]*", line), \
                    f"{path}: {line!r} is not pinned exactly"


def test_torch_is_pinned_to_the_cpu_wheel_version_everywhere():
    for path in ("requirements.in", "requirements.txt", "environment.yml"):
        assert "torch==2.13.0" in (ROOT / path).read_text(), path


def test_installed_packages_match_the_lock():
    lock = pins((ROOT / "requirements-dev.txt").read_text().splitlines())
    lock.update(pins((ROOT / "requirements.txt").read_text().splitlines()))
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    installed = pins(re.sub(r"\+[A-Za-z0-9.]+$", "", f) for f in frozen if "==" in f)
    mismatched = {n: (v, installed.get(n)) for n, v in lock.items() if installed.get(n) != v}
    assert not mismatched, f"locked vs installed: {mismatched}"
