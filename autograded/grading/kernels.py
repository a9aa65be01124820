"""Grading kernels forked from a warm zygote (grading.zygote), plugged into nbgrader.

nbgrader's Execute preprocessor starts kernels through jupyter_client; here its
kernel manager gets a provisioner that asks the zygote for a fork instead of
starting a new Python. The kernel is a real ipykernel, talking to nbclient over
Unix sockets (the ipc transport): that keeps working when the kernel has no
network at all.

Use: `configure(mem_bytes=..., network=False, log=...)` once per process, then
autograde with `ForkExecute` in place of nbgrader's `Execute`.
"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbgrader.preprocessors import Execute

COURSE = Path(__file__).resolve().parents[1]
_settings = {"mem_bytes": 4 * 2**30, "network": False, "log": os.devnull}
_zygote = None
_lock = threading.Lock()
started = []  # pids of the kernels this process has forked, oldest first (for a watchdog)


def configure(mem_bytes=None, network=None, log=None):
    """Set the limits of the kernels this process starts (before the first one)."""
    for key, value in (("mem_bytes", mem_bytes), ("network", network), ("log", log)):
        if value is not None:
            _settings[key] = value


class Zygote:
    """A `python -m grading.zygote` child and its line protocol."""

    def __init__(self, mem_bytes, network, log):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(COURSE), *filter(None, [os.environ.get("PYTHONPATH")])]))
        cmd = [sys.executable, "-m", "grading.zygote", "--mem-bytes", str(mem_bytes), "--log", log]
        if network:
            cmd.append("--network")
        # Not waited for here: it warms up (imports torch) while its owner does other work.
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     text=True, bufsize=1)
        self.ready = False
        self.problems = None  # containment problems, from the first kernel

    def ask(self, request):
        with _lock:
            if not self.ready:
                if not self.proc.stdout.readline():
                    raise RuntimeError("the kernel zygote did not start (see its error above)")
                self.ready = True
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the kernel zygote exited")
        return json.loads(line)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.terminate()
            self.proc.wait(timeout=10)


def zygote():
    """This process's zygote, started on first use."""
    global _zygote
    if _zygote is None or _zygote.proc.poll() is not None:
        _zygote = Zygote(**_settings)
        atexit.register(_zygote.close)
    return _zygote


class ForkedProcess:
    """What jupyter_client's provisioner expects of a Popen, for a kernel the zygote forked."""

    stdin = stdout = stderr = None

    def __init__(self, pid, owner):
        self.pid = pid
        self.owner = owner
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            self.returncode = self.owner.ask({"op": "status", "pid": self.pid})["returncode"]
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(9)

    def terminate(self):
        self.send_signal(15)


class ForkProvisioner(LocalProvisioner):
    """A LocalProvisioner whose kernels are forked by the zygote."""

    async def launch_kernel(self, cmd, **kwargs):
        owner = zygote()
        env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        cwd = str(kwargs.get("cwd") or os.getcwd())
        reply = owner.ask({"op": "fork", "argv": list(cmd), "env": env, "cwd": cwd})
        if "pid" not in reply:
            raise RuntimeError(f"the kernel zygote could not fork a kernel: {reply}")
        if owner.problems is None:
            owner.problems = reply["problems"]
        self.process = ForkedProcess(reply["pid"], owner)
        started.append(reply["pid"])
        self.pid = self.pgid = reply["pid"]  # the child called setsid()
        self.cwd = cwd
        return self.connection_info


_ipc_dir = None


def _ipc_prefix(kernel_id):
    """A short absolute path for a kernel's Unix sockets (their paths must stay under ~100 bytes)."""
    global _ipc_dir
    if _ipc_dir is None:
        _ipc_dir = tempfile.mkdtemp(prefix="grading-ipc-")
        atexit.register(shutil.rmtree, _ipc_dir, True)
    return os.path.join(_ipc_dir, kernel_id[:8])


class ForkKernelManager(AsyncKernelManager):
    """An AsyncKernelManager on the ipc transport, with the fork provisioner."""

    async def _async_pre_start_kernel(self, **kw):
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
        self.transport = "ipc"
        self.ip = _ipc_prefix(self.kernel_id)
        if self.provisioner is None:
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id,
                                               kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


class ForkExecute(Execute):
    """nbgrader's Execute preprocessor, running each notebook in a forked, contained kernel."""

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = ForkKernelManager
        super().__init__(*args, **kwargs)


def containment_problems():
    """Limits the kernels could not get (e.g. no network namespace), once a kernel has started."""
    return list(_zygote.problems or []) if _zygote is not None else []
