"""BPMN 2.0 import (bpmn.io, Camunda, Signavio, Simod dialects), export and round trips."""

from __future__ import annotations

import math
import shutil
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from bpr.errors import BprError, ModelError
from bpr.model import (
    Activity,
    Arrivals,
    Calendar,
    Distribution,
    Event,
    Flow,
    Gateway,
    Observed,
    Pool,
    ProcessModel,
    check,
    find_problems,
)
from bpr.model.bpmn import (
    ModelWarning,
    iso_duration_seconds,
    layout_graph,
    read_bpmn,
    sidecar_path,
    write_bpmn,
)
from bpr.model.files import load_model, save_model

DATA = Path(__file__).parent / "data" / "bpmn"
ROOT = Path(__file__).resolve().parents[1]


def read_quiet(path: Path) -> tuple[ProcessModel, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = read_bpmn(path)
    return model, [str(w.message) for w in caught if issubclass(w.category, ModelWarning)]


def test_bpmnio_dialect_names_timer_and_implicit_merge():
    m, notes = read_quiet(DATA / "bpmnio_order.bpmn")
    assert set(m.activities) == {"Check stock", "Ship", "Reorder", "Ship (2)"}
    assert m.events["Wait for supplier"].kind == "timer"
    assert m.events["Wait for supplier"].delay == Distribution.fixed(26 * 3600)
    assert m.gateways == {"xor 1": Gateway("xor 1", "xor")}
    probs = sorted(f.probability for f in m.flows if f.source == "xor 1")
    assert probs == [0.5, 0.5]
    assert m.start_event == "Order received"
    check(m)
    assert any("fixed 600 s for 4 activities" in n for n in notes)
    assert any("equal shares at: xor 1" in n for n in notes)


def test_camunda_dialect_task_types_collaboration_implicit_fork():
    m, notes = read_quiet(DATA / "camunda_claims.bpmn")
    assert m.name == "Claims"
    assert set(m.activities) == {"Register claim", "Fraud scoring", "Check coverage",
                                 "Inspect vehicle", "Request police report", "Pay out"}
    # Register claim had two outgoing flows: an and split is inserted after it
    assert m.gateways["and split 1"].kind == "and"
    assert Flow("Register claim", "and split 1") in m.flows
    assert {f.target for f in m.flows if f.source == "and split 1"} == {"Fraud scoring",
                                                                         "Check coverage"}
    assert m.gateways["Extra checks"].kind == "or"
    assert all(f.probability == 0.5 for f in m.flows if f.source == "Extra checks")
    assert find_problems(m) == []
    assert any("and split 1 after Register claim" in n for n in notes)


def test_signavio_dialect_mixed_gateway_split_and_duplicate_names():
    m, _ = read_quiet(DATA / "signavio_review.bpmn")
    assert set(m.activities) == {"Review", "Review (2)", "Skip"}
    # the mixed gateway became a join followed by the original split
    join = next(n for n in m.gateways if n.startswith("xor join"))
    assert Flow(join, "xor 1") in m.flows
    assert {f.source for f in m.flows if f.target == join} == {"start", "Review (2)"}
    assert m.gateways["OK?"].kind == "xor"
    assert find_problems(m) == []


def test_simod_dialect_without_incoming_outgoing_children():
    m, notes = read_quiet(DATA / "simod_small.bpmn")
    assert set(m.activities) == {"A", "B", "C"}
    assert m.events["timer 1"].delay == Distribution.fixed(0)
    assert any("timer events wait 0 s" in n for n in notes)
    check(m)


def test_real_simod_and_signavio_files(prosimos_models):
    m, _ = read_quiet(ROOT / "event_logs" / "LoanApp_simplified.bpmn")
    assert len(m.activities) == 12 and find_problems(m) == []
    m, _ = read_quiet(prosimos_models / "PurchasingExample_train.bpmn")
    assert len(m.activities) == 21
    assert sum(e.kind == "timer" for e in m.events.values()) == 20
    assert find_problems(m) == []


@pytest.mark.parametrize("text,seconds", [("PT2H", 7200), ("PT1H30M", 5400), ("P1DT12H", 129600),
                                          ("PT45S", 45), ("P1W", 604800), ("PT0.5S", 0.5)])
def test_iso_durations(text, seconds):
    assert iso_duration_seconds(text) == seconds


def test_iso_duration_rejects_garbage():
    assert iso_duration_seconds("2 hours") is None
    assert iso_duration_seconds("P") is None


# -- export ---------------------------------------------------------------------------------

def hand_model() -> ProcessModel:
    return ProcessModel(
        name="Hand made",
        description="two pools, a loop and a parallel block",
        currency="EUR",
        activities={
            "Register": Activity("Register", Distribution("gamma", {"mean": 600, "sd": 120}),
                                 pool="clerks", fixed_cost=1.5),
            "Check A": Activity("Check A", Distribution("uniform", {"min": 60, "max": 120}),
                                pool="clerks"),
            "Check B": Activity("Check B", Distribution("empirical",
                                                        {"quantiles": (1.0, 2.0, 4.5, 9.0)}),
                                pool="experts", delay=Distribution.exponential(300)),
            "Decide": Activity("Decide", Distribution.fixed(90), pool="experts"),
        },
        gateways={"loop in": Gateway("loop in", "xor"), "fork": Gateway("fork", "and"),
                  "sync": Gateway("sync", "and"), "again?": Gateway("again?", "xor")},
        events={"start": Event("start", "start"), "end": Event("end", "end"),
                "cool off": Event("cool off", "timer",
                                  Distribution("lognormal", {"mean": 3600, "sd": 600}))},
        flows=(Flow("start", "loop in"), Flow("loop in", "Register"), Flow("Register", "fork"),
               Flow("fork", "Check A"), Flow("fork", "Check B"), Flow("Check A", "sync"),
               Flow("Check B", "sync"), Flow("sync", "Decide"), Flow("Decide", "again?"),
               Flow("again?", "cool off", 0.2), Flow("cool off", "loop in"),
               Flow("again?", "end", 0.8)),
        pools={"clerks": Pool("clerks", 3, "office", 30.0, ("Ann", "Bob")),
               "experts": Pool("experts", 1, hourly_rate=80.0)},
        calendars={"office": Calendar.from_dict({"mon-fri": "08:00-12:00, 13:00-17:00"})},
        arrivals=Arrivals(Distribution.exponential(900), "office"),
        observed=Observed(log="x.csv", cases=10, events=50, first_event="2024-01-01T00:00:00Z",
                          last_event="2024-02-01T00:00:00Z", cases_per_year=120.0,
                          activity_count={"Register": 10}, activity_waiting_seconds={
                              "Register": 30.0}, flow_count={"start -> loop in": 10}),
    )


def test_round_trip_hand_model(tmp_path):
    m = check(hand_model())
    write_bpmn(m, tmp_path / "m.bpmn")
    assert sidecar_path(tmp_path / "m.bpmn").is_file()
    back, notes = read_quiet(tmp_path / "m.bpmn")
    assert notes == []
    assert back == m
    # the same model exported twice gives byte-identical files (stable ids)
    first = (tmp_path / "m.bpmn").read_bytes()
    write_bpmn(back, tmp_path / "m.bpmn")
    assert (tmp_path / "m.bpmn").read_bytes() == first


def test_round_trip_repository_models(tmp_path):
    for yaml_file in sorted((ROOT / "processes").glob("*.yaml")):
        m = load_model(yaml_file)
        save_model(m, tmp_path / "x.bpmn")
        assert load_model(tmp_path / "x.bpmn") == m, yaml_file.name


def test_export_is_valid_bpmn_with_diagram(tmp_path):
    m = check(hand_model())
    write_bpmn(m, tmp_path / "m.bpmn")
    root = etree.parse(str(tmp_path / "m.bpmn")).getroot()
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
          "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
          "dc": "http://www.omg.org/spec/DD/20100524/DC"}
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    containers = {e.get("id") for e in root.iter(f"{{{ns['bpmn']}}}lane",
                                                  f"{{{ns['bpmn']}}}participant")}
    assert len(containers) == 3  # the pool and a lane for each of the model's two pools
    shapes = [s for s in root.findall(".//bpmndi:BPMNShape", ns)
              if s.get("bpmnElement") not in containers]
    edges = root.findall(".//bpmndi:BPMNEdge", ns)
    assert len(shapes) == len(m.node_names) and len(edges) == len(m.flows)
    assert all(s.get("bpmnElement") in ids for s in shapes + edges)
    assert all(len(e) >= 2 for e in edges)  # waypoints
    flows = root.findall(".//bpmn:sequenceFlow", ns)
    assert all(f.get("sourceRef") in ids and f.get("targetRef") in ids for f in flows)
    # shapes do not overlap
    boxes = [tuple(float(s.find("dc:Bounds", ns).get(k)) for k in ("x", "y", "width", "height"))
             for s in shapes]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert (a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1]
                    or b[1] + b[3] <= a[1])


