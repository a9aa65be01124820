"""Grade one submission in a worker process of `make grade` (grader.grade runs several). A worker keeps
two warm sandboxes, its sealed judge (grader.judge) and the zygote that forks its kernels (grader.kernel):
the judge re-checks a notebook's graded cells, then nbgrader autogrades it (its checks show the verdicts)."""
import atexit
import json
import math
import os
import shutil
import signal
import tempfile
import threading
import time
import warnings
from contextlib import suppress
from pathlib import Path
from types import SimpleNamespace

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.converters import Autograde
from traitlets.config import PyFileConfigLoader

from grader import kernel
from grader.audit import audit, check_cells, clip, load_submission
from grader.course import (GRADED, NOT_GRADED, REPOSITORY, REVIEW, UNSAFE, Record, course_dir,
                           judge_request, nbgrader_meta, questions_of, release_path)
from grader.redact import redact_notebook, secret_lines
from grader.sandbox import Sandbox, Service

this_worker = SimpleNamespace()  # its settings, its judge and nbgrader's API (init_worker)
EVENTS = {"KeyboardInterrupt": "ran past the cell time limit and was interrupted",
          "CellTimeoutError": "ran past the cell time limit",
          "MemoryError": "ran out of memory (the cap is {} per kernel)"}


class NotGraded(Exception):
    """Why a submission cannot be graded."""


def init_worker(assignment, mem_bytes, network, unsafe, timeout, log):
    os.chdir(course_dir())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the pool: an unfinished one has no record
    # nbgrader's noise: the cells it puts back have no id; 0.9.6 on SQLAlchemy 2 warns on each submission.
    warnings.filterwarnings("ignore", message="Cell is missing an id field|Object of type <Submitted")
    tmp = Path(tempfile.mkdtemp(prefix="grader-"))
    os.chmod(tmp, 0o755)
    (tmp / "no-checks").mkdir()
    vars(this_worker).update(assignment=assignment, mem_bytes=mem_bytes, unsafe=unsafe, timeout=timeout,
                             secrets=secret_lines(assignment), verdicts=tmp / "stand-in" / "verdicts.json")
    # nbgrader's API: its config, with sandboxed kernels and this time limit
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir())).load_config()
    config.Autograde.autograde_preprocessors = [  # nbgrader's own, with Execute sandboxed
        kernel.SandboxedExecute if p is kernel.Execute else p
        for p in Autograde.class_traits()["autograde_preprocessors"].default()]
    config.Execute.timeout = math.ceil(timeout)
    config.Execute.interrupt_on_timeout = True  # a loop costs that cell, not the notebook
    # Workers write to one SQLite gradebook: wait for each other's short transactions.
    this_worker.db = config.CourseDirectory.db_url = f"sqlite:///{course_dir() / 'gradebook.db'}?timeout=120"
    this_worker.api = NbGraderAPI(config=config)

    def service(module, checks, mem, **kw):  # `checks`: what it sees as grader/checks
        box = Sandbox(tmp / module, readable=[REPOSITORY / "grader"], network=network, mem_bytes=mem,
                      unsafe=unsafe)
        return Service(box, module, [(checks, REPOSITORY / "grader" / "checks")], **kw)
    # Both warm up (import torch) side by side. The judge gets the checks' source, no file of them;
    # its cap: its own memory, then a call's child with mem_bytes more.
    hello = {"judge": judge_request(assignment), "mem_bytes": mem_bytes, "timeout": timeout}
    this_worker.judge = service("grader.judge", tmp / "no-checks", mem_bytes + 2 * 2**30, log=log,
                                hello=hello)
    # The kernel's grader/checks: the stand-in, under the assignment's name, and the judge's verdicts.
    (tmp / "stand-in").mkdir()
    (tmp / "stand-in" / "__init__.py").touch()
    shutil.copy(REPOSITORY / "grader" / "stand_in.py", tmp / "stand-in" / f"{assignment}.py")
    kernel.zygote = service("grader.zygote", tmp / "stand-in", mem_bytes)
    atexit.register(lambda: (this_worker.judge.close(), kernel.zygote.close(),
                             shutil.rmtree(tmp, ignore_errors=True)))


