"""The sealed judge: the course's checks, run from a process that learner code never runs in.

nbgrader runs the checks in the kernel, beside the learner's code, which can
patch them. `make grade` runs them here instead, one judge per submission, in
that submission's bubblewrap sandbox (grader.sandbox), which holds no source
file of the checks: the grader sends their source over the connection, and
this process compiles it. The checks run on a `core.Remote` stand-in for each
learner function: every `core.call` on it forks a child for that one call.
The child runs the released setup code and the learner's own cells in a fresh
namespace, calls the function on the arguments the check built (they exist in
the child by fork), and sends back plain data as JSON: the value, the
exception, warnings and output, the gradient of a returned tensor, and what it
changed in the arguments' tensors. The judge rebuilds objects the checks can
read from that data; it never unpickles or calls anything the child made.

The child forks from a helper thread, so its stack holds no frame of a check
(nor the expected values in it). Before learner code runs it gets its own
process group, a memory cap (RLIMIT_AS: `mem_bytes` more than the judge has
mapped), a CPU limit of the call time limit, and no file descriptors but
/dev/null and the result pipe; the grader's packages are gone from sys.modules
and cannot be imported, the check modules are emptied, so no reference answer
is reachable from the arguments either (a model class defined in a check
module is one step from its globals), and gc can no longer list objects. The
judge is not dumpable, so a child cannot ptrace it or read its memory
(sandbox and child share one uid). After each call every process the child
left in the sandbox is killed and its files are removed (grader.inside).

Learner code can write to the result pipe itself, so whatever the child sends
may be forged: the judge reads only what an answer could contain (values,
never verdicts), and looks up objects by id only among the call's arguments.

The grader talks to it with `multiprocessing.connection` over a socket pair,
in JSON both ways (`serve`): one request per submission, one verdict per
graded test cell as soon as it is known, then {"done": true}.
"""
import builtins
import gc
import json
import os
import queue
import resource
import select
import signal
import sys
import threading
import time
import types
from builtins import (BaseException, Exception, NameError, TimeoutError, bool, dict, float, id, int,
                      isinstance, issubclass, len, list, str, tuple, type)
from collections import defaultdict, namedtuple
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from math import ceil
from multiprocessing.connection import Connection
from warnings import WarningMessage, catch_warnings, simplefilter

import pyprctl
import torch
from IPython.core.inputtransformer2 import TransformerManager

from grader.course import cell_source, is_learner_code
from grader.inside import clean

# Captured at import, so a learner's patch in the child cannot change what it sends back.
Tensor = torch.Tensor
_detach, _reshape, _tolist, _numel = Tensor.detach, Tensor.reshape, Tensor.tolist, Tensor.numel
_clone, _tensor_sum, _size = Tensor.clone, Tensor.sum, Tensor.size
_equal, _ones_like, _tensor = torch.equal, torch.ones_like, torch.tensor
_view_as_real, _view_as_complex = torch.view_as_real, torch.view_as_complex
_run_backward = torch.autograd.variable.Variable._execution_engine.run_backward
_Module, _Optimizer = torch.nn.Module, torch.optim.Optimizer
_parameters, _buffers, _modules = _Module.parameters, _Module.buffers, _Module.modules
_OPTIMIZERS = {n: c for n, c in vars(torch.optim).items()
               if isinstance(c, type) and issubclass(c, _Optimizer)}
_ERRORS = {n: c for n, c in vars(builtins).items()
           if isinstance(c, type) and issubclass(c, BaseException)}
_DTYPES = {str(d): d for d in vars(torch).values() if isinstance(d, torch.dtype)}
_REAL = {torch.complex32: torch.float16, torch.complex64: torch.float32,
         torch.complex128: torch.float64}
_BUILTINS = dict(vars(builtins))

HIDDEN = ("grader", "helpers")  # packages the child cannot import
GC_WALKERS = ("get_objects", "get_referrers", "get_referents")  # these find what no name leads to
MAX_ITEMS = 100_000        # containers and objects in one value, and arguments registered
MAX_ELEMENTS = 2_000_000   # tensor entries in one value
MAX_DEPTH = 20
MAX_TEXT = 100_000         # characters kept of printed output and messages
MAX_RESULT = 256 * 2**20   # bytes read from one child

