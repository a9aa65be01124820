"""Save quiz answers and scores to a local JSON file, without ever breaking a quiz.

Where: the file named by the environment variable COURSE_PROGRESS_FILE, else
`~/.regularization-course/progress.json`. Its folder is created when needed.
Delete the file to start the course afresh.

What: for each lesson and question, the last answer, its status and score,
the score of the first attempt, the number of attempts and whether the
answer was revealed; plus a random `learner_seed` that keeps each learner's
option order and question subset the same from one session to the next.

When things go wrong, the quiz keeps working:
- the location cannot be created or written (read-only folder, a file where
  a folder should be): one warning, then answers are kept in memory for the
  rest of the session;
- the file is not valid progress JSON: it is renamed aside
  (`progress.json.corrupt-<time>`) and a fresh file is started; if it cannot
  be renamed, it is left untouched and nothing is written over it.
"""
import json
import os
import random
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

ENV_VAR = "COURSE_PROGRESS_FILE"
DEFAULT_PATH = Path("~") / ".regularization-course" / "progress.json"
VERSION = 1


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


def _empty():
    return {"version": VERSION, "lessons": {}}


def _check(data):
    """Raise ValueError unless `data` has the shape of a progress file."""
    if not isinstance(data, dict):
        raise ValueError("the top level is not a JSON object")
    lessons = data.get("lessons", {})
    if not isinstance(lessons, dict) or not all(
            isinstance(entries, dict) and all(isinstance(e, dict) for e in entries.values())
            for entries in lessons.values()):
        raise ValueError("'lessons' is not a mapping of lesson -> question -> answer")
    if not isinstance(data.get("learner_seed", 0), int):
        raise ValueError("'learner_seed' is not an integer")


class Progress:
    """Answers and scores of one learner, kept in a JSON file and in memory.

    Args:
        path: the JSON file (need not exist yet).
    Attributes:
        notices: messages for the learner about saving problems (shown by quizzes).
    """

    def __init__(self, path):
        self.path = Path(path)
        self.notices = []
        self._warned_save = False
        self._frozen = False     # a corrupt file we could not move: never write over it
        self._unsaved = {}       # (lesson, qid) -> entry not yet written to disk
        self._seed_unsaved = None
        self._data = self._read()

    # -- reading -----------------------------------------------------------
    def refresh(self):
        """Re-read the file (another notebook may have saved answers since)."""
        if self._frozen:  # the file is unreadable or corrupt; memory is all there is
            return
        self._data = self._merge_unsaved(self._read())

    def entries(self, lesson):
        """Return {question id: saved entry} for one lesson (a copy)."""
        return {qid: dict(e) for qid, e in self._data["lessons"].get(lesson, {}).items()}

    def entry(self, lesson, qid):
        """Return the saved entry of one question, or None."""
        entry = self._data["lessons"].get(lesson, {}).get(qid)
        return dict(entry) if entry is not None else None

    def learner_seed(self):
        """Return this learner's seed, creating and saving one on first use."""
        seed = self._data.get("learner_seed")
        if seed is None:
            seed = self._seed_unsaved = random.SystemRandom().randrange(2**31)
            self._data["learner_seed"] = seed
            self._save()
        return seed

    @property
    def saving(self):
        """Whether the last write reached the file (False: memory only)."""
        return not self._unsaved and self._seed_unsaved is None and not self._frozen

    # -- writing -----------------------------------------------------------
    def record(self, lesson, qid, entry):
        """Store one question's entry and try to save the file right away.

        Args:
            lesson: bank name. qid: question id.
            entry: a JSON-serialisable dict (answer, status, score, ...).
        Returns:
            True if it reached the file, False if it is kept in memory only.
        """
        entry = {**entry, "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self._unsaved[(lesson, qid)] = entry
        self._data["lessons"].setdefault(lesson, {})[qid] = entry
        return self._save()

    def _merge_unsaved(self, data):
        for (lesson, qid), entry in self._unsaved.items():
            data["lessons"].setdefault(lesson, {})[qid] = entry
        if self._seed_unsaved is not None and "learner_seed" not in data:
            data["learner_seed"] = self._seed_unsaved
        return data

    def _save(self):
        if self._frozen:
            return False
        # Merge into what is on disk now: two notebooks (two kernels) may save
        # answers to the same file, and neither should erase the other's.
        data = self._merge_unsaved(self._read())
        if self._frozen:
            return False
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)  # atomic: a crash never leaves half a file
        except OSError as err:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            self._cannot_save(err)
            return False
        self._unsaved.clear()
        self._seed_unsaved = None
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
            self._cannot_save(err, reading=True)
            return _empty()
        try:
            data = json.loads(text)
            _check(data)
        except ValueError as err:
            return self._set_aside(str(err))
        data.setdefault("lessons", {})
        data.setdefault("version", VERSION)
        return data

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

    def _cannot_save(self, err, reading=False):
        if self._warned_save:
            return
        self._warned_save = True
        verb = "read" if reading else "saved to"
        self._notify(f"Progress cannot be {verb} {self.path} ({err.strerror or err}). The "
                     "quiz works as usual, but answers are kept in memory only and are lost "
                     f"when the kernel stops. To keep them, set {ENV_VAR} to a file in a "
                     "folder you can write to.")

    def _notify(self, message):
        self.notices.append(message)
        warnings.warn(message, ProgressWarning, stacklevel=4)
