"""YAML in and out, keeping the line number of every key so errors can point at it.

``load_yaml(path)`` returns a :class:`YamlDoc`: the plain data (dicts, lists, scalars) and a map
from key paths such as ``("activities", "Approve", "duration")`` to 1-based line numbers.
Every YAML file bpr reads (models, sidecars, scenarios, costs) goes through this loader, which
refuses what a hostile or mistaken file could do to a reader: duplicate keys (a silent
overwrite would hide an editing mistake), every non-standard tag (``!!python/...``, ``!!binary``,
``!foo``), aliases that expand beyond a small budget ("billion laughs"), self-referring
aliases, deep nesting, oversized files and non-regular files (a named pipe would block).
"""

from __future__ import annotations

import json
import os
import stat
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


# Standard tags bpr files may carry (explicitly or by plain-scalar resolution). Anything else,
# (``!!python/object/apply``, ``!!binary``, ``!!set``, application tags such as ``!foo``) is
# refused: a safe loader that silently ignores a tag would accept a file that means something
# else to another YAML reader.
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in
                         ("str", "int", "float", "bool", "null", "timestamp"))
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"

#: Nodes that aliases may add beyond the document's own nodes (a "billion laughs" of nested
#: aliases would otherwise expand to gigabytes); generous for anchors shared by hand.
MAX_ALIAS_NODES = 50_000
#: Deepest nesting of mappings and sequences accepted (bpr files need fewer than 10 levels).
MAX_DEPTH = 100
#: Largest YAML file read (bytes); a model with 10,000 activities is about 2 MB.
MAX_YAML_BYTES = 64 * 1024 * 1024


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") \
        else tag


def _count_nodes(root: yaml.Node) -> int:
    """Distinct nodes of the composed graph (an alias is the same node object again)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack += (k, v)
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return len(seen)


class _Builder:
    """Plain data from a composed node graph: standard tags only, aliases within a budget,
    duplicate keys refused, merge keys (``<<``) with explicit keys taking precedence."""

    def __init__(self, loader: yaml.SafeLoader, path: str, root: yaml.Node):
        self.loader = loader
        self.path = path
        self.lines: dict[KeyPath, int] = {}
        self.budget = _count_nodes(root) + MAX_ALIAS_NODES
        self.built = 0
        self.active: set[int] = set()  # collections being built (an alias to one is a loop)
        self.seen: set[int] = set()  # nodes met before: meeting one again is an alias

    def error(self, message: str, line: int) -> BprError:
        return BprError(message, path=self.path, line=line)

    def bad_tag(self, tag: str, line: int) -> BprError:
        return self.error(f"the tag {_short_tag(tag)} is not allowed; bpr files hold plain "
                          f"text, numbers, lists and mappings (remove the tag)", line)

    def build(self, node: yaml.Node, at: KeyPath | None, line: int, depth: int = 0) -> Any:
        """The value of ``node`` found at key path ``at`` (None: a key, whose lines are not
        recorded); ``line`` is where it is referred to (an alias carries its anchor's position,
        so errors name the line of the reference)."""
        self.built += 1
        if self.built > self.budget:
            raise self.error(f"aliases (*name) expand to more than {MAX_ALIAS_NODES:,} extra "
                             f"values; write the values out or use fewer nested aliases", line)
        if depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep; flatten the file",
                             line)
        if at is not None:
            self.lines.setdefault(at, line)
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, line)
        if id(node) in self.active:
            raise self.error("an alias (*name) refers to the value that contains it; remove "
                             "the loop", line)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, at, line, depth)
            assert isinstance(node, yaml.SequenceNode)  # the only other kind of node
            return self.sequence(node, at, line, depth)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, line: int) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self.bad_tag(node.tag, line)
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError) as err:
            kind = _short_tag(node.tag).removeprefix("!!")
            raise self.error(f"{node.value!r} is not a valid {kind} ({err}); quote it to keep "
                             f"it as text or correct it", line) from None

    def key(self, node: yaml.Node, line: int) -> Any:
        if isinstance(node, yaml.MappingNode):
            raise self.error("a mapping cannot be a key; use a plain name", line)
        key = self.build(node, None, line)
        if isinstance(key, list):
            key = tuple(tuple(k) if isinstance(k, list) else k for k in key)
            try:
                hash(key)
            except TypeError:
                raise self.error("a key must be a plain name or a list of names", line) \
                    from None
        return key

    def mapping(self, node: yaml.MappingNode, at: KeyPath | None, line: int,
                depth: int) -> dict[Any, Any]:
        if node.tag != _MAP_TAG:
            raise self.bad_tag(node.tag, line)
        out: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        key_lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                for source in self.merge_sources(value_node, line):
                    value = self.build(source, at, line, depth + 1)
                    for k, v in value.items():
                        merged.setdefault(k, v)
                continue
            key = self.key(key_node, line)
            if key in out:
                raise self.error(f"duplicate key {key!r}; each key may appear once in a "
                                 f"mapping", line)
            key_lines[key] = line
            sub = None if at is None else at + (key,)
            if sub is not None:
                self.lines[sub] = line
            out[key] = self.build(value_node, sub, line, depth + 1)
        for k, v in merged.items():
            out.setdefault(k, v)
        if at is not None:  # explicit keys keep their own lines over merged ones
            self.lines.update({at + (k,): ln for k, ln in key_lines.items()})
        return out

    def merge_sources(self, node: yaml.Node, line: int) -> list[yaml.MappingNode]:
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if not all(isinstance(n, yaml.MappingNode) for n in items):
            raise self.error("'<<' merges mappings: give *alias or [*a, *b] of mappings", line)
        return list(items)

    def sequence(self, node: yaml.SequenceNode, at: KeyPath | None, line: int,
                 depth: int) -> list[Any]:
        if node.tag != _SEQ_TAG:
            raise self.bad_tag(node.tag, line)
        items = []
        for i, item in enumerate(node.value):
            # an alias carries its anchor's position: point at the list that refers to it
            line = item.start_mark.line + 1 if id(item) not in self.seen else line
            sub = None if at is None else at + (i,)
            if sub is not None:
                self.lines[sub] = line
            items.append(self.build(item, sub, line, depth + 1))
        return items


def parse_yaml(text: str, path: str = "<string>") -> YamlDoc:
    """Parse YAML text into a :class:`YamlDoc`.

    Safe by construction: only the standard tags of plain data (no Python objects, no
    ``!!binary``/``!!set``, no application tags), aliases limited to
    :data:`MAX_ALIAS_NODES` extra values, nesting to :data:`MAX_DEPTH` levels, duplicate keys
    refused. Every problem is one :class:`BprError` naming ``path:line``.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(data=None, path=path, lines={})
        builder = _Builder(loader, path, node)
        data = builder.build(node, (), node.start_mark.line + 1)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = err.problem or err.context or "malformed YAML"
        raise BprError(f"not valid YAML: {problem}; fix the syntax at this line",
                       path=path, line=line) from None
    except yaml.YAMLError as err:
        raise BprError(f"not valid YAML: {err}", path=path) from None
    except RecursionError:
        raise BprError(f"nested too deeply to read (more than {MAX_DEPTH} levels); flatten "
                       f"the file", path=path) from None
    finally:
        loader.dispose()
    return YamlDoc(data=data, path=path, lines=builder.lines)


