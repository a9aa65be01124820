"""Does the bubblewrap sandbox contain what learner code tries, and refuse to start when it cannot?

Each test runs a small Python program in `grader.sandbox.Sandbox`, as `make
grade` runs kernels and the sealed judge, and checks from outside what it could
and could not do. Fast: no torch, no kernel.
"""
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader import sandbox
from grader.course import REPOSITORY, course_dir
from grader.sandbox import Sandbox, SandboxError


def run_inside(tmp_path, code, **kwargs):
    """Run `code` with the sandbox's Python; return its completed process."""
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    box = Sandbox(scratch, readable=[REPOSITORY / "grader"], **kwargs)
    return subprocess.run(box.wrap([sys.executable, "-c", textwrap.dedent(code)]), capture_output=True,
                          text=True, timeout=60, env={**os.environ, "SECRET_TOKEN": "s3cret"})


def test_the_sandbox_starts_here_and_contains():
    """Does the probe that `make grade` runs first pass on this machine (CI installs bubblewrap)?"""
    sandbox.check()


def test_learner_code_sees_nobody_no_course_no_home_no_secrets(tmp_path):
    """Inside: uid 65534, no course folder, no grader's home, no password hashes, no inherited secrets?"""
    done = run_inside(tmp_path, f"""
        import os
        print(os.getuid(), os.getgid())
        print(os.path.exists({str(course_dir())!r}), os.path.exists({str(Path.home() / ".bash_history")!r}))
        print(os.environ.get("SECRET_TOKEN"))
        try:
            print(len(open("/etc/shadow").read()))
        except OSError as error:
            print("shadow", type(error).__name__)
    """)
    assert done.returncode == 0, done.stderr
    uid, visible, env, shadow = done.stdout.splitlines()
    assert uid == "65534 65534"
    assert visible == "False False"
    assert env == "None"
    assert shadow in ("0", "shadow PermissionError")  # an empty stand-in, or not readable


def test_learner_code_writes_only_its_scratch_folder(tmp_path):
    """Can it write its scratch folder and /tmp, but not the environment, the grader or /root?"""
    targets = [Path(sys.prefix) / "evil.pth", REPOSITORY / "grader" / "evil.py", Path("/root/evil.txt")]
    done = run_inside(tmp_path, f"""
        import os
        open("mine.txt", "w").write("ok")
        open("/tmp/t.txt", "w").write("ok")
        for target in {[str(t) for t in targets]!r}:
            try:
                open(target, "w").write("owned")
                print("wrote", target)
            except OSError:
                pass
    """)
    assert done.returncode == 0, done.stderr
    # The environment and the grader are read-only binds; /root inside is the sandbox's own
    # (empty, in memory): a write there may succeed and must not reach this machine's /root.
    assert f"wrote {targets[0]}" not in done.stdout and f"wrote {targets[1]}" not in done.stdout
    assert (tmp_path / "scratch" / "mine.txt").read_text() == "ok"
    assert not any(t.exists() for t in targets)
    assert not Path("/tmp/t.txt").exists() or Path("/tmp/t.txt").read_text() != "ok"


def test_no_network_unless_asked(tmp_path):
    """Is this machine's loopback unreachable from inside, and the network there only with network=True?"""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    port = server.getsockname()[1]
    code = f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            print("connected")
        except OSError as error:
            print("refused", type(error).__name__)
    """
    done = run_inside(tmp_path, code)
    assert done.stdout.startswith("refused"), done.stdout + done.stderr
    with pytest.raises(BlockingIOError):
        server.accept()
    assert run_inside(tmp_path, code, network=True).stdout.startswith("connected")
    server.close()


def test_every_process_it_starts_is_gone_when_it_ends(tmp_path):
    """Does a detached process (its own session) die with the sandbox's first process?"""
    mark = f"sandbox-test-sleeper-{os.getpid()}"
    done = run_inside(tmp_path, f"""
        import subprocess, sys
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)  # {mark}"],
                         start_new_session=True)
        print("started")
    """)
    assert done.stdout.strip() == "started", done.stderr
    alive = [p for p in Path("/proc").glob("[0-9]*/cmdline") if mark.encode() in _read(p)]
    assert alive == []


def _read(path):
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_a_memory_hog_gets_memory_error(tmp_path):
    """Does an allocation past the cap raise MemoryError inside, not take the machine's memory?"""
    done = run_inside(tmp_path, """
        try:
            block = bytearray(3 * 2**30)
            print("allocated")
        except MemoryError:
            print("MemoryError")
    """, mem_bytes=2 * 2**30)
    assert done.stdout.strip() == "MemoryError", done.stdout + done.stderr


def test_it_cannot_signal_the_grader(tmp_path):
    """Is the grader's process out of reach of kill(), the sandbox having its own PID namespace?"""
    done = run_inside(tmp_path, f"""
        import os, signal
        try:
            os.kill({os.getpid()}, 0)
            print("reachable")
        except ProcessLookupError:
            print("no such process")
        print(os.getppid())
    """)
    lines = done.stdout.splitlines()
    assert lines[0] == "no such process", done.stdout
    assert lines[1] == "1"  # its parent is the sandbox's init, not the grader


def test_no_bwrap_means_no_grading(monkeypatch):
    """Without bwrap on PATH, does the check refuse, saying how to fix it and what --unsafe does?"""
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    with pytest.raises(SandboxError, match=r"`bwrap` is not installed.*apt-get install bubblewrap.*--unsafe"):
        sandbox.check()
