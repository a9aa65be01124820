"""Contain a process that runs learner code: memory cap, no network, own session.

Called in a freshly forked child, before any learner code runs. Each function
returns None when it worked, else a sentence saying why it could not (a
machine without the needed privilege), so the run report can say so.
"""
import ctypes
import os
import resource

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def cap_memory(mem_bytes):
    """Cap the address space, so a memory hog gets MemoryError, not the machine's OOM killer."""
    if not mem_bytes:
        return None
    try:
        resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))
    except (ValueError, OSError) as exc:
        return f"memory cap not set: {exc}"
    return None


def cut_network():
    """Move this process into a new, empty network namespace (no interfaces but a down loopback).

    Kernels talk to nbgrader over Unix sockets (ipc transport), which a network
    namespace does not affect. Needs root, or unprivileged user namespaces.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) == 0:
        return None
    first = os.strerror(ctypes.get_errno())
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        # Map our own ids, so files keep their owner inside the namespace.
        try:
            with open("/proc/self/setgroups", "w") as f:
                f.write("deny")
            with open("/proc/self/uid_map", "w") as f:
                f.write(f"{uid} {uid} 1")
            with open("/proc/self/gid_map", "w") as f:
                f.write(f"{gid} {gid} 1")
        except OSError:
            pass
        return None
    return f"network left on: unshare failed ({first}; user namespaces: {os.strerror(ctypes.get_errno())})"


def contain(mem_bytes, network=False):
    """Apply every limit; return the sentences of those that could not be applied."""
    # The network first: unshare allocates, and may need more than a tight cap leaves.
    problems = [] if network else [cut_network()]
    problems.append(cap_memory(mem_bytes))
    return [p for p in problems if p]