# One call in a child: what the child needs, all of it plain or made by the check.
Request = namedtuple("Request", "name args overrides registry cells limits")
Limits = namedtuple("Limits", "mem_bytes cpu_seconds")


def _load_checks(checks):
    """Compile check modules from their source (no file of theirs exists in the sandbox)."""
    modules = []
    for name, text in checks:
        if name in sys.modules:  # a judge in the grader's own process (tests): imported already
            modules.append(sys.modules[name])
            continue
        module = types.ModuleType(name)
        module.__package__, _, child = name.rpartition(".")
        sys.modules[name] = module
        if module.__package__ in sys.modules:  # `from . import _core` finds this one, not a file's
            setattr(sys.modules[module.__package__], child, module)
        exec(compile(text, f"<{name}>", "exec"), vars(module))
        modules.append(module)
    return modules


class Judge:
    """The checks of one assignment, run against submissions in forked children."""

    def __init__(self, request, mem_bytes=4 * 2**30, call_timeout=10.0):
        self.assignment, self.mem_bytes = request["assignment"], mem_bytes
        self.call_timeout = float(call_timeout)
        self.core, *_, checks = _load_checks(request["checks"])
        self.parts = [(grade_id, getattr(checks, check), name)
                      for grade_id, check, name in request["parts"]]
        self.setup = compile(request["setup"], "<setup>", "exec")
        self.limits = Limits(mem_bytes, ceil(self.call_timeout) + 1)
        self._transform = TransformerManager().transform_cell
        self._cells, self._events, self._stopped = [], [], None
        _warm_up()

    def verdicts(self, nb):
        """Check every graded part of a submission, yielding (test cell, check, verdict) in order."""
        self._cells = [self.setup] + self._learner_cells(nb)
        for grade_id, check, name in self.parts:
            self._events, self._stopped = [], None
            try:
                message = check(self.core.Remote(name, self._call))
            except Exception as exc:  # a value the transport did not rebuild, or a check's bug
                message = f"the grader could not check this part: {self.core.error_text(exc)}"
                self._event(message)
            yield grade_id, check.__name__, {"passed": message is None, "events": self._events,
                                             "message": None if message is None else str(message)}

    def grade(self, nb):
        """Check every graded part of a submission; return its verdicts by test cell."""
        return {grade_id: verdict for grade_id, _, verdict in self.verdicts(nb)}

    def outcome(self, nb, name, *args):
        """Call one function of a submission in a child; return its Outcome (tests, debugging)."""
        self._cells, self._events, self._stopped = [self.setup] + self._learner_cells(nb), [], None
        return self._call(name, args, {})

    def _learner_cells(self, nb):
        """Compile the answer cells and the cells the learner added (error text for a bad one)."""
        cells = []
        for index, cell in enumerate(nb.get("cells", [])):
            if not is_learner_code(cell):  # tests, locked demo cells, markdown
                continue
            try:
                name = f"<cell {(cell.get('metadata', {}).get('nbgrader') or {}).get('grade_id', index)}>"
                cells.append(compile(self._transform(cell_source(cell)), name, "exec"))
            except Exception as exc:  # SyntaxError and the like: skipped, as a failing cell is
                cells.append(_error_text(exc))
        return cells

    def _event(self, text):
        if text not in self._events:
            self._events.append(text)

    def _call(self, name, args, overrides):
        """Run one call of the learner's function in a child; return the Outcome the checks read."""
        Outcome = self.core.Outcome
        if self._stopped is not None:  # a loop costs its test cell once, as a cell time limit would
            return Outcome(None, self._stopped, [], "")
        registry = _reachable(args)
        request = Request(name, args, overrides, registry, self._cells, self.limits)
        ended, data = _in_forker(request, self.call_timeout)
        if ended == "result":
            try:
                return self._read(json.loads(data), registry)
            except Exception as exc:  # garbled or forged beyond reading
                error = ChildProcessError(f"the grader could not read what the call returned "
                                          f"({_error_text(exc)})")
                self._event(BaseException.__str__(error))
                return Outcome(None, error, [], "")
        if ended == "timeout":
            error = TimeoutError(f"the call ran past {self.call_timeout:g} s and was stopped")
            self._stopped = error
            self._event(f"{BaseException.__str__(error)} (does a loop never end?)")
        elif ended == "oversize":
            error = ChildProcessError(f"the call sent back more than {MAX_RESULT // 2**20} MiB")
            self._event(BaseException.__str__(error))
        elif ended == "exit":
            error = ChildProcessError(f"the call ended the Python process ({data})")
            self._event(BaseException.__str__(error))
        else:  # the judge could not fork
            error = ChildProcessError(f"the grader could not run the call ({data})")
            self._event(BaseException.__str__(error))
        return Outcome(None, error, [], "")

    def _read(self, doc, registry):
        """Copy the call's changes into the arguments; rebuild its Outcome from the child's JSON."""
        _apply_changes(doc["changes"], registry)
        value = _Decoder(registry).value(doc["value"])
        error = _rebuild_error(*doc["error"]) if doc["error"] is not None else None
        caught = []
        for name, base, text, filename, lineno in doc["warnings"]:
            message = _rebuild_error(name, base, text)
            caught.append(WarningMessage(message, type(message), str(filename), int(lineno)))
        texts = (doc["cells"], error and _error_text(error))
        out_of_memory = [text for text in texts if _memory(text)]
        if out_of_memory:
            self._event(f"ran out of memory under the {self.mem_bytes / 2**30:g} GiB cap "
                        f"({out_of_memory[0][:200]})")
        return self.core.Outcome(value, error, caught, str(doc["printed"]))


