"""Hostile YAML (and JSON) in every file bpr reads: models, scenarios, costs, BPMN sidecars."""

from __future__ import annotations

import os
from pathlib import Path

from corpus import DATA, Case

SMALL = (DATA / "scenario" / "small.yaml").read_text(encoding="utf-8")


def laughs(levels: int = 9, width: int = 10, key: str = "lol") -> str:
    """The YAML "billion laughs": ``width ** levels`` strings from a few hundred bytes."""
    lines = [f'{key}0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, levels):
        lines.append(f"{key}{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def merge_bomb() -> str:
    """Merge keys (``<<``) that refer to each other's aliases, level after level."""
    lines = ["m0: &m0 {a: 1, b: 2, c: 3}"]
    for i in range(1, 12):
        lines.append(f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * 8) + "], "
                     f"x{i}: [" + ", ".join([f"*m{i - 1}"] * 8) + "]}")
    return "\n".join(lines) + "\n"


def fifo(path: Path) -> None:
    os.mkfifo(path)


def deep_yaml(n: int = 5000) -> str:
    return "a: " + "[" * n + "]" * n + "\n"


def deep_json(n: int = 100_000) -> str:
    return '{"a": ' * n + "1" + "}" * n


SCENARIO = ("name: s\nbase: {data}/scenario/small.yaml\nchanges:\n"
            "  - staff: {pool: Clerk, count: +1}\n")
SIM = ("simulate", "m.yaml", "--cases", "20", "--replications", "2", "-o", "out", "-q")
MINE = ("mine", "{logs}/running-example.xes", "--costs", "costs.yaml", "-o", "model.yaml", "-q")


def with_model(extra: str) -> dict[str, str]:
    return {"m.yaml": SMALL + extra}


def sidecar_tag(path: Path) -> None:
    """A BPMN model whose simulation sidecar carries a Python tag."""
    from bpr.model.files import load_model, save_model

    save_model(load_model(DATA / "scenario" / "small.yaml"), path)
    side = path.with_name(path.stem + ".sim.yaml")
    side.write_text(side.read_text(encoding="utf-8") +
                    "evil: !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")


CASES = [
    # alias expansion ("billion laughs") in each kind of file
    Case("model billion laughs", SIM, {"m.yaml": SMALL + laughs()}, says="aliases",
         names="m.yaml:", previous="out", slow=True),
    Case("scenario billion laughs", ("whatif", "s.yaml", "--cases", "20", "-o", "out", "-q"),
         {"s.yaml": SCENARIO + laughs()}, says="aliases", names="s.yaml:", previous="out"),
    Case("costs billion laughs", MINE, {"costs.yaml": "currency: USD\n" + laughs()},
         says="aliases", names="costs.yaml:", previous="model.yaml", previous_is_file=True,
         slow=True),
    Case("merge-key bomb", ("check", "m.yaml"), with_model(merge_bomb()), says="aliases",
         names="m.yaml:"),
    Case("alias loop", ("check", "m.yaml"), with_model("loop: &l [1, *l]\n"),
         says="refers to the value that contains it", names="m.yaml:"),
    # tags: Python objects, binary, application tags
    Case("costs python/object/apply", MINE,
         {"costs.yaml": "currency: USD\npools: !!python/object/apply:os.system ['echo pwned']\n"},
         says="!!python/object/apply", names="costs.yaml:2", previous="model.yaml",
         previous_is_file=True),
    Case("model python/object/new", ("check", "m.yaml"),
         with_model("observed: !!python/object/new:os.system [echo]\n"), says="!!python",
         names="m.yaml:"),
    Case("scenario python/name", ("whatif", "s.yaml", "--cases", "20", "-o", "out", "-q"),
         {"s.yaml": SCENARIO.replace("name: s", "name: !!python/name:os.system")},
         says="!!python/name", names="s.yaml:1", previous="out"),
    Case("binary tag", ("check", "m.yaml"),
         {"m.yaml": SMALL.replace("name: Small loan", "name: !!binary aGVsbG8=")},
         says="!!binary", names="m.yaml:2"),
    Case("application tag", ("check", "m.yaml"),
         {"m.yaml": SMALL.replace("currency: EUR", "currency: !money EUR")},
         says="!money", names="m.yaml:3"),
    Case("set tag", ("check", "m.yaml"), with_model("extra: !!set {a, b}\n"), says="!!set",
         names="m.yaml:"),
    Case("sidecar python tag", ("check", "m.bpmn"), {"m.bpmn": sidecar_tag},
         says="!!python/object/apply", names="m.sim.yaml:"),
    # scalars that the YAML library cannot construct
    Case("impossible date", ("check", "m.yaml"), with_model("when: 2024-13-45\n"),
         says="not a valid timestamp", names="m.yaml:"),
    Case("int tag on text", ("check", "m.yaml"),
         {"m.yaml": SMALL.replace("count: 2,", "count: !!int two,")}, says="not a valid int",
         names="m.yaml:6"),
    Case("mapping as a key", ("check", "m.yaml"), with_model("? {a: 1}\n: 2\n"),
         says="a mapping cannot be a key", names="m.yaml:"),
    Case("duplicate key", ("check", "m.yaml"), with_model("name: again\n"),
         says="duplicate key", names="m.yaml:"),
    # structure and files
    Case("nesting 5000 deep", ("check", "m.yaml"), {"m.yaml": deep_yaml()},
         says="nested", names="m.yaml", slow=True),
    Case("json nesting 100000 deep", ("check", "m.json"), {"m.json": deep_json()},
         says="nested", names="m.json"),
    Case("json NaN", ("check", "m.json"),
         {"m.json": '{"bpr_model": 1, "name": "x", "pools": {"a": {"count": NaN}}}'},
         says="NaN", names="m.json"),
    Case("json 5000-digit integer", ("check", "m.json"),
         {"m.json": '{"bpr_model": 1, "name": "x", "pools": {"a": {"count": ' + "9" * 5000 +
                    "}}}"}, says="digits", names="m.json"),
    Case("NUL bytes", ("check", "m.yaml"), {"m.yaml": SMALL[:40] + "\x00" + SMALL[40:]},
         says="NUL", names="m.yaml"),
    Case("not UTF-8", ("check", "m.yaml"), {"m.yaml": b"name: caf\xe9\n"}, says="UTF-8",
         names="m.yaml"),
    Case("named pipe as scenario", ("whatif", "s.yaml", "-o", "out", "-q"),
         {"s.yaml": fifo}, says="not a regular file", names="s.yaml", timeout=20),
    Case("named pipe as costs", MINE, {"costs.yaml": fifo}, says="not a regular file",
         names="costs.yaml", timeout=20),
    Case("folder as model", ("check", "m.yaml"), {"m.yaml/x": "x"}, names="m.yaml"),
]
