"""Read submissions safely and point an instructor at what to look at before trusting a grade.

- `load_submission(path)`: the notebook, or a sentence saying why it cannot be graded.
- `check_cells(nb, release_nb)`: test, setup, locked and answer cells of the release that the
  submission deleted, duplicated, edited or re-labelled.
- `audit(nb, release_nb)`: a static reading of the code the learner controls (answer cells and
  cells they added) for lines that reach past the exercise, by the table RULES. A flag asks for
  a human look, not a verdict: learner code runs in a sandbox and a sealed judge decides the
  points, so this reading is advice, not a defence. It follows imports and aliases, never values.
"""
import ast
import builtins
import json
import re
import warnings
from itertools import zip_longest
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbformat.validator import iter_validate, normalize

from grader.course import cell_source


def load_submission(path):
    """Read a submitted notebook: (NotebookNode v4, None), or (None, why it cannot be graded)."""
    path = Path(path)
    name = path.name or str(path)
    try:
        raw = path.read_bytes()
        data = json.loads(text := raw.decode("utf-8"))
    except OSError as err:
        return None, f"{path} could not be read: {err.strerror or err}."
    except UnicodeDecodeError as err:
        line, column = raw.count(b"\n", 0, err.start) + 1, err.start - raw.rfind(b"\n", 0, err.start)
        return None, (f"{name} is not UTF-8 text: byte 0x{raw[err.start]:02x} at line {line}, "
                      f"column {column} cannot be decoded.")
    except json.JSONDecodeError as err:  # e.g. a truncated upload or a hand-edited file
        return None, (f"{name} is not valid JSON: {err.msg.removesuffix(' at')} "
                      f"(line {err.lineno}, column {err.colno}).")
    except RecursionError:
        return None, f"{name} is not a notebook: its JSON is nested too deeply to read."
    kinds = {dict: None, list: "a list", str: "a string", bool: "true or false", type(None): "null"}
    kind = kinds.get(type(data), "a number")
    major, minor = (data.get("nbformat"), data.get("nbformat_minor", 0)) if kind is None else (0, 0)
    problem = (f"is not a notebook: its JSON is {kind}, not an object" if kind
               else "is not a notebook: it has no numeric 'nbformat' version" if type(major) is not int
               else f"is nbformat version {major}; the grader reads version 4" if major > 4
               # nbformat would fail on this one with a bare AssertionError
               else "is not a valid notebook: its 'nbformat_minor' is not a number"
               if major == 4 and type(minor) is not int else None)
    if problem:
        return None, f"{name} {problem}."
    step = "upgraded to version 4"
    try:  # nbformat raises assorted errors on malformed structure: the caller gets a sentence
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing cell ids: filled in, as nbformat.read does
            data = nbformat.reads(text, as_version=4) if major < 4 else data
            step = "read as a notebook"
            try:  # validate a copy with cell ids filled in: only what nbformat cannot repair fails
                error = next(iter_validate(normalize(data)[1]), None)
            except Exception:  # too broken to repair: the schema says what is wrong
                error = next(iter_validate(data), None)
            if error is None:
                return (nbformat.reads(text, as_version=4) if major == 4 else data), None
    except Exception as err:
        return None, f"{name} could not be {step}: {_first_line(err)}."
    where = list(getattr(error, "relative_path", None) or [])
    where = f" (cell {where[1] + 1})" if where[:1] == ["cells"] and len(where) > 1 else ""
    return None, f"{name} is not a valid notebook: {_first_line(error)}{where}."


def _first_line(err):
    return _clip((str(err).strip().splitlines() or [type(err).__name__])[0].rstrip("."))


def _clip(text, limit=200):
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ---------------------------------------------------------------- release cells vs submission
FLAGS = ("grade", "solution", "locked")  # nbgrader's cell flags


def _nbgrader(cell):
    meta = (cell.get("metadata") or {}).get("nbgrader")  # a submission's metadata can be anything
    return meta if isinstance(meta, dict) else {}


