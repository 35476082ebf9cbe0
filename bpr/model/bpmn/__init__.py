"""BPMN 2.0 in and out: ``read_bpmn(path) -> ProcessModel`` and ``write_bpmn(model, path)``.

Simulation parameters travel in a sidecar ``NAME.sim.yaml`` beside ``NAME.bpmn``.
"""

from bpr.model.bpmn.layout import Layout, layout_graph
from bpr.model.bpmn.reader import (
    ModelWarning,
    iso_duration_seconds,
    read_bpmn,
    read_graph,
    sidecar_path,
)
from bpr.model.bpmn.writer import bpmn_xml, element_ids, write_bpmn

__all__ = ["Layout", "ModelWarning", "bpmn_xml", "element_ids", "iso_duration_seconds",
           "layout_graph", "read_bpmn", "read_graph", "sidecar_path", "write_bpmn"]
