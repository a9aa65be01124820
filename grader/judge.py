"""The sealed judge: the course's checks, run from a process that learner code never runs in.

nbgrader runs the checks in the kernel, beside the learner's code, which can patch them. `make
grade` runs them here, in a sandbox (grader.sandbox) with no file of the checks (the grader sends
their source). Every `core.call` on a check's `core.Remote` stand-in forks a child that runs the
setup code and the learner's cells in a fresh namespace, calls the function on the check's
arguments (there by fork), and sends back data: value, exception, output, the arguments' tensors.

The child forks from a helper thread, so its stack holds no frame of a check. Before learner
code runs it gets its own process group, memory and CPU limits, no file descriptors but
/dev/null and the result pipe; the grader's packages are gone from sys.modules and cannot be
imported, the check modules are emptied (a model class a check made leads to their globals),
gc can no longer list objects. The judge is not dumpable (a child has its uid). After each call
every process the child left is killed and its files are removed (grader.inside). Its result
may be forged (learner code can write to the pipe): the judge reads it with
torch.load(weights_only=True) (see `_call`), takes only values from it, never verdicts, and
calls nothing the child made.
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
from collections import OrderedDict, defaultdict
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
_OPTIMIZERS = {n: c for n, c in vars(torch.optim).items() if isinstance(c, type) and issubclass(c, _Optimizer)}
_ERRORS = {n: c for n, c in vars(builtins).items() if isinstance(c, type) and issubclass(c, BaseException)}
_BUILTINS = dict(vars(builtins))

HIDDEN = ("grader", "helpers")  # packages the child cannot import
GC_WALKERS = ("get_objects", "get_referrers", "get_referents")  # these find what no name leads to
MAX_ITEMS, MAX_DEPTH = 100_000, 20  # containers and objects in one value (and arguments), nesting
MAX_ELEMENTS = 2_000_000   # tensor entries in one value
MAX_TEXT = 100_000         # characters kept of printed output and messages
MAX_RESULT = 256 * 2**20   # bytes read from one child
_forker = ThreadPoolExecutor(1, "sealed-forker")  # the children fork from its thread


class Judge:
    """The checks of one assignment, run against submissions in forked children."""

    def __init__(self, request, mem_bytes=4 * 2**30, call_timeout=10.0):
        self.assignment, self.mem_bytes, self.call_timeout = request["assignment"], mem_bytes, call_timeout
        for name, text in request["checks"]:  # from their source: no file of theirs is in the sandbox
            if name not in sys.modules:  # else a judge in the grader's own process (tests)
                module = sys.modules[name] = types.ModuleType(name)
                module.__package__ = name.rpartition(".")[0]  # `from . import _core` finds it in sys.modules
                exec(compile(text, f"<{name}>", "exec"), vars(module))
        self.core, checks = sys.modules[request["checks"][0][0]], sys.modules[request["checks"][-1][0]]
        self.parts = [(grade_id, getattr(checks, check), name) for grade_id, check, name in request["parts"]]
        self.setup = compile(request["setup"], "<setup>", "exec")
        self._transform = TransformerManager().transform_cell
        self._cells, self._events, self._stopped = [], {}, None  # events: dict keys, in order, once each
        torch.set_num_threads(1)  # several children, and judges, share the cores
        model = torch.nn.Linear(3, 1)  # now, not in each child: torch imports some modules lazily
        for make in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW):
            model(torch.ones(2, 3)).sum().backward()
            make(model.parameters(), lr=0.1).step()
        _save({"value": torch.ones(1)}, BytesIO())

    def verdicts(self, nb):
        """Check every graded part of a submission, yielding (test cell, check, verdict) in order."""
        self._cells = [self.setup] + self._learner_cells(nb)
        for grade_id, check, name in self.parts:
            self._events, self._stopped = {}, None
            try:
                message = check(self.core.Remote(name, self._call))
            except Exception as exc:  # a value the transport did not rebuild, or a check's bug
                message = f"the grader could not check this part: {self.core.error_text(exc)}"
                self._events[message] = None
            yield grade_id, check.__name__, {"passed": message is None, "events": list(self._events),
                                             "message": None if message is None else str(message)}

    def grade(self, nb):
        """Check every graded part of a submission; return its verdicts by test cell."""
        return {grade_id: verdict for grade_id, _, verdict in self.verdicts(nb)}

    def outcome(self, nb, name, *args):
        """Call one function of a submission in a child; return its Outcome (tests, debugging)."""
        self._cells, self._events, self._stopped = [self.setup] + self._learner_cells(nb), {}, None
        return self._call(name, args, {})

    def _learner_cells(self, nb):
        """Compile the answer cells and the cells the learner added (error text for a bad one)."""
        cells = []
        for index, cell in enumerate(nb.get("cells", [])):
            if is_learner_code(cell):  # not tests, locked demo cells, markdown
                try:
                    name = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id", index)
                    cells.append(compile(self._transform(cell_source(cell)), f"<cell {name}>", "exec"))
                except Exception as exc:  # SyntaxError and the like: skipped, as a failing cell is
                    cells.append(_error_text(exc))
        return cells

    def _call(self, name, args, overrides):
        """Run one call of the learner's function in a child; return the Outcome the checks read."""
        if self._stopped is not None:  # a loop costs its test cell once, as a cell time limit would
            return self.core.Outcome(None, self._stopped, [], "")
        registry = _reachable(args)
        request = (name, args, overrides, registry, self._cells, self.mem_bytes, ceil(self.call_timeout) + 1)
        try:
            ended, data = _forker.submit(_fork_and_wait, request, self.call_timeout).result()
        except Exception as exc:
            ended, data = "error", _error_text(exc)
        if ended == "result":
            try:
                # weights_only=True (explicit: no environment variable can turn it off) reads with
                # torch's restricted unpickler, which imports and calls nothing but an allow-list
                # of tensor rebuild functions and plain containers (this process adds none). A
                # forged result can only make such objects, or fail; it cannot run code here.
                return self._read(_load(BytesIO(data), map_location="cpu", weights_only=True), registry)
            except Exception as exc:  # garbled or forged beyond reading
                ended, data = "unreadable", _error_text(exc)
        text = {"unreadable": f"the grader could not read what the call returned ({data[:200]})",
                "timeout": f"the call ran past {self.call_timeout:g} s and was stopped",
                "oversize": f"the call sent back more than {MAX_RESULT // 2**20} MiB",
                "exit": f"the call ended the Python process ({data})",
                }.get(ended, f"the grader could not run the call ({data})")  # it could not fork
        error = (TimeoutError if ended == "timeout" else ChildProcessError)(text)
        if ended == "timeout":
            self._stopped, text = error, f"{text} (does a loop never end?)"
        self._events[text] = None
        return self.core.Outcome(None, error, [], "")

    def _read(self, doc, registry):
        """Give the arguments what the call did to them; rebuild its Outcome from the child's data."""
        for key, data, grad, requires_grad in doc["changes"]:
            if isinstance(t := registry.get(key), Tensor):
                if (data := _plain(data)).dtype != t.dtype or data.shape != t.shape:
                    t.data = data
                elif not _equal(data, t):
                    _detach(t).copy_(data)  # in place: views of it see the change too
                t.grad = None if grad is None else _plain(grad)
                if t.is_leaf:
                    t.requires_grad_(requires_grad is True)

        def leaf(x, depth):  # the judge's object for one the child made a tagged OrderedDict of (`_encode`)
            if type(x) is not OrderedDict:
                raise ValueError("not a value the child sends")  # (nor, from a forger, one nested too deep)
            if "ref" in x:
                return registry[x["ref"]] if x["ref"] in registry else _made_class("object", object)()
            if "optim" in x:
                optimizer = (cls := _OPTIMIZERS[x["optim"]]).__new__(cls)  # what checks read, without __init__
                optimizer.defaults, optimizer.param_groups = (_walk(x[key], leaf, budget, depth)
                                                              for key in ("defaults", "groups"))
                optimizer.state = defaultdict(dict)
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
    text = BaseException.__str__(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _reachable(args):
    """Map id -> object for all the arguments reach: these keep their ids in the child."""
    found, todo = {}, [args]
    while todo and len(found) < MAX_ITEMS:
        if id(x := todo.pop()) not in found:
            found[id(x)], t = x, type(x)
            todo.extend(x if t is list or t is tuple else [*x.keys(), *x.values()] if t is dict
                        else [*_Module.parameters(x), *_Module.buffers(x), *_Module.modules(x)]
                        if isinstance(x, _Module) else x.param_groups if isinstance(x, _Optimizer) else ())
    return found


def _walk(x, leaf, budget, depth=0):
    """Copy x's scalars, exact lists, tuples, dicts; leaf(item, depth) makes anything else."""
    t = type(x)
    if x is None or t is bool or t is float or t is str or (t is int and x.bit_length() < 2000):
        return x[:MAX_TEXT] if t is str else x  # (torch.load reads no longer int)
    budget[0] -= 1
    if budget[0] < 0 or depth >= MAX_DEPTH or not (t is list or t is tuple or t is dict):
        return leaf(x, depth + 1)
    if t is dict:
        return {_walk(k, leaf, budget, depth + 1): _walk(v, leaf, budget, depth + 1) for k, v in dict.items(x)}
    items = [_walk(item, leaf, budget, depth + 1) for item in x]
    return items if t is list else tuple(items)


def _fork_and_wait(request, timeout):
    """Fork a child for one call; return ("result", what it sent) or how it ended and its status."""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end), os.close(write_end)
        raise
    if pid == 0:
        _child(request, write_end)  # never returns
    os.close(write_end)
    with suppress(OSError):
        os.setpgid(pid, pid)  # here too: the child may not have done it yet when it is killed
    exited, reading, data, ended = None, [read_end], bytearray(), None
    deadline = time.monotonic() + timeout
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
            words = f"exit status {code}" if code >= 0 else f"killed by signal {signal.Signals(-code).name}"
        except (ChildProcessError, ValueError):  # reaped elsewhere (SIGCHLD ignored)
            words = "exit status unknown"
        clean([os.environ.get("HOME", "/tmp")], ipc=False)  # what the call left (in a sandbox only)
    return ("result", bytes(data)) if ended == "exit" and words == "exit status 0" and data else (ended, words)


