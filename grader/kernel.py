"""nbgrader's notebook run, in ipykernels the worker's zygote forks in its sandbox (grader.zygote).

They talk over Unix sockets in its scratch folder (no network needed). They never see the checks:
their `grader/checks/<assignment>.py` is `stand_in.py`, reading the sealed judge's verdicts."""
import asyncio
from contextlib import suppress

from jupyter_client.provisioning import LocalProvisioner
from nbgrader.preprocessors import Execute

zygote = None  # this worker's (a sandbox.Service), set by grader.worker


class ZygoteProvisioner(LocalProvisioner):
    """A kernel the zygote forks; its PID is the sandbox's, so every signal goes through the zygote."""

    async def launch_kernel(self, cmd, **kw):
        self.zygote, self.returncode = zygote, None  # the kernel starts in the sandbox's scratch folder
        self.process = self.pid = zygote.ask(op="fork", argv=list(cmd))["pid"]
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
