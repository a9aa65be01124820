"""A warm parent for a worker's kernels, in its kernel sandbox: `python -m grader.zygote FD`.

A kernel started from nothing spends ~3 s of CPU importing ipykernel, torch and torch._dynamo, as much as
plain nbgrader on a whole submission (benchmarks/RESULTS.md): this process imports them once, before any
learner code exists, and forks each kernel. Learner code never runs here; the kernels cannot trace it (not
dumpable). Requests (a sandbox.Service): fork, poll, signal, clean (kill what the last kernel left)."""
import json
import os
import signal
import sys
from contextlib import suppress
from multiprocessing.connection import Connection

import pyprctl

from grader.inside import clean, reap


def serve(fd):
    pyprctl.set_dumpable(False)
    import ipykernel.kernelapp
    import torch
    torch.set_num_threads(1)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.ones(1, 2)).sum().backward()
    optimizer.step()  # imports torch._dynamo (zero_grad imports nothing more: checked)
    conn = Connection(fd)
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except EOFError:
            return
        op, answer = request["op"], {}
        if op == "fork":
            answer["pid"] = os.fork()
            if answer["pid"] == 0:  # the child: the kernel, in its own group (a signal reaches all it starts)
                conn.close()
                os.setsid()
                # request["argv"][:3]: python -m ipykernel_launcher
                sys.argv, status = ["ipykernel_launcher", *request["argv"][3:]], 0
                try:
                    ipykernel.kernelapp.IPKernelApp.launch_instance()
                except SystemExit as exc:
                    status = exc.code if isinstance(exc.code, int) else 0
                finally:
                    os._exit(status)
        elif op == "poll":
            try:
                done, status = os.waitpid(request["pid"], os.WNOHANG)
                answer["returncode"] = os.waitstatus_to_exitcode(status) if done else None
            except ChildProcessError:  # reaped by clean()
                answer["returncode"] = -signal.SIGKILL
        elif op == "signal":
            with suppress(OSError):
                os.killpg(request["pid"], request["signum"])
        elif op == "clean":
            clean(request["folders"])
            reap()
        conn.send_bytes(json.dumps(answer).encode())


if __name__ == "__main__":
    serve(int(sys.argv[1]))
