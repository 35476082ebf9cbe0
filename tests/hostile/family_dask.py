"""Dask schedulers that are not there, not Dask, or have no workers: one line, bounded time."""

from __future__ import annotations

from corpus import Case

MODEL = "{data}/scenario/small.yaml"
FAST = {"BPR_DASK_CONNECT_TIMEOUT": "2", "BPR_DASK_WORKERS_TIMEOUT": "2"}


def simulate(address: str) -> tuple[str, ...]:
    return ("simulate", MODEL, "--cases", "20", "--replications", "2", "--scheduler", address,
            "-o", "out", "-q")


CASES = [
    Case("not a url", simulate("not a url"), says="not a scheduler address",
         names="not a url", previous="out"),
    Case("http address", simulate("http://127.0.0.1:8787"), says="is a web address",
         previous="out"),
    Case("unknown scheme", simulate("ftp://127.0.0.1:8786"), says="unknown scheme"),
    Case("nothing listening", simulate("tcp://127.0.0.1:9"), env=FAST,
         says="cannot reach the Dask scheduler"),
    Case("silent peer", simulate("{peer}"), env=FAST, needs=("peer-silent",),
         says="sent nothing", names="{peer}", previous="out", timeout=30, slow=True),
    Case("HTTP server on the port", simulate("{peer}"), env=FAST, needs=("peer-http",),
         says="an HTTP server answers", names="{peer}", timeout=30),
    Case("garbage peer", simulate("{peer}"), env=FAST, needs=("peer-garbage",),
         says="does not speak the Dask protocol", names="{peer}", timeout=30),
    Case("scheduler without workers", simulate("{peer}"), env=FAST,
         needs=("scheduler-no-workers",), says="has no workers", names="{peer}",
         previous="out", timeout=40, slow=True),
    Case("bad timeout setting", simulate("tcp://127.0.0.1:9"),
         env={"BPR_DASK_CONNECT_TIMEOUT": "soon"}, says="BPR_DASK_CONNECT_TIMEOUT"),
]
