"""The one sandbox learner code runs in, bubblewrap (`bwrap`), and the one way to talk into it.

`Sandbox(scratch, ...).wrap(argv)`: argv as uid 65534 without capabilities, in its own user, PID, network,
IPC, UTS and cgroup namespaces, killed with the grader; read-only /usr, /etc (no password hashes), the
Python environment and `readable`; writable `scratch` ($HOME) and a private /tmp; a memory cap (MemoryError
past it); a cleared environment. Not there: the course folder (checks, solutions, submissions, gradebook)
and any home. bwrap starts nothing unless all of it is in place: grading fails closed."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from grader.course import course_dir

NOBODY = 65534
FIX = ("Install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`) and run as root, or allow "
       "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 or "
       "kernel.apparmor_restrict_unprivileged_userns=0). To grade anyway, without a sandbox: "
       "GRADE_ARGS=--unsafe (every record then says so).")


class SandboxError(RuntimeError):
    """The sandbox cannot be made on this machine: grading must not start."""


class Sandbox:
    """`unsafe` (--unsafe): no sandbox, learner code runs as the grader; every record says so."""

    def __init__(self, scratch, readable=(), network=False, mem_bytes=4 * 2**30, unsafe=False):
        self.scratch, self.readable, self.unsafe = Path(scratch), [Path(p) for p in readable], unsafe
        self.network, self.mem_bytes = network, mem_bytes

    def wrap(self, argv, binds=()):
        """The command running argv in the sandbox; `binds`: (outside, inside) read-only extras."""
        if self.unsafe:
            return list(argv)
        args = ["prlimit", f"--as={int(self.mem_bytes)}", "--core=0", "--", shutil.which("bwrap") or "bwrap",
                "--unshare-all", "--die-with-parent", "--new-session", "--uid", str(NOBODY),
                "--gid", str(NOBODY), "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"] + ["--share-net"] * self.network
        for secret in ("/etc/shadow", "/etc/gshadow", "/etc/sudoers"):
            if os.path.exists(secret):
                args += ["--ro-bind", "/dev/null", secret]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):  # merged-/usr links, or folders
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        pythons = sorted({Path(p).resolve() for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)})
        for outside, inside in [*((p, p) for p in pythons + self.readable), *binds]:
            args += ["--ro-bind", str(outside), str(inside)]
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
               "HOME": self.scratch, "TMPDIR": "/tmp", "MPLCONFIGDIR": self.scratch / ".matplotlib",
               "OMP_NUM_THREADS": 1, "GRADER_SANDBOXED": 1}
        args += ["--bind", str(self.scratch), str(self.scratch), "--chdir", str(self.scratch), "--clearenv"]
        for key, value in env.items():
            args += ["--setenv", key, str(value)]
        return [*args, "--", *argv]


class Service:
    """A long-lived `python -m <module> FD` in a sandbox (the judge, the kernel zygote), asked in
    JSON (never pickle: it shares a sandbox with learner code), with a timeout on every answer."""

    def __init__(self, box, module, binds=(), log=os.devnull, hello=None):
        self.box, self.module, self.binds, self.log, self.hello = box, module, binds, log, hello
        self.proc, self.lock = None, threading.Lock()
        self.warm(wait=False)  # it warms up (imports torch) while the worker goes on

    def warm(self, wait=True):
        """Start it afresh unless it runs (learner code may kill it); wait until it answers `hello`."""
        if not self.alive():
            shutil.rmtree(self.box.scratch, ignore_errors=True)  # nothing a killed one left stays
            self.box.scratch.mkdir(parents=True)
            ours, theirs = socket.socketpair()
            argv = self.box.wrap([sys.executable, "-m", self.module, str(theirs.fileno())], self.binds)
            # bwrap sets the environment inside; unsafe, no GRADER_SANDBOXED: clean() leaves this machine be
            env = None if not self.box.unsafe else {
                name: value for name, value in os.environ.items() if name != "GRADER_SANDBOXED"}
            with open(self.log, "a") as out:
                self.proc = subprocess.Popen(argv, pass_fds=[theirs.fileno()], env=env,
                                             stdin=subprocess.DEVNULL, stdout=out, stderr=out)
            theirs.close()
            self.conn, self.ready = Connection(ours.detach()), self.hello is None
            if self.hello is not None:
                self.send(self.hello)
        if wait and not self.ready:
            self.ready = self.receive(120).get("ready", False)
        return self

    def send(self, doc):
        self.conn.send_bytes(json.dumps(doc).encode())

    def receive(self, timeout):
        if not self.conn.poll(max(0.0, timeout)):
            raise TimeoutError(f"{self.module} did not answer within {timeout:.0f} s")
        return json.loads(self.conn.recv_bytes(64 * 2**20))

    def ask(self, timeout=120, **doc):
        with self.lock:  # one request and its answer at a time
            self.send(doc)
            return self.receive(timeout)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def close(self):
        if self.alive():
            self.proc.kill()  # bwrap: the process and all it left in the sandbox go with it
            self.proc.wait()


def check(network=False):
    """Raise SandboxError (why, and how to fix it) unless a sandbox starts and contains learner code."""
    for tool in ("bwrap", "prlimit"):
        if shutil.which(tool) is None:
            raise SandboxError(f"`{tool}` is not installed, so learner code cannot be sandboxed. {FIX}")
    probe = (f"import os, socket\nassert os.getuid() == {NOBODY}, 'uid %d' % os.getuid()\n"
             f"assert not os.path.exists({str(course_dir())!r}), 'the course folder is visible'\n"
             f"if os.access({sys.prefix!r}, os.W_OK): raise SystemExit('the environment is writable')\n"
             "s = socket.socket()\ns.settimeout(1)\n")
    if not network:
        probe += "if s.connect_ex(('1.1.1.1', 53)) == 0: raise SystemExit('the network is on')\n"
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as scratch:
        try:
            done = subprocess.run(Sandbox(scratch, network=network).wrap([sys.executable, "-I", "-c", probe]),
                                  capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SandboxError(f"the sandbox could not start ({exc}). {FIX}") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise SandboxError(f"the sandbox could not start or does not contain: {why}. {FIX}")