def test_layout_left_to_right():
    m = check(hand_model())
    lay = layout_graph(m.graph)
    assert lay.back_edges == {("cool off", "loop in")}
    for s, t in m.graph.edges:
        if (s, t) not in lay.back_edges:
            assert lay.centre(s)[0] < lay.centre(t)[0]


@st.composite
def block_models(draw) -> ProcessModel:
    """Random block-structured models: sequences, xor choices, parallel blocks, loops."""
    counter = {"t": 0, "g": 0}
    acts: dict[str, Activity] = {}
    gws: dict[str, Gateway] = {}
    flows: list[Flow] = []

    def task() -> str:
        counter["t"] += 1
        name = f"T{counter['t']}"
        kind = draw(st.sampled_from(["fixed", "exponential", "gamma"]))
        mean = draw(st.integers(1, 10_000))
        dist = (Distribution.fixed(mean) if kind == "fixed" else Distribution.exponential(mean)
                if kind == "exponential" else Distribution("gamma", {"mean": mean, "sd": 1}))
        acts[name] = Activity(name, dist, pool=draw(st.sampled_from([None, "p"])))
        return name

    def gw(kind: str) -> str:
        counter["g"] += 1
        name = f"{kind}{counter['g']}"
        gws[name] = Gateway(name, kind)
        return name

    def block(depth: int) -> tuple[str, str]:
        choice = draw(st.sampled_from(["task", "seq", "xor", "and", "loop"] if depth < 3
                                      else ["task"]))
        if choice == "task":
            t = task()
            return t, t
        if choice == "seq":
            a, b = block(depth + 1), block(depth + 1)
            flows.append(Flow(a[1], b[0]))
            return a[0], b[1]
        if choice == "loop":
            j, s = gw("xor"), gw("xor")
            a = block(depth + 1)
            p = draw(st.sampled_from([0.1, 0.25, 0.5]))
            flows.extend([Flow(j, a[0]), Flow(a[1], s), Flow(s, j, p)])
            out = task()
            flows.append(Flow(s, out, 1 - p))
            return j, out
        kind = choice
        split, join = gw(kind), gw(kind)
        n = draw(st.integers(2, 3))
        for _ in range(n):
            a = block(depth + 1)
            p = 1 / n if kind == "xor" else None
            flows.extend([Flow(split, a[0], p), Flow(a[1], join)])
        return split, join

    first, last = block(0)
    flows = [Flow("start", first), *flows, Flow(last, "end")]
    return ProcessModel(name="random", activities=acts, gateways=gws, flows=tuple(flows),
                        pools={"p": Pool("p", draw(st.integers(1, 5)))})


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block_models())
def test_round_trip_random_models(tmp_path, model):
    check(model)
    write_bpmn(model, tmp_path / "r.bpmn")
    back, notes = read_quiet(tmp_path / "r.bpmn")
    assert back == model
    assert notes == []


