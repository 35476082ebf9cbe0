"""BPMN layout benchmark: edges through shapes and label overlaps, bpr's layout against its
previous one and bpmn.io's ``bpmn-auto-layout``, on the same models.

Models: every shipped and imported model (``processes/*.yaml``, ``tests/data/bpmn/*.bpmn``,
``tests/data/prosimos_models`` and ``/work/shared/prosimos_models/*.bpmn`` when present,
``event_logs/LoanApp_simplified.bpmn``), generated models of several shapes (long sequences,
wide parallel blocks, nested choices, loops, random block structures with pools), and any
``.bpmn`` files or folders given on the command line. Each model is exported by bpr's writer as

* **old**: with the layout bpr had before the layered one (kept below as ``old_layout``),
* **new**: with the layered layout and lanes (pools),
* **new, no lanes**: the same layout without lanes (what bpmn-auto-layout can draw), and
* **bpmn-auto-layout**: that file laid out again by bpmn.io's ``bpmn-auto-layout`` (npm,
  installed by this script into ``benchmarks/.work/node``; skipped when npm is missing).

All four are measured from the written XML by :func:`bpr.model.bpmn.read_diagram` the same way:
an edge *crosses a shape* when its polyline enters any flow node's bounds shrunk by 2 px; a
*label overlap* is a label on another label or on a foreign shape; a label without BPMNLabel
bounds is placed where bpmn-js would draw it. Also printed: bpmn-moddle's import warnings for the
new exports (bpmn-js shows those on opening), and the layout time per model.

Usage: ``python -m benchmarks.bench_bpmn_layout [--no-node] [--show-worst N] [PATH ...]``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / ".work" / "node"
AUTO_LAYOUT = "bpmn-auto-layout@1.3.0"
SHARED = Path("/work/shared/prosimos_models")


# -- the previous layout (bpr before the layered one), kept as the baseline -------------------

def old_layout(g: nx.DiGraph, start: str | None = None, **_: Any) -> Any:
    """bpr's previous layout: longest-path layers, a few barycentre sweeps, shapes centred in
    their column, edges drawn with at most two bends, loop-backs under both ends."""
    from bpr.model.bpmn.layout import Layout, back_edges, shape_size

    task_h, layer_gap, row_gap, margin = 70.0, 60.0, 40.0, 40.0
    if start is None:
        start = next((n for n, d in g.nodes(data=True) if d.get("kind") == "start"), None)
    back = back_edges(g, start)
    dag = nx.DiGraph()
    dag.add_nodes_from(g.nodes)
    dag.add_edges_from(e for e in g.edges if e not in back)
    layer: dict[str, int] = {}
    for n in nx.topological_sort(dag):
        layer[n] = 1 + max((layer[p] for p in dag.predecessors(n)), default=-1)
    n_layers = 1 + max(layer.values(), default=0)
    layers: list[list[str]] = [[] for _ in range(n_layers)]
    for n in g.nodes:
        layers[layer[n]].append(n)
    order = {n: i for lay in layers for i, n in enumerate(lay)}
    for sweep in range(4):
        down = sweep % 2 == 0
        for li in (range(1, n_layers) if down else range(n_layers - 2, -1, -1)):
            def bary(n: str, down: bool = down) -> float:
                nbrs = list(dag.predecessors(n)) if down else list(dag.successors(n))
                return (sum(order[m] for m in nbrs) / len(nbrs)) if nbrs else order[n]
            layers[li].sort(key=lambda n: (bary(n), order[n]))
            for i, n in enumerate(layers[li]):
                order[n] = i
    sizes = {n: shape_size(g.nodes[n].get("kind", "task")) for n in g.nodes}
    max_rows = max((len(lay) for lay in layers), default=1)
    row_h = task_h + row_gap
    height = 2 * margin + max_rows * row_h
    bounds: dict[str, tuple[float, float, float, float]] = {}
    left = margin
    for lay in layers:
        col = max((sizes[n][0] for n in lay), default=0.0)
        top = margin + (max_rows - len(lay)) * row_h / 2
        cx = left + col / 2
        left += col + layer_gap
        for i, n in enumerate(lay):
            w, h = sizes[n]
            cy = top + i * row_h + row_h / 2
            bounds[n] = (round(cx - w / 2, 1), round(cy - h / 2, 1), w, h)
    waypoints: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for s, t in g.edges:
        sx, sy, sw, sh = bounds[s]
        tx, ty, tw, th = bounds[t]
        if (s, t) in back:
            lo, hi = min(sx, tx), max(sx + sw, tx + tw)
            below = max(by + bh for bx, by, bw, bh in bounds.values()
                        if bx + bw >= lo and bx <= hi) + row_gap / 4
            pts = [(sx + sw / 2, sy + sh), (sx + sw / 2, below), (tx + tw / 2, below),
                   (tx + tw / 2, ty + th)]
        else:
            a, b = (sx + sw, sy + sh / 2), (tx, ty + th / 2)
            if abs(a[1] - b[1]) < 0.5:
                pts = [a, b]
            elif g.out_degree(s) > 1:
                a = (sx + sw / 2, sy if b[1] < a[1] else sy + sh)
                pts = [a, (a[0], b[1]), b]
            else:
                mid = b[0] - layer_gap / 2
                pts = [a, (mid, a[1]), (mid, b[1]), b]
        waypoints[(s, t)] = [(round(x, 1), round(y, 1)) for x, y in pts]
    return Layout(bounds=bounds, waypoints=waypoints, back_edges=frozenset(back),
                  width=left - layer_gap + margin, height=height)


@contextmanager
def writer_layout(layout: Any) -> Iterator[None]:
    """bpr's BPMN writer with another layout function."""
    import bpr.model.bpmn.writer as writer

    saved = writer.layout_graph
    writer.layout_graph = layout
    try:
        yield
    finally:
        writer.layout_graph = saved


