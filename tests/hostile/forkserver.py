"""Run many ``bpr`` commands as real, killable processes without paying the start-up each time.

A zygote process imports bpr's heavy dependencies once, then forks one child per command; the
test gets the child's pid (to send SIGKILL or SIGINT at any moment) and its exit status. The
child is a fresh single-threaded fork that runs ``bpr.cli.main`` exactly as ``bpr ARGV`` does.

Protocol (JSON lines): the test writes ``{"argv": [...], "cwd": "...", "env": {...}}``; the
zygote answers ``{"pid": N}`` at once and ``{"pid": N, "code": C}`` when the child ends (C is
the exit code, or -SIGNAL when killed).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def _child(job: dict[str, Any]) -> None:
    os.setpgid(0, 0)
    os.chdir(job["cwd"])
    os.environ.update(job.get("env") or {})
    out = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(err, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    from bpr.cli import main

    code = 0
    try:
        main(job["argv"], prog_name="bpr")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - report like an uncaught exception would
        import traceback

        traceback.print_exc()
        code = 1
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def serve() -> None:
    """The zygote's loop (run as ``python forkserver.py``)."""
    import warnings

    warnings.simplefilter("ignore")
    import importlib

    # the heavy modules, imported once for every child (a missing one is simply skipped)
    for name in ("bpr.cli", "bpr.cli.fidelity", "bpr.cli.mine", "bpr.cli.modeller",
                 "bpr.cli.report", "bpr.cli.simulate", "bpr.cli.whatif", "bpr.io.logs",
                 "bpr.sim", "bpr.sim.engine", "bpr.sim.compiled", "bpr.discovery",
                 "bpr.analysis.whatif", "bpr.analysis.sweep", "bpr.analysis.fidelity",
                 "bpr.analysis.split", "bpr.model.bpmn", "bpr.model.prosimos", "bpr.scenario",
                 "bpr.report", "bpr.charts.process_map", "matplotlib.pyplot", "pm4py"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(job)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"pid": pid, "code": code}), flush=True)


class ForkServer:
    """The test side: ``start(argv, cwd)`` returns the child's pid, ``wait()`` its code."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve())],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1)
        ready = self._read()
        assert ready.get("ready"), ready

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fork server died")
        return json.loads(line)

    def start(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> int:
        assert self.proc.stdin is not None
        job = {"argv": argv, "cwd": str(cwd), "env": env or {},
               "stdout": str(self.logs / "stdout.txt"), "stderr": str(self.logs / "stderr.txt")}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        return int(self._read()["pid"])

    def wait(self) -> int:
        return int(self._read()["code"])

    def run(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None
            ) -> tuple[int, tuple[str, str]]:
        """Run to the end: (exit code, (stdout, stderr))."""
        self.start(argv, cwd, env)
        code = self.wait()
        return code, self.output()

    def output(self) -> tuple[str, str]:
        """The last child's (stdout, stderr)."""
        return ((self.logs / "stdout.txt").read_text(errors="replace"),
                (self.logs / "stderr.txt").read_text(errors="replace"))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


if __name__ == "__main__":
    serve()
