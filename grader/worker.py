"""Grade one submission, in a worker process of `make grade` (grader.grade runs several).

1. read the notebook (one that does not parse is "not graded", with the
   reason) and audit its code (grader.audit);
2. give it a sandbox (grader.sandbox) with a private scratch folder;
3. send it to this worker's sealed judge (grader.judge, in a sandbox of its
   own) and, meanwhile, autograde it with nbgrader in a sandboxed kernel
   (grader.kernel) whose hidden tests get the judge's verdicts;
4. score each graded cell: its points only when it passed in the notebook
   (stderr output is not held against it) and in the judge;
5. write the points into nbgrader's gradebook (as manual scores where they
   differ from nbgrader's), the learner's feedback HTML, and the record.
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from math import ceil
from pathlib import Path

import nbformat

from grader import kernel
from grader.audit import audit, check_cells, load_submission
from grader.course import (GRADED, NOT_GRADED, REPOSITORY, REVIEW, UNSAFE, Record, course_dir,
                           notebook_name, questions_of, release_path, source_path)
from grader.course import judge_request
from grader.redact import redact_notebook, secret_lines
from grader.sandbox import Sandbox, Service, Unsafe

_worker = {}


class JudgeProcess:
    """This worker's sealed judge: `python -m grader.judge` in its own sandbox, warm across submissions."""

    def __init__(self, log):
        self.log, self.service = log, None

    def start(self):
        """Start it; it warms up (imports torch, compiles the checks) while the worker goes on."""
        self.close()
        scratch = Path(tempfile.mkdtemp(prefix="judge-", dir=_worker["tmp"]))
        empty = Path(tempfile.mkdtemp(prefix="no-checks-", dir=_worker["tmp"]))
        box = _worker["sandbox_class"](scratch, readable=[REPOSITORY / "grader"], network=_worker["network"],
                                       mem_bytes=_worker["mem_bytes"] + 2 * 2**30,  # the judge, then a child
                                       env={"GRADER_SANDBOXED": "1", "OMP_NUM_THREADS": "1"})
        self.service = Service(box, "grader.judge", [(empty, REPOSITORY / "grader" / "checks")], self.log)
        self.service.send({"judge": judge_request(_worker["assignment"]), "mem_bytes": _worker["mem_bytes"]})
        self.ready = False

    def wait_ready(self):
        """(Re)start it if it is not running, and wait until it has warmed up."""
        if self.service is None or not self.service.alive():
            self.start()
        if not self.ready:
            self.ready = self.service.receive(120).get("ready", False)

    def grade(self, nb, timeout, on_verdict):
        """The judge's verdicts on a notebook, by test cell; each is passed to on_verdict as it comes."""
        self.wait_ready()
        self.service.send({"notebook": nb, "timeout": timeout})
        verdicts, deadline = {}, time.monotonic() + 60 + 3 * timeout * len(questions_of(nb) or [1])
        while True:
            answer = self.service.receive(deadline - time.monotonic())
            if answer.get("done"):
                return verdicts
            verdicts[answer["id"]] = answer
            on_verdict(answer["check"], answer)

    def close(self):
        if self.service is not None:
            self.service.close()
        self.service = None


def _config(timeout):
    """nbgrader's configuration from nbgrader_config.py, with sandboxed kernels."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,
                                        LimitOutput, SaveAutoGrades)
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir())).load_config()
    overrides = Config()
    # nbgrader's own list, with Execute swapped for the sandboxed version.
    overrides.Autograde.autograde_preprocessors = [
        kernel.SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
        SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    overrides.Execute.timeout = int(ceil(timeout))
    overrides.Execute.interrupt_on_timeout = True  # a loop costs that cell, not the notebook
    # Workers write to one SQLite gradebook: wait for each other's short transactions.
    overrides.CourseDirectory.db_url = f"sqlite:///{course_dir() / 'gradebook.db'}?timeout=120"
    config.merge(overrides)
    return config


def init_worker(assignment, mem_bytes, network, unsafe, log):
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    os.chdir(course_dir())
    # Ctrl+C goes to the coordinator, which stops the pool; a worker dying mid-submission
    # leaves no record, so that submission is graded again next time.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Cells nbgrader puts back (add_missing_cells) have no id; nbformat warns on reading them.
    warnings.filterwarnings("ignore", message="Cell is missing an id field")
    # nbgrader 0.9.6 on SQLAlchemy 2 warns "Object of type <SubmittedAssignment> not in
    # session" when it creates a submission; the rows are written all the same.
    warnings.filterwarnings("ignore", message="Object of type <Submitted")
    tmp = Path(tempfile.mkdtemp(prefix="grader-"))
    os.chmod(tmp, 0o755)
    _worker.update(assignment=assignment, mem_bytes=mem_bytes, network=network, timeout=None, tmp=tmp,
                   sandbox_class=Unsafe if unsafe else Sandbox, secrets=secret_lines(assignment),
                   stand_in=kernel.stand_in_folder(tmp / "stand-in", assignment))
    judge = JudgeProcess(log)
    judge.start()
    _worker["judge"] = judge
    start_zygote()  # both warm up (import torch) side by side, while this worker waits for work
    atexit.register(_close_worker)


def _close_worker():
    """Stop this worker's sandboxes and remove its temporary folders."""
    _worker["judge"].close()
    kernel.current["zygote"].close()
    shutil.rmtree(_worker["tmp"], ignore_errors=True)


