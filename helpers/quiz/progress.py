"""Save quiz answers, test attempts and review boxes to a local JSON file, never breaking a quiz.

Where: the file named by the environment variable COURSE_PROGRESS_FILE, else
`~/.regularization-course/progress.json`. Its folder is created when needed.
Delete the file to start the course afresh.

What (version 2):
- `lessons`: for each lesson and question, the last answer, its status and
  score, the score of the first attempt, the number of attempts and whether
  the answer was revealed;
- `tests`: one record per "Test yourself" attempt (date, questions,
  answers, score);
- `review`: the Leitner box and due date of each question reviewed;
- `opened`: the lessons whose quiz the learner has opened, and when;
- `learner_seed`: a random number that keeps each learner's option order
  and question subset the same from one session to the next.
A version-1 file (lessons and seed only) is upgraded in place; a copy of it
is kept beside it first (`progress.json.v1`).

Several notebooks (kernels) may save to the same file at the same time: each
save takes a lock on `progress.json.lock` (the `filelock` library), re-reads
the file under it and applies this kernel's change to what is there, so no
kernel ever overwrites another's answers, and counts such as attempts are
computed from the file, not from a stale copy in memory.

When things go wrong, the quiz keeps working:
- the location cannot be created or written (read-only folder, a file where
  a folder should be), or the lock cannot be taken within a few seconds (a
  lock held by a hung program, a network home folder): one warning, then
  changes are kept in memory and written at the next save that succeeds;
- the file is not valid progress JSON: it is renamed aside
  (`progress.json.corrupt-<time>`) and a fresh file is started; if it cannot
  be renamed, it is left untouched and nothing is written over it;
- the file was written by a newer version of the course: it is left
  untouched, and this session's answers are kept in memory.
"""
import copy
import json
import os
import random
import shutil
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

ENV_VAR = "COURSE_PROGRESS_FILE"
DEFAULT_PATH = Path("~") / ".regularization-course" / "progress.json"
VERSION = 2
# Seconds to wait for another kernel's save; a save takes milliseconds, so a
# lock held longer belongs to a stuck program (or a file system without locks).
LOCK_TIMEOUT = 5.0


class ProgressWarning(UserWarning):
    """Progress could not be read or saved; the quiz goes on regardless."""


def progress_path():
    """Return the progress file in use: $COURSE_PROGRESS_FILE, else the default."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_PATH).expanduser()


_stores = {}


def get_progress(path=None):
    """Return the one Progress object of this kernel for `path` (default: progress_path()).

    Sharing one object per file keeps answers that could not be saved in
    memory across re-runs of a quiz cell.
    """
    path = Path(path).expanduser() if path else progress_path()
    key = str(path.absolute())
    if key not in _stores:
        _stores[key] = Progress(path)
    return _stores[key]


def now_iso():
    """Return the current UTC time as an ISO string to the second (what entries store)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _empty():
    return {"version": VERSION, "lessons": {}, "tests": [], "review": {}, "opened": {}}


def _check(data):
    """Raise ValueError unless `data` has the shape of a progress file (any version)."""
    if not isinstance(data, dict):
        raise ValueError("the top level is not a JSON object")
    lessons = data.get("lessons", {})
    if not isinstance(lessons, dict) or not all(
            isinstance(entries, dict) and all(isinstance(e, dict) for e in entries.values())
            for entries in lessons.values()):
        raise ValueError("'lessons' is not a mapping of lesson -> question -> answer")
    if not isinstance(data.get("learner_seed", 0), int):
        raise ValueError("'learner_seed' is not an integer")
    if not isinstance(data.get("version", 1), int):
        raise ValueError("'version' is not an integer")
    tests = data.get("tests", [])
    if not isinstance(tests, list) or not all(isinstance(t, dict) for t in tests):
        raise ValueError("'tests' is not a list of test attempts")
    review = data.get("review", {})
    if not isinstance(review, dict) or not all(isinstance(r, dict) for r in review.values()):
        raise ValueError("'review' is not a mapping of question -> review state")
    if not isinstance(data.get("opened", {}), dict):
        raise ValueError("'opened' is not a mapping of lesson -> date")