def test_sidecar_overrides_and_unknown_activity(tmp_path):
    shutil.copy(DATA / "simod_small.bpmn", tmp_path / "s.bpmn")
    (tmp_path / "s.sim.yaml").write_text(
        "name: Small\npools: {crew: 2}\nactivities:\n  A: {pool: crew, duration: 5m}\n"
        "events:\n  timer 1: {kind: timer, delay: 1h}\n"
        "flow:\n  - {from: xor 1, to: B, probability: 0.3}\n"
        "  - {from: xor 1, to: C, probability: 0.7}\n")
    m, notes = read_quiet(tmp_path / "s.bpmn")
    assert m.name == "Small"
    assert m.activities["A"] == Activity("A", Distribution.fixed(300), pool="crew")
    assert m.events["timer 1"].delay == Distribution.fixed(3600)
    assert {(f.target, f.probability) for f in m.flows if f.source == "xor 1"} == {
        ("B", 0.3), ("C", 0.7)}
    assert any("for 2 activities: B, C" in n for n in notes)
    (tmp_path / "s.sim.yaml").write_text("activities:\n  Aa: {duration: 5m}\n")
    with pytest.raises(ModelError, match=r"s\.sim\.yaml:2: activities: 'Aa' is not a task.*"
                                         r"did you mean 'A'"):
        read_bpmn(tmp_path / "s.bpmn")