def start_zygote():
    """This worker's kernel sandbox, with the zygote that forks each submission's kernel in it."""
    scratch = _worker["tmp"] / "kernel"
    scratch.mkdir(exist_ok=True)
    box = _worker["sandbox_class"](scratch, readable=[REPOSITORY / "grader"], network=_worker["network"],
                                   mem_bytes=_worker["mem_bytes"],
                                   env={"GRADER_SANDBOXED": "1", "OMP_NUM_THREADS": "1"})
    kernel.current.update(zygote=Service(box, "grader.zygote", _worker["stand_in"]), scratch=scratch,
                          env={"GRADER_VERDICTS": str(scratch / "verdicts.sock")})


def calibrate():
    """Seconds the warm judge takes over all the checks of the instructor's notebook.

    The checks run there, and a test cell waits for its check's verdict, which
    may come after every check before it: that is the longest a cell of a right
    answer waits. The kernel's own cells take milliseconds.
    """
    nb = nbformat.read(source_path(_worker["assignment"]), as_version=4)
    _worker["judge"].wait_ready()
    times, last = [], [time.monotonic()]

    def arrived(check, verdict):
        times.append(time.monotonic() - last[0])
        last[0] = time.monotonic()
    _worker["judge"].grade(nb, 120, arrived)
    return sum(times)


def _use_timeout(timeout):
    """nbgrader, configured with this cell time limit (the first task of a worker sets it)."""
    if _worker["timeout"] == timeout:
        return
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    config = _config(timeout)
    _worker.update(timeout=timeout, config=config,
                   api=NbGraderAPI(CourseDirectory(config=config), config=config))


