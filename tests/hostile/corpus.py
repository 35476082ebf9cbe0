"""The hostile-input corpus: a table of cases, a runner and a classifier.

Each :class:`Case` runs one ``bpr`` command line in a fresh workspace and states what a clean
refusal looks like: the exit code, a single ``Error:`` line that names the file or field, no
traceback, no "Internal error", the previous output byte-identical and nothing new left behind.
:func:`run_case` classifies the outcome in the issue's terms (``clean``, ``hang``,
``internal``, ``accepted``, plus ``unclear`` for a refusal that breaks one of the rules above).

Families live in ``family_*.py`` modules, each with a ``CASES`` list; add a family by adding a
module and its name to :data:`FAMILIES`. ``python tests/hostile/corpus.py`` prints the counts
per family in the issue's form.

Placeholders in ``argv`` and file contents: ``{ws}`` the workspace, ``{data}`` tests/data,
``{root}`` the repository, ``{logs}`` event_logs, ``{peer}`` the address of the hostile peer
(see :data:`PEERS`).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = ROOT / "tests" / "data"
LOGS = ROOT / "event_logs"
FAMILIES = ["family_yaml", "family_output", "family_kinds", "family_cli", "family_dask"]
MARKER = ".bpr-output.json"

Fixture = str | bytes | Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One hostile input and the clean refusal (or clean success) expected of bpr."""

    name: str
    argv: tuple[str, ...]
    files: dict[str, Fixture] = field(default_factory=dict)  # relative path -> content
    code: int = 2  # expected exit code
    says: str = ""  # text the error line must contain (lower case compared)
    names: str | None = None  # the file or field the error line must name
    previous: str | None = None  # an output (relative) existing before, to stay identical
    previous_is_file: bool = False
    env: dict[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()  # conditions: see REQUIREMENTS
    json_errors: bool = False  # the error must be a JSON object on stdout
    check: Callable[[Path], str | None] | None = None  # extra check: a problem, or None
    timeout: float = 60.0
    known: str = ""  # not handled yet, and why (the test is an expected failure)
    slow: bool = False  # takes more than ~2 s (left out by `make test-fast`)
    family: str = ""


@dataclass
class Outcome:
    kind: str  # clean, hang, internal, accepted, unclear, skipped
    detail: str = ""
    code: int | None = None
    stdout: str = ""
    stderr: str = ""


class CaseTimeout(BaseException):
    """Raised in the main thread when a case runs longer than its timeout (a hang)."""


def load_cases() -> list[Case]:
    """Every case of every family, with ``family`` filled in."""
    sys.path.insert(0, str(HERE))
    cases = []
    for mod_name in FAMILIES:
        mod = importlib.import_module(mod_name)
        family = mod_name.removeprefix("family_")
        for c in mod.CASES:
            cases.append(Case(**{**c.__dict__, "family": family}))
    names = [f"{c.family}/{c.name}" for c in cases]
    assert len(names) == len(set(names)), "case names must be unique within a family"
    return cases


# -- workspaces ---------------------------------------------------------------------------------

def fill(text: str, ws: Path, extra: dict[str, str]) -> str:
    values = {"ws": str(ws), "data": str(DATA), "root": str(ROOT), "logs": str(LOGS), **extra}
    for k, v in values.items():
        text = text.replace("{" + k + "}", v)
    return text


def snapshot(path: Path) -> dict[str, str] | None:
    """Every file and folder under ``path`` (hidden ones too) with a hash of its bytes."""
    if not os.path.lexists(path):
        return None
    if path.is_file():
        return {".": hashlib.sha256(path.read_bytes()).hexdigest()}
    out = {}
    for p in sorted(path.rglob("*")):
        rel = str(p.relative_to(path))
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


def make_previous(ws: Path, rel: str, is_file: bool) -> None:
    """A previous output: a bpr output folder (marker, two files, a user's note) or a file."""
    p = ws / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if is_file:
        p.write_text("previous output\n", encoding="utf-8")
        return
    p.mkdir(exist_ok=True)
    (p / "kpis.json").write_text('{"previous": true}\n', encoding="utf-8")
    (p / "savings.json").write_text('{"previous": true}\n', encoding="utf-8")
    (p / "notes.txt").write_text("a note the user keeps here\n", encoding="utf-8")
    (p / MARKER).write_text(json.dumps({"written_by": "bpr", "command": "test",
                                        "files": ["kpis.json", "savings.json"]}),
                            encoding="utf-8")


# -- conditions ---------------------------------------------------------------------------------

@contextlib.contextmanager
def _mounted(ws: Path, options: str) -> Iterator[None]:
    """A small tmpfs at ``ws/fs`` (root only; the case is skipped elsewhere)."""
    import subprocess

    mnt = ws / "fs"
    mnt.mkdir(exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mnt)],
                       capture_output=True)
    if r.returncode != 0:
        raise Skip("cannot mount a tmpfs here (needs root)")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