def grade_one(student, folder, fingerprints):
    """Grade one submission; return its record (the coordinator writes it)."""
    started, assignment = time.monotonic(), this_worker.assignment
    release_nb = nbformat.read(release_path(assignment), as_version=4)
    record = Record.new(student, assignment, questions_of(release_nb), submission=fingerprints[0],
                        grader=fingerprints[1])
    if this_worker.unsafe:
        record.reasons.append(f"{UNSAFE} (--unsafe): learner code ran with the grader's rights")
    path = folder / f"{assignment}.ipynb"
    try:
        if not path.exists():
            found = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
            raise NotGraded(f"no {path.name} in the submission"
                            + (f" (it holds: {', '.join(found[:5])})" if found else " (the folder is empty)"))
        nb, problem = load_submission(path)
        if problem:
            raise NotGraded(problem)
        # nbgrader grades the release's test cells: say where the learner's differ
        record.notes += [f"{f['cell']}: {f['detail']}" for f in check_cells(nb, release_nb)]
        record.flags = audit(nb, release_nb)  # (line, code, why): the report's own column
        if record.flags:
            shown = "; ".join(f"{f['cell']} line {f['line']}: `{clip(f['code'], 60)}`"
                              for f in record.flags[:3])
            more = f" and {len(record.flags) - 3} more" if len(record.flags) > 3 else ""
            record.reasons.append(f"suspicious code ({shown}{more})")
        _run(record, nb, folder)
    except NotGraded as exc:  # and no earlier grade of it may show anywhere
        record.reasons.append(str(exc))
        record.status, record.score = NOT_GRADED, None
        with Gradebook(this_worker.db) as gb, suppress(MissingEntry):
            gb.remove_submission(assignment, student)
        for out in ("autograded_out", "feedback"):
            shutil.rmtree(course_dir() / out / student / assignment, ignore_errors=True)
    record.seconds = round(time.monotonic() - started, 2)
    return record


def _run(record, nb, folder):
    """The judge's verdicts, then nbgrader's run in the kernel sandbox; scores to gradebook and feedback."""
    assignment, student, scratch = record.assignment, record.student, _clean_kernel_sandbox()
    try:  # the sealed judge's verdicts, by test cell
        this_worker.judge.warm().send(nb)
        verdicts = this_worker.judge.receive(60 + 3 * this_worker.timeout * len(record.cells or [1]))
    except Exception as error:  # the judge died or hung: nothing trustworthy to score with
        this_worker.judge.close()
        why = str(error) or "its process ended: did the code kill it?"
        raise NotGraded(f"the sealed re-check failed ({why}); not graded") from None
    # What the kernel's checks return; no kernel runs yet to read it half written.
    this_worker.verdicts.write_text(json.dumps({v["check"]: v["message"] for v in verdicts.values()}))
    for item in folder.iterdir():  # the learner's files, for cells that read them
        if item.is_file() and item.name != f"{assignment}.ipynb":
            shutil.copy(item, scratch / item.name)
    # A kernel that ignores interrupts, or hangs nbgrader, goes with its whole sandbox.
    killed = []
    watchdog = threading.Timer(60 + (len(nb.cells) + 2) * this_worker.timeout,
                               lambda: (killed.append(True), kernel.zygote.close()))
    watchdog.start()
    try:
        result = this_worker.api.autograde(assignment, student, force=True, create=True)
    finally:
        watchdog.cancel()
    _clean_kernel_sandbox()  # nothing of this learner's outlives their grading
    graded_nb = None
    if result["success"]:
        path = course_dir() / "autograded_out" / student / assignment / f"{assignment}.ipynb"
        graded_nb = nbformat.read(path, as_version=4)
        if redact_notebook(graded_nb, this_worker.secrets):  # the graded copy is read-only
            os.chmod(path, 0o644)
            nbformat.write(graded_nb, path)
            os.chmod(path, 0o444)
            record.reasons.append("its output quoted the grader's checks or solutions (removed "
                                  "from the graded notebook and the feedback)")
    else:
        text = (result.get("error") or "") + (result.get("log") or "")
        why = ("it ran past the time limit with a kernel that ignored interrupts, and was stopped" if killed
               else "the kernel died (the code exited Python or was killed, e.g. out of memory)"
               if "deadkernelerror" in text.lower() or "kernel died" in text.lower()
               else f"nbgrader could not run it ({_last_line(text)})")
        record.reasons.append(f"nbgrader's autograde did not finish: {why}; the points below come from the "
                              f"sealed re-check alone and the notebook's visible tests were not run")
    _score(record, graded_nb, verdicts)
    record.status = REVIEW if record.reasons else GRADED
    # The points into nbgrader's gradebook, as manual scores where nbgrader's differ (an autograde
    # that did not finish may have left no rows: the judge's points go in all the same).
    with Gradebook(this_worker.db) as gb:
        gb.update_or_create_submission(assignment, student)
        for cell in record.cells:
            grade = gb.find_grade(cell.id, assignment, assignment, student)
            grade.manual_score = None if cell.points == grade.auto_score else cell.points
            grade.needs_manual_grade = False
        gb.db.commit()
    if graded_nb is not None:  # the learner's feedback
        feedback = this_worker.api.generate_feedback(assignment, student, force=True)
        if not feedback["success"]:
            record.notes.append("nbgrader generate_feedback failed: "
                                + _last_line(feedback.get("error") or feedback.get("log")))


