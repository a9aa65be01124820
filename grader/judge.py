"""The sealed judge: the course's checks, run from a process that learner code never runs in.

`make grade` runs them here, in a sandbox with no file of them (the grader sends their source). Each
`core.call` on a check's `core.Remote` forks a sealed child (`_seal`) that runs the learner's cells and
the call and sends back data, which the judge reads with torch.load(weights_only=True) (see `_call`):
values only, never verdicts, and it calls nothing the child made (learner code can forge what it sends).
"""
import builtins
import gc
import json
import os
import resource
import select
import signal
import sys
import time
import types
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout, suppress
from functools import lru_cache
from io import BytesIO, StringIO
from math import ceil
from multiprocessing.connection import Connection
from warnings import catch_warnings, simplefilter

import pyprctl
import torch
from IPython.core.inputtransformer2 import TransformerManager

from grader.course import cell_source, is_learner_code
from grader.inside import clean

# Captured at import, so a learner's patch in the child cannot change what it sends back.
Tensor = torch.Tensor
_detach, _clone, _numel, _tensor_sum = Tensor.detach, Tensor.clone, Tensor.numel, Tensor.sum
_save, _load, _equal, _ones_like = torch.save, torch.load, torch.equal, torch.ones_like
_run_backward = torch.autograd.variable.Variable._execution_engine.run_backward
_Module, _Optimizer = torch.nn.Module, torch.optim.Optimizer
_OPTIMIZERS, _ERRORS = ({n: c for n, c in vars(module).items() if isinstance(c, type) and issubclass(c, base)}
                        for module, base in ((torch.optim, _Optimizer), (builtins, BaseException)))
_BUILTINS = dict(vars(builtins))

HIDDEN = ("grader", "helpers")  # packages the child cannot import
MAX_ITEMS, MAX_DEPTH = 100_000, 20  # containers and objects in one value (and arguments), nesting
MAX_ELEMENTS, MAX_TEXT = 2_000_000, 100_000  # tensor entries in one value; characters kept of a text
MAX_RESULT = 256 * 2**20  # bytes read from one child
_forker = ThreadPoolExecutor(1, "sealed-forker")  # forks the children: no check's frame on its stack


