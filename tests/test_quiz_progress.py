"""Are answers saved, found again, and never lost or allowed to break a quiz?"""
import json
import os
import warnings

import pytest

from helpers.quiz import progress as progress_module
from helpers.quiz.progress import Progress, ProgressWarning, get_progress, progress_path
from labtools import isolated_progress  # noqa: F401

ENTRY = {"answer": "0.75", "status": "right", "score": 1.0, "first_score": 0.0, "attempts": 2}


def test_the_progress_file_is_the_env_var_or_a_documented_default(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "mine.json"))
    assert progress_path() == tmp_path / "mine.json"
    monkeypatch.delenv("COURSE_PROGRESS_FILE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert progress_path() == tmp_path / ".regularization-course" / "progress.json"
    assert "~/.regularization-course/progress.json" in progress_module.__doc__


def test_an_answer_survives_a_new_session(isolated_progress):
    """Round trip: a new Progress object (a restarted kernel) reads what was saved."""
    first = Progress(isolated_progress)
    assert first.record("01_overfitting_metrics", "q1", ENTRY) is True  # folder created too
    seed = first.learner_seed()
    again = Progress(isolated_progress)
    saved = again.entry("01_overfitting_metrics", "q1")
    assert {k: saved[k] for k in ENTRY} == ENTRY and "updated" in saved
    assert again.learner_seed() == seed
    on_disk = json.loads(isolated_progress.read_text())
    assert on_disk["lessons"]["01_overfitting_metrics"]["q1"]["score"] == 1.0


def test_two_notebooks_saving_to_one_file_keep_each_others_answers(isolated_progress):
    a, b = Progress(isolated_progress), Progress(isolated_progress)
    a.record("01_overfitting_metrics", "q1", ENTRY)
    b.record("02_weight_decay", "q2", ENTRY)
    data = json.loads(isolated_progress.read_text())["lessons"]
    assert set(data) == {"01_overfitting_metrics", "02_weight_decay"}


def test_one_progress_object_per_file_per_kernel(isolated_progress):
    assert get_progress() is get_progress(isolated_progress)


def test_an_unwritable_location_warns_once_and_keeps_answers_in_memory(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the progress folder should be")
    path = blocker / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    store = get_progress()
    with pytest.warns(ProgressWarning, match="kept in memory only"):
        assert store.record("01_overfitting_metrics", "q1", ENTRY) is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second warning would fail the test
        assert store.record("01_overfitting_metrics", "q2", ENTRY) is False
    assert store.entry("01_overfitting_metrics", "q1")["score"] == 1.0
    assert len(store.notices) == 1 and "COURSE_PROGRESS_FILE" in store.notices[0]
    assert get_progress().entry("01_overfitting_metrics", "q2") is not None  # same kernel
    assert blocker.read_text().startswith("a file")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root ignores file permissions, so a read-only folder is writable")
def test_a_read_only_folder_warns_once_and_keeps_answers_in_memory(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "progress.json"
    Progress(path).record("01_overfitting_metrics", "old", ENTRY)
    folder.chmod(0o500)
    try:
        store = Progress(path)
        assert store.entry("01_overfitting_metrics", "old") is not None  # still readable
        with pytest.warns(ProgressWarning):
            assert store.record("01_overfitting_metrics", "new", ENTRY) is False
        assert store.entry("01_overfitting_metrics", "new") is not None
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"lessons": []}', b"\xff\xfe?"])
def test_a_corrupt_file_is_set_aside_never_overwritten(isolated_progress, content):
    isolated_progress.parent.mkdir(parents=True)
    isolated_progress.write_bytes(content)
    original = isolated_progress.read_bytes()
    with pytest.warns(ProgressWarning, match="could not be read"):
        store = Progress(isolated_progress)
    kept = list(isolated_progress.parent.glob("progress.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == original
    assert kept[0].name in store.notices[0]
    assert store.record("01_overfitting_metrics", "q1", ENTRY) is True
    assert json.loads(isolated_progress.read_text())["lessons"]["01_overfitting_metrics"]
    assert kept[0].read_bytes() == original


def test_a_second_corrupt_file_gets_its_own_name(isolated_progress):
    isolated_progress.parent.mkdir(parents=True)
    for _ in range(2):
        isolated_progress.write_text("{broken")
        with pytest.warns(ProgressWarning):
            Progress(isolated_progress)
    assert len(list(isolated_progress.parent.glob("progress.json.corrupt-*"))) == 2


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root ignores file permissions, so the rename would succeed")
def test_a_corrupt_file_that_cannot_be_moved_is_left_untouched(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "progress.json"
    path.write_text("{broken")
    folder.chmod(0o500)
    try:
        with pytest.warns(ProgressWarning, match="left as it is"):
            store = Progress(path)
        assert store.record("01_overfitting_metrics", "q1", ENTRY) is False
        assert path.read_text() == "{broken"
    finally:
        folder.chmod(0o700)


def _answer_many(path, lesson, count, start):
    """Save `count` answers to one lesson, after every process is ready (a child process)."""
    store = Progress(path)
    start.wait()
    for i in range(count):
        store.record(lesson, f"q{i}", ENTRY)


def _attempt_many(path, count, start):
    """Answer one question `count` times, counting attempts as the quiz does."""
    store = Progress(path)
    start.wait()
    for _ in range(count):
        store.update("02_weight_decay", "shared",
                     lambda prev: {"attempts": (prev or {}).get("attempts", 0) + 1})


def _run_together(target, path, args_per_process):
    import multiprocessing

    # Separate processes, like separate kernels; fork skips re-importing torch.
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(len(args_per_process))
    procs = [ctx.Process(target=target, args=(str(path), *args, start))
             for args in args_per_process]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * len(procs)


def test_three_kernels_saving_at_once_keep_all_450_answers(isolated_progress):
    """Do concurrent saves from three notebooks (150 answers each) lose any answer?"""
    _run_together(_answer_many, isolated_progress,
                  [(f"lesson-{k}", 150) for k in range(3)])
    lessons = json.loads(isolated_progress.read_text())["lessons"]
    assert {name: len(entries) for name, entries in lessons.items()} == {
        "lesson-0": 150, "lesson-1": 150, "lesson-2": 150}


def test_attempts_are_counted_from_the_file_not_from_a_stale_copy(isolated_progress):
    """Three kernels answering the same question 40 times each count 120 attempts."""
    _run_together(_attempt_many, isolated_progress, [(40,), (40,), (40,)])
    saved = json.loads(isolated_progress.read_text())["lessons"]["02_weight_decay"]["shared"]
    assert saved["attempts"] == 120


def test_a_lock_that_cannot_be_taken_keeps_answers_in_memory_then_saves_them(
        isolated_progress, monkeypatch):
    """A stuck lock: one warning, no hang, nothing lost; the next save writes everything."""
    from filelock import FileLock

    monkeypatch.setattr(progress_module, "LOCK_TIMEOUT", 0.2)
    store = Progress(isolated_progress)
    assert store.record("01_overfitting_metrics", "before", ENTRY) is True
    with FileLock(str(isolated_progress) + ".lock"):  # another program holds it
        with pytest.warns(ProgressWarning, match="held its lock"):
            assert store.record("01_overfitting_metrics", "q1", ENTRY) is False
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # one warning only
            assert store.record("01_overfitting_metrics", "q2", ENTRY) is False
        assert store.entry("01_overfitting_metrics", "q2") is not None and not store.saving
    assert store.record("01_overfitting_metrics", "q3", ENTRY) is True
    saved = json.loads(isolated_progress.read_text())["lessons"]["01_overfitting_metrics"]
    assert set(saved) == {"before", "q1", "q2", "q3"} and store.saving


def test_a_version_1_file_is_upgraded_and_keeps_every_answer(isolated_progress):
    isolated_progress.parent.mkdir(parents=True)
    old = {"version": 1, "learner_seed": 7,
           "lessons": {"01_overfitting_metrics": {"q1": dict(ENTRY)}}}
    isolated_progress.write_text(json.dumps(old))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an upgrade is news, not a problem
        store = Progress(isolated_progress)
    assert len(store.notices) == 1 and "upgraded" in store.notices[0]
    assert "\n" not in store.notices[0]
    assert store.learner_seed() == 7 and store.tests() == [] and store.review_states() == {}
    assert store.add_test({"score": 3}) is True
    data = json.loads(isolated_progress.read_text())
    assert data["version"] == progress_module.VERSION
    assert data["lessons"] == old["lessons"] and data["tests"] == [{"score": 3}]
    assert json.loads((isolated_progress.parent / "progress.json.v1").read_text()) == old


def test_a_file_from_a_newer_course_is_left_untouched(isolated_progress):
    isolated_progress.parent.mkdir(parents=True)
    newer = json.dumps({"version": progress_module.VERSION + 1, "lessons": {}, "future": 1})
    isolated_progress.write_text(newer)
    with pytest.warns(ProgressWarning, match="newer version"):
        store = Progress(isolated_progress)
    assert store.record("01_overfitting_metrics", "q1", ENTRY) is False
    assert store.entry("01_overfitting_metrics", "q1") is not None
    assert isolated_progress.read_text() == newer
