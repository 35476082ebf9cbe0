"""Output safety: OS failures are one line naming the path, failures leave the previous output
byte-identical and nothing new, a second writer is locked out, killed runs' leftovers go."""

from __future__ import annotations

import os
from pathlib import Path

from corpus import DATA, MARKER, Case

SMALL = (DATA / "scenario" / "small.yaml").read_text(encoding="utf-8")
MODEL = "{data}/scenario/small.yaml"
LONG = "x" * 300
SCENARIO = f"name: s\nbase: {MODEL}\nchanges:\n  - staff: {{pool: Clerk, count: +1}}\n"
REMOVE_ALL = (f"name: s\nbase: {MODEL}\nchanges:\n" + "".join(
    f"  - remove: {{activity: {a}}}\n" for a in
    ("Receive", "Check credit", "Check income", "Approve", "Rework", "Reject", "Notify")))
LOG = "{logs}/LoanApp_simplified_test.csv.gz"
REMOVE_ALL_KNOWN = ("the scenario checks accept a to-be process without activities (zero cost); "
                    "refusing it belongs to the scenario rules, not to output handling")


def simulate(out: str, cases: int = 20) -> tuple[str, ...]:
    return ("simulate", MODEL, "--cases", str(cases), "--replications", "2", "-o", out, "-q")


def whatif(out: str, cases: int = 20) -> tuple[str, ...]:
    return ("whatif", "s.yaml", "--cases", str(cases), "--replications", "2", "--no-attribution",
            "-o", out, "-q")


def mine(out: str) -> tuple[str, ...]:
    return ("mine", "{logs}/running-example.xes", "-o", out, "-q")


def split(out: str) -> tuple[str, ...]:
    return ("split", LOG, "-o", out, "-q")


def convert(out: str) -> tuple[str, ...]:
    return ("convert", MODEL, out, "-q")


def show(out: str) -> tuple[str, ...]:
    return ("show", MODEL, "-o", out, "-q")


def validate(out: str) -> tuple[str, ...]:
    return ("validate", MODEL, LOG, "-r", "2", "-o", out, "-q")


def report(out: str) -> tuple[str, ...]:
    return ("report", "w", "-o", out, "-q")


def whatif_folder(path: Path) -> None:
    """A real what-if output folder (for report cases)."""
    from click.testing import CliRunner

    from bpr.cli import main

    s = path.parent / "s.yaml"
    s.write_text(SCENARIO.replace("{data}", str(DATA)), encoding="utf-8")
    res = CliRunner().invoke(main, ["whatif", str(s), "--cases", "20", "--replications", "2",
                                    "-o", str(path), "-q"])
    assert res.exit_code == 0, res.output


def fifo(path: Path) -> None:
    os.mkfifo(path)


def symlink_loop(path: Path) -> None:
    os.symlink(path.name, path)


def no_stale(*names: str):
    def check(ws: Path) -> str | None:
        left = [n for n in os.listdir(ws) if n.startswith(".bpr-")]
        inner = [str(p.relative_to(ws)) for n in names for p in (ws / n).glob(".*")
                 if p.name != MARKER]
        return f"stale files left: {left + inner}" if left or inner else None
    return check


def killed_run_leftovers(path: Path) -> None:
    """What SIGKILLed runs leave: bpr's temporary folder and lock beside ``out``, and the
    simulator's part folder of older versions inside it."""
    from bpr.io.atomic import _tag

    ws = path.parent
    (ws / f".bpr-tmp-{_tag('out')}-deadbeef").mkdir()
    (ws / f".bpr-tmp-{_tag('out')}-deadbeef" / "kpis.json").write_text("half")
    (ws / f".bpr-lock-{_tag('out')}").write_text("")
    (ws / "out" / ".simulated_log.csv.parts-x1y2z3").mkdir(parents=True)
    (ws / "out" / ".simulated_log.csv.parts-x1y2z3" / "part-00000.csv").write_text("half")


STALE = {"leftovers": killed_run_leftovers}