def _clean_kernel_sandbox():
    """Kill what the last kernel left and empty its folders; a new zygote if learner code killed it."""
    try:
        kernel.zygote.warm().ask(op="clean", folders=[str(kernel.zygote.box.scratch)])
    except (OSError, EOFError, TimeoutError):
        kernel.zygote.close()
        kernel.zygote.warm()
    if this_worker.unsafe:  # no clean() outside a sandbox: empty it from here
        shutil.rmtree(kernel.zygote.box.scratch)
        kernel.zygote.box.scratch.mkdir()
    return kernel.zygote.box.scratch


def _last_line(text):
    return ([line.strip() for line in (text or "").splitlines() if line.strip()] or ["no details"])[-1]


def _score(record, graded_nb, verdicts):
    """Each test cell: points only when the notebook run and the sealed judge both passed it."""
    gigabytes = f"{this_worker.mem_bytes / 2**30:g} GB"
    outputs = {nbgrader_meta(c)["grade_id"]: c.outputs for c in reversed(graded_nb.cells if graded_nb else [])
               if c.cell_type == "code" and nbgrader_meta(c).get("grade_id")}  # reversed: the first one wins
    for cell in record.cells:
        verdict = verdicts.get(cell.id)
        if verdict is not None:
            cell.sealed = "pass" if verdict["passed"] else "fail"
            record.reasons += [f"{cell.id} (sealed re-check): {e}" for e in verdict.get("events", [])]
        if cell.id in outputs:
            error = next((o for o in outputs[cell.id] if o.output_type == "error"), None)
            cell.kernel = "pass" if error is None else "fail"
            if error is not None:
                cell.message = (error.evalue if error.ename == "AssertionError"
                                else f"{error.ename}: {error.evalue}")
                if error.ename in ("KeyboardInterrupt", "CellTimeoutError"):
                    cell.message = (f"the cell ran past its time limit of {this_worker.timeout:g} s and was "
                                    "stopped (does a loop never end?)")
                if error.ename in EVENTS:
                    record.reasons.append(f"{cell.id}: {EVENTS[error.ename].format(gigabytes)}")
            stderr = "".join(o.text for o in outputs[cell.id]
                             if o.output_type == "stream" and o.name == "stderr").strip()
            if stderr:
                record.notes.append(f"{cell.id} wrote to stderr (not held against the learner): "
                                    f"{stderr.splitlines()[0][:200]}")
        if cell.sealed == "fail" and cell.message is None:
            cell.message = verdict.get("message")
        if cell.kernel == "pass" and cell.sealed == "fail":
            record.reasons.append(
                f"{cell.id} passed in the notebook but failed the sealed re-check, which learner "
                f"code cannot touch: {clip((verdict.get('message') or '').splitlines()[0], 150)}")
        if verdict is None:  # the judge has no check for it: nbgrader's run decides
            passed = cell.kernel == "pass"
        else:  # both decide, or the judge alone where nbgrader's run did not finish
            passed = cell.sealed == "pass" and (graded_nb is None or cell.kernel == "pass")
        cell.points = cell.max_points if passed else 0.0
        record.diagnoses += [line for line in (cell.message or "").splitlines()
                             if line.startswith("Diagnosis:") and line not in record.diagnoses]
    record.score = sum(cell.points for cell in record.cells)
