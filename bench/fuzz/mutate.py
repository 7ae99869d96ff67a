"""Mutations of native export bytes: each takes a seeded ``random.Random`` and a valid payload.

Eleven kinds (``KINDS``): truncation, latin-1 and UTF-16 re-encodings, invalid UTF-8, huge
fields, deep nesting, duplicated keys, control characters, NUL bytes, random bit flips and
swapped field types. The format-aware ones (nesting, duplicated keys, swapped types) look at
the payload's first byte: ``{``/``[`` is JSON (or JSON Lines), ``<`` is XML, anything else a
delimited or line-oriented text. Every mutation is deterministic for a given ``rng`` state,
so a finding is replayed from its seed and case number (``python -m bench.fuzz --replay``).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from typing import Any

__all__ = ["KINDS", "MUTATIONS", "mutate"]

Mutation = Callable[[random.Random, bytes], bytes]

_BOM = b"\xef\xbb\xbf"
_INVALID_UTF8 = [
    b"\xc3\x28", b"\xff", b"\xfe\xff", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82", b"\x80",
    b"\xf8\x88\x80\x80\x80", b"\xf4\x90\x80\x80",
]  # fmt: skip
_CONTROLS = [
    "\x01", "\x02", "\x07", "\x08", "\x0b", "\x0c", "\r", "\x1a", "\x1b[31m", "\x1f", "\x7f",
    "\x85", "\u2028", "\u2029", "\u202e", "\u200b", "\ufeff", "\ufffe", "\r\n", "\t",
]  # fmt: skip
_HUGE_SIZES = [70_000, 70_000, 400_000, 1_100_000, 2_100_000]
_DEPTHS = [64, 1_000, 10_000, 50_000]
_ODD_VALUES: list[Any] = [
    None, True, 0, -1, 2**63, 1e308, "", "x", [], {}, [1, "a"], {"a": {"b": []}}, "NaN",
    "1e999", "-0", "9" * 40, "\u202eevil", "1/2/3", "2025-13-45",
]  # fmt: skip
_ODD_TEXT = [
    "", "-1", "1e999", "NaN", "[1,2]", "{}", "true", "null", "0x1F", "9" * 40, "31/02/2025",
]  # fmt: skip


def _near_letter(rng: random.Random, data: bytes) -> int:
    """An offset just after an ASCII letter at a random place: inside a value, mostly."""
    if not data:
        return 0
    start = rng.randrange(len(data))
    for offset in range(start, min(len(data), start + 400)):
        if data[offset] < 128 and chr(data[offset]).isalpha():
            return offset + 1
    return start


def _insert(data: bytes, at: int, what: bytes) -> bytes:
    return data[:at] + what + data[at:]


def _text(data: bytes) -> str:
    return data.removeprefix(_BOM).decode("utf-8", "replace")


def truncate(rng: random.Random, data: bytes) -> bytes:
    """A strict, non-empty prefix: the export cut anywhere (inside a value, a tag, a row)."""
    return data[: rng.randrange(1, len(data))] if len(data) > 1 else b""


def latin1(rng: random.Random, data: bytes) -> bytes:
    """The export re-encoded as latin-1 (accented letters added first when it has none)."""
    text = _text(data)
    if text.isascii():
        at = _near_letter(rng, data)
        text = text[:at] + rng.choice(["é", "ñ", "ü", "ø", "ß", "Ç"]) + text[at:]
    return text.encode("latin-1", "replace")


def utf16(rng: random.Random, data: bytes) -> bytes:
    """The export re-encoded as UTF-16 or UTF-32, with or without a byte-order mark."""
    return _text(data).encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32"]))


def invalid_utf8(rng: random.Random, data: bytes) -> bytes:
    """One to three invalid UTF-8 sequences (lone bytes, surrogates, overlong forms) in values."""
    for _ in range(rng.randint(1, 3)):
        data = _insert(data, _near_letter(rng, data), rng.choice(_INVALID_UTF8))
    return data


def huge_field(rng: random.Random, data: bytes) -> bytes:
    """A value inflated by 70 kB to 2.1 MB of letters, digits or multi-byte characters."""
    size = rng.choice(_HUGE_SIZES)
    unit = rng.choice([b"A", b"9", "Ж".encode(), b"ab ", "\u0645".encode()])
    return _insert(data, _near_letter(rng, data), unit * (size // len(unit)))


def _kind(data: bytes) -> str:
    head = data.removeprefix(_BOM).lstrip()[:1]
    if head in {b"{", b"["}:
        return "json"
    if head == b"<":
        return "xml"
    return "text"


def deep_nesting(rng: random.Random, data: bytes) -> bytes:
    """Arrays, objects or elements nested 64 to 200,000 deep where a value starts."""
    depth = rng.choice(_DEPTHS)
    kind = _kind(data)
    if kind == "xml":
        found = [m.end() for m in re.finditer(rb"<[A-Za-z][^<>/]*>", data)]
        at = rng.choice(found) if found else _near_letter(rng, data)
        return _insert(data, at, b"<n>" * depth + b"x" + b"</n>" * depth)
    if kind == "json":
        found = [m.end() for m in re.finditer(rb'":\s*', data)]
        at = rng.choice(found) if found else _near_letter(rng, data)
        end = rng.choice([b'"', b"1", b""])  # a value, or one left open
        # The nested value replaces the start of the old one only by being put in front of it.
        nest = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
        return _insert(data, at, nest[0] * depth + end + nest[1] * depth + b",")
    return _insert(data, _near_letter(rng, data), b"[" * depth + b"<a>" * (depth // 10))


def _dup_json(rng: random.Random, data: bytes) -> bytes:
    found = list(re.finditer(rb'"([^"\\]{1,40})":\s*', data))
    if not found:
        return data + data
    match = rng.choice(found)
    other = rng.choice(_ODD_VALUES)
    dup = match.group(0) + json.dumps(other, ensure_ascii=False).encode() + b", "
    return _insert(data, match.start(), dup)


def _dup_xml(rng: random.Random, data: bytes) -> bytes:
    found = list(re.finditer(rb"<([A-Za-z:_][\w:.-]*)(\s[^<>]*)?>([^<>]*)</\1>", data))
    if found:
        match = rng.choice(found)
        tag, attrs = match.group(1), match.group(2) or b""
        copy = b"<" + tag + attrs + b">" + rng.choice([b"", b"other", b"2099-01-01"]) + b"</"
        return _insert(data, match.end(), copy + tag + b">")
    attr = list(re.finditer(rb'\s([\w:-]+)="[^"]*"', data))
    if attr:
        match = rng.choice(attr)
        return _insert(data, match.end(), b" " + match.group(1) + b'="dup"')
    return data + data


def _dup_text(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data + b"\n" + data
    header = lines[0]
    sep = next((s for s in (b"\t", b";", b",", b"|") if s in header), None)
    if sep is not None and rng.random() < 0.6:
        cols = header.split(sep)
        if len(cols) > 1:
            i, j = rng.sample(range(len(cols)), 2)
            cols[i] = cols[j]
            return b"\n".join([sep.join(cols), *lines[1:]])
    keyed = [n for n, line in enumerate(lines) if re.match(rb"^[A-Z][A-Z _-]{1,30}:", line)]
    pick = rng.choice(keyed) if keyed else rng.randrange(len(lines))
    key = lines[pick].split(b":", 1)[0]
    lines.insert(pick + 1, key + b": " + rng.choice([b"", b"OTHER", b"9999", b"2"]))
    return b"\n".join(lines)


def duplicate_keys(rng: random.Random, data: bytes) -> bytes:
    """A key (JSON), element or attribute (XML), column or field line (text) given twice."""
    kind = _kind(data)
    if kind == "json":
        return _dup_json(rng, data)
    if kind == "xml":
        return _dup_xml(rng, data)
    return _dup_text(rng, data)


def control_chars(rng: random.Random, data: bytes) -> bytes:
    """One to four control or format characters (escape, bidi override, line separators)."""
    for _ in range(rng.randint(1, 4)):
        data = _insert(data, _near_letter(rng, data), rng.choice(_CONTROLS).encode())
    return data


def nul_bytes(rng: random.Random, data: bytes) -> bytes:
    """One to three NUL bytes inserted, or one byte replaced by NUL."""
    if rng.random() < 0.3 and data:
        at = rng.randrange(len(data))
        return data[:at] + b"\x00" + data[at + 1 :]
    for _ in range(rng.randint(1, 3)):
        data = _insert(data, _near_letter(rng, data), b"\x00" * rng.randint(1, 3))
    return data


def byte_flip(rng: random.Random, data: bytes) -> bytes:
    """One to eight random bits flipped anywhere in the export."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        found: list[tuple[Any, ...]] = [path] if path else []
        for key, value in node.items():
            found += _leaves(value, (*path, key))
        return found
    if isinstance(node, list):
        found = [path] if path else []
        for i, value in enumerate(node):
            found += _leaves(value, (*path, i))
        return found
    return [path]


