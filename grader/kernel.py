"""nbgrader's notebook run, in ipykernels the worker's zygote forks in its sandbox (grader.zygote).

They talk over Unix sockets in its scratch folder (no network needed). They never see the checks:
their `grader/checks/<assignment>.py` is `stand_in.py`, asking the `VerdictServer` for verdicts."""
import asyncio
import json
import threading
from contextlib import suppress
from multiprocessing.connection import Listener

from jupyter_client.provisioning import LocalProvisioner
from nbgrader.preprocessors import Execute

zygote = None  # this worker's (a sandbox.Service), set by grader.worker


class ZygoteProvisioner(LocalProvisioner):
    """A kernel the zygote forks; its PID is the sandbox's, so every signal goes through the zygote."""

    async def launch_kernel(self, cmd, **kw):
        self.zygote, self.returncode, self.cwd = zygote, None, str(zygote.box.scratch)
        self.process = self.pid = zygote.ask(op="fork", argv=list(cmd), cwd=self.cwd, env={
            "GRADER_VERDICTS": str(zygote.box.scratch / "verdicts.sock")})["pid"]
        return self.connection_info

    async def poll(self):
        if self.returncode is None:
            try:
                self.returncode = self.zygote.ask(op="poll", pid=self.pid)["returncode"]
            except (OSError, EOFError, TimeoutError):  # the zygote is gone, and its kernels with it
                self.returncode = -9
        return self.returncode

    async def wait(self):
        while await self.poll() is None:
            await asyncio.sleep(0.02)
        self.process = None
        return self.returncode

    async def send_signal(self, signum):
        if await self.poll() is None:
            with suppress(OSError, EOFError, TimeoutError):
                self.zygote.ask(op="signal", pid=self.pid, signum=int(signum))


class SandboxedExecute(Execute):  # nbgrader's Execute; the zygote forks its kernel, interrupted by message
    def create_kernel_manager(self):
        km, scratch = super().create_kernel_manager(), zygote.box.scratch
        km.transport, km.ip = "ipc", str(scratch / "kernel")
        km.connection_file = str(scratch / "kernel.json")
        km.kernel_spec.interrupt_mode = "message"
        km.provisioner = ZygoteProvisioner(kernel_id="sandboxed", kernel_spec=km.kernel_spec, parent=km)
        return km


class VerdictServer:
    """Answers the kernel's stand-in checks: `check_<part>` -> the judge's message (None: passed)."""

    def __init__(self, path, timeout):
        self.listener, self.timeout = Listener(str(path), family="AF_UNIX"), timeout
        self.verdicts, self.changed = {}, threading.Condition()
        threading.Thread(target=self._serve, daemon=True).start()

    def put(self, check, verdict):
        with self.changed:
            self.verdicts[check] = verdict
            self.changed.notify_all()

    def _serve(self):
        with suppress(OSError):  # closed
            while True:
                threading.Thread(target=self._answer, args=(self.listener.accept(),), daemon=True).start()

    def _answer(self, conn):
        with conn, suppress(OSError, EOFError, UnicodeDecodeError):
            if conn.poll(self.timeout):
                check = conn.recv_bytes(200).decode()  # learner code may connect too: read little
                with self.changed:
                    self.changed.wait_for(lambda: check in self.verdicts or None in self.verdicts,
                                          self.timeout)  # None: no more verdicts come
                    verdict = self.verdicts.get(check)
                conn.send_bytes(json.dumps("the grader's sealed re-check has no verdict for this part"
                                           if verdict is None else verdict["message"]).encode())

    def close(self):
        self.put(None, None)  # no more verdicts come: questions about other checks get their answer now
        self.listener.close()