class Judge:
    """The checks of one assignment, run against submissions in forked children."""

    def __init__(self, request, mem_bytes=4 * 2**30, call_timeout=10.0):
        self.mem_bytes, self.call_timeout = mem_bytes, call_timeout
        for name, text in request["checks"]:  # from their source: no file of theirs is in the sandbox
            if name not in sys.modules:  # else a judge in the grader's own process (tests)
                module = sys.modules[name] = types.ModuleType(name)
                module.__package__ = name.rpartition(".")[0]  # `from . import _core` finds it in sys.modules
                exec(compile(text, f"<{name}>", "exec"), vars(module))
        self.core, checks = sys.modules[request["checks"][0][0]], sys.modules[request["checks"][-1][0]]
        self.parts = [(grade_id, getattr(checks, check), name) for grade_id, check, name in request["parts"]]
        self.setup = compile(request["setup"], "<setup>", "exec")
        self._transform = TransformerManager().transform_cell
        torch.set_num_threads(1)  # several children, and judges, share the cores
        model = torch.nn.Linear(3, 1)  # now, not in each child: torch imports some modules lazily
        for make in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW):
            model(torch.ones(2, 3)).sum().backward()
            make(model.parameters(), lr=0.1).step()
        _save({"value": torch.ones(1)}, BytesIO())

    def grade(self, nb):
        """Check every graded part of a submission; return its verdicts by test cell."""
        self._cells, verdicts = list(self._compiled_cells(nb)), {}
        for grade_id, check, name in self.parts:
            self._events, self._stopped = {}, None  # events: dict keys, in order, once each
            try:
                message = check(self.core.Remote(name, self._call))
            except Exception as exc:  # a value the transport did not rebuild, or a check's bug
                message = f"the grader could not check this part: {self.core.error_text(exc)}"
                self._events[message] = None
            verdicts[grade_id] = {"check": check.__name__, "passed": message is None,
                                  "events": list(self._events),
                                  "message": None if message is None else str(message)}
        return verdicts

    def _compiled_cells(self, nb):  # setup, answer cells, cells the learner added (error text for a bad one)
        yield self.setup
        for index, cell in enumerate(nb.get("cells", [])):
            if is_learner_code(cell):  # not tests, locked demo cells, markdown
                try:
                    name = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id", index)
                    yield compile(self._transform(cell_source(cell)), f"<cell {name}>", "exec")
                except Exception as exc:  # SyntaxError and the like: skipped, as a failing cell is
                    yield _error_text(exc)

    def _call(self, name, args, overrides):  # a call of the learner's function in a child: its Outcome
        if self._stopped is not None:  # a loop costs its test cell once, as a cell time limit would
            return self.core.Outcome(None, self._stopped, [], "")
        registry, todo = {}, [args]  # id -> what the arguments reach: these keep their ids in the child
        while todo and len(registry) < MAX_ITEMS:
            if id(x := todo.pop()) not in registry:
                registry[id(x)], t = x, type(x)
                todo.extend(x if t is list or t is tuple else [*x, *x.values()] if t is dict
                            else x.param_groups if isinstance(x, _Optimizer) else ())
                if isinstance(x, _Module):
                    todo.extend([*_Module.parameters(x), *_Module.buffers(x), *_Module.modules(x)])
        call = (name, args, {key: _detached(ref) for key, ref in overrides.items()}, registry, self._cells)
        try:
            ended, status, data = _forker.submit(_fork_call, call, self.mem_bytes, self.call_timeout).result()
        except Exception as exc:
            ended, status, data = "error", _error_text(exc), b""
        if ended == "exit" and status == "exit status 0" and data:  # it sent all, then exited well
            try:
                # weights_only=True, explicit (no environment variable can turn it off): torch's restricted
                # unpickler calls nothing but tensor rebuilders and plain containers (this process adds none).
                return self._read(_load(BytesIO(data), map_location="cpu", weights_only=True), registry)
            except Exception as exc:  # garbled or forged beyond reading
                ended, status = "unreadable", _error_text(exc)
        text = {"unreadable": f"the grader could not read what the call returned ({status[:200]})",
                "timeout": f"the call ran past {self.call_timeout:g} s and was stopped",
                "oversize": f"the call sent back more than {MAX_RESULT // 2**20} MiB",
                "exit": f"the call ended the Python process ({status})",
                }.get(ended, f"the grader could not run the call ({status})")  # it could not fork
        error = (TimeoutError if ended == "timeout" else ChildProcessError)(text)
        if ended == "timeout":
            self._stopped, text = error, f"{text} (does a loop never end?)"
        self._events[text] = None
        return self.core.Outcome(None, error, [], "")

    def _read(self, doc, registry):  # apply the call's changes to the arguments; rebuild its Outcome
        for key, data, grad, requires_grad in doc["changes"]:
            if isinstance(t := registry.get(key), Tensor):
                if (data := _plain(data)).dtype != t.dtype or data.shape != t.shape:
                    t.data = data
                elif not _equal(data, t):
                    _detach(t).copy_(data)  # in place: views of it see the change too
                t.grad = None if grad is None else _plain(grad)
                if t.is_leaf:
                    t.requires_grad_(requires_grad is True)

        def leaf(x, depth):  # the judge's object for one the child sent as a tagged OrderedDict (`_run`)
            if type(x) is not OrderedDict:
                raise ValueError("not a value the child sends")  # (nor, from a forger, one nested too deep)
            if "ref" in x:
                return registry[x["ref"]]  # (a forged one that is not there: unreadable)
            if "optim" in x:  # what checks read of it, without __init__
                optimizer = (cls := _OPTIMIZERS[x["optim"]]).__new__(cls)
                optimizer.defaults, optimizer.param_groups = (_walk(x[key], leaf, budget, depth)
                                                              for key in ("defaults", "groups"))
                return optimizer
            if "tensor" not in x:
                return _made_class(str(x["object"])[:100], object)()
            if x["requires_grad"] is not True:
                return _plain(x["tensor"])
            pairs = [(registry.get(key), _plain(grad)) for key, grad in x["grads"]]
            if pairs := [(p, g.to(p.dtype)) for p, g in pairs
                         if isinstance(p, Tensor) and p.requires_grad and g.shape == p.shape]:
                return _Replay.apply(_plain(x["tensor"]), tuple(g for _, g in pairs), *(p for p, _ in pairs))
            return _plain(x["tensor"]).requires_grad_()  # no path to the arguments: a leaf, as the child's
        value = _walk(doc["value"], leaf, budget := [MAX_ITEMS])
        if (error := doc["error"]) is not None:  # of the builtin class `name`, or a made-up one with its base
            name, base, message = map(str, error)
            cls = _ERRORS.get(base, Exception)
            cls = Exception if issubclass(cls, BaseExceptionGroup) else cls  # that needs more than a message
            cls = cls if name == cls.__name__ else _made_class(name[:100], cls)
            (error := cls.__new__(cls)).args = (message[:MAX_TEXT],)
        if memory := [t for t in (doc["cells"], error and _error_text(error)) if type(t) is str and (
                t.startswith("MemoryError") or "can't allocate memory" in t or "out of memory" in t.lower())]:
            cap = f"{self.mem_bytes / 2**30:g} GiB"
            self._events[f"ran out of memory under the {cap} cap ({memory[0][:200]})"] = None
        return self.core.Outcome(value, error, [], str(doc["printed"]))  # no check reads warnings


