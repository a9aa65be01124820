"""What the grader's long-lived processes do inside a sandbox between two pieces of learner code.

The sealed judge (after each call) and the kernel zygote (before each
submission) serve several submissions from one bubblewrap sandbox. `clean()`
makes the next one start as in a fresh sandbox: every other process in the
sandbox's PID namespace is killed (a detached one, a fork bomb), the writable
folders are emptied and System V IPC objects are removed. Only inside a
sandbox (GRADER_SANDBOXED=1): outside, the PID namespace is the machine's.
"""
import os
import shutil
import signal
import subprocess
import time

SANDBOXED = os.environ.get("GRADER_SANDBOXED") == "1"  # set by grader.sandbox for these processes


def clean(folders=(), ipc=True):
    """Kill every process but this one and bwrap's init (pid 1); empty /tmp, /dev/shm and `folders`.

    `ipc=False` leaves System V IPC objects (removing them costs a process start).
    """
    if not SANDBOXED:
        return
    me = os.getpid()
    for _ in range(1000):  # a fork bomb respawns until its last process is gone
        strays = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
        if not strays:
            break
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        reap()
        time.sleep(0.001)  # killed grandchildren are reaped by init: their /proc entries go then
    for folder in {"/tmp", "/dev/shm", *map(str, folders)}:
        for entry in os.scandir(folder) if os.path.isdir(folder) else ():
            try:
                shutil.rmtree(entry.path) if entry.is_dir(follow_symlinks=False) else os.unlink(entry.path)
            except OSError:
                pass
    # Shared memory, semaphores and queues outlive their processes in the IPC namespace.
    if ipc:
        subprocess.run(["ipcrm", "--all"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)


def reap():
    """Collect this process's exited children, so none stays a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
