"""Contain the processes that run learner code: no network, a read-only course folder, a memory cap.

`isolate` is called once in the kernel zygote and in the sealed judge, before
either forks a child for learner code; `cap_memory` in each child. Both say,
in words, what they could not do on this machine (a missing privilege), so the
run can report it instead of claiming a containment it does not have.
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


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = 1024, 2048, 4096, 16384, 1 << 18, 1 << 21
# statvfs flag -> the mount flag that keeps it: in a user namespace a remount must
# keep the flags the mount already has, or the kernel refuses it.
_KEEP = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC,
         os.ST_NOATIME: MS_NOATIME, os.ST_NODIRATIME: MS_NODIRATIME, os.ST_RELATIME: MS_RELATIME}
_libc = ctypes.CDLL(None, use_errno=True)


def _unshare(flags):
    """unshare(flags), as root or else inside a new user namespace; None or why it failed."""
    if _libc.unshare(flags) == 0:
        return None
    first = os.strerror(ctypes.get_errno())
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWUSER | flags) != 0:
        return f"{first}; with a user namespace: {os.strerror(ctypes.get_errno())}"
    # Map our own ids, so files keep their owner inside the namespace.
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
        except OSError:
            pass
    return None


def _mount(source, target, flags):
    if _libc.mount(source, target, None, ctypes.c_ulong(flags), None) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), target)


def isolate(network=False, read_only=()):
    """Give this process, and every process it forks later, no network and read-only `read_only` folders.

    Learner code then cannot reach the network, nor write to the course folder
    (checks, gradebook, other learners' files, records), even as root. Kernels
    talk to nbgrader over Unix sockets in /tmp (the ipc transport), which
    neither namespace affects. Needs root, or unprivileged user namespaces.
    Returns the sentences of what could not be done.
    """
    CLONE_NEWNS = 0x00020000
    flags = CLONE_NEWNS | (0 if network else CLONE_NEWNET)
    failed = _unshare(flags)
    if failed:
        return [f"network left on and the course folder writable: unshare failed ({failed})"]
    problems = []
    try:
        _mount(None, b"/", MS_REC | MS_PRIVATE)  # nothing done here reaches the host's mounts
        for path in read_only:
            path = os.fsencode(os.path.realpath(path))
            keep = sum(m for st, m in _KEEP.items() if os.statvfs(path).f_flag & st)
            _mount(path, path, MS_BIND | MS_REC)
            _mount(None, path, MS_BIND | MS_REMOUNT | MS_RDONLY | keep)
    except OSError as exc:
        problems.append(f"course folder left writable: mount failed ({exc})")
    return problems