def _swap_value(rng: random.Random, value: Any) -> Any:
    choices = [v for v in _ODD_VALUES if type(v) is not type(value)]
    if isinstance(value, str) and rng.random() < 0.3:
        return [value]  # a list where one value was
    return rng.choice(choices)


def _swap_json_doc(rng: random.Random, doc: Any) -> Any:
    paths = [p for p in _leaves(doc) if p]
    if not paths:
        return rng.choice(_ODD_VALUES)
    path = rng.choice(paths)
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = _swap_value(rng, parent[path[-1]])
    return doc


def _swap_json(rng: random.Random, data: bytes) -> bytes:
    text = _text(data)
    try:
        doc = json.loads(text)
    except ValueError:
        lines = text.split("\n")
        rows = [n for n, line in enumerate(lines) if line.lstrip().startswith("{")]
        if not rows:
            return data
        n = rng.choice(rows)
        try:
            lines[n] = json.dumps(_swap_json_doc(rng, json.loads(lines[n])), ensure_ascii=False)
        except ValueError:
            return data
        return "\n".join(lines).encode()
    return json.dumps(_swap_json_doc(rng, doc), ensure_ascii=False, indent=1).encode()


def _swap_xml(rng: random.Random, data: bytes) -> bytes:
    leaves = list(re.finditer(rb">([^<>]+)</", data))
    if leaves and rng.random() < 0.7:
        match = rng.choice(leaves)
        new = rng.choice([b"<x>1</x>", b"", b"<x/><y/>", rng.choice(_ODD_TEXT).encode()])
        return data[: match.start(1)] + new + data[match.end(1) :]
    attrs = list(re.finditer(rb'="([^"]*)"', data))
    if attrs:
        match = rng.choice(attrs)
        return data[: match.start(1)] + rng.choice(_ODD_TEXT).encode() + data[match.end(1) :]
    return data