# ------------------------------------------------------------------ the judge's side

def _error_text(exc):
    text = BaseException.__str__(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _memory(text):
    return bool(text) and (text.startswith("MemoryError") or "can't allocate memory" in text
                           or "out of memory" in text.lower())


_warmed = []


def _warm_up():
    """Do once here what each child would otherwise do first (torch imports some modules lazily)."""
    if _warmed:
        return
    torch.set_num_threads(1)  # several children, and judges, share the cores
    model = torch.nn.Linear(3, 1)
    for make in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW):
        optimizer = make(model.parameters(), lr=0.1)
        model(torch.ones(2, 3)).sum().backward()
        optimizer.step()
    _warmed.append(True)


def _reachable(args):
    """Map id -> object for all the arguments reach: these keep their ids in the child."""
    found, todo = {}, [args]
    while todo and len(found) < MAX_ITEMS:
        x = todo.pop()
        if id(x) in found:
            continue
        found[id(x)] = x
        t = type(x)
        if t is list or t is tuple:
            todo.extend(x)
        elif t is dict:
            todo.extend(x.keys())
            todo.extend(x.values())
        elif isinstance(x, _Module):
            todo.extend(_parameters(x))
            todo.extend(_buffers(x))
            todo.extend(_modules(x))
        elif isinstance(x, _Optimizer):
            todo.extend(x.param_groups)
    return found


_requests = queue.SimpleQueue()
_forker = []  # the forking thread, once started


def _in_forker(request, timeout):
    """Have the forking thread run one call; return (how it ended, its result or what happened)."""
    if not _forker or not _forker[0].is_alive():
        _forker[:] = [threading.Thread(target=_fork_loop, args=(_requests,), name="sealed-forker",
                                       daemon=True)]
        _forker[0].start()
    reply = queue.SimpleQueue()
    _requests.put((request, timeout, reply))
    return reply.get()


def _fork_loop(requests):
    """Fork one child per request: this thread's stack is the only one a child keeps."""
    while True:
        request, timeout, reply = requests.get()
        try:
            reply.put(_fork_and_wait(request, timeout))
        except Exception as exc:
            reply.put(("error", _error_text(exc)))
        del request, reply  # the next child should not hold this call's arguments