# -- models -----------------------------------------------------------------------------------

def generated_models() -> list[tuple[str, Any]]:
    """Models of known shapes plus seeded random block structures (with and without pools)."""
    from bpr.model import Activity, Distribution, Flow, Gateway, Pool, ProcessModel

    def build(name: str, seed: int, depth: int, shape: str, pools: int) -> Any:
        rnd = random.Random(seed)
        acts: dict[str, Any] = {}
        gws: dict[str, Any] = {}
        flows: list[Any] = []
        names = [f"pool {i + 1}" for i in range(pools)]

        def task() -> str:
            n = f"Task {len(acts) + 1}"
            acts[n] = Activity(n, Distribution.fixed(60), pool=rnd.choice(names) if names
                               else None)
            return n

        def gw(kind: str) -> str:
            n = f"{kind} {len(gws) + 1}"
            gws[n] = Gateway(n, kind)
            return n

        def block(d: int) -> tuple[str, str]:
            choice = (shape if d == 0 and shape != "random" else
                      rnd.choice(["task", "seq", "xor", "and", "loop", "or"]) if d < depth
                      else "task")
            if choice == "task":
                t = task()
                return t, t
            if choice in ("seq", "sequence"):
                parts = [block(d + 1) for _ in range(2 if choice == "seq" else 40)]
                for a, b in zip(parts, parts[1:], strict=False):
                    flows.append(Flow(a[1], b[0]))
                return parts[0][0], parts[-1][1]
            if choice == "loop":
                j, s = gw("xor"), gw("xor")
                a = block(d + 1)
                out = task()
                flows.extend([Flow(j, a[0]), Flow(a[1], s), Flow(s, j, 0.2), Flow(s, out, 0.8)])
                return j, out
            kind = {"wide": "and", "nested": "xor"}.get(choice, choice)
            split, join = gw(kind), gw(kind)
            n = 8 if choice == "wide" else rnd.randint(2, 3)
            for _ in range(n):
                a = block(d + 1)
                p = 1 / n if kind == "xor" else 0.5 if kind == "or" else None
                flows.extend([Flow(split, a[0], p), Flow(a[1], join)])
            return split, join

        first, last = block(0)
        return ProcessModel(name=name, activities=acts, gateways=gws,
                            flows=(Flow("start", first), *flows, Flow(last, "end")),
                            pools={p: Pool(p, 1) for p in names})

    out = [("sequence of 40", build("sequence of 40", 0, 1, "sequence", 0)),
           ("8-way parallel", build("8-way parallel", 1, 2, "wide", 2)),
           ("nested choices", build("nested choices", 2, 4, "nested", 0)),
           ("loop in a loop", build("loop in a loop", 3, 3, "loop", 3))]
    out += [(f"random {s}", build(f"random {s}", s, 4, "random", s % 4)) for s in range(24)]
    return out