PARENT_IS_FILE = {"afile": "I am a file"}
CASES = [
    # an -o whose parent is a file, for every command that writes
    Case("parent is a file: simulate", simulate("afile/out"), PARENT_IS_FILE,
         says="is a file, not a folder", names="afile/out"),
    Case("parent is a file: whatif", whatif("afile/out"), {**PARENT_IS_FILE, "s.yaml": SCENARIO},
         says="is a file, not a folder", names="afile/out"),
    Case("parent is a file: mine", mine("afile/m.yaml"), PARENT_IS_FILE,
         says="is a file, not a folder", names="afile/m.yaml"),
    Case("parent is a file: split", split("afile/parts"), PARENT_IS_FILE,
         says="is a file, not a folder", names="afile/parts"),
    Case("parent is a file: convert", convert("afile/m.bpmn"), PARENT_IS_FILE,
         says="is a file, not a folder", names="afile/m.bpmn"),
    Case("parent is a file: show", show("afile/m.png"), PARENT_IS_FILE,
         says="is a file, not a folder", names="afile/m.png"),
    Case("parent is a file: validate", validate("afile/f.json"), PARENT_IS_FILE,
         says="is a file, not a folder", names="afile/f.json"),
    Case("parent is a file: report", report("afile/r.html"),
         {**PARENT_IS_FILE, "w": whatif_folder}, says="is a file, not a folder",
         names="afile/r.html", slow=True),
    # names too long for the file system
    Case("name too long: simulate", simulate(LONG), says="longer than the file system allows",
         names=LONG),
    Case("name too long in the middle: simulate", simulate(f"new/{LONG}/out"),
         says="longer than the file system allows", names="new/"),
    Case("name too long: mine", mine(LONG + ".yaml"), says="longer", names=LONG),
    Case("name too long: convert", convert(LONG + ".bpmn"), says="longer", names=LONG),
    Case("name too long: whatif", whatif(LONG), {"s.yaml": SCENARIO}, says="longer",
         names=LONG),
    # a folder where a file is expected, and special files
    Case("folder as model output: mine", mine("m.yaml"), {"m.yaml/keep": "x"},
         says="is a directory", names="m.yaml"),
    Case("folder as convert target", convert("m.bpmn"), {"m.bpmn/keep": "x"},
         says="is a directory", names="m.bpmn"),
    Case("folder as validate output", validate("f.json"), {"f.json/keep": "x"},
         says="is a directory", names="f.json"),
    Case("named pipe as output: validate", validate("p.json"), {"p.json": fifo},
         says="not a regular file", names="p.json", timeout=20),
    Case("named pipe as output: convert", convert("p.yaml"), {"p.yaml": fifo},
         says="not a regular file", names="p.yaml", timeout=20),
    Case("symbolic link loop as output", simulate("loop/out"), {"loop": symlink_loop},
         says="symbolic link", names="loop/out"),
    # folders that are not bpr's to replace
    Case("current folder as output", simulate("."), says="current folder", names="."),
    Case("someone's folder as output", simulate("mine"),
         {"mine/project/file.txt": "keep me", "mine/notes.txt": "keep me"},
         says="bpr did not write", names="mine", check=lambda ws: None if (
             ws / "mine" / "project" / "file.txt").read_text() == "keep me" else "changed"),
    # failures leave the previous output byte-identical and create nothing
    Case("scenario removes every activity", whatif("out"), {"s.yaml": REMOVE_ALL},
         previous="out", names="s.yaml", known=REMOVE_ALL_KNOWN),
    Case("scenario removes every activity, new folder", whatif("new/deeper/out"),
         {"s.yaml": REMOVE_ALL}, names="s.yaml", known=REMOVE_ALL_KNOWN),
    Case("second writer is locked out", simulate("out"), previous="out", needs=("lock",),
         says="another bpr run is writing", names="out"),
    # a killed run's leftovers are removed by the next run (which succeeds)
    Case("stale temporary folders are removed", simulate("out"), STALE, code=0,
         check=no_stale("out")),
    Case("foreign files are kept, the previous run's are not", simulate("out"), code=0,
         previous="out", check=lambda ws: None if (
             (ws / "out" / "notes.txt").is_file() and not (ws / "out" / "savings.json").exists()
             and (ws / "out" / "kpis.json").read_text() != '{"previous": true}\n')
         else f"folder now holds {sorted(os.listdir(ws / 'out'))}"),
    # real OS conditions (root: a small or read-only tmpfs; everyone: a folder one may not
    # write into)
    Case("disk full: simulate", simulate("fs/out", cases=3000), previous="fs/out",
         needs=("tmpfs-full",), says="no space left", names="fs/out"),
    Case("disk full: whatif", whatif("fs/out", cases=1500), {"s.yaml": SCENARIO},
         previous="fs/out", needs=("tmpfs-full",), says="no space left", names="fs/out"),
    Case("disk full: split", split("fs/parts"), previous="fs/parts", needs=("tmpfs-full",),
         says="no space left", names="fs/parts"),
    Case("disk full: show", ("show", "{root}/processes/loan_application.yaml", "-o",
                             "fs/m.svg", "-q"), previous="fs/m.svg", previous_is_file=True,
         needs=("tmpfs-full",), says="no space left", names="fs/m.svg"),
    Case("read-only: simulate", simulate("fs/out"), previous="fs/out",
         needs=("tmpfs-full", "read-only"), says="read-only", names="fs/out"),
    Case("read-only: mine", mine("fs/m.yaml"), previous="fs/m.yaml", previous_is_file=True,
         needs=("tmpfs-full", "read-only"), says="read-only", names="fs/m.yaml"),
    Case("read-only: convert", convert("fs/m.bpmn"), previous="fs/m.bpmn",
         previous_is_file=True, needs=("tmpfs-full", "read-only"), says="read-only",
         names="fs/m.bpmn"),
    Case("read-only: report", report("fs/r.html"), {"w": whatif_folder}, previous="fs/r.html",
         previous_is_file=True, needs=("tmpfs-full", "read-only"), says="read-only",
         names="fs/r.html", slow=True),
    Case("read-only: validate", validate("fs/f.json"), previous="fs/f.json",
         previous_is_file=True, needs=("tmpfs-full", "read-only"), says="read-only",
         names="fs/f.json"),
    Case("permission denied: simulate", simulate("locked/out"), {"locked/.keep": ""},
         needs=("unwritable",), says="permission denied", names="locked/out"),
    Case("permission denied: convert", convert("locked/m.yaml"), {"locked/.keep": ""},
         needs=("unwritable",), says="permission denied", names="locked/m.yaml"),
]
