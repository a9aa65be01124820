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
