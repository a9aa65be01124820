"""Fork Jupyter kernels from one warm process: `python -m grading.zygote`.

A fresh kernel spends ~0.5 s starting ipykernel, ~0.9 s importing torch and
~0.8 s on the first optimizer step (torch imports torch._dynamo lazily there),
about 2.2 s of every submission's ~3 s. This process pays that once, then forks
one kernel per notebook: the child is a new process, with its own memory, that
has run no learner code. The zygote gives itself, once, the namespaces every
kernel inherits (no network, the course folder read-only: limits.isolate); each
child caps its memory before ipykernel starts, so learner code never runs
without the limits.

Protocol, one JSON object per line on stdin, one reply per line on stdout:
  {"op": "fork", "argv": [...], "env": {...}, "cwd": "..."} -> {"pid": N, "problems": [...]}
  {"op": "status", "pid": N} -> {"returncode": int or null (still running)}
The zygote reaps its children, so it is the one that knows their exit status.
"""
import argparse
import json
import os
import signal
import sys

# One torch thread per kernel (several kernels share the cores), and the zygote
# must stay single-threaded: fork copies only the calling thread.
os.environ["OMP_NUM_THREADS"] = "1"

import torch  # noqa: E402
from ipykernel.kernelapp import IPKernelApp  # noqa: E402

from grading.limits import cap_memory, isolate  # noqa: E402

COURSE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_exited = {}  # pid -> return code (negative: killed by that signal), like Popen


def _reap(*_):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _exited[pid] = os.waitstatus_to_exitcode(status)


def warm_up():
    """Do once what every grading kernel would otherwise do first."""
    torch.set_num_threads(1)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.ones(2, 3)).sum().backward()
    optimizer.step()  # imports torch._dynamo (0.8 s) in the zygote, not in each kernel
    import IPython.core.interactiveshell  # noqa: F401  (the rest of the kernel's imports)


def kernel_args(argv):
    """The arguments after `-m ipykernel_launcher` in a kernel spec's command line."""
    if "ipykernel_launcher" not in argv:
        raise ValueError(f"not an ipykernel command line: {argv}")
    return argv[argv.index("ipykernel_launcher") + 1:]


def run_kernel(args, env, cwd, log_fd, mem_bytes, report_fd):
    """In the forked child: contain it, then become an ipykernel (never returns)."""
    try:
        os.setsid()  # its own process group: interrupts and kills reach it and its children only
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(null)
        os.close(log_fd)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        problems = [p for p in [cap_memory(mem_bytes)] if p]
        os.write(report_fd, json.dumps(problems).encode())
        os.close(report_fd)
        sys.argv = ["ipykernel_launcher", *args]
        app = IPKernelApp.instance()
        # Exit when the zygote does (ipykernel polls its parent); the kernel is in its
        # own session, so nothing else would stop an orphan.
        app.parent_handle = os.getppid()
        app.initialize(args)
        app.start()
    except BaseException as exc:  # noqa: BLE001  (the child must never return into the zygote's loop)
        print(f"kernel child failed: {exc!r}", file=sys.stderr, flush=True)
    finally:
        os._exit(0)


def serve(mem_bytes, network, log_path):
    warm_up()
    # Opened before the course folder (where the log lives) turns read-only.
    log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    isolated = isolate(network, read_only=[COURSE])
    signal.signal(signal.SIGCHLD, _reap)
    out = sys.stdout
    print(json.dumps({"ready": True, "pid": os.getpid()}), file=out, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "status":
            _reap()
            reply = {"returncode": _exited.get(request["pid"])}
        elif request["op"] == "fork":
            args = kernel_args(request["argv"])
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read_fd)
                run_kernel(args, request["env"], request["cwd"], log_fd, mem_bytes, write_fd)
            os.close(write_fd)
            with os.fdopen(read_fd, "rb") as report:
                data = report.read()
            reply = {"pid": pid, "problems": isolated + (json.loads(data) if data else
                     ["the kernel process failed before it was contained"])}
        else:
            reply = {"error": f"unknown op {request['op']!r}"}
        print(json.dumps(reply), file=out, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mem-bytes", type=int, default=0, help="address-space cap per kernel")
    parser.add_argument("--network", action="store_true", help="leave the network on")
    parser.add_argument("--log", default=os.devnull, help="file for the kernels' own stderr")
    args = parser.parse_args(argv)
    serve(args.mem_bytes, args.network, args.log)


if __name__ == "__main__":
    main()