class Skip(Exception):
    """A condition a case needs is not available on this machine."""


@contextlib.contextmanager
def _lock_held(ws: Path, rel: str) -> Iterator[None]:
    """Hold the lock another bpr run would hold while writing ``ws/rel`` (a bpr without
    locks has none to hold: the case then shows what it does)."""
    try:
        from bpr.io.atomic import _lock
    except ImportError:
        yield
        return
    target = (ws / rel).absolute()
    with _lock(target.parent, target.name, target):
        yield


@contextlib.contextmanager
def _unwritable(ws: Path) -> Iterator[None]:
    """Make ``ws/locked`` a folder this process may not write into: as root, run as nobody
    (root ignores permissions); otherwise remove the write permission."""
    locked = ws / "locked"
    if os.geteuid() == 0:
        os.chmod(ws, 0o755)
        for parent in ws.parents:  # nobody must reach the workspace and read the inputs
            if parent == Path("/"):
                break
            if not os.stat(parent).st_mode & 0o001:
                raise Skip("the workspace is not reachable by an unprivileged user")
        os.seteuid(65534)
        try:
            yield
        finally:
            os.seteuid(0)
    else:
        locked.chmod(0o555)
        try:
            yield
        finally:
            locked.chmod(0o755)


def _peer(kind: str) -> Callable[[Path], Any]:
    @contextlib.contextmanager
    def start(ws: Path) -> Iterator[dict[str, str]]:
        from peers import serve

        with serve(kind) as address:
            yield {"peer": address}
    return start


@contextlib.contextmanager
def _scheduler(ws: Path) -> Iterator[dict[str, str]]:
    from dask.distributed import LocalCluster

    cluster = LocalCluster(n_workers=0, processes=True, dashboard_address=":0")
    try:
        yield {"peer": cluster.scheduler_address}
    finally:
        cluster.close()


@contextlib.contextmanager
def _read_only(ws: Path) -> Iterator[None]:
    import subprocess

    r = subprocess.run(["mount", "-o", "remount,ro", str(ws / "fs")], capture_output=True)
    if r.returncode != 0:
        raise Skip("cannot remount read-only")
    yield


# name -> context manager factory (ws) -> yields extra placeholders or None. EARLY ones are
# entered before the case's files are written, the others after (with the previous output).
REQUIREMENTS: dict[str, Callable[[Path], Any]] = {
    "tmpfs-full": lambda ws: _mounted(ws, "size=48k"),
    "peer-silent": _peer("silent"),
    "peer-http": _peer("http"),
    "peer-garbage": _peer("garbage"),
    "scheduler-no-workers": _scheduler,
    "read-only": _read_only,
    "lock": lambda ws: _lock_held(ws, "out"),
    "unwritable": _unwritable,
}
EARLY = ("tmpfs-full", "peer-silent", "peer-http", "peer-garbage", "scheduler-no-workers")


# -- running ------------------------------------------------------------------------------------

def _invoke(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, str]:
    """Run ``bpr ARGV`` in this process (fast: no interpreter start-up); a hang raises
    :class:`CaseTimeout` after ``timeout`` seconds."""
    from click.testing import CliRunner

    from bpr.cli import main

    def on_alarm(signum: int, frame: Any) -> None:
        raise CaseTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        result = CliRunner().invoke(main, argv, env={"BPR_DEBUG": None, **env},
                                    catch_exceptions=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    out = result.stdout
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        err += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(result.exception))
    return result.exit_code, out, err


def run_case(case: Case, ws: Path) -> Outcome:
    """Run ``case`` in the empty folder ``ws`` and classify what happened."""
    extra: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        try:
            for need in case.needs:
                if need in EARLY:
                    extra.update(stack.enter_context(REQUIREMENTS[need](ws)) or {})
            for rel, content in case.files.items():
                p = ws / fill(rel, ws, extra)
                p.parent.mkdir(parents=True, exist_ok=True)
                if callable(content):
                    content(p)
                elif isinstance(content, bytes):
                    p.write_bytes(content)
                else:
                    p.write_text(fill(content, ws, extra), encoding="utf-8")
            if case.previous is not None:
                make_previous(ws, fill(case.previous, ws, extra), case.previous_is_file)
            before = snapshot(ws / fill(case.previous, ws, extra)) if case.previous else None
            entries_before = set(os.listdir(ws))
            for need in case.needs:
                if need not in EARLY:
                    extra.update(stack.enter_context(REQUIREMENTS[need](ws)) or {})
        except Skip as why:
            return Outcome("skipped", str(why))
        argv = [fill(a, ws, extra) for a in case.argv]
        cwd = os.getcwd()
        os.chdir(ws)
        try:
            code, out, err = _invoke(argv, case.env, case.timeout)
        except CaseTimeout:
            return Outcome("hang", f"no end after {case.timeout:g} s")
        finally:
            os.chdir(cwd)
        outcome = classify(case, code, out, err, ws, extra)
        after = snapshot(ws / fill(case.previous, ws, extra)) if case.previous else None
    # the conditions are lifted (locks released, file systems writable): check what is left
    if outcome.kind == "clean" and case.code != 0:
        if case.previous is not None and after != before:
            return Outcome("unclear", "the previous output changed", code, out, err)
        left = set(os.listdir(ws)) - entries_before
        if left:
            return Outcome("unclear", f"a failed run left {sorted(left)}", code, out, err)
    if outcome.kind == "clean" and case.check is not None:
        problem = case.check(ws)
        if problem:
            return Outcome("unclear", problem, code, out, err)
    return outcome


