"""Hostile: leaves a process running, writes into the environment and the grader's home, calls home.

It starts a detached process (its own session), writes a .pth file into the
Python environment (it would run in every later `make grade`, `make lab` and
`make test`) and a file into the grader's home, and opens a connection to a
port on the machine's loopback. The answers are right, so the honest score is
10/10. After grading, no trace may remain: no process, no file, no connection.
"""
# sandbox-only: outside the sandbox all of it would succeed
# expect-status: needs review
# expect-reason: subprocess
# %% l2_penalty
import os
import pathlib
import socket
import subprocess
import sys
import sysconfig

MARK = "hostile-escapes-sleeper"
subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(600)  # {MARK}"],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _target in [pathlib.Path(sysconfig.get_paths()["purelib"]) / "hostile_escapes.pth",
                pathlib.Path("/root/hostile_escapes.txt"),
                pathlib.Path(os.path.expanduser("~root")) / "hostile_escapes.txt"]:
    try:
        _target.write_text("import os; os.system('echo owned')\n")
    except OSError as _error:
        print("could not write", _target, _error)
try:
    socket.create_connection(("127.0.0.1", int(os.environ.get("HOSTILE_PORT", "47321"))), timeout=2).close()
except OSError as _error:
    print("no connection:", _error)


def l2_penalty(params, lam):
    return lam * sum((p ** 2).sum() for p in params)
