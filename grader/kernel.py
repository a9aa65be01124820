"""nbgrader's notebook run, with the kernel in the worker's sandbox and the checks' verdicts from the judge.

`SandboxedExecute` is nbgrader's Execute preprocessor whose kernels are forked
by the worker's zygote (grader.zygote, a sandbox.Service), which runs in a bubblewrap sandbox
(grader.sandbox) and is cleaned before each submission: an ordinary
ipykernel, talking to nbclient over Unix sockets in the sandbox's scratch
folder (the ipc transport), which work with no network at all. Timeouts
interrupt the kernel with a message on its control channel; the zygote
signals and reaps it, the kernel's PID being the sandbox's own.

The kernel never sees the checks. In its sandbox `grader/checks/` holds
`stand_in.py` under each assignment's name; a hidden test cell's
`_grader.check_<part>(fn)` asks the `VerdictServer` over a Unix socket, which
answers with the sealed judge's verdict for that check (grader.judge), so the
graded notebook shows the same message the judge found.
"""
import json
import shutil
import signal
import subprocess
import threading
import time
from multiprocessing.connection import Listener
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbgrader.preprocessors import Execute

from grader.course import REPOSITORY

STAND_IN = Path(__file__).with_name("stand_in.py")
current = {}  # this worker's zygote, and the scratch folder and kernel env of the submission it grades now


def stand_in_folder(folder, assignment):
    """A `grader/checks` for the kernel: the stand-in module under the assignment's name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text("")
    shutil.copy(STAND_IN, folder / f"{assignment}.py")
    return [(folder, REPOSITORY / "grader" / "checks")]


class ForkedKernel:
    """What jupyter_client's provisioner expects of a Popen, for a kernel the zygote forked."""

    stdin = stdout = stderr = None

    def __init__(self, pid, zygote):
        self.pid, self.zygote, self.returncode = pid, zygote, None

    def poll(self):
        if self.returncode is None:
            try:
                self.returncode = self.zygote.ask(op="poll", pid=self.pid)["returncode"]
            except (OSError, EOFError, TimeoutError):  # the zygote is gone, and its kernels with it
                self.returncode = -9
        return self.returncode

    def wait(self, timeout=None):
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            self.zygote.ask(op="signal", pid=self.pid, signum=int(signum))

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class ZygoteProvisioner(LocalProvisioner):
    """Kernels forked by the worker's zygote, in its sandbox, working in its scratch folder."""

    async def launch_kernel(self, cmd, **kwargs):
        zygote = current["zygote"]
        reply = zygote.ask(op="fork", argv=list(cmd), env=current["env"], cwd=str(current["scratch"]))
        self.process = ForkedKernel(reply["pid"], zygote)
        self.pid, self.pgid = reply["pid"], None  # no killpg from here: the PID is the sandbox's
        self.cwd = str(current["scratch"])
        current.setdefault("processes", []).append(self.process)  # for the worker's watchdog
        return self.connection_info


class SandboxedKernelManager(AsyncKernelManager):
    """An AsyncKernelManager on the ipc transport, forked by the zygote, interrupted by message."""

    async def _async_pre_start_kernel(self, **kw):
        self.kernel_spec.interrupt_mode = "message"
        self.transport, self.ip = "ipc", str(current["scratch"] / "kernel")
        self.connection_file = str(current["scratch"] / "kernel.json")
        if self.provisioner is None:
            self.provisioner = ZygoteProvisioner(kernel_id=self.kernel_id or "sandboxed",
                                                 kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


class SandboxedExecute(Execute):
    """nbgrader's Execute preprocessor, running each notebook in the submission's sandbox."""

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = SandboxedKernelManager
        super().__init__(*args, **kwargs)


class VerdictServer:
    """Answers the kernel's stand-in checks: `check_<part>` -> the judge's message (None: passed)."""

    def __init__(self, path, timeout):
        self.listener = Listener(str(path), family="AF_UNIX")
        self.verdicts, self.finished, self.timeout = {}, False, timeout
        self.changed = threading.Condition()
        threading.Thread(target=self._serve, daemon=True).start()

    def put(self, check, verdict):
        with self.changed:
            self.verdicts[check] = verdict
            self.changed.notify_all()

    def finish(self):
        """No more verdicts come: questions about others get an answer now."""
        with self.changed:
            self.finished = True
            self.changed.notify_all()

    def _serve(self):
        while True:
            try:
                conn = self.listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            try:
                if not conn.poll(self.timeout):
                    return
                check = conn.recv_bytes(200).decode()  # learner code may connect too: read little
                with self.changed:
                    self.changed.wait_for(lambda: check in self.verdicts or self.finished, self.timeout)
                    verdict = self.verdicts.get(check)
                message = ("the grader's sealed re-check has no verdict for this part" if verdict is None
                           else verdict["message"])
                conn.send_bytes(json.dumps(message).encode())
            except (OSError, EOFError, UnicodeDecodeError):
                pass

    def close(self):
        self.finish()
        self.listener.close()