class Progress:
    """Answers and scores of one learner, kept in a JSON file and in memory.

    Every change is a function that edits the file's data; it is applied to
    the file as it is at save time, under the lock, and kept (and applied
    again to a fresh read) until a save succeeds.

    Args:
        path: the JSON file (need not exist yet).
    Attributes:
        notices: messages for the learner about saving problems (shown by quizzes).
    """

    def __init__(self, path):
        self.path = Path(path)
        self.notices = []
        self._warned_save = False
        self._frozen = False     # a file we must not write over: memory only
        self._pending = []       # changes not yet written to the file, in order
        self._data = self._read()

    # -- reading -----------------------------------------------------------
    def refresh(self):
        """Re-read the file (another notebook may have saved answers since)."""
        if self._frozen:  # the file is unreadable or not ours to write; memory is all there is
            return
        self._data = self._apply_pending(self._read())

    def entries(self, lesson):
        """Return {question id: saved entry} for one lesson (a copy)."""
        return {qid: dict(e) for qid, e in self._data["lessons"].get(lesson, {}).items()}

    def entry(self, lesson, qid):
        """Return the saved entry of one question, or None."""
        entry = self._data["lessons"].get(lesson, {}).get(qid)
        return dict(entry) if entry is not None else None

    def lessons(self):
        """Return {lesson: {question id: entry}} for every lesson with a saved answer (a copy)."""
        return copy.deepcopy(self._data["lessons"])

    def tests(self):
        """Return the saved test attempts, oldest first (a copy)."""
        return copy.deepcopy(self._data["tests"])

    def review_states(self):
        """Return {"lesson/question id": {"box", "due", "seen"}} (a copy)."""
        return copy.deepcopy(self._data["review"])

    def opened(self):
        """Return the lessons whose quiz was opened or answered, in course order."""
        return sorted(set(self._data["opened"]) | set(self._data["lessons"]))

    def learner_seed(self):
        """Return this learner's seed, creating and saving one on first use."""
        if self._data.get("learner_seed") is None:
            seed = random.SystemRandom().randrange(2**31)
            # Another kernel may have saved a seed first: keep that one.
            self._commit(lambda data: data.setdefault("learner_seed", seed))
        return self._data["learner_seed"]

    @property
    def saving(self):
        """Whether the last change reached the file (False: memory only)."""
        return not self._pending and not self._frozen

    # -- writing -----------------------------------------------------------
    def update(self, lesson, qid, change):
        """Replace one question's entry by `change(entry as saved now, or None)` and save.

        The previous entry is read from the file at save time, under the
        lock, so values derived from it (attempts, first score) count every
        kernel's answers.

        Returns:
            True if it reached the file, False if it is kept in memory only.
        """
        def apply(data):
            entries = data["lessons"].setdefault(lesson, {})
            prev = entries.get(qid)
            entries[qid] = {**change(dict(prev) if prev else None), "updated": now_iso()}
        return self._commit(apply)

    def record(self, lesson, qid, entry):
        """Store one question's entry as given (see update) and save."""
        return self.update(lesson, qid, lambda _prev: dict(entry))

    def add_test(self, attempt):
        """Append one test attempt (a JSON-serialisable dict) and save; see update."""
        return self._commit(lambda data: data["tests"].append(copy.deepcopy(attempt)))

    def set_reviews(self, changes):
        """Replace review states: {"lesson/qid": change(state as saved now, or None)}; one save."""
        def apply(data):
            for key, change in changes.items():
                data["review"][key] = change(copy.deepcopy(data["review"].get(key)))
        return self._commit(apply)

    def mark_opened(self, lesson):
        """Note that `lesson`'s quiz was opened (once: later calls write nothing)."""
        if lesson in self._data["opened"]:
            return True
        stamp = now_iso()
        return self._commit(lambda data: data["opened"].setdefault(lesson, stamp))

    def _apply_pending(self, data):
        for change in self._pending:
            change(data)
        return data

    def _commit(self, change):
        self._pending.append(change)
        if not self._frozen and self._save():
            return True
        change(self._data)  # memory only, until a later save writes it
        return False

    def _lock(self):
        return FileLock(self.path.with_name(self.path.name + ".lock"), timeout=LOCK_TIMEOUT)

    def _save(self):
        """Write every pending change into the file as it is now; return whether it worked."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock():
                data = self._read()
                if self._frozen:
                    return False
                self._apply_pending(data)
                with open(tmp, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=1, sort_keys=True)
                os.replace(tmp, self.path)  # atomic: a crash never leaves half a file
        except Timeout:
            self._cannot_save(f"another program has held its lock {self.path.name}.lock "
                              f"for over {LOCK_TIMEOUT:g} s")
            return False
        except OSError as err:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            self._cannot_save(err.strerror or str(err))
            return False
        self._pending.clear()
        self._data = data
        return True

    def _read(self):
        try:
            text = self.path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):  # nothing saved there (yet)
            return _empty()
        except (OSError, UnicodeDecodeError) as err:
            if isinstance(err, UnicodeDecodeError):
                return self._set_aside("it is not text")
            # Unreadable is not the same as empty: never write over it.
            self._frozen = True
            self._cannot_save(err.strerror or str(err), reading=True)
            return _empty()
        try:
            data = json.loads(text)
            _check(data)
        except ValueError as err:
            return self._set_aside(str(err))
        version = data.get("version", 1)
        if version > VERSION:
            self._frozen = True
            self._notify(f"Your progress file {self.path} was written by a newer version of "
                         f"this course (file version {version}, this one reads up to "
                         f"{VERSION}). It is left as it is; this session's answers are kept "
                         "in memory only. Update the course to save progress again.")
        elif version < VERSION:
            self._upgrade(data, version)
        for key, value in _empty().items():
            data.setdefault(key, value)
        return data

    def _upgrade(self, data, version):
        """Bring an older file's data up to VERSION (in memory); keep a copy of the old file."""
        backup = self.path.with_name(f"{self.path.name}.v{version}")
        if not backup.exists():
            try:
                shutil.copy2(self.path, backup)
            except OSError:
                pass  # the upgrade adds fields and removes none: the copy is a courtesy
            else:
                self._notify(f"Your progress file was upgraded to version {VERSION} (test "
                             f"attempts and review boxes); every answer is kept, and the old "
                             f"file is copied to {backup.name}.", warn=False)
        data["version"] = VERSION

    def _set_aside(self, reason):
        """Rename a corrupt progress file so that it is never overwritten."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
            n += 1
        try:
            self.path.rename(target)
        except OSError as err:
            self._frozen = True
            self._notify(f"Your progress file {self.path} could not be read ({reason}) and "
                         f"could not be moved aside ({err.strerror or err}). It is left as it "
                         "is; this session's answers are kept in memory only. Move or delete "
                         f"that file, or set {ENV_VAR} to another file, to save progress again.")
        else:
            self._notify(f"Your progress file {self.path} could not be read ({reason}). It "
                         f"was kept as {target.name} and a new progress file was started.")
        return _empty()

    def _cannot_save(self, reason, reading=False):
        if self._warned_save:
            return
        self._warned_save = True
        verb = "read" if reading else "saved to"
        self._notify(f"Progress cannot be {verb} {self.path} ({reason}). The "
                     "quiz works as usual, but answers are kept in memory only and are lost "
                     f"when the kernel stops. To keep them, set {ENV_VAR} to a file in a "
                     "folder you can write to.")

    def _notify(self, message, warn=True):
        self.notices.append(message)
        if warn:
            warnings.warn(message, ProgressWarning, stacklevel=4)
