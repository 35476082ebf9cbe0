"""Atomic outputs: complete or absent, never half-written, never a mix of two runs, with the
usual file mode; OS failures as one line naming the final path."""

from __future__ import annotations

import errno
import json
import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpr.errors import BprError, OutputError, os_error
from bpr.io import atomic
from bpr.io.atomic import MARKER, atomic_open, output_file, output_files, output_folder, write_text


def test_failure_leaves_nothing_behind(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half")
        raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_version(tmp_path):
    target = tmp_path / "out.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("new")
        raise RuntimeError("boom")
    assert target.read_text() == "old"


def test_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
        with output_folder(tmp_path / "out") as tmp:
            (tmp / "b.txt").write_text("y")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755


def test_a_long_valid_name_gets_valid_temporary_names(tmp_path):
    name = "n" * 250 + ".txt"  # 254 bytes: valid, but not with a prefix and suffix added
    write_text(tmp_path / name, "x")
    with output_file(tmp_path / name) as tmp:
        tmp.write_text("y")
    assert (tmp_path / name).read_text() == "y"


# -- whole folders ----------------------------------------------------------------------------

def _files(folder):
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _write(folder, files):
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def test_folder_is_replaced_as_a_whole_keeping_files_bpr_did_not_write(tmp_path):
    out = tmp_path / "out"
    with output_folder(out, command="one") as tmp:
        _write(tmp, {"a.csv": "1", "b.json": "1", "sub/c.txt": "1"})
    (out / "notes.txt").write_text("mine")  # the user's file
    with output_folder(out, command="two") as tmp:
        _write(tmp, {"a.csv": "2", "d.json": "2"})
    assert _files(out) == {"a.csv": "2", "d.json": "2", "notes.txt": "mine",
                           MARKER: (out / MARKER).read_text()}
    marker = json.loads((out / MARKER).read_text())
    assert marker["command"] == "two" and marker["files"] == ["a.csv", "d.json"]
    assert sorted(os.listdir(tmp_path)) == ["out"]  # no temporary folder, no lock file


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt, SystemExit])
def test_a_failing_run_leaves_the_previous_folder_byte_identical(tmp_path, failure):
    out = tmp_path / "out"
    with output_folder(out) as tmp:
        _write(tmp, {"a.csv": "old", "b.json": "old"})
    before = _files(out)
    with pytest.raises(failure), output_folder(out) as tmp:
        _write(tmp, {"a.csv": "new"})
        raise failure()
    assert _files(out) == before
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_a_failing_run_creates_no_folder(tmp_path, failure):
    with pytest.raises(failure), output_folder(tmp_path / "a" / "b" / "out") as tmp:
        (tmp / "x").write_text("x")
        raise failure()
    assert list(tmp_path.iterdir()) == []


def test_a_second_writer_fails_at_once(tmp_path):
    out = tmp_path / "out"
    with output_folder(out) as tmp:
        (tmp / "a").write_text("first")
        with pytest.raises(OutputError, match="another bpr run is writing"), \
                output_folder(out):
            pass
        with pytest.raises(OutputError, match="another bpr run is writing"), \
                output_files(out):
            pass
    assert _files(out)["a"] == "first"


def test_killed_runs_leftovers_are_removed(tmp_path):
    out = tmp_path / "out"
    with output_folder(out) as tmp:
        (tmp / "a").write_text("old")
    tag = atomic._tag("out")
    stale = [tmp_path / f".bpr-tmp-{tag}-dead0001", tmp_path / f".bpr-lock-{tag}",
             out / ".simulated_log.csv.parts-abc123", tmp_path / ".out.parts-xyz"]
    stale[0].mkdir()
    (stale[0] / "half.csv").write_text("half")
    stale[1].write_text("")
    stale[2].mkdir()
    (stale[2] / "part-00000.csv").write_text("half")
    stale[3].mkdir()
    (tmp_path / f".bpr-tmp-{atomic._tag('other')}-live0001").mkdir()  # another output's
    with output_folder(out) as tmp:
        (tmp / "a").write_text("new")
    assert not any(p.exists() for p in stale)
    assert (tmp_path / f".bpr-tmp-{atomic._tag('other')}-live0001").exists()
    assert _files(out) == {"a": "new", MARKER: (out / MARKER).read_text()}


def test_a_run_killed_between_two_renames_is_repaired(tmp_path, monkeypatch):
    """Without an atomic exchange the old folder is moved aside first; if the run dies just
    then, the next run puts it back before doing anything else."""
    out = tmp_path / "out"
    with output_folder(out) as tmp:
        (tmp / "a").write_text("old")
    aside = tmp_path / f".bpr-old-{atomic._tag('out')}-dead0001"
    os.rename(out, aside)  # the state a kill between the two renames leaves
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    with pytest.raises(RuntimeError), output_folder(out):
        assert _files(out)["a"] == "old"  # restored before the run's work
        raise RuntimeError("boom")
    assert _files(out)["a"] == "old" and not aside.exists()
    with output_folder(out) as tmp:  # and the fallback swap itself works
        (tmp / "a").write_text("new")
    assert _files(out)["a"] == "new"
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_someone_elses_folder_is_not_replaced(tmp_path):
    home = tmp_path / "home"
    (home / "projects").mkdir(parents=True)
    (home / "projects" / "x.txt").write_text("keep")
    with pytest.raises(OutputError, match="bpr did not write"), output_folder(home):
        raise AssertionError("no work may start")
    assert (home / "projects" / "x.txt").read_text() == "keep"


