"""BPMN 2.0 in and out: ``read_bpmn(path) -> ProcessModel`` and ``write_bpmn(model, path)``.

Simulation parameters travel in a sidecar ``NAME.sim.yaml`` beside ``NAME.bpmn``; pools travel
as lanes too. :func:`layout_graph` is the layered layout BPMN export and process maps share;
:func:`read_diagram` / :func:`layout_diagram` measure a drawing (edges through shapes, label
overlaps).
"""

from bpr.model.bpmn.diagram import Diagram, layout_diagram, read_diagram
from bpr.model.bpmn.graph import ModelWarning, sidecar_path
from bpr.model.bpmn.layout import Layout, layout_graph
from bpr.model.bpmn.reader import iso_duration_seconds, read_bpmn, read_graph
from bpr.model.bpmn.writer import bpmn_xml, element_ids, write_bpmn

__all__ = ["Diagram", "Layout", "ModelWarning", "bpmn_xml", "element_ids",
           "iso_duration_seconds", "layout_diagram", "layout_graph", "read_bpmn",
           "read_diagram", "read_graph", "sidecar_path", "write_bpmn"]