def grade_one(student, folder, timeout, fingerprints):
    """Grade one submission in this worker; return its record as a dict (the coordinator writes it)."""
    started = time.monotonic()
    _use_timeout(timeout)
    assignment, api = _worker["assignment"], _worker["api"]
    release_nb = nbformat.read(release_path(assignment), as_version=4)
    record = Record.new(student, assignment, questions_of(release_nb), submission=fingerprints[0],
                        grader=fingerprints[1])
    if _worker["sandbox_class"] is Unsafe:
        record.reasons.append(f"{UNSAFE} (--unsafe): learner code ran with the grader's rights")
    path = folder / notebook_name(assignment)
    nb, problem = load_submission(path) if path.exists() else (None, _missing(folder, assignment))
    if problem:
        return _not_graded(record, problem, started)
    for finding in check_cells(nb, release_nb):  # nbgrader grades the release's cells: say so
        record.notes.append(f"{finding['cell']}: {finding['detail']} ({_RESTORED[finding['kind']]})")
    record.flags = audit(nb, release_nb)
    if record.flags:  # the flags themselves (line, code, why) go in the report's own column
        shown = "; ".join(f"{f['cell']} line {f['line']}: `{_cut(f['code'], 60)}`" for f in record.flags[:3])
        more = f" and {len(record.flags) - 3} more" if len(record.flags) > 3 else ""
        record.reasons.append(f"suspicious code ({shown}{more})")

    scratch = _clean_kernel_sandbox()
    for item in folder.iterdir():  # the learner's files, for cells that read them
        if item.is_file() and item.name != notebook_name(assignment):
            shutil.copy(item, scratch / item.name)
    server = kernel.VerdictServer(scratch / "verdicts.sock", timeout=60 + 3 * timeout * len(record.cells))
    kernel.current["processes"] = []
    judged = {}

    def judge():
        phase = time.monotonic()
        try:
            judged["verdicts"] = _worker["judge"].grade(nb, timeout, server.put)
            record.timing["sealed"] = round(time.monotonic() - phase, 2)
        except Exception as exc:  # it died or hung: nothing trustworthy to score with
            _worker["judge"].close()
            judged["error"] = exc
        server.finish()
    _worker["judge"].wait_ready()  # after a restart: its warm-up is not the cells' time
    judging = threading.Thread(target=judge, daemon=True)
    judging.start()
    killed = threading.Event()
    watchdog = threading.Timer(60 + (len(nb.cells) + 2) * timeout, _kill_kernels, args=(killed,))
    watchdog.start()
    phase = time.monotonic()
    try:
        result = api.autograde(assignment, student, force=True, create=True)
    finally:
        watchdog.cancel()
    record.timing["autograde"] = round(time.monotonic() - phase, 2)
    judging.join()
    server.close()
    _clean_kernel_sandbox()  # nothing of this learner's outlives their grading
    if "error" in judged:
        why = str(judged["error"]) or "its process ended: did the code kill it?"
        return _not_graded(record, f"the sealed re-check failed ({why}); not graded", started)

    graded_nb = None
    graded_path = course_dir() / "autograded_out" / student / assignment / notebook_name(assignment)
    if result["success"]:
        graded_nb = nbformat.read(graded_path, as_version=4)
        if redact_notebook(graded_nb, _worker["secrets"]):
            os.chmod(graded_path, 0o644)
            nbformat.write(graded_nb, graded_path)
            os.chmod(graded_path, 0o444)
            record.reasons.append("its output quoted the grader's checks or solutions (removed "
                                  "from the graded notebook and the feedback)")
    else:
        record.reasons.append(_autograde_failure(result, killed.is_set()))
    _score(record, graded_nb, judged["verdicts"])
    _write_gradebook(assignment, student, record)
    if graded_nb is not None:
        _write_feedback_notes(record)
        phase = time.monotonic()
        feedback = api.generate_feedback(assignment, student, force=True)
        record.timing["feedback"] = round(time.monotonic() - phase, 2)
        if not feedback["success"]:
            record.notes.append("nbgrader generate_feedback failed: "
                                + _last_line(feedback.get("error") or feedback.get("log")))
    record.status = REVIEW if record.reasons else GRADED
    record.seconds = round(time.monotonic() - started, 2)
    return record.to_dict()


def _clean_kernel_sandbox():
    """Kill what the last kernel left and empty the scratch folder (a new zygote if it was killed)."""
    zygote = kernel.current["zygote"]
    try:
        if not zygote.alive():
            raise EOFError("the kernel zygote was killed")
        zygote.ask(op="clean", folders=[str(kernel.current["scratch"])])
    except (OSError, EOFError, TimeoutError):  # by learner code: start afresh
        zygote.close()
        start_zygote()
    if _worker["sandbox_class"] is Unsafe:  # no clean() outside a sandbox: empty it from here
        for item in kernel.current["scratch"].iterdir():
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    return kernel.current["scratch"]


def _kill_kernels(killed):
    """Kill this submission's sandboxes: a kernel that ignores interrupts, or hangs nbgrader."""
    killed.set()
    for process in kernel.current.get("processes", []):
        try:
            process.kill()
        except OSError:
            pass


def _not_graded(record, problem, started):
    record.reasons.append(problem)
    record.status, record.score = NOT_GRADED, None
    _forget(record.assignment, record.student)
    record.seconds = round(time.monotonic() - started, 2)
    return record.to_dict()


_RESTORED = {"deleted": "nbgrader put the release's cell back and graded it",
             "duplicated": "nbgrader graded one copy, with the release's code",
             "edited": "nbgrader graded the release's version",
             "metadata": "nbgrader graded it with the release's settings"}


def _missing(folder, assignment):
    found = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    return (f"no {notebook_name(assignment)} in the submission"
            + (f" (it holds: {', '.join(found[:5])})" if found else " (the folder is empty)"))


def _cut(text, width):
    return text if len(text) <= width else text[:width - 3] + "..."


def _last_line(text):
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no details"


def _autograde_failure(result, killed):
    text = (result.get("error") or "") + (result.get("log") or "")
    if killed:
        why = "it ran past the time limit with a kernel that ignored interrupts, and was stopped"
    elif "DeadKernelError" in text or "Kernel died" in text or "kernel died" in text:
        why = "the kernel died (the code exited Python or was killed, e.g. out of memory)"
    else:
        why = f"nbgrader could not run it ({_last_line(text)})"
    return (f"nbgrader's autograde did not finish: {why}; the points below come from the "
            f"sealed re-check alone and the notebook's visible tests were not run")