def classify(case: Case, code: int, out: str, err: str, ws: Path,
             extra: dict[str, str]) -> Outcome:
    text = out + err
    if "Internal error" in text or "Traceback (most recent call last)" in text:
        return Outcome("internal", _last(text), code, out, err)
    if case.code != 0 and code == 0:
        return Outcome("accepted", "exit code 0", code, out, err)
    if code != case.code:
        return Outcome("unclear", f"exit code {code}, expected {case.code}: {_last(text)}",
                       code, out, err)
    if case.code == 0:
        return Outcome("clean", "", code, out, err)
    if case.json_errors:
        try:
            data = json.loads(out)
        except ValueError:
            return Outcome("unclear", f"stdout is not a JSON error: {out[:200]!r}", code, out,
                           err)
        if not isinstance(data, dict) or data.get("exit_code") != code or \
                not data.get("error"):
            return Outcome("unclear", f"JSON error without error/exit_code: {data!r}", code, out,
                           err)
        line = "Error: " + data["error"]
    else:
        lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("Warning: ")]
        errors = [ln for ln in lines if ln.startswith("Error: ")]
        usage = [ln for ln in lines if ln.startswith(("Usage: ", "Try '"))]
        if len(errors) != 1 or len(lines) != len(errors) + len(usage):
            return Outcome("unclear", f"not a single error line: {lines[:4]}", code, out, err)
        line = errors[0]
    if case.says and case.says.lower() not in line.lower():
        return Outcome("unclear", f"the line does not say {case.says!r}: {line}", code, out, err)
    if case.names is not None and fill(case.names, ws, extra) not in line:
        return Outcome("unclear", f"the line does not name {case.names!r}: {line}", code, out,
                       err)
    return Outcome("clean", line, code, out, err)


def _last(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


# -- the report ---------------------------------------------------------------------------------

KINDS = ("clean", "hang", "internal", "accepted", "unclear", "skipped")
LABELS = {"clean": "handled cleanly", "hang": "hangs", "internal": "internal errors",
          "accepted": "accepted that should be refused", "unclear": "unclear refusals",
          "skipped": "skipped here"}


def run_all(cases: list[Case] | None = None) -> dict[str, dict[str, list[str]]]:
    """Run every case; family -> kind -> case names."""
    import shutil

    table: dict[str, dict[str, list[str]]] = {}
    for case in cases if cases is not None else load_cases():
        ws = Path(tempfile.mkdtemp(prefix="bpr-hostile-"))
        try:
            outcome = run_case(case, ws)
        except Exception as err:  # a fixture this version of bpr cannot make
            outcome = Outcome("skipped", f"setup failed: {type(err).__name__}: {err}")
        finally:
            with contextlib.suppress(OSError):
                subprocess_umount(ws)
            shutil.rmtree(ws, ignore_errors=True)
        table.setdefault(case.family, {}).setdefault(outcome.kind, []).append(
            f"{case.name}: {outcome.detail}")
    return table


def subprocess_umount(ws: Path) -> None:
    if os.path.ismount(ws / "fs"):
        import subprocess

        subprocess.run(["umount", "-l", str(ws / "fs")], capture_output=True)


def format_counts(table: dict[str, dict[str, list[str]]], verbose: bool = False) -> str:
    lines = []
    for family, kinds in table.items():
        total = sum(len(v) for v in kinds.values())
        parts = [f"{len(kinds.get(k, []))} {LABELS[k]}" for k in KINDS if kinds.get(k)]
        lines.append(f"- {family}: {total} cases: " + ", ".join(parts))
        if verbose:
            for k in KINDS:
                if k != "clean":
                    lines += [f"    {k}: {n}" for n in kinds.get(k, [])]
    return "\n".join(lines)


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")
    print(format_counts(run_all(), verbose="-v" in sys.argv))
