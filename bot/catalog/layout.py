"""The layout of the data files: how a table of values becomes TOML text a person reviews.

The rules (what `data/` looks like, and what `catalog export` writes):
- keys in the order the writer gives them; a list of tables (`[[region]]`, `[[phones]]`)
  comes after the plain keys, each table after one blank line;
- a list stays on one line (`needs = ["shelter", "legal"]`), except `source_urls`: one source
  per line, indented by four spaces, with a trailing comma, so a review shows which one
  changed;
- a text of several lines is a literal block (`'''` on the key's line, the text from the
  next line on), so notes read as written; a text it cannot hold is a quoted string;
- a limit the sources disagree on is one inline table (`{ values = [30, 34], sources = … }`).

Writing over a file that exists keeps what a person added and the format only reads: its
comments stay where they were, and a value that still means the same keeps the text it was
written with (a hand-wrapped note, a list laid out by hand). So exporting the catalog into
`data/` changes nothing that the catalog did not change.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import tomli_w

# Lists written one item per line.
_ONE_PER_LINE = frozenset({"source_urls"})
_INDENT = "    "
# What a TOML literal string cannot hold: control characters other than tab (and, in a
# multi-line one, newline), and its own closing quotes.
_NOT_LITERAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|'''")
# A table's identity in a document: its array's name and its `id` (or its position).
TableKey = tuple[str, object]
_ROOT: TableKey = ("", None)


def _inline(value: Any) -> str:
    """A value on one line: lists and tables inline, the rest as tomli_w writes it."""
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + " }"
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


def value_text(key: str, value: Any) -> str:
    """The canonical text of `key = value` (maybe several lines), without a final newline."""
    if isinstance(value, str) and "\n" in value and not _NOT_LITERAL.search(value):
        return f"{key} = '''\n{value}'''"
    if isinstance(value, list) and key in _ONE_PER_LINE and value:
        items = "".join(f"{_INDENT}{_inline(item)},\n" for item in value)
        return f"{key} = [\n{items}]"
    return f"{key} = {_inline(value)}"


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table_key(kind: str, table: dict[str, Any], index: int) -> TableKey:
    return (kind, table.get("id", index))


@dataclass
class _Statement:
    """One key (or one `[[table]]` header) of a file as it is written there."""

    text: str
    # The comment and blank lines right before it: they belong to it.
    before: list[str] = field(default_factory=list)


@dataclass
class _Written:
    """What a file that exists says, statement by statement."""

    statements: dict[tuple[TableKey, str], _Statement] = field(default_factory=dict)
    values: dict[tuple[TableKey, str], Any] = field(default_factory=dict)
    # Each table's keys in the order the file has them.
    order: dict[TableKey, list[str]] = field(default_factory=dict)
    after: list[str] = field(default_factory=list)

    def kept_empty(self, table: TableKey, values: dict[str, Any]) -> list[str]:
        """The table's keys in writing order, with the file's own empty ones where they were.

        The writer leaves an empty value out; a file that states one (`aliases = []`) means
        the same, so the statement stays, after the key it followed.
        """
        keys = list(values)
        order = self.order.get(table, [])
        for index, key in enumerate(order):
            if key in values or not _is_empty(self.values[(table, key)]):
                continue
            earlier = [k for k in order[:index] if k in keys]
            keys.insert(keys.index(earlier[-1]) + 1 if earlier else 0, key)
        return keys


def _is_empty(value: Any) -> bool:
    return value is False or value == "" or value == []


def _read_written(text: str) -> _Written:
    """Split a data file into its statements, each with the comments above it."""
    written = _Written()
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return written  # not ours to keep: the file is written anew
    lines = text.splitlines()
    seen: dict[str, int] = {}
    table = _ROOT
    before: list[str] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            before.append(lines[i])
            i += 1
            continue
        if stripped.startswith("[["):
            kind = stripped.removeprefix("[[").split("]]")[0].strip()
            index = seen.get(kind, 0)
            seen[kind] = index + 1
            tables = doc.get(kind)
            if not isinstance(tables, list) or index >= len(tables):
                return _Written()  # a layout this module does not know: write it anew
            table = _table_key(kind, tables[index], index)
            written.statements[(table, "[[")] = _Statement(lines[i], before)
            before, i = [], i + 1
            continue
        # A key's statement ends at the first line where it parses on its own.
        for end in range(i + 1, len(lines) + 1):
            chunk = "\n".join(lines[i:end])
            try:
                parsed = tomllib.loads(chunk)
            except tomllib.TOMLDecodeError:
                continue
            break
        else:
            return _Written()
        if len(parsed) != 1:
            return _Written()
        ((key, value),) = parsed.items()
        written.statements[(table, key)] = _Statement(chunk, before)
        written.values[(table, key)] = value
        written.order.setdefault(table, []).append(key)
        before, i = [], end
    written.after = before
    return written


def dump(doc: dict[str, Any], existing: str | None = None) -> str:
    """`doc` as a data file; over `existing` (the file's text now), keep what it can."""
    written = _read_written(existing) if existing is not None else _Written()
    out: list[str] = []

    def put(table: TableKey, key: str, canonical: str, value: Any, blank_before: bool) -> None:
        old = written.statements.get((table, key))
        if old is not None:
            out.extend(old.before)
        elif blank_before and out:
            out.append("")
        same = old is not None and (key == "[[" or written.values.get((table, key)) == value)
        out.append(old.text if same and old is not None else canonical)

    def put_table(table: TableKey, values: dict[str, Any]) -> None:
        for key in written.kept_empty(table, values):
            value = values[key] if key in values else written.values[(table, key)]
            # Lists of tables are headed blocks at the top level only; deeper they are inline.
            if table != _ROOT or not _is_table_list(value):
                put(table, key, value_text(key, value), value, blank_before=False)

    put_table(_ROOT, doc)
    for kind, tables in doc.items():
        if _is_table_list(tables):
            for index, inner in enumerate(tables):
                key_of_inner = _table_key(kind, inner, index)
                put(key_of_inner, "[[", f"[[{kind}]]", None, blank_before=True)
                put_table(key_of_inner, inner)
    out.extend(written.after)
    return "\n".join(out) + "\n"