def _fork_and_wait(request, timeout):
    """Fork a child for one call and read its result, killing it at the deadline."""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:
        _child(request, write_end)  # never returns
    os.close(write_end)
    try:
        os.setpgid(pid, pid)  # here too: the child may not have done it yet when it is killed
    except OSError:
        pass
    deadline = time.monotonic() + timeout
    data, ended, words = bytearray(), None, None
    try:
        while ended is None:
            left = deadline - time.monotonic()
            if left <= 0:
                ended = "timeout"
            elif select.select([read_end], [], [], left)[0]:
                chunk = os.read(read_end, 1 << 20)
                data += chunk
                if not chunk:  # the child exited, or closed the pipe and may still run
                    ended = "exit" if _exited(pid, deadline) else "timeout"
                elif len(data) > MAX_RESULT + 32:
                    ended = "oversize"
                elif _unframe(data) is not None:
                    ended = "result"
    finally:
        os.close(read_end)
        try:
            os.killpg(pid, signal.SIGKILL)  # the child and anything it forked; still unreaped
        except OSError:
            pass
        try:
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            words = (f"exit status {code}" if code >= 0
                     else f"killed by signal {signal.Signals(-code).name}")
        except (ChildProcessError, ValueError):  # reaped elsewhere (SIGCHLD ignored)
            words = "exit status unknown"
        # What the call left: processes and files (IPC objects after each notebook). Sandbox only.
        clean([os.environ.get("HOME", "/tmp")], ipc=False)
    return (ended, _unframe(data)) if ended == "result" else (ended, words)



def _exited(pid, deadline):
    """Wait up to the deadline for the child to exit; leave it unreaped (its group stays ours)."""
    while True:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)


def _unframe(data):
    """Return the payload of a complete `<length>\\n<payload>` message, else None."""
    head, newline, _ = bytes(data[:24]).partition(b"\n")
    if not newline:
        return b"" if len(data) >= 24 else None  # no length: not ours to read
    if not head.isdigit():
        return b""
    size, start = int(head), len(head) + 1
    return bytes(data[start:start + size]) if len(data) >= start + size else None


class _Replay(torch.autograd.Function):
    """A value whose gradient with respect to the judge's tensors is the one the child computed."""

    @staticmethod
    def forward(ctx, value, grads, *inputs):
        ctx.grads = grads
        return value.clone()

    @staticmethod
    def backward(ctx, grad_output):
        # Only the gradient of the sum came back: scale it by the mean incoming gradient.
        scale = grad_output.sum() / max(grad_output.numel(), 1)
        return (None, None, *((g * scale).to(g.dtype) for g in ctx.grads))


def _plain_tensor(doc):
    """Build a tensor from [dtype, shape, flat values]."""
    name, shape, flat = doc
    dtype = _DTYPES[name]
    shape = tuple(int(n) for n in shape)
    if dtype in _REAL:
        return _view_as_complex(_tensor(flat, dtype=_REAL[dtype]).reshape(-1, 2)).reshape(shape)
    return _tensor(flat, dtype=dtype).reshape(shape)


_made = {}  # (name, base) -> a made-up class, so the same name gives the same class


def _made_class(name, base):
    name = str(name)[:100]
    if (name, base) not in _made and len(_made) < 10_000:
        try:
            _made[name, base] = type(name, (base,), {"__module__": "learner"})
        except Exception:  # a name type() refuses
            _made[name, base] = type("unnamed", (base,), {"__module__": "learner"})
    return _made.get((name, base)) or type("unnamed", (base,), {"__module__": "learner"})


def _rebuild_error(name, base, message):
    """Make an exception of the builtin class `name`, or of a made-up one of that name and base."""
    cls = _ERRORS.get(str(base), Exception)
    if issubclass(cls, BaseExceptionGroup):  # it needs arguments a message alone cannot give
        cls = Exception
    if name != base or cls.__name__ != name:
        cls = _made_class(name, cls)
    exc = cls.__new__(cls)
    exc.args = (str(message)[:MAX_TEXT],)
    return exc


def _opaque(name):
    """Make an object of a made-up class named as the child's was: checks call it 'a Foo object'."""
    return _made_class(name, object)()


