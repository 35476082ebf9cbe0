"""The README documents every command and keeps exactly the two set-up commands."""

from __future__ import annotations

import re
from pathlib import Path

from bpr.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme_and_runs_help():
    from click.testing import CliRunner

    runner = CliRunner()
    for name in COMMANDS:
        assert f"`bpr {name}" in README, f"bpr {name} is not documented in README.md"
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)


def test_readme_gives_the_two_make_commands_and_ci_runs_the_test_one():
    assert re.search(r"^make demo\b", README, re.M)
    assert re.search(r"^make test\b", README, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
