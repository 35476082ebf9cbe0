"""XES that bpr writes (write_log and the simulator) is valid against the IEEE 1849-2016 schema
and pm4py reads it back with the same events."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from bpr.io.logs import read_log, write_log

XSD = Path(__file__).parent / "data" / "xes" / "xes-ieee-1849-2016.xsd"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def validate(schema: etree.XMLSchema, path: Path) -> None:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    doc = etree.fromstring(data)
    assert schema.validate(doc), schema.error_log


def test_the_schema_has_teeth(schema: etree.XMLSchema, tmp_path: Path) -> None:
    # the header the simulator used to write: xes.version="1849-2016" is not a decimal
    bad = tmp_path / "old.xes"
    bad.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1849-2016">'
                   '<trace><string key="concept:name" value="1"/></trace></log>')
    assert not schema.validate(etree.parse(str(bad)))
    ok = tmp_path / "ok.xes"
    ok.write_text(bad.read_text().replace("1849-2016", "2.0"))
    assert schema.validate(etree.parse(str(ok)))
    odd = tmp_path / "odd.xes"  # a date that is not an xs:dateTime
    odd.write_text(ok.read_text().replace(
        '</trace>', '<event><date key="time:timestamp" value="2024-01-01 10:00"/></event>'
                    '</trace>'))
    assert not schema.validate(etree.parse(str(odd)))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["LoanApp_simplified_train.csv.gz", "03_repairExample.xes.gz"])
def test_write_log_xes_is_valid_and_pm4py_reads_it(schema: etree.XMLSchema, event_logs: Path,
                                                   tmp_path: Path, name: str) -> None:
    from bpr.io.quiet import import_pm4py, silenced

    log = read_log(event_logs / name)
    # names with markup and control characters must still give valid XML
    df = log.df.copy()
    df.loc[0, "activity"] = 'A <"&"> \x01 tab\tB'
    log.df = df
    out = tmp_path / "log.xes.gz"
    write_log(log, out)
    validate(schema, out)
    pm4py = import_pm4py()
    with silenced():
        back = pm4py.read_xes(str(out))
    assert len(back) == log.n_events
    assert back["case:concept:name"].nunique() == log.n_cases
    assert back["concept:name"].iloc[0] == 'A <"&"> \ufffd tab\tB'
    ends = pd.to_datetime(back["time:timestamp"], utc=True).sort_values().to_numpy()
    assert (ends == log.df["end_time"].sort_values().to_numpy()).all()
    again = read_log(out)
    assert again.n_events == log.n_events and again.timezone == log.timezone


def test_simulated_xes_is_valid(schema: etree.XMLSchema, tmp_path: Path) -> None:
    from test_sim_output import MODEL

    from bpr.model.schema import loads
    from bpr.sim import simulate

    simulate(loads(MODEL), cases=30, replications=2, seed=3, log_path=tmp_path / "logs",
             log_format="xes")
    for rep in (0, 1):
        validate(schema, tmp_path / "logs" / f"replication-{rep}.xes")