# -- bad files: one line, naming the file ---------------------------------------------------

BAD = {
    "truncated": (lambda t: t[: len(t) // 2], r"not valid XML"),
    "doctype": (lambda t: t.replace('<?xml version="1.0" encoding="UTF-8"?>',
                                    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'),
                r"DOCTYPE"),
    "xxe": (lambda t: t.replace('<?xml version="1.0" encoding="UTF-8"?>',
                                '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM '
                                '"file:///etc/passwd">]>').replace('name="Ship"', 'name="&x;"'),
            r"DOCTYPE"),
    "no process": (lambda t: t[:t.index("<bpmn:process")] + "</bpmn:definitions>",
                   r"has no <process>"),
    "missing target": (lambda t: t.replace('targetRef="Activity_0c3"', 'targetRef="Activity_0c4"'),
                       r"Flow_4: targetRef 'Activity_0c4' is not an element.*did you mean "
                       r"'Activity_0"),
    "not bpmn": (lambda t: "<html><body>hello</body></html>", r"not a BPMN file"),
    "empty": (lambda t: "", r"the file is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_bpmn_files_one_line_errors(tmp_path, case):
    mutate, pattern = BAD[case]
    text = (DATA / "bpmnio_order.bpmn").read_text()
    bad = tmp_path / "bad.bpmn"
    bad.write_text(mutate(text))
    with pytest.raises(BprError, match=pattern) as info:
        read_bpmn(bad)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(bad))
    assert "root:" not in msg  # no file content leaks from entities


# -- third-party readers: the BPMN 2.0 XSD (lxml) and pm4py --------------------------------

XSD = DATA / "xsd" / "BPMN20.xsd"
BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
           "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
           "dc": "http://www.omg.org/spec/DD/20100524/DC"}


@pytest.fixture(scope="module")
def bpmn_schema():
    return etree.XMLSchema(etree.parse(str(XSD)))  # local files only: imports are relative


def exported_models() -> list[tuple[str, ProcessModel]]:
    out = [("hand", check(hand_model()))]
    out += [(p.stem, load_model(p)) for p in sorted((ROOT / "processes").glob("*.yaml"))]
    for name in ("boundary_events", "lanes_claims"):
        out.append((name, read_quiet(DATA / f"{name}.bpmn")[0]))
    return out


@pytest.mark.parametrize("name,model", exported_models(), ids=lambda v: v if isinstance(
    v, str) else "")
def test_export_validates_against_the_bpmn_xsd_and_reads_in_pm4py(tmp_path, bpmn_schema, name,
                                                                   model):
    import pm4py

    write_bpmn(model, tmp_path / "m.bpmn")
    doc = etree.parse(str(tmp_path / "m.bpmn"))
    assert bpmn_schema.validate(doc), bpmn_schema.error_log.last_error
    graph = pm4py.read_bpmn(str(tmp_path / "m.bpmn"))
    names = {n.get_name() for n in graph.get_nodes()}
    assert set(model.activities) <= names
    assert len(graph.get_flows()) == len(model.flows)


def test_bpmn_xsd_rejects_a_broken_export(tmp_path, bpmn_schema):
    """The schema check can fail: a flow without its required ids does not validate."""
    write_bpmn(check(hand_model()), tmp_path / "m.bpmn")
    doc = etree.parse(str(tmp_path / "m.bpmn"))
    flow = doc.find(".//bpmn:sequenceFlow", BPMN_NS)
    del flow.attrib["sourceRef"]
    assert not bpmn_schema.validate(doc)


# -- lanes <-> pools ------------------------------------------------------------------------

def test_export_writes_a_lane_per_pool_and_draws_tasks_inside_their_lane(tmp_path):
    m = check(hand_model())
    write_bpmn(m, tmp_path / "m.bpmn")
    root = etree.parse(str(tmp_path / "m.bpmn")).getroot()
    lanes = root.findall(".//bpmn:lane", BPMN_NS)
    assert [lane.get("name") for lane in lanes] == ["clerks", "experts"]
    ids = {e.get("id"): e.get("name") for e in root.iter() if e.get("name")}
    members = {lane.get("name"): {ids.get(r.text) for r in lane.findall("bpmn:flowNodeRef",
                                                                        BPMN_NS)}
               for lane in lanes}
    for a in m.activities.values():
        assert a.name in members[a.pool]
    every = set().union(*members.values())
    assert every == set(m.node_names)  # gateways and events belong to a lane too
    participant = root.find(".//bpmn:participant", BPMN_NS)
    assert participant.get("processRef") == root.find(".//bpmn:process", BPMN_NS).get("id")
    shapes = {s.get("bpmnElement"): tuple(float(s.find("dc:Bounds", BPMN_NS).get(k))
                                          for k in ("x", "y", "width", "height"))
              for s in root.iter(f"{{{BPMN_NS['bpmndi']}}}BPMNShape")}
    for lane in lanes:
        lx, ly, lw, lh = shapes[lane.get("id")]
        for ref in lane.findall("bpmn:flowNodeRef", BPMN_NS):
            x, y, w, h = shapes[ref.text]
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh


def test_lanes_read_as_pools_innermost_lane_and_unnamed_lane():
    m, notes = read_quiet(DATA / "lanes_claims.bpmn")
    assert {a.name: a.pool for a in m.activities.values()} == {
        "Register claim": "Clerks", "Scan documents": "Clerks", "Assess claim": "Experts",
        "Approve payment": "Senior experts", "Pay out": None}
    assert {p.name: p.count for p in m.pools.values()} == {"Clerks": 1, "Experts": 1,
                                                            "Senior experts": 1}
    assert any("lanes read as pools of 1 person" in n for n in notes)
    assert find_problems(m) == []


def test_sidecar_pool_wins_over_the_lane(tmp_path):
    shutil.copy(DATA / "lanes_claims.bpmn", tmp_path / "c.bpmn")
    (tmp_path / "c.sim.yaml").write_text(
        "pools: {Clerks: 4, back office: 2}\n"
        "activities:\n  Scan documents: {pool: back office, duration: 2m}\n")
    m, notes = read_quiet(tmp_path / "c.bpmn")
    assert m.activities["Scan documents"].pool == "back office"
    assert m.activities["Register claim"].pool == "Clerks"
    assert m.pools["Clerks"].count == 4
    assert any("of 1 person" in n and "Experts" in n and "Clerks" not in n for n in notes)


# -- boundary events, unstructured joins ------------------------------------------------------

def test_interrupting_boundary_events_become_an_exclusive_branch_after_the_task():
    m, notes = read_quiet(DATA / "boundary_events.bpmn")
    assert "Undo check" not in m.activities  # compensation is left out, and said so
    assert any("compensation" in n for n in notes)
    split = "Check order interrupted?"
    assert m.gateways[split].kind == "xor"
    assert Flow("Check order", split) in m.flows
    out = {f.target: f.probability for f in m.flows if f.source == split}
    assert out == {"Pack order": pytest.approx(0.9), "Order invalid": pytest.approx(0.1)}
    assert {f.target for f in m.flows if f.source == "Order invalid"} == {"Notify customer"}
    assert m.events["Order invalid"].delay == Distribution.fixed(0)
    assert any("Order invalid after Check order (0.1, default)" in n for n in notes)
    assert find_problems(m) == []


def test_timer_boundary_fires_with_the_share_of_durations_longer_than_it(tmp_path):
    shutil.copy(DATA / "boundary_events.bpmn", tmp_path / "o.bpmn")
    (tmp_path / "o.sim.yaml").write_text(
        "activities:\n  Pack order: {duration: {kind: exponential, mean: 1h}}\n"
        "flow:\n  - {from: 'Check order interrupted?', to: Order invalid, probability: 0.25}\n")
    m, _ = read_quiet(tmp_path / "o.bpmn")
    out = {f.target: f.probability for f in m.flows if f.source == "Pack order interrupted?"}
    # P(D > 2 h) for D exponential with mean 1 h is e^-2; 20,000 draws: s.e. 0.0024
    assert out["Too slow"] == pytest.approx(math.exp(-2), abs=0.01)
    assert out["Shipped"] == pytest.approx(1 - out["Too slow"])
    checked = {f.target: f.probability for f in m.flows if f.source == "Check order interrupted?"}
    assert checked == {"Order invalid": 0.25, "Pack order": pytest.approx(0.75)}


@pytest.mark.parametrize("change,pattern", [
    (('cancelActivity="true"', 'cancelActivity="false"'),
     r"Slow: non-interrupting boundary event on 'Pack order'.*make it interrupting"),
    (('attachedToRef="Pack"', 'attachedToRef="Done"'),
     r"Slow: the boundary event is attached to 'Done', which is not a task"),
])
def test_boundary_events_that_cannot_be_mapped_are_refused_in_one_line(tmp_path, change,
                                                                        pattern):
    text = (DATA / "boundary_events.bpmn").read_text().replace(*change)
    (tmp_path / "b.bpmn").write_text(text)
    with pytest.raises(ModelError, match=pattern) as info:
        read_bpmn(tmp_path / "b.bpmn")
    assert "\n" not in str(info.value) and str(info.value).startswith(str(tmp_path / "b.bpmn"))


def test_unstructured_join_is_read_faithfully_and_refused_by_check(tmp_path):
    m, _ = read_quiet(DATA / "unstructured_join.bpmn")
    fork = next(n for n, g in m.gateways.items() if g.kind == "and" and
                m.graph.out_degree(n) == 2)
    join = next(n for n, g in m.gateways.items() if g.kind == "and" and m.graph.in_degree(n) == 2)
    assert {f.target for f in m.flows if f.source == fork} == {"Pick items", "Check payment"}
    assert {f.source for f in m.flows if f.target == join} == {"Pick items", "Paid?"}
    assert {f.target for f in m.flows if f.source == "Paid?"} == {join, "Cancelled"}
    problems = find_problems(m)
    assert problems and all("\n" not in p.message for p in problems)
    assert "no matching parallel join" in problems[0].message
    save_model(m, tmp_path / "u.yaml")  # the model format holds it: YAML round trip
    assert load_model(tmp_path / "u.yaml", checked=False) == m


# -- the sidecar follows BPMN ids -----------------------------------------------------------

def test_renaming_elements_in_a_modeller_keeps_their_parameters(tmp_path):
    m = check(hand_model())
    write_bpmn(m, tmp_path / "m.bpmn")
    text = (tmp_path / "m.bpmn").read_text()
    text = text.replace('name="Check B"', 'name="Check B thoroughly"')
    text = text.replace('name="again?"', 'name="Try again?"')
    text = text.replace('name="cool off"', 'name="Cool-off period"')
    (tmp_path / "m.bpmn").write_text(text)
    back, notes = read_quiet(tmp_path / "m.bpmn")
    renamed = back.activities["Check B thoroughly"]
    assert renamed.duration == m.activities["Check B"].duration
    assert renamed.pool == "experts" and renamed.delay == m.activities["Check B"].delay
    assert back.events["Cool-off period"].delay == m.events["cool off"].delay
    probs = {f.target: f.probability for f in back.flows if f.source == "Try again?"}
    assert probs == {"Cool-off period": 0.2, "end": 0.8}
    assert back.observed is not None and back.observed.activity_count == {"Register": 10}
    assert any("'Check B' -> 'Check B thoroughly'" in n for n in notes)


def test_sidecar_names_still_work_without_ids(tmp_path):
    shutil.copy(DATA / "simod_small.bpmn", tmp_path / "s.bpmn")
    (tmp_path / "s.sim.yaml").write_text("activities:\n  A: {id: no-such-id, duration: 7m}\n")
    m, _ = read_quiet(tmp_path / "s.bpmn")
    assert m.activities["A"].duration == Distribution.fixed(420)
    (tmp_path / "s.sim.yaml").write_text("activities:\n  Z: {id: no-such-id, duration: 7m}\n")
    with pytest.raises(ModelError, match=r"activities: 'Z' \(id 'no-such-id'\) is not a task"):
        read_bpmn(tmp_path / "s.bpmn")


# -- warnings: bpr warnings on the command line, silenced by -q -------------------------------

@pytest.mark.parametrize("quiet", [False, True])
def test_cli_prints_reader_warnings_as_bpr_warnings_unless_quiet(tmp_path, quiet):
    from click.testing import CliRunner

    from bpr.cli import main

    args = ["simulate", str(DATA / "bpmnio_order.bpmn"), "-o", str(tmp_path / "out"),
            "--cases", "20", "--replications", "1"] + (["-q"] if quiet else [])
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "ModelWarning" not in r.stderr and "warnings.warn" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line]
    if quiet:
        assert lines == []
    else:
        assert lines and all(line.startswith("Warning: ") for line in lines)
        assert any("fixed 600 s for 4 activities" in line for line in lines)


# -- layout properties ----------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(block_models(), st.booleans())
def test_layout_no_edge_through_a_shape_no_label_overlap(model, lanes):
    from bpr.model.bpmn import layout_diagram

    g = model.graph
    labels = {(f.source, f.target): f"{f.probability:.2g}" for f in model.flows
              if f.probability is not None and g.out_degree(f.source) > 1}
    pools = {a.name: (a.pool or None) for a in model.activities.values()} if lanes else None
    lay = layout_graph(g, lanes=pools, edge_labels=labels)
    d = layout_diagram(lay)
    assert d.edges_through_shapes() == {}
    assert d.label_overlaps() == []
    assert set(lay.edge_labels) == set(labels)
    boxes = list(lay.bounds.values())
    for i, a in enumerate(boxes):  # shapes do not overlap
        for b in boxes[i + 1:]:
            assert (a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1]
                    or b[1] + b[3] <= a[1])
    for s, t in g.edges:  # edges start and end on their shapes' borders
        pts = lay.waypoints[(s, t)]
        for end, node in ((pts[0], s), (pts[-1], t)):
            x, y, w, h = lay.bounds[node]
            assert x <= end[0] <= x + w and y <= end[1] <= y + h
            assert end[0] in (x, x + w) or end[1] in (y, y + h)
        assert all(a[0] == b[0] or a[1] == b[1] for a, b in zip(pts, pts[1:], strict=False))
    if pools:
        for a in model.activities.values():
            lx, ly, lw, lh = lay.lanes[a.pool]
            x, y, w, h = lay.bounds[a.name]
            assert ly <= y and y + h <= ly + lh


def test_diagram_measure_counts_an_edge_through_a_shape():
    """The crossing measure can fail: an edge drawn straight through a task is caught."""
    from bpr.model.bpmn.diagram import Diagram

    d = Diagram(shapes={"A": (0, 0, 100, 80), "B": (200, 0, 100, 80), "C": (400, 0, 100, 80)},
                edges={"A->C": [(100, 40), (400, 40)], "A->B": [(100, 40), (200, 40)]},
                labels=[("x", (10, 90, 30, 14)), ("y", (20, 95, 30, 14))])
    assert d.edges_through_shapes() == {"A->C": ["B"]}
    assert d.label_overlaps() == [("x", "y")]