def _error_text(exc):
    return f"{type(exc).__name__}: {text}" if (text := BaseException.__str__(exc)) else type(exc).__name__


def _walk(x, leaf, budget, depth=0):  # copies scalars, exact lists, tuples, dicts; leaf(x, depth) the rest
    t = type(x)
    if x is None or t is bool or t is float or t is str or (t is int and x.bit_length() < 2000):
        return x[:MAX_TEXT] if t is str else x  # (torch.load reads no longer int)
    budget[0] -= 1
    if budget[0] < 0 or depth >= MAX_DEPTH or not (t is list or t is tuple or t is dict):
        return leaf(x, depth + 1)
    inner = (leaf, budget, depth + 1)
    if t is dict:
        return {_walk(k, *inner): _walk(v, *inner) for k, v in dict.items(x)}
    return t(_walk(item, *inner) for item in x)  # a list or a tuple


def _fork_call(call, mem_bytes, timeout):  # run it in a child: how it ended, its exit status, what it sent
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end), os.close(write_end)
        raise
    if pid == 0:  # the child: sealed, it runs the call, sends back what it did and exits
        try:
            _seal(mem_bytes, ceil(timeout) + 1, write_end)
            try:
                _save(_run(*call), payload := BytesIO())
            except Exception as exc:  # a value that broke the sending: say so rather than die
                message = f"the grader could not send back what the call did ({_error_text(exc)})"
                _save({"value": None, "error": ("ChildProcessError", "ChildProcessError", message),
                       "printed": "", "changes": [], "cells": None}, payload := BytesIO())
            with open(3, "wb", closefd=False) as pipe:
                pipe.write(payload.getvalue())
            os._exit(0)
        finally:
            os._exit(70)  # what did not get that far
    os.close(write_end)
    with suppress(OSError):
        os.setpgid(pid, pid)  # here too: the child may not have done it yet when it is killed
    exited, reading, data, ended, deadline = None, [read_end], bytearray(), None, time.monotonic() + timeout
    try:
        exited = os.pidfd_open(pid)  # readable once the child has exited
        while ended is None:
            left = deadline - time.monotonic()
            ready = select.select(reading + [exited], [], [], left)[0] if left > 0 else []
            if read_end in ready:  # before `exited`: all it sent before it exited
                data += (chunk := os.read(read_end, 1 << 20))
                reading, ended = reading if chunk else [], "oversize" if len(data) > MAX_RESULT else None
            else:
                ended = "exit" if ready else "timeout"
    finally:
        with suppress(OSError):
            os.killpg(pid, signal.SIGKILL)  # the child and anything it forked; still unreaped
        for fd in {read_end, exited} - {None}:
            os.close(fd)
        try:
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            status = f"exit status {code}" if code >= 0 else f"killed by signal {signal.Signals(-code).name}"
        except (ChildProcessError, ValueError):  # reaped elsewhere (SIGCHLD ignored)
            status = "exit status unknown"
        clean([os.environ.get("HOME", "/tmp")], ipc=False)  # what the call left (in a sandbox only)
    return ended, status, bytes(data)