def load_yaml(path: str | os.PathLike[str]) -> YamlDoc:
    """Read and parse a YAML file (see :func:`parse_yaml`); a missing, unreadable, binary,
    oversized or non-regular file (folder, named pipe, device) raises :class:`BprError`."""
    return parse_yaml(_read_text(path, "YAML"), str(path))


def _read_text(path: str | os.PathLike[str], what: str) -> str:
    """The text of a regular, bounded, UTF-8 file (else one-line :class:`BprError`)."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise BprError("file not found; check the path", path=str(path)) from None
    except OSError as err:
        raise BprError(f"cannot read: {err.strerror}; check the path", path=str(path)) \
            from None
    if stat.S_ISDIR(st.st_mode):
        raise BprError(f"is a folder, not a file; give the path of a {what} file",
                       path=str(path))
    if not stat.S_ISREG(st.st_mode):
        raise BprError(f"is not a regular file (a pipe or device); give the path of a {what} "
                       f"file", path=str(path))
    if st.st_size > MAX_YAML_BYTES:
        raise BprError(f"is {st.st_size / 2**20:,.0f} MB; {what} files are limited to "
                       f"{MAX_YAML_BYTES // 2**20} MB", path=str(path))
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BprError(f"not a text file (not UTF-8); give a {what} file", path=str(path)) \
            from None
    except OSError as err:
        raise BprError(f"cannot read: {err.strerror}", path=str(path)) from None
    if "\x00" in text:
        raise BprError(f"not a text file (contains NUL bytes); give a {what} file",
                       path=str(path))
    return text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows; write a finite number")


def _depth(data: Any) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, d = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, d)
            if d > MAX_DEPTH:
                return d
            stack += [(v, d + 1) for v in (value.values() if isinstance(value, dict) else value)]
    return deepest


def parse_json(text: str, path: str = "<string>") -> YamlDoc:
    """Parse JSON text into a :class:`YamlDoc` (no line map): ``NaN``/``Infinity``, integers
    of more than 4,300 digits and nesting beyond :data:`MAX_DEPTH` are refused in one line."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise BprError(f"not valid JSON: {err.msg}; fix the syntax at this line", path=path,
                       line=err.lineno) from None
    except RecursionError:
        raise BprError(f"nested too deeply to read (more than {MAX_DEPTH} levels); flatten "
                       f"the file", path=path) from None
    except ValueError as err:  # a constant, or an integer too long to convert
        raise BprError(f"not valid JSON: {str(err).split(';')[0]}", path=path) from None
    if _depth(data) > MAX_DEPTH:
        raise BprError(f"nested more than {MAX_DEPTH} levels deep; flatten the file", path=path)
    return YamlDoc(data=data, path=path)


def load_json(path: str | os.PathLike[str]) -> YamlDoc:
    """Read and parse a JSON file with the same guards as :func:`load_yaml`."""
    return parse_json(_read_text(path, "JSON"), str(path))


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
