"""The one sandbox learner code runs in: bubblewrap (`bwrap`).

Each worker of `make grade` has two: one for the kernels it forks, one for
its sealed judge; both are cleaned between submissions (grader/inside.py),
so no learner's process or file is there when the next one's code runs.

`Sandbox(scratch, ...).wrap(argv)` is the command line that runs `argv`:

- in new user, PID, network, IPC, UTS and cgroup namespaces (`--unshare-all`):
  uid/gid 65534 and no capabilities inside, no network unless `network=True`,
  and every process it starts is killed when the sandbox's first process ends
  or its parent (the grader) dies (`--die-with-parent`);
- with only what Python needs, read-only: /usr, /etc (without the password
  hashes), the Python installation and the course's environment, and the
  folders it is given in `readable`. Not there: the course folder (source/,
  the checks' source files, submitted/, the gradebook, releases), the
  grader's home, other users' homes, /srv;
- writable: `scratch` (its working folder and $HOME) and a private /tmp;
- with an address-space cap (`prlimit --as`): an allocation past it raises
  MemoryError.

bwrap only starts what it was told to start once every namespace and mount is
in place, and refuses otherwise, so a missing privilege stops grading before
learner code runs (`check()`): grading fails closed. `--unsafe` replaces the
sandbox with `Unsafe`, which runs learner code as the grader itself, and every
record then says so.
"""
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


def python_roots():
    """Folders the grading Python needs: its installation and the environment (venv) it runs in."""
    return sorted({Path(p).resolve() for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)})


class Sandbox:
    """bwrap command lines for the learner code of one submission."""

    def __init__(self, scratch, readable=(), network=False, mem_bytes=4 * 2**30, env=None):
        self.scratch, self.readable = Path(scratch), [Path(p) for p in readable]
        self.network, self.mem_bytes, self.env = network, mem_bytes, dict(env or {})

    def wrap(self, argv, binds=()):
        """The command running argv in the sandbox; `binds`: (outside, inside) read-only extras."""
        args = ["prlimit", f"--as={int(self.mem_bytes)}", "--core=0", "--",
                shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent",
                "--new-session", "--uid", str(NOBODY), "--gid", str(NOBODY),
                "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        if self.network:
            args.append("--share-net")
        for secret in ("/etc/shadow", "/etc/gshadow", "/etc/sudoers"):
            if os.path.exists(secret):
                args += ["--ro-bind", "/dev/null", secret]
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):  # merged-/usr links, or folders
            if os.path.islink(top):
                args += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                args += ["--ro-bind", top, top]
        for path in [*python_roots(), *self.readable]:
            args += ["--ro-bind", str(path), str(path)]
        for outside, inside in binds:
            args += ["--ro-bind", str(outside), str(inside)]
        # A clean environment: the grader's (tokens, paths) is none of learner code's business.
        args += ["--bind", str(self.scratch), str(self.scratch), "--chdir", str(self.scratch),
                 "--clearenv", "--setenv", "PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin",
                 "--setenv", "LANG", "C.UTF-8",
                 "--setenv", "HOME", str(self.scratch), "--setenv", "TMPDIR", "/tmp",
                 "--setenv", "MPLCONFIGDIR", str(self.scratch / ".matplotlib")]
        for key, value in self.env.items():
            args += ["--setenv", key, str(value)]
        return [*args, "--", *argv]

    def process_env(self, env=None):
        """The environment to start the wrapped command with (bwrap clears it inside)."""
        return dict(os.environ if env is None else env)


class Service:
    """A long-lived `python -m <module> FD` in a sandbox, spoken to in JSON over a socket pair.

    The grader's one way to talk to its processes (the judge, the kernel zygote):
    multiprocessing.connection framing, JSON both ways (never pickle: the other
    end shares a sandbox with learner code), a timeout on every answer.
    """

    def __init__(self, box, module, binds=(), log=os.devnull):
        ours, theirs = socket.socketpair()
        with open(log, "a") as out:
            self.proc = subprocess.Popen(box.wrap([sys.executable, "-m", module, str(theirs.fileno())], binds),
                                         pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=out, env=box.process_env())
        theirs.close()
        self.module, self.conn, self.lock = module, Connection(ours.detach()), threading.Lock()

    def send(self, doc):
        self.conn.send_bytes(json.dumps(doc).encode())

    def receive(self, timeout):
        if not self.conn.poll(max(0.0, timeout)):
            raise TimeoutError(f"{self.module} did not answer within {timeout:.0f} s")
        return json.loads(self.conn.recv_bytes(64 * 2**20))

    def ask(self, timeout=120, **doc):
        """Send one request and return its answer (one caller at a time)."""
        with self.lock:
            self.send(doc)
            return self.receive(timeout)

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        if self.alive():
            self.proc.kill()  # bwrap: the process and all it left in the sandbox go with it
            self.proc.wait()


class Unsafe(Sandbox):
    """--unsafe: learner code runs as the grader, with its files and network. Every record says so."""

    def wrap(self, argv, binds=()):
        return list(argv)

    def process_env(self, env=None):
        env = {**(os.environ if env is None else env), **{k: str(v) for k, v in self.env.items()}}
        env.pop("GRADER_SANDBOXED", None)  # the judge must not sweep this machine's processes
        return env


def check(network=False):
    """Raise SandboxError (why, and how to fix it) unless a sandbox starts and contains learner code."""
    for tool in ("bwrap", "prlimit"):
        if shutil.which(tool) is None:
            raise SandboxError(f"`{tool}` is not installed, so learner code cannot be sandboxed. {FIX}")
    hidden = str(course_dir())
    probe = ("import os, socket\n"
             f"assert os.getuid() == {NOBODY}, 'uid %d' % os.getuid()\n"
             f"assert not os.path.exists({hidden!r}), 'the course folder is visible'\n"
             f"try:\n    open({str(Path(sys.prefix) / 'sandbox-probe')!r}, 'w')\n"
             "except OSError:\n    pass\nelse:\n    raise SystemExit('the environment is writable')\n")
    if not network:
        probe += ("try:\n    socket.create_connection(('1.1.1.1', 53), timeout=1)\n"
                  "except OSError:\n    pass\nelse:\n    raise SystemExit('the network is on')\n")
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as scratch:
        box = Sandbox(scratch, network=network)
        try:
            done = subprocess.run(box.wrap([sys.executable, "-I", "-c", probe]), capture_output=True,
                                  text=True, timeout=60, env=box.process_env())
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SandboxError(f"the sandbox could not start ({exc}). {FIX}") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise SandboxError(f"the sandbox could not start or does not contain: {why}. {FIX}")