def _grade_id(cell):
    grade_id = _nbgrader(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _claims(cell):
    return [flag for flag in FLAGS if _nbgrader(cell).get(flag)]


def _copies(cells):
    """Map each grade_id to the 1-based positions of its cells, the one nbgrader grades last."""
    # nbgrader's DeduplicateIds keeps the metadata of the last flagged cell under a grade_id and
    # clears earlier ones', which run as plain code; with none flagged, the last cell counts.
    copies = {}
    for index, cell in sorted(enumerate(cells, 1), key=lambda pair: bool(_claims(pair[1]))):
        copies.setdefault(_grade_id(cell), []).append(index)
    return copies


def _settings(cell):
    """What nbgrader grades a cell by: its type, its flags and its points."""
    meta = _nbgrader(cell)
    points = meta.get("points", 0) if meta.get("grade") else 0
    return {"its type": cell.get("cell_type"), **{f"'{flag}'": bool(meta.get(flag)) for flag in FLAGS},
            "'points'": points if type(points) in (int, float) else None}


def check_cells(nb, release_nb):
    """Compare the release's nbgrader cells with the submission's, by grade_id."""
    cells, released, findings = nb.get("cells", []), {}, []
    copies = _copies(cells)
    for rel in release_nb.get("cells", []):
        grade_id, meta, points = _grade_id(rel), _nbgrader(rel), _settings(rel)["'points'"]
        if not grade_id or grade_id in released:
            continue
        released[grade_id] = rel
        what = (("graded answer cell" if meta.get("grade") else "answer cell") if meta.get("solution")
                else f"test cell ({points:g} point{'s' * (points != 1)})" if points else "locked cell")
        if grade_id not in copies:
            findings.append(("deleted", grade_id, f"The released {what} is missing from the submission."))
            continue
        sub = cells[copies[grade_id][-1] - 1]  # the copy nbgrader grades, when there are several
        old, new = _settings(rel), _settings(sub)
        changes = [f"{key} changed from {old[key]} to {new[key]}" for key in old if old[key] != new[key]]
        if changes:
            findings.append(("metadata", grade_id, f"In the {what}, " + "; ".join(changes) + "."))
        old, new = ([line.rstrip() for line in cell_source(c).rstrip().splitlines()] for c in (rel, sub))
        pairs = enumerate(zip_longest(old, new, fillvalue="(no line)"), 1)
        edit = next((f"at line {n}: {_clip(b.strip(), 80)!r} instead of {_clip(a.strip(), 80)!r}"
                     for n, (a, b) in pairs if a != b), None)
        if edit and not meta.get("solution") and (meta.get("locked") or meta.get("grade")):
            findings.append(("edited", grade_id, f"The {what} was edited {edit}."))
    for grade_id, where in sorted(copies.items(), key=lambda item: min(item[1])):  # in notebook order
        cell, where = cells[where[0] - 1], sorted(where)
        if grade_id and len(where) > 1:
            findings.append(("duplicated", grade_id, f"The grade_id appears {len(where)} times in the "
                             f"submission (cells {', '.join(map(str, where[:-1]))} and {where[-1]})."))
        elif grade_id and grade_id not in released and _claims(cell):  # an added cell posing as graded
            claims = f"{', '.join(_claims(cell))}, points {_nbgrader(cell).get('points', 0)}"
            findings.append(("metadata", grade_id, f"A cell that is not in the release claims nbgrader "
                                                   f"metadata ({claims})."))
    return [{"kind": kind, "cell": grade_id, "detail": detail} for kind, grade_id, detail in findings]


# ---------------------------------------------------------------- the static audit
# rule: (what such code does, for the instructor; the dotted names it covers, each with everything
# under it, as regexes in which "." is a dot). Names are read through imports and aliases: `sp.run`
# after `import subprocess as sp` is subprocess.run, a bare `open` builtins.open. Magics are %name.
RULES = {
    "dynamic-code": ("runs code built or loaded at run time, which this audit cannot read", r"""
        builtins.(exec|eval|compile|__import__) types.(CodeType|FunctionType) marshal importlib runpy
        %(run|load|loadpy|rerun|recall|rep|macro|edit|ed)"""),
    "exit": ("can stop or kill the kernel, so later test cells may not run as intended", r"""
        builtins.(exit|quit|SystemExit) sys.exit os.(_exit|kill\w*|abort) signal atexit %killbgscripts"""),
    "introspection": ("reaches frames, globals or objects the notebook was never given", r"""
        ctypes gc.get_(objects|referrers|referents) inspect.(currentframe|stack|trace|get(outer|inner)frames)
        sys.(_getframe|_current_frames|settrace|setprofile|addaudithook) threading.(settrace|setprofile)
        builtins.globals __main__ [\w.]+.__dict__ %(debug|pdb)"""),
    "sys-modules": ("reaches or swaps any imported module, the grader's checks included", "sys.modules"),
    "ipython": ("drives the IPython shell, so it can change how later cells, the tests included, run", r"""
        builtins.get_ipython IPython %(autocall|automagic|alias_magic)
        %(config|env|set_env|reset|reset_selective|xdel|(re|un)?load_ext)"""),
    "grader": ("is the course's grading code or its solutions, not for answers", "grader helpers nbgrader"),
    "filesystem": ("reads, lists or changes files, such as the course's checks or solutions", r"""
        builtins.open io.(open|FileIO) pathlib glob shutil
        os.(open|fdopen|listdir|scandir|walk|fwalk|remove|unlink|rmdir|rename|replace|chdir)
        %(pycat|pfile|psource|writefile|file|save|cd|pushd|popd|bookmark|logstart|notebook)"""),
    "shell": ("runs another program, outside anything this audit can read", r"""
        subprocess pty os.(system|popen|exec\w*|spawn\w*|posix_spawn\w*|fork\w*) %(system|sx|sc)
        %(bash|sh|script|perl|ruby|python[23]?|pypy|pip|conda|mamba|micromamba|uv|alias|rehashx)
        %(ls|ll|lf|lk|ldir|lx|cat|cp|mv|rm|mkdir|rmdir|man|less|more)"""),
    "network": ("reaches the network, e.g. to fetch answers or send work away", r"""
        socket urllib3? http requests httpx aiohttp ftplib smtplib xmlrpc webbrowser torch.hub %pastebin"""),
}
ALLOWED = "IPython.display"  # display() and friends: output only, and common in learners' cells
PATTERNS = [(re.compile(r"(%s)(\..+)?" % "|".join(names.split()).replace(".", r"\.")), rule)
            for rule, (_, names) in {None: (None, ALLOWED), **RULES}.items()]
# Flagged wherever they appear, as a name or an attribute of anything: the hidden setup
# cell's names, and what exposes globals, code, frames or every loaded class.
ANYWHERE = {"_grader": "grader", "_core": "grader", **dict.fromkeys(
    """__builtins__ __globals__ __code__ __closure__ __subclasses__ __self__ f_globals f_locals
    f_builtins f_back tb_frame gi_frame cr_frame ag_frame""".split(), "introspection")}
# getattr(x, 'a') and friends are read as x.a, in this context; vars(x) as x.__dict__.
ATTRIBUTE_CALLS = {"builtins.getattr": ast.Load, "builtins.hasattr": ast.Load, "builtins.vars": ast.Load,
                   "builtins.setattr": ast.Store, "builtins.delattr": ast.Del}
PYTHON_MAGICS = {"time", "timeit", "prun", "capture", "pinfo", "pinfo2"}  # they take Python: read it


def _rule_for(name):
    return next((rule for pattern, rule in PATTERNS if pattern.fullmatch(name or "")), None)


def _parse(source):
    """Turn IPython syntax into Python and parse it: the tree, or None when it is not Python."""
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except Exception:  # not Python: the cell simply fails when graded
        return None


class _Reader(ast.NodeVisitor):
    """Reads learner code against the names the whole notebook binds; collects (line, rule, why)."""

    def __init__(self, cells):
        self.names = {"__builtins__": "builtins"}  # name -> the dotted path it stands for
        self.hits, self.offset = [], 0
        trees = [_parse(cell_source(cell)) for cell in cells if cell.get("cell_type") == "code"]
        while trees:
            for node in ast.walk(trees.pop(0) or ast.Module([], [])):
                if isinstance(node, ast.Import):  # `import a.b` binds a to a, `import a.b as c` c to a.b
                    for alias in node.names:
                        root = alias.name.split(".")[0]
                        self.names[alias.asname or root] = alias.name if alias.asname else root
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    self.names.update({a.asname or a.name: f"{node.module}.{a.name}"
                                       for a in node.names if a.name != "*"})
                elif isinstance(node, ast.Assign) and [type(t) for t in node.targets] == [ast.Name]:
                    if self.qualname(node.value):  # `F = nn.functional` makes F torch.nn.functional too
                        self.names[node.targets[0].id] = self.qualname(node.value)
                elif isinstance(node, ast.Constant) and "\n" in str(node.value):
                    trees.append(_parse(node.value))  # it may be a %%magic's body, importing too

    def read(self, source, offset=0):
        """Collect the hits of one piece of source whose first line is line offset + 1."""
        # IPython's automagic runs a one-line cell such as `cd ..` as the magic %cd.
        tree = _parse(source) or ("\n" not in source.strip() and _parse("%" + source.strip()))
        if tree:  # IPython drops a cell's leading blank lines before it runs: count them back in
            outer, self.offset = self.offset, offset + next(
                (n for n, line in enumerate(source.splitlines()) if line.strip()), 0)
            self.visit(tree)
            self.offset = outer

    def flag(self, node, rule, what, why=None):
        if rule:
            why = why or f"which {RULES[rule][0]}"
            self.hits.append((node.lineno + self.offset, rule, f"{what}, {why}."))

    def qualname(self, node):
        """The dotted name an expression stands for: subprocess.run for `sp.run`, builtins.open for `open`."""
        if isinstance(node, ast.Attribute):
            return (base := self.qualname(node.value)) and f"{base}.{node.attr}"
        if isinstance(node, ast.Name):
            builtin = hasattr(builtins, node.id) or node.id == "get_ipython"
            return self.names.get(node.id) or (f"builtins.{node.id}" if builtin else None)
        return None

    def module_of(self, node):
        """The module an attribute or item chain starts from (torch for `torch.a[0].b`), else None."""
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return isinstance(node, ast.Name) and self.names.get(node.id)

    def visit_Import(self, node):
        for alias in node.names if not getattr(node, "level", 0) else ():
            name = f"{node.module}.{alias.name}".removesuffix(".*") if hasattr(node, "module") else alias.name
            self.flag(node, _rule_for(name), f"Imports {name}")

    def visit_Name(self, node):
        """A name, attribute or item: one flagged anywhere, a change to a module, a use a rule names."""
        word = getattr(node, "id", None) or getattr(node, "attr", None)
        self.flag(node, ANYWHERE.get(word), f"Uses {word}")
        module = not isinstance(node, ast.Name) and self.module_of(node)  # rebinding a name patches nothing
        verb = {ast.Store: "Assigns to", ast.Del: "Deletes"}.get(type(node.ctx))
        shown = _clip(ast.unparse(node), 60)
        if module and verb:
            whose = "the built-ins" if module.startswith("builtins") else f"the imported {module}"
            self.flag(node, "patch-builtins" if whose == "the built-ins" else "patch-module",
                      f"{verb} {shown}", f"changing {whose} for every later cell, the tests included")
        elif word and isinstance(node.ctx, ast.Load):
            name = self.qualname(node)
            plain = (name or "").removeprefix("builtins.")
            self.flag(node, _rule_for(name), f"Uses {shown}" + f" ({plain})" * (plain != shown))
        self.generic_visit(node)

    visit_ImportFrom, visit_Attribute, visit_Subscript = visit_Import, visit_Name, visit_Name

    def visit_Call(self, node):
        function, args, func = self.qualname(node.func), node.args, node.func
        if function in ATTRIBUTE_CALLS and args:
            attr = "__dict__" if function == "builtins.vars" else getattr((args + [None])[1], "value", None)
            if isinstance(attr, str):
                self.visit(ast.copy_location(ast.Attribute(args[0], attr, ATTRIBUTE_CALLS[function]()), node))
            elif self.module_of(args[0]):
                self.flag(node, "dynamic-code", "Reaches into a module by a name computed at run time",
                          "which this audit cannot read")
        if getattr(getattr(getattr(func, "value", None), "func", None), "id", None) != "get_ipython":
            return self.generic_visit(node)
        # get_ipython().<method>(...): what `!cmd` (system, getoutput) and `%magic` become
        texts = [getattr(a, "value", None) for a in args] + [""] * 3
        texts = [text if isinstance(text, str) else "" for text in texts]
        magic = texts[0] if args and func.attr in ("run_line_magic", "run_cell_magic") else None
        if magic in PYTHON_MAGICS:
            tails = [" ".join(texts[1].split()[n:]) for n in range(len(texts[1].split()))]  # `-n 9 f(x)`
            self.read(next((tail for tail in tails if _parse(tail)), ""), self.offset + node.lineno - 1)
            return self.read(texts[2], self.offset + node.lineno)  # a %%magic's body: on the next line
        shell = func.attr in ("system", "getoutput")
        self.flag(node, "shell" if shell else _rule_for(f"%{magic}") if magic else "ipython",
                  "Uses ! (IPython's shell escape)" if shell else f"Runs the IPython magic %{magic}" if magic
                  else f"Calls get_ipython().{func.attr}")  # a method, or a magic named at run time
        for child in [*args, *node.keywords]:
            self.visit(child)
        return None


def audit(nb, release_nb):
    """Flag the lines of learner-controlled code cells that reach past the learner's own code."""
    cells, flags = nb.get("cells", []), []
    released = {_grade_id(cell): cell for cell in reversed(release_nb.get("cells", []))}  # the first wins
    kept = {grade_id: where[-1] for grade_id, where in _copies(cells).items()}
    reader = _Reader([*release_nb.get("cells", []), *cells])
    for index, cell in enumerate(cells, 1):
        # nbgrader clears the metadata of an earlier copy of a flagged cell and runs it as written;
        # it turns a released code cell back into code (an answer made markdown runs all the same)
        # and puts back the source of locked cells only.
        grade_id = _grade_id(cell)
        rel = released.get(grade_id) if grade_id and (kept[grade_id] == index or not _claims(cell)) else None
        if (rel or cell).get("cell_type") != "code" or rel and _nbgrader(rel).get("locked"):
            continue
        label = grade_id if rel and kept[grade_id] == index else f"added cell {index}"
        lines, reader.hits, first = cell_source(cell).splitlines(), [], {}
        reader.read(cell_source(cell))
        for line, rule, why in sorted(reader.hits, key=lambda hit: hit[0]):
            first.setdefault((line, rule), why)  # one flag per rule and line: the first, most specific
        flags += [{"cell": label, "line": line, "code": _clip((lines[line - 1:] or [""])[0].strip()),
                   "rule": rule, "why": why} for (line, rule), why in first.items()]
    return flags