def model_files(extra: list[str]) -> list[Path]:
    files = sorted((ROOT / "processes").glob("*.yaml"))
    files += sorted((ROOT / "tests" / "data" / "bpmn").glob("*.bpmn"))
    files += sorted((ROOT / "tests" / "data" / "prosimos_models").glob("*.bpmn"))
    if SHARED.is_dir():
        files += sorted(SHARED.glob("*.bpmn"))
    files.append(ROOT / "event_logs" / "LoanApp_simplified.bpmn")
    for e in extra:
        p = Path(e)
        files += sorted(p.rglob("*.bpmn")) if p.is_dir() else [p]
    return files


def load_models(extra: list[str]) -> tuple[list[tuple[str, str, Any]], list[str]]:
    from bpr.model.files import load_model

    out: list[tuple[str, str, Any]] = []
    skipped: list[str] = []
    for f in model_files(extra):
        group = "extra" if str(f) in extra or any(str(f).startswith(e) for e in extra) else (
            "shipped" if f.suffix == ".yaml" else "imported")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append((group, f.name, load_model(f, checked=False)))
            except Exception as err:  # noqa: BLE001 (report and go on)
                skipped.append(f"{f.name}: {str(err).split(': ', 1)[-1][:90]}")
    out += [("generated", name, m) for name, m in generated_models()]
    return out, skipped


# -- bpmn-auto-layout -------------------------------------------------------------------------

RUNNER = """import { layoutProcess } from 'bpmn-auto-layout';
import { readFileSync, writeFileSync } from 'fs';
const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
for (const [src, dst] of jobs) {
  try { writeFileSync(dst, await layoutProcess(readFileSync(src, 'utf8'))); }
  catch (e) { console.error(src + ': ' + e.message); }
}
"""
MODDLE = """import { BpmnModdle } from 'bpmn-moddle';
import { readFileSync } from 'fs';
const out = {};
for (const f of JSON.parse(readFileSync(process.argv[2], 'utf8'))) {
  const { warnings } = await new BpmnModdle().fromXML(readFileSync(f, 'utf8'));
  out[f] = warnings.map(w => w.message);
}
console.log(JSON.stringify(out));
"""


def node_tools() -> Path | None:
    """``benchmarks/.work/node`` with bpmn-auto-layout installed (None without node/npm)."""
    if not (shutil.which("node") and shutil.which("npm")):
        return None
    if not (WORK / "node_modules" / "bpmn-auto-layout").is_dir():
        WORK.mkdir(parents=True, exist_ok=True)
        (WORK / "package.json").write_text('{"name": "bpr-bench", "private": true}\n')
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", AUTO_LAYOUT],
                           cwd=WORK, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"npm install {AUTO_LAYOUT} failed: {r.stderr.strip()[-300:]}")
            return None
    (WORK / "run_layout.mjs").write_text(RUNNER)
    (WORK / "moddle.mjs").write_text(MODDLE)
    return WORK


# -- measuring ----------------------------------------------------------------------------------