class _Replay(torch.autograd.Function):
    """A value whose gradient with respect to the judge's tensors is the one the child computed."""

    @staticmethod
    def forward(ctx, value, grads, *inputs):
        ctx.grads = grads
        return value.clone()

    @staticmethod
    def backward(ctx, out):  # only the gradient of the sum came back: scale it by the mean
        return (None, None, *((g * (out.sum() / max(out.numel(), 1))).to(g.dtype) for g in ctx.grads))


def _dense(x):
    """True for a tensor of plain values in CPU memory (not sparse, meta, quantized or nested)."""
    return isinstance(x, Tensor) and x.layout == torch.strided and x.device.type == "cpu" \
        and not x.is_quantized and not x.is_nested


def _plain(x):
    """A tensor the child sent, detached, as an exact torch.Tensor; ValueError for anything else."""
    if type(x := _detach(x) if _dense(x) else None) is not Tensor:
        raise ValueError("not a plain tensor")
    return x


@lru_cache(10_000)  # the same name gives the same class
def _made_class(name, base):
    """A class named as the child's was (checks call its objects 'a Foo object')."""
    name = name.encode(errors="replace").decode().replace("\0", "?")  # as type() takes it
    return type(name or "unnamed", (base,), {"__module__": "learner"})


def _child(request, write_end):
    """Run one call in this freshly forked child, send what it did, exit; never return."""
    try:
        name, args, overrides, registry, cells, mem_bytes, cpu_seconds = request
        overrides = {key: _detached(reference) for key, reference in overrides.items()}
        _seal(mem_bytes, cpu_seconds, write_end)
        try:
            _save(_run(name, args, overrides, registry, cells), payload := BytesIO())
        except Exception as exc:  # a value that broke the sending: say so rather than die
            message = f"the grader could not send back what the call did ({_error_text(exc)})"
            _save({"value": None, "error": ("ChildProcessError", "ChildProcessError", message),
                   "printed": "", "changes": [], "cells": None}, payload := BytesIO())
        with open(3, "wb", closefd=False) as pipe:
            pipe.write(payload.getvalue())
        os._exit(0)
    finally:
        os._exit(70)  # what did not get that far


