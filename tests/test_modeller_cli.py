"""The modeller commands: check, show, convert, import-prosimos (exit codes and what users see)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bpr.cli import main
from bpr.model.files import load_model

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "bpmn"
EXAMPLE = ROOT / "processes" / "expense_claim.yaml"


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_check_ok():
    r = run("check", EXAMPLE)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("ok: 6 activities, 6 gateways")


def test_check_lists_all_problems_with_lines(tmp_path):
    text = EXAMPLE.read_text()
    text = text.replace("probability: 0.84}", "probability: 0.8}")  # sums to 0.96
    text = text.replace("{pool: managers,", "{pool: manager,")  # unknown pool
    text = text.replace("  - Pay claim", "  - Pay claim", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    r = run("check", bad)
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if not ln.startswith("Error:")]
    assert len(lines) == 2
    assert re.match(rf"{re.escape(str(bad))}:\d+: claim complete: xor gateway 'claim complete': "
                    r"outgoing probabilities sum to 0\.96", lines[0])
    assert re.match(rf"{re.escape(str(bad))}:29: Approve claim: .*unknown pool 'manager'; "
                    r"did you mean 'managers'", lines[1])
    assert "2 problems found" in r.output


def test_check_bpmn_names_element_ids(tmp_path):
    text = (DATA / "bpmnio_order.bpmn").read_text()
    text = text.replace('<bpmn:sequenceFlow id="Flow_8" sourceRef="Activity_0d4" '
                        'targetRef="Event_end" />', "")
    bad = tmp_path / "dead.bpmn"
    bad.write_text(text)
    r = run("check", bad)
    assert r.exit_code == 2
    assert re.search(rf"{re.escape(str(bad))}:\d+: Activity_0d4 \(Ship \(2\)\): task 'Ship \(2\)'"
                     r" must have one incoming and one outgoing flow", r.output)


@pytest.mark.parametrize("content,pattern", [
    ("name: x\nactivities:\n  A: {duration: 5m}\n   B: {duration: 5m}\n",
     r"bad\.yaml:\d+: not valid YAML"),
    ("name: x\nactivites:\n  A: {duration: 5m}\n",
     r"bad\.yaml:2: activites: unknown key 'activites'; did you mean 'activities'\?"),
    ("name: x\nactivities:\n  A: {duration: 5m, pol: p}\n",
     r"bad\.yaml:3: activities\.A\.pol: unknown key 'pol'; did you mean 'pool'\?"),
    ("name: x\ncalendars:\n  c: {mon: '25:00-26:00'}\nactivities: [A]\n",
     r"bad\.yaml:3: calendars\.c: .*'25:00' is not a time of day"),
    ("name: x\nactivities:\n  A: {duration: {kind: gama, mean: 5}}\n",
     r"bad\.yaml:3: .*unknown distribution kind 'gama'"),
])
def test_check_malformed_yaml_one_line_exit_2(tmp_path, content, pattern):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    r = run("check", bad)
    assert r.exit_code == 2
    err = r.output.strip()
    assert "\n" not in err and "Traceback" not in err
    assert re.search(pattern, err), err


def test_check_bad_bpmn_one_line(tmp_path):
    bad = tmp_path / "x.bpmn"
    bad.write_text('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
                   '<definitions>&lol;</definitions>')
    r = run("check", bad)
    assert r.exit_code == 2
    assert r.output.strip().count("\n") == 0 and "DOCTYPE" in r.output


def test_check_json_same_schema(tmp_path):
    r = run("convert", EXAMPLE, tmp_path / "m.json")
    assert r.exit_code == 0, r.output
    assert run("check", tmp_path / "m.json").exit_code == 0
    assert load_model(tmp_path / "m.json") == load_model(EXAMPLE)


def test_convert_yaml_bpmn_yaml(tmp_path):
    r = run("convert", EXAMPLE, tmp_path / "m.bpmn")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m.sim.yaml").is_file()
    assert run("convert", tmp_path / "m.bpmn", tmp_path / "back.yaml").exit_code == 0
    assert load_model(tmp_path / "back.yaml") == load_model(EXAMPLE)


def test_convert_unknown_extension_writes_nothing(tmp_path):
    r = run("convert", EXAMPLE, tmp_path / "m.txt")
    assert r.exit_code == 2 and "unknown model file type '.txt'" in r.output
    assert list(tmp_path.iterdir()) == []


def test_convert_unsound_model_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("probability: 0.84}", "probability: 0.5}"))
    r = run("convert", bad, tmp_path / "out.bpmn")
    assert r.exit_code == 2
    assert not (tmp_path / "out.bpmn").exists() and not (tmp_path / "out.sim.yaml").exists()


def test_show_png_and_svg(tmp_path):
    for ext in ("png", "svg"):
        r = run("show", EXAMPLE, "-o", tmp_path / f"map.{ext}")
        assert r.exit_code == 0, r.output
        assert (tmp_path / f"map.{ext}").stat().st_size > 1000
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    r = run("show", EXAMPLE, "-o", tmp_path / "map.jpg")
    assert r.exit_code == 2


def test_show_bpmn_warns_about_defaults(tmp_path):
    r = CliRunner().invoke(main, ["show", str(DATA / "camunda_claims.bpmn"), "-o",
                                  str(tmp_path / "c.png")])
    assert r.exit_code == 0
    assert "Warning:" in r.output and "fixed 600 s" in r.output


def test_import_prosimos(tmp_path):
    shutil.copy(DATA / "simod_small.bpmn", tmp_path)
    r = run("import-prosimos", tmp_path / "simod_small.bpmn", DATA / "simod_small.json",
            "-o", tmp_path / "small.yaml", "--name", "Small", "-q")
    assert r.exit_code == 0, r.output
    m = load_model(tmp_path / "small.yaml")
    assert m.name == "Small" and len(m.activities) == 3
    r = run("import-prosimos", tmp_path / "simod_small.bpmn", tmp_path / "missing.json",
            "-o", tmp_path / "x.yaml")
    assert r.exit_code == 2 and "missing.json: file not found" in r.output
    assert not (tmp_path / "x.yaml").exists()
