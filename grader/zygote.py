"""A warm parent for a worker's grading kernels, in the worker's kernel sandbox: `python -m grader.zygote FD`.

A kernel that starts from nothing spends ~3 s of CPU on Python, ipykernel,
torch and torch._dynamo (which the first optimizer step imports): as much as
plain nbgrader spends on a whole submission (benchmarks/RESULTS.md). This
process imports them once, before any learner code exists, and forks one
kernel per submission. Learner code never runs here, and this process cannot
be traced by the kernels (not dumpable). Before each submission the grader
asks it to clean the sandbox (grader.inside): the last kernel and everything
it started are killed and the writable folders emptied, so each submission
starts as in a fresh sandbox.

Requests and answers are JSON over the connection FD (multiprocessing.connection):
{"op": "fork", "argv": [...], "env": {...}, "cwd": ...} -> {"pid": n};
{"op": "poll", "pid": n} -> {"returncode": n or null};
{"op": "signal", "pid": n, "signum": n} -> {}; {"op": "clean", "folders": [...]} -> {}.
"""
import json
import os
import signal
import sys
from multiprocessing.connection import Connection

import pyprctl

from grader.inside import clean, reap


def warm_up():
    """Import and run once what every grading kernel needs."""
    import ipykernel.kernelapp  # noqa: F401
    import torch
    torch.set_num_threads(1)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)  # imports torch._dynamo
    model(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    optimizer.zero_grad()


def run_kernel(argv, env, cwd):
    """In the forked child: become the kernel `argv` (python -m ipykernel_launcher -f FILE ...)."""
    os.setsid()  # its own group: an interrupt or a kill reaches it and what it starts
    os.chdir(cwd)
    os.environ.update(env)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    from ipykernel.kernelapp import IPKernelApp
    sys.argv = ["ipykernel_launcher", *argv[3:]]  # argv[:3] is `python -m ipykernel_launcher`
    status = 0
    try:
        IPKernelApp.launch_instance()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 0
    finally:
        os._exit(status)


def serve(fd):
    pyprctl.set_dumpable(False)
    warm_up()
    conn = Connection(fd)
    returncodes = {}
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except EOFError:
            return
        op, answer = request["op"], {}
        if op == "fork":
            pid = os.fork()
            if pid == 0:
                conn.close()
                run_kernel(request["argv"], request["env"], request["cwd"])
            answer = {"pid": pid}
        elif op == "poll":
            pid = request["pid"]
            if pid not in returncodes:
                try:
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        returncodes[pid] = os.waitstatus_to_exitcode(status)
                except ChildProcessError:  # reaped by clean()
                    returncodes[pid] = -signal.SIGKILL
            answer = {"returncode": returncodes.get(pid)}
        elif op == "signal":
            try:
                os.killpg(request["pid"], request["signum"])
            except OSError:
                pass
        elif op == "clean":
            clean(request.get("folders", ()))
            reap()
        conn.send_bytes(json.dumps(answer).encode())


if __name__ == "__main__":
    serve(int(sys.argv[1]))
