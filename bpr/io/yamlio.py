"""YAML in and out, keeping the line number of every key so errors can point at it.

``load_yaml(path)`` returns a :class:`YamlDoc`: the plain data (dicts, lists, scalars) and a map
from key paths such as ``("activities", "Approve", "duration")`` to 1-based line numbers.
Duplicate keys are rejected (a silent overwrite would hide an editing mistake).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bpr.errors import BprError

KeyPath = tuple[Any, ...]


@dataclass
class YamlDoc:
    """Parsed YAML data plus the line number of every mapping key and sequence item."""

    data: Any
    path: str
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, *keys: Any) -> int | None:
        """The line of the deepest known prefix of ``keys`` (None if the document is empty)."""
        keys_t = tuple(keys)
        while keys_t:
            if keys_t in self.lines:
                return self.lines[keys_t]
            keys_t = keys_t[:-1]
        return self.lines.get((), None)


def _construct(node: yaml.Node, loader: yaml.SafeLoader, at: KeyPath,
               lines: dict[KeyPath, int], path: str) -> Any:
    lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list):
                key = tuple(key)
            if key in out:
                raise BprError(f"duplicate key {key!r}; each key may appear once in a mapping",
                               path=path, line=key_node.start_mark.line + 1)
            lines[at + (key,)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, loader, at + (key,), lines, path)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines[at + (i,)] = item.start_mark.line + 1
            items.append(_construct(item, loader, at + (i,), lines, path))
        return items
    return loader.construct_object(node, deep=True)


def parse_yaml(text: str, path: str = "<string>") -> YamlDoc:
    """Parse YAML text into a :class:`YamlDoc` (safe loader; no Python object tags)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        data = None if node is None else _construct(node, loader, (), lines, path)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = err.problem or err.context or "malformed YAML"
        raise BprError(f"not valid YAML: {problem}; fix the syntax at this line",
                       path=path, line=line) from None
    except yaml.YAMLError as err:
        raise BprError(f"not valid YAML: {err}", path=path) from None
    finally:
        loader.dispose()
    return YamlDoc(data=data, path=path, lines=lines)


def load_yaml(path: str | os.PathLike[str]) -> YamlDoc:
    """Read and parse a YAML file; missing, unreadable or binary files raise :class:`BprError`."""
    p = Path(path)
    if not p.exists():
        raise BprError("file not found; check the path", path=str(path))
    if p.is_dir():
        raise BprError("is a folder, not a file; give the path of a .yaml file", path=str(path))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BprError("not a text file (not UTF-8); give a YAML file", path=str(path)) from None
    except OSError as err:
        raise BprError(f"cannot read: {err.strerror}", path=str(path)) from None
    return parse_yaml(text, str(path))


class _Dumper(yaml.SafeDumper):
    """Block style, insertion order, multi-line strings as literal blocks."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


class Flow(list):
    """A list dumped in flow style (``[a, b]``): short lists read better on one line."""


class FlowMap(dict):
    """A mapping dumped in flow style (``{kind: gamma, mean: 60}``)."""


_Dumper.add_representer(Flow, lambda d, v: d.represent_sequence(
    "tag:yaml.org,2002:seq", list(v), flow_style=True))
_Dumper.add_representer(FlowMap, lambda d, v: d.represent_mapping(
    "tag:yaml.org,2002:map", dict(v), flow_style=True))


def dump_yaml(data: Any, header: str = "") -> str:
    """Dump data as block-style YAML in key order; ``header`` lines become comments."""
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
    if header:
        comment = "".join(f"# {ln}".rstrip() + "\n" for ln in header.strip("\n").splitlines())
        return comment + body
    return body