def _swap_text(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    body = [n for n in range(1, len(lines)) if lines[n].strip()] or [0]
    n = rng.choice(body)
    sep = next((s for s in (b"\t", b";", b",", b"|", b": ") if s in lines[n]), None)
    if sep is None:
        lines[n] = rng.choice(_ODD_TEXT).encode()
    else:
        cells = lines[n].split(sep)
        i = rng.randrange(len(cells))
        cells[i] = rng.choice(_ODD_TEXT).encode()
        lines[n] = sep.join(cells)
    return b"\n".join(lines)


def swap_types(rng: random.Random, data: bytes) -> bytes:
    """A value of another type: text for a number or date, a list or object for text, an
    element for text (XML), a number, ``NaN`` or a list in a column (text)."""
    kind = _kind(data)
    if kind == "json":
        return _swap_json(rng, data)
    if kind == "xml":
        return _swap_xml(rng, data)
    return _swap_text(rng, data)


MUTATIONS: dict[str, Mutation] = {
    "truncate": truncate,
    "latin1": latin1,
    "utf16": utf16,
    "invalid_utf8": invalid_utf8,
    "huge_field": huge_field,
    "deep_nesting": deep_nesting,
    "duplicate_keys": duplicate_keys,
    "control_chars": control_chars,
    "nul_bytes": nul_bytes,
    "byte_flip": byte_flip,
    "swap_types": swap_types,
}
KINDS: tuple[str, ...] = tuple(MUTATIONS)


def mutate(kind: str, rng: random.Random, data: bytes) -> bytes:
    """``data`` mutated by ``kind``; a second try when the first left it unchanged."""
    out = MUTATIONS[kind](rng, data)
    return out if out != data else MUTATIONS[kind](rng, data)
