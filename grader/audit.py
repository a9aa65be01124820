"""Read a submission safely; point an instructor at what to check before trusting its grade. The audit is advice,
not a defence (the sandbox contains learner code; the sealed judge decides points); it follows aliases, not values."""
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


def clip(text, limit=200):
    """`text`, cut to `limit` characters with "..." where it was cut."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def load_submission(path):
    """(NotebookNode v4, None), or (None, one sentence saying why it cannot be graded); never raises."""
    path = Path(path)
    fail = lambda why: (None, f"{path.name or path} {why}.")  # noqa: E731
    first = lambda err: clip((str(err).strip().splitlines() or [type(err).__name__])[0].rstrip("."))  # noqa: E731
    try:
        data = json.loads(text := (raw := path.read_bytes()).decode("utf-8"))
    except OSError as err:
        return None, f"{path} could not be read: {err.strerror or err}."
    except UnicodeDecodeError as err:
        line, col = raw.count(b"\n", 0, err.start) + 1, err.start - raw.rfind(b"\n", 0, err.start)
        return fail(f"is not UTF-8 text: byte 0x{raw[err.start]:02x} at line {line}, column {col} cannot be decoded")
    except json.JSONDecodeError as err:  # e.g. an upload cut short
        return fail(f"is not valid JSON: {err.msg.removesuffix(' at')} (line {err.lineno}, column {err.colno})")
    except RecursionError:
        return fail("is not a notebook: its JSON is nested too deeply to read")
    kind = {dict: None, list: "a list", str: "a string", bool: "true or false", type(None): "null"}.get(
        type(data), "a number")
    major, minor = (data.get("nbformat"), data.get("nbformat_minor", 0)) if kind is None else (0, 0)
    if problem := (f"is not a notebook: its JSON is {kind}, not an object" if kind
                   else "is not a notebook: it has no numeric 'nbformat' version" if type(major) is not int
                   else f"is nbformat version {major}; the grader reads version 4" if major != 4
                   else "is not a valid notebook: its 'nbformat_minor' is not a number"  # nbformat: assert
                   if type(minor) is not int else None):
        return fail(problem)
    try:  # nbformat raises assorted errors on a malformed notebook
        with warnings.catch_warnings(action="ignore"):  # missing cell ids: filled in, as nbformat.read does
            try:  # only what nbformat cannot repair is an error
                error = next(iter_validate(normalize(data)[1]), None)
            except Exception:  # too broken to repair: the schema says what is wrong
                error = next(iter_validate(data), None)
            if error is None:
                return nbformat.reads(text, as_version=4), None
    except Exception as err:
        return fail(f"could not be read as a notebook: {first(err)}")
    where = list(getattr(error, "relative_path", None) or [])
    where = f" (cell {where[1] + 1})" if where[:1] == ["cells"] and len(where) > 1 else ""
    return fail(f"is not a valid notebook: {first(error)}{where}")


def _meta(cell):  # (nbgrader metadata, grade_id or None, the flags it claims), whatever a submission holds
    meta = m if isinstance(m := (cell.get("metadata") or {}).get("nbgrader"), dict) else {}
    grade_id = g if isinstance(g := meta.get("grade_id"), str) and g else None
    return meta, grade_id, [flag for flag in ("grade", "solution", "locked") if meta.get(flag)]


def _copies(cells):  # grade_id -> 1-based positions, last the one nbgrader keeps (the last flagged); it runs the rest
    copies = {}
    for index, cell in sorted(enumerate(cells, 1), key=lambda pair: bool(_meta(pair[1])[2])):
        copies.setdefault(_meta(cell)[1], []).append(index)
    return copies


def check_cells(nb, release_nb):
    """[{kind, cell, detail}]: the release's test, answer and locked cells the submission deleted, duplicated or
    edited, and what nbgrader did. Metadata is not compared: nbgrader puts back type, lock and points; make grade
    scores the release."""
    copies, released, found = _copies(cells := nb.get("cells", [])), set(), []
    for rel in release_nb.get("cells", []):
        meta, grade_id, _ = _meta(rel)
        if not grade_id or grade_id in released:
            continue
        released.add(grade_id)
        what = ("answer cell" if meta.get("solution") else f"test cell ({p:g} point{'s' * (p != 1)})"
                if (p := meta.get("grade") and meta.get("points")) else "locked cell")
        if grade_id not in copies:
            found.append(("deleted", grade_id, f"The released {what} is missing from the submission "
                          "(nbgrader put the release's cell back and graded it)."))
            continue
        lines = ([line.rstrip() for line in cell_source(c).rstrip().splitlines()]
                 for c in (rel, cells[copies[grade_id][-1] - 1]))  # the copy nbgrader grades
        edit = next((f"at line {n}: {clip(b.strip(), 80)!r} instead of {clip(a.strip(), 80)!r}"
                     for n, (a, b) in enumerate(zip_longest(*lines, fillvalue="(no line)"), 1) if a != b), None)
        if edit and not meta.get("solution") and (meta.get("locked") or meta.get("grade")):
            found.append(("edited", grade_id, f"The {what} was edited {edit} (nbgrader graded the release's)."))
    for grade_id, where in sorted(copies.items(), key=lambda item: min(item[1])):  # in notebook order
        if grade_id and len(where) > 1:
            found.append(("duplicated", grade_id, f"The grade_id appears {len(where)} times in the submission "
                          f"(cells {', '.join(map(str, sorted(where)[:-1]))} and {max(where)}; nbgrader graded "
                          "one copy, with the release's code)."))
    return [{"kind": kind, "cell": grade_id, "detail": detail} for kind, grade_id, detail in found]


# rule: (what such code does, the dotted names it covers, with all under them, as regexes with "." a dot; %magics).
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
PATTERNS = [(re.compile(r"(%s)(\..+)?" % "|".join(names.split()).replace(".", r"\.")), rule)  # IPython.display:
            for rule, (_, names) in {None: (None, "IPython.display"), **RULES}.items()]  # output only, common
# Flagged as any name or attribute: the hidden setup cell's names; what exposes globals, code, frames, classes.
ANYWHERE = {"_grader": "grader", "_core": "grader", **dict.fromkeys(
    """__builtins__ __globals__ __code__ __closure__ __subclasses__ __self__ f_globals f_locals
    f_builtins f_back tb_frame gi_frame cr_frame ag_frame""".split(), "introspection")}
ATTRIBUTE_CALLS = {"builtins.getattr": ast.Load, "builtins.hasattr": ast.Load, "builtins.vars": ast.Load,
                   "builtins.setattr": ast.Store, "builtins.delattr": ast.Del}  # read as x.a, vars(x) x.__dict__
PYTHON_MAGICS = {"time", "timeit", "prun", "capture", "pinfo", "pinfo2"}  # they take Python: read it


def _rule_for(name):
    return next((rule for pattern, rule in PATTERNS if pattern.fullmatch(name or "")), None)


def _parse(source):  # None if it is not Python: the cell fails when graded
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except Exception:
        return None


class _Reader(ast.NodeVisitor):
    """Reads learner code against the names the whole notebook binds; hits: (line, rule) -> the first why."""

    def __init__(self, cells):
        self.names, self.hits = {"__builtins__": "builtins"}, {}  # name -> the dotted path it stands for
        trees = [_parse(cell_source(cell)) for cell in cells if cell.get("cell_type") == "code"]
        for node in (node for tree in trees for node in ast.walk(tree or ast.Module([], []))):  # trees grows
            if isinstance(node, ast.Import):  # `import a.b` binds a to a, `import a.b as c` c to a.b
                self.names.update((a.asname, a.name) if a.asname else [a.name.split(".")[0]] * 2 for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                self.names.update((a.asname or a.name, node.module + "." + a.name) for a in node.names if a.name != "*")
            elif (isinstance(node, ast.Assign) and [type(t) for t in node.targets] == [ast.Name]
                  and (name := self.qualname(node.value))):  # `F = nn.functional`: F is torch.nn.functional
                self.names[node.targets[0].id] = name
            elif isinstance(node, ast.Constant) and "\n" in str(node.value):
                trees.append(_parse(node.value))  # maybe a %%magic's body, importing too

    def read(self, source, offset=0):  # source's first line is line offset + 1
        # IPython's automagic runs a one-line cell such as `cd ..` as the magic %cd.
        if tree := _parse(source) or ("\n" not in source.strip() and _parse("%" + source.strip())):
            # IPython drops a cell's leading blank lines before it runs: count them back in
            self.visit(ast.increment_lineno(tree, offset + next(
                (n for n, line in enumerate(source.splitlines()) if line.strip()), 0)))

    def flag(self, node, rule, what, why=None):
        if rule:
            self.hits.setdefault((node.lineno, rule), f"{what}, {why or 'which ' + RULES[rule][0]}.")

    def qualname(self, node):  # the dotted name an expression stands for: builtins.open for `open`
        if isinstance(node, ast.Attribute):
            return (base := self.qualname(node.value)) and f"{base}.{node.attr}"
        if isinstance(node, ast.Name):
            builtin = hasattr(builtins, node.id) or node.id == "get_ipython"
            return self.names.get(node.id) or (f"builtins.{node.id}" if builtin else None)

    def module_of(self, node):  # the module an attribute or item chain starts from: torch for `torch.a[0].b`
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        return isinstance(node, ast.Name) and self.names.get(node.id)

    def visit_Import(self, node):  # and ImportFrom
        for alias in node.names if not getattr(node, "level", 0) else ():
            name = f"{node.module}.{alias.name}".removesuffix(".*") if hasattr(node, "module") else alias.name
            self.flag(node, _rule_for(name), f"Imports {name}")

    def visit_Name(self, node):  # and Attribute, Subscript
        word = getattr(node, "id", None) or getattr(node, "attr", None)
        self.flag(node, ANYWHERE.get(word), f"Uses {word}")
        module = not isinstance(node, ast.Name) and self.module_of(node)  # rebinding a name patches nothing
        verb, shown = {ast.Store: "Assigns to", ast.Del: "Deletes"}.get(type(node.ctx)), clip(ast.unparse(node), 60)
        if module and verb:
            whose = "the built-ins" if module.startswith("builtins") else f"the imported {module}"
            self.flag(node, "patch-builtins" if whose == "the built-ins" else "patch-module", f"{verb} {shown}",
                      f"changing {whose} for every later cell, the tests included")
        elif word and isinstance(node.ctx, ast.Load):
            plain = (name := self.qualname(node) or "").removeprefix("builtins.")
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
        texts = [a.value if isinstance(getattr(a, "value", None), str) else "" for a in args] + [""] * 3
        magic = texts[0] if args and func.attr in ("run_line_magic", "run_cell_magic") else None
        if magic in PYTHON_MAGICS:
            words = texts[1].split()  # the Python after options such as `-n 9`
            self.read(next((t for n in range(len(words)) if _parse(t := " ".join(words[n:]))), ""), node.lineno - 1)
            return self.read(texts[2], node.lineno)  # a %%magic's body: on the next line
        shell = func.attr in ("system", "getoutput")
        self.flag(node, "shell" if shell else _rule_for(f"%{magic}") if magic else "ipython",
                  "Uses ! (IPython's shell escape)" if shell else f"Runs the IPython magic %{magic}" if magic
                  else f"Calls get_ipython().{func.attr}")  # a method, or a magic named at run time
        for child in [*args, *node.keywords]:
            self.visit(child)


def audit(nb, release_nb):
    """[{cell, line, code, rule, why}]: lines of learner-controlled code that reach past the exercise."""
    cells, flags = nb.get("cells", []), []
    reader = _Reader([*release_nb.get("cells", []), *cells])
    released = {_meta(cell)[1]: cell for cell in reversed(release_nb.get("cells", []))}  # the first wins
    kept = {grade_id: where[-1] for grade_id, where in _copies(cells).items()}
    for index, cell in enumerate(cells, 1):
        # nbgrader runs an earlier copy of a flagged cell as written, turns a released code cell back
        # into code (an answer made markdown runs all the same) and puts back locked cells' source.
        _, grade_id, claims = _meta(cell)
        rel = released.get(grade_id) if grade_id and (kept[grade_id] == index or not claims) else None
        if (rel or cell).get("cell_type") != "code" or rel and _meta(rel)[0].get("locked"):
            continue
        reader.hits, lines = {}, cell_source(cell).splitlines()
        reader.read(cell_source(cell))
        flags += [{"cell": grade_id if rel and kept[grade_id] == index else f"added cell {index}",
                   "line": line, "code": clip((lines[line - 1:] or [""])[0].strip()), "rule": rule, "why": why}
                  for (line, rule), why in sorted(reader.hits.items(), key=lambda hit: hit[0][0])]
    return flags
