"""Safe XML parsing: no DTDs, no entity expansion, no network, no huge trees.

Process files come from anywhere (e-mail, a BPMN tool, a colleague), so XML is parsed with lxml
configured against external-entity (XXE) and entity-expansion ("billion laughs") attacks: a file
that declares a DOCTYPE is refused outright with a one-line error.
"""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

from bpr.errors import BprError


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True)


def parse_xml_bytes(data: bytes, path: str = "<string>", *,
                    error: type[BprError] = BprError) -> etree._Element:
    """Parse XML ``data`` safely and return the root element.

    Raises ``error`` (one line naming ``path``) for malformed XML or any DOCTYPE declaration.
    """
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise error("XML with a DOCTYPE or entity declarations is refused (entities are a "
                    "security risk); remove the <!DOCTYPE ...> block", path=path)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as err:
        line = err.lineno if getattr(err, "lineno", None) else None
        msg = str(err.msg if hasattr(err, "msg") and err.msg else err).split(", line")[0]
        raise error(f"not valid XML: {msg}; the file may be truncated or not XML", path=path,
                    line=line) from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise error("XML with a DOCTYPE is refused; remove the <!DOCTYPE ...> block", path=path)
    return root


def parse_xml(path: str | os.PathLike[str], *, error: type[BprError] = BprError
              ) -> etree._Element:
    """Read and safely parse the XML file at ``path`` (see :func:`parse_xml_bytes`)."""
    p = Path(path)
    if not p.is_file():
        raise error("file not found; check the path", path=str(path))
    try:
        data = p.read_bytes()
    except OSError as err:
        raise error(f"cannot read: {err.strerror}", path=str(path)) from None
    if not data.strip():
        raise error("the file is empty", path=str(path))
    return parse_xml_bytes(data, str(path), error=error)