class _Replay(torch.autograd.Function):  # gradients w.r.t. the judge's tensors: the ones the child computed
    @staticmethod
    def forward(ctx, value, grads, *inputs):
        ctx.grads = grads
        return value.clone()

    @staticmethod
    def backward(ctx, out):  # only the gradient of the sum came back: scale it by the mean
        return (None, None, *((g * (out.sum() / max(out.numel(), 1))).to(g.dtype) for g in ctx.grads))


def _dense(x):  # a tensor of plain values in CPU memory (not sparse, meta, quantized or nested)
    return isinstance(x, Tensor) and x.layout == torch.strided and x.device.type == "cpu" \
        and not x.is_quantized and not x.is_nested


def _plain(x):  # a tensor the child sent, detached, as an exact torch.Tensor; ValueError for anything else
    if type(x := _detach(x) if _dense(x) else None) is not Tensor:
        raise ValueError("not a plain tensor")
    return x


@lru_cache(10_000)  # the same name gives the same class
def _made_class(name, base):  # named as the child's was (checks call its objects 'a Foo object')
    name = name.encode(errors="replace").decode().replace("\0", "?")  # as type() takes it
    return type(name or "unnamed", (base,), {"__module__": "learner"})


def _detached(fn):  # a reference (graded_alone) with only the globals it uses: the child empties theirs
    if type(fn) is not types.FunctionType:
        return fn
    names, codes = set(), [fn.__code__]
    while codes:
        names.update((code := codes.pop()).co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    scope = {name: fn.__globals__[name] for name in names if name in fn.__globals__}
    copy = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


def _seal(mem_bytes, cpu_seconds, write_end):  # contain this child before any learner code runs in it
    os.setpgid(0, 0)  # so the judge can kill it with anything it forks
    signal.set_wakeup_fd(-1)  # the judge's wakeup fd, handlers and signal mask are not the child's
    for sig in [sig for sig in signal.valid_signals() if callable(signal.getsignal(sig))]:
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    os.dup2(write_end, 3)  # the result pipe, and /dev/null: no write reaches the judge's stdout
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(4, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    if mem_bytes:  # on top of what the judge had mapped: the child starts as a copy of it
        with open("/proc/self/statm") as f:
            cap = int(f.read().split()[0]) * resource.getpagesize() + mem_bytes
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    os.chdir("/tmp")
    # The grader's modules go, the checks' are emptied: a class they made (a model) leads to their globals.
    for name in [name for name in sys.modules if name.partition(".")[0] in HIDDEN]:
        checks = name.startswith("grader.checks.") and name != "grader.checks._core"
        if isinstance(module := sys.modules.pop(name), types.ModuleType) and checks:
            vars(module).clear()

    def refuse(name, path=None, target=None):  # the grader's own packages are not there, nor a fresh gc
        if name.partition(".")[0] in HIDDEN or name == "gc":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, type("_Refuse", (), {"find_spec": staticmethod(refuse)})())  # the first hook
    for name in ("get_objects", "get_referrers", "get_referents"):  # these find what no name leads to:
        vars(gc).pop(name, None)  # the leftovers of the judge's other thread stay out of reach
    sys.path[:] = [p for p in sys.path if not any(os.path.isdir(os.path.join(p or ".", h)) for h in HIDDEN)]


def _run(name, args, overrides, registry, cells):  # run the cells and the call; what happened, as plain data
    sys.modules["__main__"] = main = types.ModuleType("__main__")
    namespace, first_error = vars(main), None  # no get_ipython(): a cell that needs the shell fails
    for cell in cells:  # output goes to /dev/null: no one reads a cell's output here
        try:
            error = cell if type(cell) is str else exec(cell, namespace)  # (a str: it did not compile)
        except BaseException as exc:  # the cell stops, the notebook goes on
            error = _error_text(exc)
        first_error = first_error or error
    namespace.update(overrides)
    value, error, out = None, None, StringIO()
    with catch_warnings(record=True), redirect_stdout(out), redirect_stderr(out):  # as core.call
        simplefilter("always")
        try:
            if name not in namespace:
                after = f" (the first cell that failed: {first_error[:300]})" if first_error else ""
                raise NameError(f"name {name!r} is not defined{after}")
            value = namespace[name](*args)
        except BaseException as exc:
            error = exc
    vars(builtins).update(_BUILTINS)  # what the cells and call rebound there must not break the sending
    if error is not None:  # sent as its class's name, its nearest builtin base's name, its message
        base = next(c for c in type(error).__mro__ if _ERRORS.get(c.__name__) is c)
        error = (str(type(error).__name__)[:100], base.__name__, BaseException.__str__(error)[:MAX_TEXT])
    tensors = [x for x in registry.values() if _dense(x)]
    inputs, budget, elements = [t for t in tensors if t.requires_grad], [MAX_ITEMS], [MAX_ELEMENTS]

    def copy(x):  # a compact, detached copy of a dense tensor; None for another, or past the limit
        elements[0] -= _numel(x) if _dense(x) else 0
        return _clone(_detach(x)) if _dense(x) and elements[0] >= 0 else None

    def leaf(x, depth):  # arguments by id, tensors with their gradients, other objects by class
        t = type(x)
        if registry.get(id(x)) is x:
            return OrderedDict(ref=id(x))
        if _OPTIMIZERS.get(t.__name__) is t:
            return OrderedDict(optim=t.__name__, defaults=_walk(x.defaults, leaf, budget, depth),
                               groups=_walk(x.param_groups, leaf, budget, depth))
        if t is not Tensor or (data := copy(x)) is None:
            return OrderedDict(object=str(t.__name__))
        found = ()
        with suppress(Exception):  # no gradient to send: the judge's copy gets no path either
            if x.requires_grad and inputs:  # the engine itself, as torch.autograd.grad calls it
                found = _run_backward((total := _tensor_sum(x),), (_ones_like(total),), True, False,
                                      tuple(inputs), True, False)
        grads = [(id(p), g) for p, g in zip(inputs, map(copy, found)) if g is not None]
        return OrderedDict(tensor=data, requires_grad=bool(x.requires_grad), grads=grads)
    return {"value": _walk(value, leaf, budget), "error": error, "printed": out.getvalue()[:MAX_TEXT],
            "changes": [(id(t), _clone(_detach(t)), None if t.grad is None else _clone(_detach(t.grad)),
                         bool(t.requires_grad)) for t in tensors],  # all: the judge finds what changed
            "cells": first_error}


def serve(fd):
    """`python -m grader.judge FD`, FD a socket to the grader, JSON both ways: the assignment and limits,
    then notebooks, each answered with its verdicts by test cell."""
    pyprctl.set_dumpable(False)  # no child (same uid, in the sandbox) may ptrace this process
    hello = json.loads((conn := Connection(fd)).recv_bytes())
    judge = Judge(hello.pop("judge"), hello["mem_bytes"], hello["timeout"])  # pop: no copy left for a child
    conn.send_bytes(b'{"ready": true}')
    with suppress(EOFError):  # the grader is done with this worker
        while True:
            conn.send_bytes(json.dumps(judge.grade(json.loads(conn.recv_bytes()))).encode())
            clean([os.environ.get("HOME", "/tmp")])


if __name__ == "__main__":
    serve(int(sys.argv[1]))