class _Decoder:
    """The judge's objects for the child's JSON: exact types, the arguments' own objects by id."""

    SCALARS = {"bool": bool, "int": int, "float": float, "str": str}

    def __init__(self, registry):
        self.registry = registry

    def value(self, doc):
        tag = doc[0]
        if tag == "none":
            return None
        if tag in self.SCALARS:
            if type(doc[1]) is not self.SCALARS[tag]:
                raise ValueError(f"a {tag} that is not one")
            return doc[1]
        if tag == "list":
            return [self.value(item) for item in doc[1]]
        if tag == "tuple":
            return tuple(self.value(item) for item in doc[1])
        if tag == "dict":
            return {self.value(k): self.value(v) for k, v in doc[1]}
        if tag == "ref":
            return self.registry[doc[1]] if doc[1] in self.registry else _opaque("object")
        if tag == "tensor":
            return self.tensor(*doc[1:])
        if tag == "optim":
            return self.optimizer(*doc[1:])
        if tag == "object":
            return _opaque(doc[1])
        raise ValueError(f"unknown tag {tag!r}")

    def tensor(self, dtype, shape, flat, requires_grad, grads):
        value = _plain_tensor([dtype, shape, flat])
        if requires_grad is not True:
            return value
        pairs = [(self.registry.get(key), _plain_tensor(grad)) for key, grad in grads]
        pairs = [(p, g.to(p.dtype)) for p, g in pairs
                 if isinstance(p, Tensor) and p.requires_grad and g.shape == p.shape]
        if pairs:
            return _Replay.apply(value, tuple(g for _, g in pairs), *(p for p, _ in pairs))
        # No path to the arguments: a leaf that requires grad, as the child's was to them.
        return value.requires_grad_() if value.is_floating_point() or value.is_complex() else value

    def optimizer(self, name, defaults, groups):
        cls = _OPTIMIZERS.get(name)
        if cls is None:
            return _opaque(name)
        optimizer = cls.__new__(cls)  # the state the checks read, without running __init__
        optimizer.defaults, optimizer.param_groups = self.value(defaults), self.value(groups)
        optimizer.state = defaultdict(dict)
        return optimizer


def _apply_changes(changes, registry):
    """Copy into the judge's tensors what the call changed in the child's copies of them."""
    for key, data, grad, requires_grad in changes:
        t = registry.get(key)
        if not isinstance(t, Tensor):
            continue
        if data is not None:
            new = _plain_tensor(data)
            with torch.no_grad():
                if new.dtype == t.dtype and new.shape == t.shape:
                    t.copy_(new)
                else:
                    t.data = new
        if grad == "none":
            t.grad = None
        elif grad is not None:
            t.grad = _plain_tensor(grad)
        if type(requires_grad) is bool and t.is_leaf:
            t.requires_grad_(requires_grad)


# ------------------------------------------------------------------ the child's side

def _child(request, write_end):
    """Run one call in this freshly forked child, send what it did, exit; never return."""
    status = 70
    try:
        overrides = {name: _detached(reference) for name, reference in request.overrides.items()}
        _seal(request.limits, write_end)
        try:
            doc = _run(request, overrides)
        except Exception as exc:  # a value that broke the encoder: say so rather than die
            message = f"the grader could not send back what the call did ({_error_text(exc)})"
            doc = {"value": ["none"],
                   "error": ["ChildProcessError", "ChildProcessError", message],
                   "warnings": [], "printed": "", "changes": [], "cells": None}
        payload = json.dumps(doc).encode()
        _write_all(3, b"%d\n" % len(payload) + payload)
        status = 0
    finally:
        os._exit(status)