def test_a_flat_folder_of_files_is_kept_alongside(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "log.csv").write_text("the log")
    with output_folder(data) as tmp:
        (tmp / "train.csv").write_text("t")
    assert _files(data) == {"log.csv": "the log", "train.csv": "t",
                            MARKER: (data / MARKER).read_text()}


def test_the_current_folder_is_refused(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    for target in (".", "..", str(tmp_path)):
        with pytest.raises(OutputError, match="current folder"), output_folder(target):
            pass


def test_a_symbolic_link_to_a_folder_is_written_through(tmp_path):
    real = tmp_path / "real"
    with output_folder(real) as tmp:
        (tmp / "a").write_text("old")
    (tmp_path / "link").symlink_to("real")
    with output_folder(tmp_path / "link") as tmp:
        (tmp / "a").write_text("new")
    assert (tmp_path / "link").is_symlink() and (real / "a").read_text() == "new"


def test_errors_name_the_final_path_not_the_temporary_one(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(OutputError) as info, output_folder(out) as tmp:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp / "log.csv"))
    assert str(info.value) == (f"{out}/log.csv: cannot write: no space left on the device; "
                               f"free some space or write elsewhere")
    with pytest.raises(OutputError, match="no space left") as info, output_folder(out):
        raise OSError(errno.ENOSPC, "No space left on device")  # the OS names no file
    assert str(info.value).startswith(f"{out}: ")
    with pytest.raises(BprError) as info, output_folder("rel/out") as tmp:
        raise BprError("give a .html file name", path=str(tmp / "r.pdf"))
    assert str(info.value) == "rel/out/r.pdf: give a .html file name"
    assert not (tmp_path / "rel").exists()


def test_impossible_targets_are_refused_before_any_work(tmp_path):
    (tmp_path / "afile").write_text("x")
    cases = [(tmp_path / "afile" / "out", "is a file, not a folder"),
             (tmp_path / ("n" * 300), "longer than the file system allows"),
             (tmp_path / "afile", "is a file, but the output is a folder")]
    for target, message in cases:
        with pytest.raises(OutputError, match=message), output_folder(target):
            raise AssertionError("no work may start")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "dir").mkdir()
    for target, message in [(tmp_path / "pipe", "not a regular file"),
                            (tmp_path / "dir", "is a folder, but the output is a file")]:
        with pytest.raises(OutputError, match=message), output_file(target):
            raise AssertionError("no work may start")
    assert sorted(os.listdir(tmp_path)) == ["afile", "dir", "pipe"]


# -- groups of files ----------------------------------------------------------------------------

def test_files_and_their_companions_move_in_together(tmp_path):
    model, png = tmp_path / "m.bpmn", tmp_path / "maps" / "m.png"
    with output_files(model, png, None) as (t_model, t_png, nothing):
        assert nothing is None and t_model.name == "m.bpmn"
        t_model.write_text("diagram")
        (t_model.parent / "m.sim.yaml").write_text("sidecar")  # a writer's companion file
        t_png.write_text("png")
    assert model.read_text() == "diagram" and png.read_text() == "png"
    assert (tmp_path / "m.sim.yaml").read_text() == "sidecar"
    assert sorted(os.listdir(tmp_path)) == ["m.bpmn", "m.sim.yaml", "maps"]


def test_a_failing_group_writes_nothing(tmp_path):
    model = tmp_path / "m.yaml"
    model.write_text("old")
    with pytest.raises(RuntimeError), output_files(model, tmp_path / "new" / "m.png") as paths:
        paths[0].write_text("new")
        raise RuntimeError("boom")
    assert model.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["m.yaml"]
    with pytest.raises(OutputError, match="given twice"), output_files(model, model):
        pass


# -- carry-over, as a property ------------------------------------------------------------------

names = st.sampled_from(["a.csv", "b.json", "c.txt", "d.yaml", "e.png"])


@settings(max_examples=40, deadline=None)
@given(previous=st.sets(names), foreign=st.sets(names), new=st.sets(names, min_size=1))
def test_the_new_folder_is_the_new_run_plus_the_users_files(tmp_path_factory, previous,
                                                             foreign, new):
    out = tmp_path_factory.mktemp("p") / "out"
    with output_folder(out) as tmp:
        _write(tmp, {n: "previous run" for n in previous})
    _write(out, {n: "user" for n in foreign - previous})
    with output_folder(out) as tmp:
        _write(tmp, {n: "new run" for n in new})
    got = _files(out)
    got.pop(MARKER)
    expected = {n: "user" for n in foreign - previous - new} | {n: "new run" for n in new}
    assert got == expected


# -- OS errors as one line ----------------------------------------------------------------------

@pytest.mark.parametrize(("code", "text"), [
    (errno.ENOSPC, "no space left on the device; free some space"),
    (errno.EROFS, "read-only file system; choose a writable location"),
    (errno.EACCES, "permission denied; choose a location you may write to"),
    (errno.ENAMETOOLONG, "file name too long; choose a shorter name"),
    (errno.ENOTDIR, "a part of the path is a file, not a folder"),
    (errno.EISDIR, "is a folder where a file is expected"),
    (errno.EDQUOT, "disk quota exceeded"),
    (errno.ELOOP, "too many levels of symbolic links"),
    (errno.EPROTO, "protocol error; check the path"),  # no fix of its own: the OS text
])
def test_os_errors_become_one_line_with_a_fix(code, text):
    err = os_error(OSError(code, os.strerror(code), "x/y.csv"))
    assert str(err).startswith("x/y.csv: ") and text in str(err) and "\n" not in str(err)
    out = os_error(OSError(code, os.strerror(code)), "out", writing=True)
    assert isinstance(out, OutputError) and str(out).startswith("out: cannot write: ")