def _detached(fn):
    """A reference function (graded_alone) with only the globals it uses: the child empties theirs."""
    if type(fn) is not types.FunctionType:
        return fn
    names, codes = set(), [fn.__code__]
    while codes:
        names.update((code := codes.pop()).co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    scope = {name: fn.__globals__[name] for name in names if name in fn.__globals__}
    copy = types.FunctionType(fn.__code__, {**scope, "__builtins__": builtins}, fn.__name__,
                              fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


def _seal(mem_bytes, cpu_seconds, write_end):
    """Contain this child before any learner code runs in it."""
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
    for name in [name for name in sys.modules if name.partition(".")[0] in HIDDEN]:
        if isinstance(module := sys.modules.pop(name), types.ModuleType) and name.startswith("grader.checks.") \
                and name != "grader.checks._core":  # a class the checks made (a model) leads to these globals
            vars(module).clear()

    def refuse(name, path=None, target=None):  # the grader's own packages are not there, nor a fresh gc
        if name.partition(".")[0] in HIDDEN or name == "gc":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    sys.meta_path.insert(0, type("_Refuse", (), {"find_spec": staticmethod(refuse)})())  # the first hook
    for name in GC_WALKERS:  # the leftovers of the judge's other thread stay out of reach
        vars(gc).pop(name, None)
    sys.path[:] = [p for p in sys.path if not any(os.path.isdir(os.path.join(p or ".", h)) for h in HIDDEN)]


def _run(name, args, overrides, registry, cells):
    """Run the setup code, the learner's cells and the call; return what happened as plain data."""
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
    tensors = [x for x in registry.values() if _dense(x)]
    return {"value": _encode(value, registry, [t for t in tensors if t.requires_grad]),
            "error": None if error is None else (str(type(error).__name__)[:100],  # its nearest builtin base:
                                                 next(c for c in type(error).__mro__
                                                      if _ERRORS.get(c.__name__) is c).__name__,
                                                 BaseException.__str__(error)[:MAX_TEXT]),
            "printed": out.getvalue()[:MAX_TEXT],
            "changes": [(id(t), _clone(_detach(t)), None if t.grad is None else _clone(_detach(t.grad)),
                         bool(t.requires_grad)) for t in tensors],  # all: the judge finds what changed
            "cells": first_error}


def _encode(value, registry, inputs):
    """A value as data: arguments by id, tensors with their gradients, other objects by class."""
    budget, elements = [MAX_ITEMS], [MAX_ELEMENTS]

    def copy(x):  # a compact, detached copy of a dense tensor; None for another, or past the limit
        elements[0] -= _numel(x) if _dense(x) else 0
        return _clone(_detach(x)) if _dense(x) and elements[0] >= 0 else None

    def leaf(x, depth):
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
    return _walk(value, leaf, budget)


def serve(fd):
    """`python -m grader.judge FD`, FD a socket to the grader, JSON both ways: the assignment, then
    notebooks, each answered with a verdict per test cell as soon as it is known, then done."""
    pyprctl.set_dumpable(False)  # no child (same uid, in the sandbox) may ptrace this process
    hello = json.loads((conn := Connection(fd)).recv_bytes())
    judge = Judge(hello["judge"], hello["mem_bytes"])
    del hello  # the checks' source: compiled now, and not left for a child to find
    conn.send_bytes(b'{"ready": true}')
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except EOFError:  # the grader is done with this worker
            return
        judge.call_timeout = float(request["timeout"])
        for grade_id, check, verdict in judge.verdicts(request["notebook"]):
            conn.send_bytes(json.dumps({"id": grade_id, "check": check, **verdict}).encode())
        clean([os.environ.get("HOME", "/tmp")])
        conn.send_bytes(b'{"done": true}')


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore", message="Cell is missing an id field")
    serve(int(sys.argv[1]))
