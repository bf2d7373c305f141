"""Documents of the embedded engine read from their stored BSON, decoded only as far as read.

`Engine.find_in(..., lazy=True)` hands out `RawBSONDocument`s: a reader of a few fields of large
documents (the Patient refresh reads a record's identity, not its courses and immunizations)
then never decodes the rest. `plain` turns what is read from one into what the engine would have
returned; `plain_field` reads one sub-document by skipping the elements before it by their sizes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import bson
from bson.raw_bson import RawBSONDocument

KEYS_PER_QUERY = 500
"""Keys bound in one `IN (...)` of a query: well under SQLite's parameter limit."""


def plain(value: Any) -> Any:
    """A value read from a lazily decoded document (`Engine.find_in(..., lazy=True)`) as the
    engine would have returned it: a sub-document becomes a dict, decoded in full with the
    collection's codec options."""
    if isinstance(value, RawBSONDocument):
        codec = getattr(value, "_RawBSONDocument__codec_options")  # noqa: B009 - no public name
        return bson.decode(value.raw, codec_options=codec.with_options(document_class=dict))
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def plain_field(doc: Any, name: str) -> Any:
    """`plain(doc.get(name))`, and of a lazily decoded document without decoding its other
    fields: its elements are skipped by their sizes (a large record read for its identity)."""
    if not isinstance(doc, RawBSONDocument):
        return plain(doc.get(name))
    raw = bytes(doc.raw)
    wanted = name.encode()
    position, end = 4, len(raw) - 1
    while position < end:
        kind = raw[position]
        named_end = raw.index(0, position + 1)
        start = named_end + 1
        size = _bson_size(kind, raw, start)
        if size is None:
            break  # a type not sized here: decode the document's fields the usual way
        if raw[position + 1 : named_end] == wanted:
            if kind != _BSON_DOCUMENT:
                break
            codec = getattr(doc, "_RawBSONDocument__codec_options")  # noqa: B009 - no public name
            part = raw[start : start + size]
            return bson.decode(part, codec_options=codec.with_options(document_class=dict))
        position = start + size
    return plain(doc.get(name))


_BSON_DOCUMENT = 0x03
_FIXED_SIZES = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16}
_INT32 = struct.Struct("<i")


def _bson_size(kind: int, raw: bytes, start: int) -> int | None:
    """The size of a BSON element's value of type `kind` starting at `start`, or None."""
    fixed = _FIXED_SIZES.get(kind)
    if fixed is not None:
        return fixed
    if kind in (0x03, 0x04):  # document, array: their own length
        return int(_INT32.unpack_from(raw, start)[0])
    if kind in (0x02, 0x0D, 0x0E):  # string, code, symbol: length-prefixed
        return 4 + int(_INT32.unpack_from(raw, start)[0])
    if kind == 0x05:  # binary: length, subtype, bytes
        return 5 + int(_INT32.unpack_from(raw, start)[0])
    return None


def lazy_rows(table: Any, keys: list[str]) -> Iterator[Any]:
    """The documents of these encoded keys, in that order, as `RawBSONDocument`s."""
    codec = table._codec_options.with_options(document_class=RawBSONDocument)
    for start in range(0, len(keys), KEYS_PER_QUERY):
        part = keys[start : start + KEYS_PER_QUERY]
        found = raw_rows(table, part)
        for key in part:
            raw = found.get(key)
            if raw is not None:
                yield RawBSONDocument(raw, codec_options=codec)


def raw_rows(table: Any, keys: list[str]) -> dict[str, bytes]:
    """The stored (BSON) documents of these encoded keys that exist, by key."""
    found: dict[str, bytes] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        part = keys[start : start + KEYS_PER_QUERY]
        marks = ",".join("?" * len(part))
        query = f"SELECT _id, doc FROM {table._table_name} WHERE _id IN ({marks})"  # noqa: S608
        found.update(table._connection.execute(query, part).fetchall())
    return found
