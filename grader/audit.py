"""Read submissions safely and flag what an instructor should look at before trusting a grade.

- `load_submission(path)`: the notebook, or a sentence saying why it cannot be
  graded; nbgrader is never handed a file it cannot read.
- `check_cells(nb, release_nb)`: test, setup, locked and answer cells of the
  release that the submission deleted, duplicated, edited or re-labelled.
- `audit(nb, release_nb)`: a static reading of the code the learner controls
  (answer cells and cells they added), line by line, for code that reaches
  past its own functions: patching imported modules or builtins, the grader's
  objects, frames and interpreter internals, IPython, files, programs, the
  network. A flag asks for a human look; it is not a verdict.
"""
import ast
import builtins
import json
import re
import warnings
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from IPython.core.splitinput import LineInfo
from nbformat.validator import iter_validate, normalize

# ---------------------------------------------------------------- reading a submission


def load_submission(path):
    """Read a submitted notebook: (NotebookNode v4, None), or (None, why it cannot be graded)."""
    path = Path(path)
    name = path.name or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, f"{path}: there is no such file."
    except OSError as err:
        return None, f"{path} could not be read: {err.strerror or err}."
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        return None, (f"{name} is not UTF-8 text: byte 0x{raw[err.start]:02x} at line {line}, "
                      f"column {column} cannot be decoded.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:  # e.g. a truncated upload or a hand-edited file
        return None, f"{name} is not valid JSON: {err.msg.removesuffix(' at')} (line {err.lineno}, column {err.colno})."
    except RecursionError:
        return None, f"{name} is not a notebook: its JSON is nested too deeply to read."
    if not isinstance(data, dict):
        return None, f"{name} is not a notebook: its JSON is {_json_kind(data)}, not an object."
    major, minor = data.get("nbformat"), data.get("nbformat_minor", 0)
    if not _is_int(major):
        return None, f"{name} is not a notebook: it has no numeric 'nbformat' version."
    if major > 4:
        return None, f"{name} is nbformat version {major}; the grader reads version 4."
    if major == 4 and not _is_int(minor):
        return None, f"{name} is not a valid notebook: its 'nbformat_minor' is not a number."
    # nbformat raises assorted errors (KeyError, TypeError, ...) on malformed structure;
    # the caller must get a sentence, never a traceback.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing cell ids: filled in, as nbformat.read does
            if major < 4:
                try:
                    data = nbformat.reads(text, as_version=4)
                except Exception as err:
                    return None, (f"{name} is nbformat version {major} and could not be upgraded "
                                  f"to version 4: {_first_line(err)}.")
            error = next(iter_validate(_with_cell_ids(data)), None)
            if error is not None:
                return None, f"{name} is not a valid notebook: {_first_line(error)}{_where(error)}."
            nb = nbformat.reads(text, as_version=4) if major == 4 else data
    except Exception as err:
        return None, f"{name} could not be read as a notebook: {type(err).__name__}: {_first_line(err)}."
    return nb, None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _json_kind(value):
    kinds = {list: "a list", str: "a string", int: "a number", float: "a number",
             bool: "true or false", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def _with_cell_ids(data):
    """Copy data with missing cell ids filled in, so only what nbformat cannot repair fails."""
    try:
        return normalize(data)[1]
    except Exception:  # structure too broken to normalize: the schema says what is wrong
        return data


def _first_line(err):
    lines = str(err).strip().splitlines() or [type(err).__name__]
    return _clip(lines[0].rstrip("."))


def _where(error):
    path = list(getattr(error, "relative_path", None) or getattr(error, "path", None) or [])
    if len(path) >= 2 and path[0] == "cells" and _is_int(path[1]):
        return f" (cell {path[1] + 1})"
    return f" (at {'/'.join(map(str, path))})" if path else ""


def _clip(text, limit=200):
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ---------------------------------------------------------------- release cells vs submission


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _nbgrader(cell):
    meta = (cell.get("metadata") or {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _grade_id(cell):
    grade_id = _nbgrader(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _flagged(meta):
    return any(meta.get(flag) for flag in ("grade", "solution", "locked"))


def _kept(cells):
    """Map each grade_id to the 1-based position of the cell nbgrader grades under it."""
    # nbgrader's DeduplicateIds keeps the metadata of the last cell flagged grade, solution
    # or locked under a grade_id and clears it from earlier ones, which then run as plain code.
    kept, flagged = {}, {}
    for index, cell in enumerate(cells, 1):
        grade_id = _grade_id(cell)
        if grade_id:
            kept[grade_id] = index
            if _flagged(_nbgrader(cell)):
                flagged[grade_id] = index
    return {**kept, **flagged}


def _is_answer(meta):
    return bool(meta.get("solution")) and not meta.get("grade")


def _points(meta):
    points = meta.get("points", 0) if meta.get("grade") else 0
    return points if isinstance(points, (int, float)) and not isinstance(points, bool) else None


def _describe(meta):
    if _is_answer(meta):
        return "answer cell"
    points = _points(meta)
    if meta.get("grade") and meta.get("solution"):
        return "graded answer cell"
    if meta.get("grade") and points:
        return f"test cell ({points:g} point{'s' if points != 1 else ''})"
    return "locked cell"


def _normalized_lines(source):
    lines = [line.rstrip() for line in source.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _first_difference(released, submitted):
    """Name the first line where two cell sources differ, as a phrase."""
    old, new = _normalized_lines(released), _normalized_lines(submitted)
    for number, (a, b) in enumerate(zip(old, new), 1):
        if a != b:
            return f"at line {number}: {_clip(b.strip(), 80)!r} instead of {_clip(a.strip(), 80)!r}"
    if len(new) < len(old):
        return f"from line {len(new) + 1} on: {len(old) - len(new)} released line(s) are missing"
    return f"from line {len(old) + 1} on: {len(new) - len(old)} line(s) were added"


def check_cells(nb, release_nb):
    """Compare the release's nbgrader cells with the submission's, by grade_id."""
    cells = nb.get("cells", [])
    positions = {}
    for index, cell in enumerate(cells, 1):
        if _grade_id(cell):
            positions.setdefault(_grade_id(cell), []).append(index)
    kept = _kept(cells)
    released = {}
    findings = []
    for rel in release_nb.get("cells", []):
        grade_id, meta = _grade_id(rel), _nbgrader(rel)
        if not grade_id or grade_id in released:
            continue
        released[grade_id] = rel
        if grade_id not in positions:
            findings.append({"kind": "deleted", "cell": grade_id,
                             "detail": f"The released {_describe(meta)} is missing from the submission."})
            continue
        sub = cells[kept[grade_id] - 1]  # the copy nbgrader grades, when there are several
        sub_meta = _nbgrader(sub)
        changes = []
        if sub.get("cell_type") != rel.get("cell_type"):
            changes.append(f"its type changed from {rel.get('cell_type')} to {sub.get('cell_type')}")
        for flag in ("grade", "solution", "locked"):
            if bool(sub_meta.get(flag)) != bool(meta.get(flag)):
                changes.append(f"'{flag}' changed from {bool(meta.get(flag))} to {bool(sub_meta.get(flag))}")
        if _points(sub_meta) != _points(meta):
            changes.append(f"'points' changed from {meta.get('points', 0)} to {sub_meta.get('points', 0)}")
        if changes:
            findings.append({"kind": "metadata", "cell": grade_id,
                             "detail": f"In the {_describe(meta)}, " + "; ".join(changes) + "."})
        locked = not meta.get("solution") and (meta.get("locked") or meta.get("grade"))
        if locked and _normalized_lines(_source(sub)) != _normalized_lines(_source(rel)):
            findings.append({"kind": "edited", "cell": grade_id,
                             "detail": f"The {_describe(meta)} was edited "
                                       f"{_first_difference(_source(rel), _source(sub))}."})
    for grade_id, where in positions.items():
        if len(where) > 1:
            findings.append({"kind": "duplicated", "cell": grade_id,
                             "detail": f"The grade_id appears {len(where)} times in the submission "
                                       f"(cells {', '.join(map(str, where[:-1]))} and {where[-1]})."})
        elif grade_id not in released:
            meta = _nbgrader(cells[where[0] - 1])
            claims = [flag for flag in ("grade", "solution", "locked") if meta.get(flag)]
            if claims:  # a cell the release does not have, dressed up as a graded one
                findings.append({"kind": "metadata", "cell": grade_id,
                                 "detail": f"A cell that is not in the release claims nbgrader "
                                           f"metadata ({', '.join(claims)}, points "
                                           f"{meta.get('points', 0)})."})
    return findings


# ---------------------------------------------------------------- the static audit

# Qualified name (or prefix; `*` ends a name prefix) -> (rule, what it does, for the instructor).
_EXEC = ("dynamic-code", "runs code built at run time, so this audit cannot read it")
_IMPORT = ("dynamic-code", "imports a module by a name computed at run time")
_RUN = ("dynamic-code", "runs or loads another Python file, which this audit cannot read")
_STOP = ("exit", "can stop the kernel or the cell early, so later test cells may not run as intended")
_KILL = ("exit", "can kill or abort the grading kernel or another process")
_FRAMES = ("introspection", "reads call-stack frames, where the tests' and the grader's variables live")
_TRACE = ("introspection", "installs a hook that sees every later call, the tests' included")
_GC = ("introspection", "finds objects the notebook was never given, such as the grader's checks")
_GRADER = ("grader", "is the course's grading code or its reference solutions, off limits to answers")
_OPEN = ("filesystem", "opens files, so it could read the course folder's checks or solutions")
_LIST = ("filesystem", "lists folders, so it could find the course's checks and solutions")
_FILES = ("filesystem", "changes files or the working folder")
_SHELL = ("shell", "runs another program, outside anything this audit can read")
_NET = ("network", "reaches the network, e.g. to fetch answers or send work away")
RULES = {
    "builtins.exec": _EXEC, "builtins.eval": _EXEC, "builtins.compile": _EXEC,
    "types.CodeType": _EXEC, "types.FunctionType": _EXEC, "marshal": _EXEC,
    "builtins.__import__": _IMPORT, "importlib": _IMPORT,
    "runpy": _RUN,
    "builtins.exit": _STOP, "builtins.quit": _STOP, "builtins.SystemExit": _STOP,
    "sys.exit": _STOP, "os._exit": _STOP,
    "os.kill": _KILL, "os.killpg": _KILL, "os.abort": _KILL,
    "signal": ("exit", "handles or sends signals, so it can stop or hijack the grading run"),
    "atexit": ("exit", "registers code to run when the grading kernel shuts down"),
    "ctypes": ("introspection", "reaches into the interpreter's memory, past every Python-level protection"),
    "gc.get_objects": _GC, "gc.get_referrers": _GC, "gc.get_referents": _GC,
    "sys._getframe": _FRAMES, "sys._current_frames": _FRAMES, "inspect.currentframe": _FRAMES,
    "inspect.stack": _FRAMES, "inspect.trace": _FRAMES, "inspect.getouterframes": _FRAMES,
    "inspect.getinnerframes": _FRAMES,
    "sys.settrace": _TRACE, "sys.setprofile": _TRACE, "sys.addaudithook": _TRACE,
    "threading.settrace": _TRACE, "threading.setprofile": _TRACE,
    "builtins.globals": ("introspection", "reads or rewrites the global names the tests use"),
    "__main__": ("introspection", "reaches the global names the tests use"),
    "sys.modules": ("sys-modules", "reaches every imported module, the grader's checks included, "
                                   "and can swap one for another"),
    "builtins.get_ipython": ("ipython", "controls the IPython shell, so it can change how later cells, "
                                        "the tests included, run"),
    "IPython": ("ipython", "reaches IPython's internals, so it can change how later cells, "
                           "the tests included, run"),
    "grader": _GRADER, "helpers": _GRADER, "nbgrader": _GRADER,
    "builtins.open": _OPEN, "io.open": _OPEN, "io.FileIO": _OPEN, "os.open": _OPEN, "os.fdopen": _OPEN,
    "pathlib": ("filesystem", "works with file paths, so it could read or list the course folder"),
    "os.listdir": _LIST, "os.scandir": _LIST, "os.walk": _LIST, "os.fwalk": _LIST, "glob": _LIST,
    "shutil": ("filesystem", "copies, moves or deletes files"),
    "os.remove": _FILES, "os.unlink": _FILES, "os.rmdir": _FILES, "os.rename": _FILES,
    "os.replace": _FILES, "os.chdir": _FILES,
    "subprocess": _SHELL, "os.system": _SHELL, "os.popen": _SHELL, "os.exec*": _SHELL,
    "os.spawn*": _SHELL, "os.posix_spawn*": _SHELL, "os.fork*": _SHELL, "pty": _SHELL,
    "socket": _NET, "urllib": _NET, "urllib3": _NET, "http": _NET, "requests": _NET, "httpx": _NET,
    "aiohttp": _NET, "ftplib": _NET, "smtplib": _NET, "xmlrpc": _NET, "webbrowser": _NET,
    "torch.hub": _NET,
}
ALLOWED = ("IPython.display",)  # display() and friends: output only, common in learners' cells

# Attributes that expose what learner code is never handed, whatever object they hang on.
EXPOSING = {
    "__globals__": "a function's global names", "__code__": "a function's compiled code",
    "__closure__": "a function's captured variables",
    "__builtins__": "the built-in functions the tests rely on",
    "__subclasses__": "every loaded class, a common route to the grader's objects",
    "__self__": "the object behind a built-in function, such as the builtins module",
    **dict.fromkeys(["f_globals", "f_locals", "f_builtins", "f_back", "tb_frame", "gi_frame",
                     "cr_frame", "ag_frame"], "call-stack frames, where the tests' and the grader's "
                                              "variables live"),
}
# The hidden setup cell binds these; learner code has no business with them.
GRADER_NAMES = {"_grader", "_core"}
GRADER_STRING = re.compile(r"\b(?:_grader|_core)\b")

# IPython magics, as `%name` or as a bare first word in a one-line cell (automagic).
LINE_MAGICS = set("""alias alias_magic autoawait autocall automagic autosave bookmark cat cd clear
    code_wrap colors conda config connect_info cp debug dhist dirs doctest_mode ed edit env gui hist
    history killbgscripts ldir less lf lk ll load load_ext loadpy logoff logon logstart logstate
    logstop ls lsmagic lx macro magic mamba man matplotlib micromamba mkdir more mv notebook page
    pastebin pdb pdef pdoc pfile pinfo pinfo2 pip popd pprint precision prun psearch psource pushd
    pwd pycat pylab qtconsole quickref recall rehashx reload_ext rep rerun reset reset_selective rm
    rmdir run save sc set_env sx system tb time timeit unalias unload_ext uv who who_ls whos xdel
    xmode""".split())
PYTHON_MAGICS = {"time", "timeit", "prun", "capture"}  # they run Python code: read that code
QUIET_MAGICS = {"matplotlib", "pinfo", "pinfo2", "pdoc", "pdef", "psearch", "who", "whos", "who_ls",
                "lsmagic", "magic", "quickref", "precision", "pprint", "history", "hist", "pwd",
                "page", "xmode", "colors", "dhist", "dirs", "html", "HTML", "markdown", "latex", "svg", "SVG",
                "javascript", "js"}
MAGIC_RULES = {
    **dict.fromkeys("""system sx sc bash sh script perl ruby python python2 python3 pypy ! pip conda
        mamba micromamba uv alias unalias rehashx ls ll lf lk ldir lx cat cp mv rm mkdir rmdir man
        less more""".split(), _SHELL),
    **dict.fromkeys("run load loadpy".split(), _RUN),
    **dict.fromkeys("rerun recall rep macro edit ed".split(), _EXEC),
    **dict.fromkeys("pycat pfile psource".split(), _OPEN),
    **dict.fromkeys("""writefile file save cd pushd popd bookmark logstart logon logoff logstop
        notebook""".split(), _FILES),
}
BUILTIN_NAMES = set(dir(builtins)) | {"get_ipython", "display", "exit", "quit"}
# Modules the rules name, read as themselves when used but never bound (their import hidden
# from this audit, e.g. made in a way it cannot follow).
ROOT_MODULES = {key.split(".")[0] for key in RULES if not key.startswith("builtins.")} | {"builtins"}


def _matches(qualname, key):
    if key.endswith("*"):
        return qualname.startswith(key[:-1])
    return qualname == key or qualname.startswith(key + ".")


def _rule_for(qualname):
    """Return (rule, what it does) for a qualified name, or None."""
    if not qualname or any(_matches(qualname, allowed) for allowed in ALLOWED):
        return None
    return next((hit for key, hit in RULES.items() if _matches(qualname, key)), None)


def _parse(source):
    """Turn IPython syntax into Python and parse it: (code, tree), tree None when not Python."""
    try:
        code = TransformerManager().transform_cell(source)
    except Exception:  # IPython's tokenizer gives up on some broken input: not Python either
        return None, None
    try:
        return code, ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code, None


def _bindings(cells):
    """Collect names bound to imported modules (name -> dotted path) and every name bound at all."""
    modules, bound = {}, set()
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        _, tree = _parse(_source(cell))
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    modules[name] = alias.name if alias.asname else name
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif (isinstance(node, ast.Assign) and len(node.targets) == 1
                  and isinstance(node.targets[0], ast.Name)):
                # `F = nn.functional` makes F as much a module path as nn itself.
                path = _dotted(node.value, modules)
                if path:
                    modules[node.targets[0].id] = path
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return modules, bound


def _dotted(node, modules):
    """Return the module path a Name/Attribute chain reaches from an imported name, else None."""
    if isinstance(node, ast.Name):
        return modules.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, modules)
        return base and f"{base}.{node.attr}"
    return None


class _Reader(ast.NodeVisitor):
    """Collect (line, rule, why) for one parsed piece of learner code."""

    def __init__(self, modules, bound, offset, hits):
        self.modules, self.bound, self.offset, self.hits = modules, bound, offset, hits
        self.reported = set()  # ids of nodes a more specific rule has already reported

    def flag(self, node, rule, why):
        self.hits.append((node.lineno + self.offset, rule, why))

    def module_of(self, name):
        """Return the module path a name stands for, or None."""
        if name in self.modules:
            return self.modules[name]
        return name if name in ROOT_MODULES and name not in self.bound else None

    def qualname(self, node):
        """Resolve a name or attribute chain: 'subprocess.run' for `sp.run`, 'builtins.open' for `open`."""
        if isinstance(node, ast.Name):
            if self.module_of(node.id):
                return self.module_of(node.id)
            return f"builtins.{node.id}" if node.id in BUILTIN_NAMES else None
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return base and f"{base}.{node.attr}"
        return None

    def module_root(self, node):
        """Return (root Name, module path) when node is an imported module or reached from one."""
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        if isinstance(node, ast.Name):
            if node.id == "__builtins__":
                return node, "builtins"
            if self.module_of(node.id):
                return node, self.module_of(node.id)
        return None

    def use(self, node, qualname=None, imported=False):
        """Flag a reference (or an import) whose qualified name a rule names; True when flagged."""
        qualname = qualname or self.qualname(node)
        hit = _rule_for(qualname)
        if hit:
            plain = qualname.removeprefix("builtins.")
            shown = _clip(ast.unparse(node), 60)
            what = (f"Imports {plain}" if imported else
                    f"Uses {shown}" if shown == plain else f"Uses {shown} ({plain})")
            self.flag(node, hit[0], f"{what}, which {hit[1]}.")
        return bool(hit)

    def patch(self, node, target, action):
        """Flag action when it changes an imported module (or builtins) through target."""
        root = self.module_root(target)
        if not root:
            return
        name, module = root
        self.reported.add(id(name))
        if module.split(".")[0] == "builtins":
            self.flag(node, "patch-builtins", f"{action}, changing a built-in that every later "
                                              f"cell, the tests included, uses.")
        else:
            self.flag(node, "patch-module", f"{action}, changing the imported {module} for every "
                                            f"later cell, the tests included.")

    def target(self, node):
        """Flag an assignment or del whose target lies in an imported module."""
        shown = _clip(ast.unparse(node), 60)
        if isinstance(node.ctx, ast.Del):
            self.patch(node, node, f"Deletes {shown}")
        elif isinstance(node.ctx, ast.Store):
            self.patch(node, node, f"Assigns to {shown}")

    def nested(self, code, offset):
        """Read code a magic runs (%%time, %timeit, ...) as if it stood in the cell."""
        _read_code(code, self.offset + offset, self.modules, self.bound, self.hits)

    # -- imports

    def visit_Import(self, node):
        for alias in node.names:
            self.use(node, alias.name, imported=True)

    def visit_ImportFrom(self, node):
        if node.level or not node.module:
            return
        for alias in node.names:
            if alias.name != "*":
                self.use(node, f"{node.module}.{alias.name}", imported=True)
            elif not self.use(node, node.module, imported=True):
                # `from os import *` brings os.system & co. in without their prefix.
                key = next((k for k in RULES if k.startswith(node.module + ".")
                            and not k.removeprefix(node.module + ".").startswith("_")), None)
                if key:
                    rule, what = RULES[key]
                    self.flag(node, rule, f"Imports every public name of {node.module}, among them "
                                          f"{key.rstrip('*')}..., which {what}.")

    # -- names and attributes

    def visit_Name(self, node):
        if id(node) in self.reported:
            return
        if node.id in GRADER_NAMES:
            self.flag(node, "grader", f"Uses {node.id}, a name of the grader's hidden setup, "
                                      f"which learner code has no reason to touch.")
        elif node.id == "__builtins__":
            self.flag(node, "introspection", "Uses __builtins__, which exposes the built-in "
                                             "functions the tests rely on.")
        elif isinstance(node.ctx, ast.Load):
            self.use(node)

    def visit_Attribute(self, node):
        self.target(node)
        self.attribute(node, node.value, node.attr)
        if isinstance(node.ctx, ast.Load) and self.use(node):
            return  # the chain is reported once, as a whole
        self.generic_visit(node)

    def attribute(self, node, value, attr):
        """Flag reading attr of value when the attribute itself gives too much away."""
        if attr in GRADER_NAMES:
            self.flag(node, "grader", f"Uses .{attr}, a name of the grader's hidden setup, "
                                      f"which learner code has no reason to touch.")
        elif attr in EXPOSING:
            self.flag(node, "introspection", f"Uses .{attr}, which exposes {EXPOSING[attr]}.")
        elif attr == "__dict__" and self.module_root(value):
            self.flag(node, "introspection", "Uses a module's __dict__, which exposes and can "
                                             "rewrite its namespace directly.")

    def visit_Subscript(self, node):
        self.target(node)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and GRADER_STRING.search(node.value):
            self.flag(node, "grader", f"Names {GRADER_STRING.search(node.value).group()} in a string, "
                                      f"a name of the grader's hidden setup, e.g. to reach it "
                                      f"through getattr or globals().")

    # -- calls

    def visit_Call(self, node):
        if self.ipython_call(node):
            return
        function = self.qualname(node.func)
        args = node.args
        if function in ("builtins.setattr", "builtins.delattr") and args:
            self.patch(node, args[0], f"Calls {_clip(ast.unparse(node), 60)}")
        if function in ("builtins.getattr", "builtins.setattr", "builtins.delattr",
                        "builtins.hasattr") and len(args) >= 2:
            attr = args[1].value if isinstance(args[1], ast.Constant) else None
            if isinstance(attr, str):
                self.attribute(node, args[0], attr)
                base = self.qualname(args[0])
                if base:
                    self.use(node, f"{base}.{attr}")
            elif self.module_root(args[0]):
                self.flag(node, "dynamic-code", "Looks up an attribute of an imported module by a "
                                                "name computed at run time, which this audit cannot read.")
        if function == "builtins.vars" and args and self.module_root(args[0]):
            self.flag(node, "introspection", "Calls vars() on a module, which exposes and can "
                                             "rewrite its namespace directly.")
        self.generic_visit(node)

    def ipython_call(self, node):
        """Read `get_ipython().<method>(...)`, what `!cmd` and `%magic` become; return True if it was one."""
        func = node.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"):
            return False
        texts = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
                 for a in node.args]
        magic = texts[0] if texts and func.attr in ("run_line_magic", "run_cell_magic") else None
        if func.attr in ("system", "getoutput"):
            self.flag(node, "shell", "Runs a shell command through IPython (! or !!), outside "
                                     "anything this audit can read.")
        elif magic in PYTHON_MAGICS:
            code = _python_tail(texts[1] if len(texts) > 1 else None)
            if code:
                self.nested(code, node.lineno - 1)
            if func.attr == "run_cell_magic" and len(texts) > 2 and texts[2] is not None:
                self.nested(texts[2], node.lineno)  # the body starts on the line after %%magic
            return True
        elif magic in QUIET_MAGICS:
            pass
        elif magic:
            rule, what = MAGIC_RULES.get(magic, ("ipython", "drives the IPython shell that runs "
                                                            "the tests"))
            percent = "%%" if func.attr == "run_cell_magic" else "%"
            self.flag(node, rule, f"Runs the IPython magic {percent}{magic}, which {what}.")
        else:
            self.flag(node, "ipython", f"Calls get_ipython().{func.attr}, which changes or drives "
                                       f"the IPython shell that runs the tests.")
        for child in [*node.args, *(k.value for k in node.keywords)]:
            self.visit(child)
        return True


def _python_tail(text):
    """Return the Python code ending a magic's line (`-n 10 f(x)` -> `f(x)`), or None."""
    words = (text or "").split()
    for start in range(len(words)):
        code = " ".join(words[start:])
        if _parse(code)[1] is not None:
            return code
    return None


def _read_code(source, offset, modules, bound, hits):
    """Append a (line, rule, why) hit to hits for every flagged line of one piece of source."""
    code, tree = _parse(source)
    lines = code.splitlines() if code else []
    if len(lines) == 1:
        # IPython's automagic: a one-line cell `cd ..` or `ls` runs the magic of that name.
        info = LineInfo(lines[0])
        if (not info.esc and info.ifun in LINE_MAGICS and info.ifun not in bound
                and info.the_rest[:1] not in ("=", ",")):
            tree = _parse(f"{info.pre}%{info.ifun} {info.the_rest}")[1] or tree
    if tree is None:
        return  # not Python: the cell simply fails when graded
    # IPython drops a cell's leading blank lines before it runs: count them back in.
    lead = 0
    for line in source.splitlines():
        if line.strip():
            break
        lead += 1
    _Reader(modules, bound, offset + lead, hits).visit(tree)


def _learner_cells(nb, release_nb):
    """Yield (label, source) for the cells whose code the learner controls, in notebook order."""
    released = {}
    for cell in release_nb.get("cells", []):
        released.setdefault(_grade_id(cell), cell)
    cells = nb.get("cells", [])
    kept = _kept(cells)
    for index, cell in enumerate(cells, 1):
        grade_id = _grade_id(cell)
        if grade_id and _flagged(_nbgrader(cell)) and kept[grade_id] != index:
            grade_id = None  # an earlier copy: nbgrader clears its metadata and runs it as written
        rel = released.get(grade_id) if grade_id else None
        if rel is None:
            if cell.get("cell_type") == "code":
                yield f"added cell {index}", _source(cell)
        elif rel.get("cell_type") == "code" and not _nbgrader(rel).get("locked"):
            # nbgrader turns a released code cell back into code (an answer turned into markdown
            # runs all the same) and puts back the source of locked cells only.
            yield (grade_id if kept[grade_id] == index else f"added cell {index}"), _source(cell)


def audit(nb, release_nb):
    """Flag the lines of learner-controlled code cells that reach past the learner's own code."""
    modules, bound = _bindings([*release_nb.get("cells", []), *nb.get("cells", [])])
    flags = []
    for label, source in _learner_cells(nb, release_nb):
        lines = source.splitlines()
        hits = []
        _read_code(source, 0, modules, bound, hits)
        done = set()
        for line, rule, why in sorted(hits, key=lambda hit: hit[0]):
            if (line, rule) in done:
                continue
            done.add((line, rule))
            code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            flags.append({"cell": label, "line": line, "code": _clip(code), "rule": rule, "why": why})
    return flags