def measure(path: Path) -> tuple[int, int, int, int]:
    """(edges, edges through a shape, labels, label overlaps) of a BPMN file's drawing."""
    from bpr.model.bpmn import read_diagram

    d = read_diagram(path)
    return len(d.edges), len(d.edges_through_shapes()), len(d.labels), len(d.label_overlaps())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", help="more .bpmn files or folders to include")
    ap.add_argument("--no-node", action="store_true", help="skip bpmn-auto-layout")
    ap.add_argument("--show-worst", type=int, default=5, help="models listed per variant")
    args = ap.parse_args(argv)
    from bpr.model.bpmn import write_bpmn

    models, skipped = load_models(args.paths)
    tools = None if args.no_node else node_tools()
    tmp = Path(tempfile.mkdtemp(prefix="bpr-layout-"))
    rows: dict[str, dict[str, tuple[int, int, int, int]]] = {}
    seconds: list[float] = []
    jobs: list[tuple[str, str]] = []
    files: dict[tuple[str, str], Path] = {}
    for i, (_, _name, m) in enumerate(models):
        key = f"{i:03d}"
        no_pools = replace(m, pools={}, activities={
            n: replace(a, pool=None) for n, a in m.activities.items()})
        with writer_layout(old_layout):
            write_bpmn(no_pools, tmp / f"{key}-old.bpmn")
        t0 = time.perf_counter()
        write_bpmn(m, tmp / f"{key}-new.bpmn")
        seconds.append(time.perf_counter() - t0)
        write_bpmn(no_pools, tmp / f"{key}-flat.bpmn")
        for variant in ("old", "new", "flat"):
            files[(key, variant)] = tmp / f"{key}-{variant}.bpmn"
        jobs.append((str(tmp / f"{key}-flat.bpmn"), str(tmp / f"{key}-auto.bpmn")))
        files[(key, "auto")] = tmp / f"{key}-auto.bpmn"
    moddle: dict[str, list[str]] = {}
    if tools is not None:
        (tmp / "jobs.json").write_text(json.dumps(jobs))
        r = subprocess.run(["node", str(tools / "run_layout.mjs"), str(tmp / "jobs.json")],
                           cwd=tools, capture_output=True, text=True)
        for line in r.stderr.strip().splitlines()[:5]:
            print(f"bpmn-auto-layout: {line[:150]}")
        news = [str(files[(f"{i:03d}", "new")]) for i in range(len(models))]
        (tmp / "news.json").write_text(json.dumps(news))
        r = subprocess.run(["node", str(tools / "moddle.mjs"), str(tmp / "news.json")],
                           cwd=tools, capture_output=True, text=True)
        moddle = json.loads(r.stdout or "{}")
    variants = ["old", "new", "flat"] + (["auto"] if tools is not None else [])
    titles = {"old": "old layout", "new": "new layout (lanes)", "flat": "new, no lanes",
              "auto": "bpmn-auto-layout"}
    for i in range(len(models)):
        key = f"{i:03d}"
        rows[key] = {v: measure(files[(key, v)]) for v in variants
                     if files[(key, v)].is_file()}
    groups = ["shipped", "imported", "generated"] + (["extra"] if args.paths else [])
    counts = ", ".join(f"{sum(g == grp for g, _, _ in models)} {grp}" for grp in groups)
    print(f"{len(models)} models ({counts}); {len(skipped)} files not read")
    for s in skipped:
        print(f"  not read: {s}")
    header = (f"{'variant':20s} {'group':10s} {'models':>6s} {'edges':>6s} {'through shape':>14s}"
              f" {'models hit':>10s} {'label overlaps':>14s} {'models hit':>10s}")
    print(header)
    print("-" * len(header))
    for v in variants:
        for grp in [*groups, "all"]:
            keys = [f"{i:03d}" for i, (g, _, _) in enumerate(models)
                    if (grp == "all" or g == grp) and v in rows[f"{i:03d}"]]
            if not keys:
                continue
            e = sum(rows[k][v][0] for k in keys)
            x = sum(rows[k][v][1] for k in keys)
            lo = sum(rows[k][v][3] for k in keys)
            print(f"{titles[v]:20s} {grp:10s} {len(keys):6d} {e:6d} "
                  f"{x:6d} ({100 * x / max(e, 1):4.1f}%) {sum(rows[k][v][1] > 0 for k in keys):10d}"
                  f" {lo:14d} {sum(rows[k][v][3] > 0 for k in keys):10d}")
    if tools is not None:
        missing = sum("auto" not in rows[k] for k in rows)
        if missing:
            print(f"bpmn-auto-layout produced no file for {missing} models (errors above)")
        warned = {f: w for f, w in moddle.items() if w}
        print(f"bpmn-moddle import warnings on the new exports: {sum(map(len, warned.values()))}"
              f" in {len(warned)} of {len(moddle)} files")
    print(f"new layout + export: {1000 * sum(seconds) / len(seconds):.1f} ms per model on average, "
          f"{1000 * max(seconds):.0f} ms at most")
    for v in variants:
        worst = sorted(rows, key=lambda k: -(rows[k].get(v, (0, 0, 0, 0))[1]))
        worst = [k for k in worst if rows[k].get(v, (0, 0, 0, 0))[1] > 0][:args.show_worst]
        if worst:
            print(f"most edges through shapes, {titles[v]}: " + ", ".join(
                f"{models[int(k)][1]} ({rows[k][v][1]}/{rows[k][v][0]})" for k in worst))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