def _detached(fn):
    """Copy a reference function, with globals that hold only the names its code uses.

    The check modules are emptied in the child; a reference put in place by
    graded_alone must keep working without them.
    """
    if type(fn) is not types.FunctionType:
        return fn
    names, codes = set(), [fn.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    scope = {name: fn.__globals__[name] for name in names if name in fn.__globals__}
    scope["__builtins__"] = builtins
    copy = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


class _Refuse:
    """The child's first import hook: the grader's own packages are not there, nor a fresh gc."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN or name == "gc":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def _seal(limits, write_end):
    """Contain this child before any learner code runs in it."""
    os.setpgid(0, 0)  # so the judge can kill it with anything it forks
    signal.set_wakeup_fd(-1)
    for sig in signal.valid_signals():
        if callable(signal.getsignal(sig)):  # the judge's handlers are not the child's
            signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    # Only the result pipe (as fd 3) and /dev/null: a write to the judge's stdout
    # would corrupt the pipeline's protocol.
    os.dup2(write_end, 3)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(4, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
    if limits.mem_bytes:
        # On top of what the judge had mapped: the child starts as a copy of its address space.
        with open("/proc/self/statm") as f:
            mapped = int(f.read().split()[0]) * resource.getpagesize()
        cap = mapped + limits.mem_bytes
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    os.chdir("/tmp")
    for name in list(sys.modules):
        if name.partition(".")[0] in HIDDEN:
            module = sys.modules.pop(name)
            if name.startswith("grader.checks.") and name != "grader.checks._core" and \
                    isinstance(module, types.ModuleType):
                vars(module).clear()  # a class the checks made (a model) leads to these globals
    sys.meta_path.insert(0, _Refuse())
    for name in GC_WALKERS:  # the leftovers of the judge's other thread stay out of reach
        vars(gc).pop(name, None)
    sys.path[:] = [p for p in sys.path
                   if not any(os.path.isdir(os.path.join(p or ".", h)) for h in HIDDEN)]


def _run(request, overrides):
    """Run the setup code, the learner's cells and the call; return what happened as plain data."""
    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    namespace = vars(main)  # no get_ipython(): a cell that needs the shell fails, as a tamper would
    first_error = None
    for cell in request.cells:  # output goes to /dev/null: no one reads a cell's output here
        if type(cell) is str:
            first_error = first_error or cell
            continue
        try:
            exec(cell, namespace)
        except BaseException as exc:  # the cell stops, the notebook goes on
            first_error = first_error or _error_text(exc)
    namespace.update(overrides)
    fn = namespace.get(request.name)
    tensors = [x for x in request.registry.values() if isinstance(x, Tensor)]
    before = [(t, _clone(_detach(t)), None if t.grad is None else _clone(_detach(t.grad)),
               bool(t.requires_grad)) for t in tensors]
    value, error, out = None, None, StringIO()
    with catch_warnings(record=True) as caught, redirect_stdout(out), redirect_stderr(out):
        simplefilter("always")
        try:
            if request.name not in namespace:
                after = f" (the first cell that failed: {first_error[:300]})" if first_error else ""
                raise NameError(f"name {request.name!r} is not defined{after}")
            value = fn(*request.args)
        except BaseException as exc:
            error = exc
    vars(builtins).update(_BUILTINS)  # what the call rebound there must not break the sending
    encoder = _Encoder(request.registry, [t for t in tensors if t.requires_grad])
    return {"value": encoder.value(value),
            "error": None if error is None else _describe_error(error),
            "warnings": [_describe_warning(w) for w in caught[:100]],
            "printed": out.getvalue()[:MAX_TEXT],
            "changes": _changes(before, encoder),
            "cells": first_error}


def _class_names(cls):
    """Return [the class's name, the name of its nearest builtin exception base]."""
    base = next((c for c in cls.__mro__ if _ERRORS.get(c.__name__) is c), BaseException)
    return [str(cls.__name__)[:100], base.__name__]


def _describe_error(exc):
    return [*_class_names(type(exc)), BaseException.__str__(exc)[:MAX_TEXT]]


def _describe_warning(w):
    message = w.message
    text = BaseException.__str__(message) if isinstance(message, BaseException) else str(message)
    return [*_class_names(w.category), text[:MAX_TEXT], str(w.filename), int(w.lineno)]


class _Encoder:
    """A value as JSON-ready lists, in the child: exact types only, tensors with their gradients."""

    def __init__(self, registry, inputs):
        self.registry = registry  # the arguments' objects: sent as references
        self.inputs = inputs      # the arguments' tensors that require grad
        self.items, self.elements = MAX_ITEMS, MAX_ELEMENTS

    def value(self, x, depth=0):
        t = type(x)
        if x is None:
            return ["none"]
        if t is bool or t is float:
            return [t.__name__, x]
        if t is int:
            # JSON writes ints as digits, and Python refuses to write more than 4300 of them.
            return ["int", x] if x.bit_length() < 14_000 else ["object", "int"]
        if t is str:
            return ["str", x[:MAX_TEXT]]
        self.items -= 1
        if self.items < 0 or depth > MAX_DEPTH:
            return ["object", t.__name__]
        if t is list or t is tuple:
            return [t.__name__, [self.value(item, depth + 1) for item in x]]
        if t is dict:
            return ["dict", [[self.value(k, depth + 1), self.value(v, depth + 1)]
                             for k, v in dict.items(x)]]
        if self.registry.get(id(x)) is x:
            return ["ref", id(x)]
        if t is Tensor:
            return self.tensor(x)
        if _OPTIMIZERS.get(t.__name__) is t:
            return ["optim", t.__name__, self.value(x.defaults, depth + 1),
                    self.value(x.param_groups, depth + 1)]
        return ["object", t.__name__]

    def tensor(self, x):
        try:
            plain = self.plain(x)
        except Exception:  # meta, sparse or quantized tensors: no plain values to send
            plain = None
        if plain is None:
            return ["object", "Tensor"]
        grads = []
        if x.requires_grad and self.inputs:
            try:
                total = _tensor_sum(x)
                # The engine itself (as torch.autograd.grad calls it), not a patchable wrapper.
                found = _run_backward((total,), (_ones_like(total),), True, False,
                                      tuple(self.inputs), True, False)
            except Exception:  # no gradient to send: the judge's copy gets no path either
                found = ()
            for p, g in zip(self.inputs, found):
                plain_grad = None if g is None else self.plain(g)
                if plain_grad is not None:
                    grads.append([id(p), plain_grad])
        return ["tensor", *plain, bool(x.requires_grad), grads]

    def plain(self, x):
        """Return [dtype, shape, flat values] of a tensor, or None past the size limit."""
        data = _detach(x)
        self.elements -= _numel(data)
        if self.elements < 0:
            return None
        flat = _reshape(data, (-1,))
        if data.is_complex():
            flat = _view_as_real(flat)
        return [str(data.dtype), list(_size(data)), _tolist(_reshape(flat, (-1,)))]


def _same(a, b):
    return a.dtype == b.dtype and _size(a) == _size(b) and _equal(a, b)


def _changes(before, encoder):
    """List what the call changed in the arguments' tensors: values, .grad, requires_grad."""
    changes = []
    for t, data, grad, requires_grad in before:
        now, now_grad = _detach(t), t.grad
        entry = [id(t), None, None, None]
        if not _same(now, data):
            entry[1] = encoder.plain(now)
        if now_grad is None and grad is not None:
            entry[2] = "none"
        elif now_grad is not None and (grad is None or not _same(_detach(now_grad), grad)):
            entry[2] = encoder.plain(now_grad)
        if bool(t.requires_grad) != requires_grad:
            entry[3] = bool(t.requires_grad)
        if entry[1] is not None or entry[2] is not None or entry[3] is not None:
            changes.append(entry)
    return changes


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# ------------------------------------------------------------------ the grader's side

def _send(conn, doc):
    conn.send_bytes(json.dumps(doc).encode())


def serve(fd):
    """The judge process: `python -m grader.judge FD`, FD a socket to the grader.

    The first message holds the assignment (judge_request) and the memory cap;
    each next one a notebook and the call time limit. For each notebook it
    answers one verdict per graded test cell, then {"done": true}.
    """
    pyprctl.set_dumpable(False)  # no child (same uid, in the sandbox) may ptrace this process
    conn = Connection(fd)
    hello = json.loads(conn.recv_bytes())
    judge = Judge(hello["judge"], hello["mem_bytes"])
    del hello  # the checks' source: compiled now, and not left for a child to find
    _send(conn, {"ready": True})
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except EOFError:  # the grader is done with this worker
            return
        judge.call_timeout = float(request["timeout"])
        judge.limits = judge.limits._replace(cpu_seconds=ceil(judge.call_timeout) + 1)
        for grade_id, check, verdict in judge.verdicts(request["notebook"]):
            _send(conn, {"id": grade_id, "check": check, **verdict})
        clean([os.environ.get("HOME", "/tmp")])
        _send(conn, {"done": True})


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore", message="Cell is missing an id field")
    serve(int(sys.argv[1]))