def _score(record, graded_nb, verdicts):
    """Each test cell: points only when the notebook run and the sealed judge both passed it."""
    outputs, gigabytes = {}, f"{_worker['mem_bytes'] / 2**30:g} GB"
    for cell in graded_nb.cells if graded_nb is not None else []:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id and grade_id not in outputs and cell.cell_type == "code":
            outputs[grade_id] = cell.outputs
    for cell in record.cells:
        verdict = verdicts.get(cell.id)
        if verdict is not None:
            cell.sealed = "pass" if verdict["passed"] else "fail"
            record.reasons += [f"{cell.id} (sealed re-check): {e}" for e in verdict.get("events", [])]
        if cell.id in outputs:
            errors = [o for o in outputs[cell.id] if o.output_type == "error"]
            cell.kernel = "fail" if errors else "pass"
            if errors:
                cell.message = _error_message(errors[0])
                if errors[0].ename in _EVENTS:
                    record.reasons.append(f"{cell.id}: {_EVENTS[errors[0].ename].format(gigabytes)}")
            stderr = "".join(o.text for o in outputs[cell.id]
                             if o.output_type == "stream" and o.name == "stderr").strip()
            if stderr:
                record.notes.append(f"{cell.id} wrote to stderr (not held against the learner): "
                                    f"{stderr.splitlines()[0][:200]}")
        if cell.sealed == "fail" and cell.message is None:
            cell.message = verdict.get("message")
        if "MemoryError" in (cell.message or "") and not any(
                cell.id in r and "memory" in r for r in record.reasons):
            record.reasons.append(f"{cell.id}: {_EVENTS['MemoryError'].format(gigabytes)}")
        if cell.kernel == "pass" and cell.sealed == "fail":
            record.reasons.append(
                f"{cell.id} passed in the notebook but failed the sealed re-check, which learner "
                f"code cannot touch: {_cut((verdict.get('message') or '').splitlines()[0], 150)}")
        if verdict is None:  # a graded cell the judge has no check for: nbgrader's run decides
            passed = cell.kernel == "pass"
        elif graded_nb is None:  # the notebook run did not finish: only the judge has a verdict
            passed = cell.sealed == "pass"
        else:
            passed = cell.sealed == "pass" and cell.kernel == "pass"
        cell.points = cell.max_points if passed else 0.0
        record.diagnoses += [line for line in (cell.message or "").splitlines()
                             if line.startswith("Diagnosis:") and line not in record.diagnoses]
    record.score = sum(cell.points for cell in record.cells)


_EVENTS = {"KeyboardInterrupt": "ran past the cell time limit and was interrupted",
           "CellTimeoutError": "ran past the cell time limit",
           "MemoryError": "ran out of memory (the cap is {} per kernel)"}


def _error_message(output):
    if output.ename in ("KeyboardInterrupt", "CellTimeoutError"):
        return (f"the cell ran past its time limit of {_worker['timeout']:g} s and was stopped "
                f"(does a loop never end?)")
    return f"{output.ename}: {output.evalue}" if output.ename != "AssertionError" else output.evalue


def _write_gradebook(assignment, student, record):
    """Put the final points in nbgrader's gradebook: a manual score where nbgrader's differs."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(_worker["config"].CourseDirectory.db_url) as gb:
        # An autograde that did not finish leaves nbgrader's rows without scores (or with
        # 0s): the sealed re-check's points go in as manual scores all the same.
        try:
            gb.find_submission_notebook(assignment, assignment, student)
        except MissingEntry:
            gb.update_or_create_submission(assignment, student)
        for cell in record.cells:
            grade = gb.find_grade(cell.id, assignment, assignment, student)
            grade.manual_score = None if cell.points == grade.auto_score else cell.points
            grade.needs_manual_grade = False
        gb.db.commit()


def _write_feedback_notes(record):
    """Tell the learner why a cell that shows no error in their feedback scored 0."""
    from grader.course import feedback_notes_path
    notes = {cell.id: ("Scored 0: the grader ran this check again, apart from the rest of your "
                       "notebook, and it failed:\n" + (cell.message or ""))
             for cell in record.cells if cell.points == 0 and cell.kernel == "pass" and cell.sealed == "fail"}
    path = feedback_notes_path(record.assignment, record.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notes))


def _forget(assignment, student):
    """Drop an earlier grade of a submission that can no longer be graded, so no stale score shows."""
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(_worker["config"].CourseDirectory.db_url) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
    shutil.rmtree(course_dir() / "autograded_out" / student / assignment, ignore_errors=True)
    shutil.rmtree(course_dir() / "feedback" / student / assignment, ignore_errors=True)
