"""Safe outputs: checked paths, atomic writes, leftovers of killed runs, owned folders."""

from __future__ import annotations

import json
import os
import uuid

import pandas as pd
import pytest

from attrition.errors import OutputError
from attrition.io import write_parquet
from attrition.io.outputs import check_output_file, temp_path, write_owned_folder

DEAD_PID = 999_999_999  # above any Linux pid_max: never a running process
MARKER = ".owned.json"


def _leftover(path, pid):
    return path.with_name(f".{path.name}.tmp-{pid}-{uuid.uuid4().hex}")


def test_writing_a_file_where_a_folder_is_is_refused_before_work(tmp_path):
    with pytest.raises(OutputError, match=r"is a folder; pass a file path, e\.g\. .*scores"):
        check_output_file(tmp_path, example="scores.parquet")
    with pytest.raises(OutputError, match="is a folder"):
        write_parquet(pd.DataFrame({"a": [1]}), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_writing_under_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("mine")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output_file(tmp_path / "f" / "sub" / "x.parquet")


def test_the_next_write_removes_what_a_killed_write_left_and_nothing_else(tmp_path):
    path = tmp_path / "scores.parquet"
    killed = _leftover(path, DEAD_PID)
    killed.write_bytes(b"half a file")
    killed_dir = _leftover(path, DEAD_PID)
    killed_dir.mkdir()
    (killed_dir / "part").write_text("x")
    running = _leftover(path, os.getppid())  # a live process: maybe writing right now
    running.write_bytes(b"in progress")
    other = _leftover(tmp_path / "other.parquet", DEAD_PID)  # another file's leftover
    other.write_bytes(b"not ours to judge now")
    mine = tmp_path / ".scores.parquet.tmp"  # the user's own file, not our pattern
    mine.write_text("keep")

    write_parquet(pd.DataFrame({"a": [1, 2]}), path)

    assert pd.read_parquet(path)["a"].tolist() == [1, 2]
    assert not killed.exists() and not killed_dir.exists()
    assert running.exists() and other.exists() and mine.read_text() == "keep"


def test_a_failed_write_leaves_no_temporary_behind(tmp_path):
    class Unwritable:
        def to_parquet(self, path, index):
            path.write_bytes(b"half")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_parquet(Unwritable(), tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []


def _writer(files):
    def build(folder):
        for rel, text in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)

    return build


def test_writing_into_a_folder_with_other_files_is_refused_and_changes_nothing(tmp_path):
    dest = tmp_path / "out"
    (dest / "sub").mkdir(parents=True)
    (dest / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"not empty .*'notes\.txt'.*--force"):
        write_owned_folder(dest, _writer({"a.csv": "new"}), marker=MARKER, info={})
    assert sorted(p.name for p in dest.iterdir()) == ["notes.txt", "sub"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_rewriting_its_own_output_deletes_only_what_it_wrote(tmp_path):
    dest = tmp_path / "out"
    write_owned_folder(
        dest, _writer({"a.csv": "1", "truth/t.csv": "1"}), marker=MARKER, info={"run": 1}
    )
    (dest / "notes.txt").write_text("mine")
    (dest / "truth" / "mine.txt").write_text("mine too")

    write_owned_folder(dest, _writer({"a.parquet": "2"}), marker=MARKER, info={"run": 2})

    assert (dest / "a.parquet").read_text() == "2"
    assert not (dest / "a.csv").exists() and not (dest / "truth" / "t.csv").exists()
    assert (dest / "notes.txt").read_text() == "mine"
    assert (dest / "truth" / "mine.txt").read_text() == "mine too"
    listing = json.loads((dest / MARKER).read_text())
    assert listing == {"run": 2, "files": ["a.parquet"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_rewriting_its_own_output_alone_swaps_the_whole_folder(tmp_path):
    dest = tmp_path / "out"
    write_owned_folder(dest, _writer({"a.csv": "1", "b.csv": "1"}), marker=MARKER, info={})
    write_owned_folder(dest, _writer({"a.csv": "2"}), marker=MARKER, info={})
    assert sorted(p.name for p in dest.iterdir()) == [MARKER, "a.csv"]
    assert (dest / "a.csv").read_text() == "2"


def test_forcing_into_a_folder_with_other_files_replaces_same_names_and_keeps_the_rest(tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "a.csv").write_text("old")
    (dest / "notes.txt").write_text("mine")
    write_owned_folder(dest, _writer({"a.csv": "new"}), marker=MARKER, info={}, force=True)
    assert (dest / "a.csv").read_text() == "new"
    assert (dest / "notes.txt").read_text() == "mine"


def test_a_failed_build_leaves_the_previous_output_untouched(tmp_path):
    dest = tmp_path / "out"
    write_owned_folder(dest, _writer({"a.csv": "1"}), marker=MARKER, info={})

    def broken(folder):
        (folder / "a.csv").write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_owned_folder(dest, broken, marker=MARKER, info={})
    assert (dest / "a.csv").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_killed_generate_leaves_a_folder_that_the_next_run_removes(tmp_path):
    dest = tmp_path / "out"
    killed = _leftover(dest, DEAD_PID)
    killed.mkdir()
    (killed / "clients.parquet").write_text("half")
    write_owned_folder(dest, _writer({"a.csv": "1"}), marker=MARKER, info={})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_temporary_names_are_hidden_and_carry_the_process_id(tmp_path):
    name = temp_path(tmp_path / "x.parquet").name
    assert name.startswith(".x.parquet.tmp-") and f"-{os.getpid()}-" in name


def test_a_marker_edited_to_list_files_outside_the_folder_deletes_none_of_them(tmp_path):
    dest = tmp_path / "out"
    write_owned_folder(dest, _writer({"a.csv": "1"}), marker=MARKER, info={})
    (dest / "notes.txt").write_text("mine")  # forces the file-by-file path
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    listing = {"files": ["a.csv", str(outside), "../precious.txt"]}
    (dest / MARKER).write_text(json.dumps(listing))
    write_owned_folder(dest, _writer({"b.csv": "2"}), marker=MARKER, info={})
    assert outside.read_text() == "keep" and not (dest / "a.csv").exists()


def test_writing_where_a_stray_folder_has_the_files_name_says_to_move_that_folder(tmp_path):
    stray = tmp_path / "scores_2026-09.parquet"
    stray.mkdir()
    (stray / "mine.txt").write_text("mine")

    with pytest.raises(OutputError) as caught:
        check_output_file(stray, example="scores.parquet")

    said = str(caught.value)
    assert "a folder of that name is in the way" in said and "move or rename" in said
    assert "pass a file path" not in said  # no file inside the stray folder is suggested
    assert (stray / "mine.txt").read_text() == "mine"


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")
def test_writing_into_a_folder_that_accepts_no_files_is_refused_before_work():
    # /proc refuses new files even to root, for whom os.access says yes
    with pytest.raises(OutputError, match=r"/proc does not accept new files"):
        check_output_file("/proc/b.parquet")


def test_checking_an_output_path_leaves_nothing_behind(tmp_path):
    check_output_file(tmp_path / "scores.parquet")
    check_output_file(tmp_path / "new" / "deeper" / "scores.parquet")
    assert list(tmp_path.iterdir()) == []
