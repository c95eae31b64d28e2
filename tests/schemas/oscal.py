"""Validate documents against the shipped OSCAL JSON schema, with its regular expressions read as the schema means.

Why this exists: JSON Schema patterns are ECMA-262 regular expressions, and Python's ``re`` differs in ways that
matter here:

- OSCAL's ``TokenDatatype`` is ``^(\\p{L}|_)(\\p{L}|\\p{N}|[.\\-_])*$``; ``re`` has no ``\\p{..}`` and fails to compile
  it (and the ``regex`` module, which has it, is not a dependency). A tempting stand-in such as ``[^\\W\\d_]`` for
  ``\\p{L}`` also accepts numeric symbols like "²" or "Ⅻ", so it would be a silent weakening. Instead each ``\\p{X}``
  becomes an explicit character class built from ``unicodedata`` for the general category X (L = Lu|Ll|Lt|Lm|Lo,
  N = Nd|Nl|No), i.e. exactly the property, for the Unicode version Python ships.
- ``$`` in ``re`` also matches before a final newline; in ECMA-262 it matches only at the end. So ``$`` becomes
  ``\\Z`` (otherwise ``StringDatatype`` ``^\\S(.*\\S)?$`` would accept "value\\n").
- ``.`` in ECMA-262 excludes \\n, \\r, U+2028 and U+2029; ``re`` only excludes \\n. ``\\d``/``\\w`` are ASCII in
  ECMA-262 but Unicode in ``re``; ``\\s`` is ECMA's own whitespace set. All are translated to explicit classes.
Anything else the translator does not understand raises, rather than validating less than the schema says.

jsonschema checks ``format`` only with optional packages that are not installed (rfc3339-validator, rfc3987), and
would then skip ``date-time``, ``uri`` and ``uri-reference`` silently; they are checked here with explicit RFC 3339 /
RFC 3986 character-level rules instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker, ValidationError, validators

SCHEMA_PATH = Path(__file__).with_name("oscal_assessment-results_schema.json")

_ECMA_SPACE = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_CLASS_BODY = {"d": "0-9", "w": "A-Za-z0-9_", "s": _ECMA_SPACE}


def _esc(cp: int) -> str:
    return f"\\U{cp:08x}" if cp > 0xFFFF else f"\\u{cp:04x}"


@functools.cache
def unicode_class_body(name: str) -> str:
    """The body of a character class (no brackets) for Unicode general category ``name`` (``L``, ``Lu``, ``N``...)."""
    if not re.fullmatch(r"[A-Z][a-z]?", name):
        raise ValueError(f"unsupported Unicode property \\p{{{name}}} (only general categories are translated)")
    ranges: list[tuple[int, int]] = []
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)).startswith(name):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    if not ranges:
        raise ValueError(f"unknown Unicode general category {name!r}")
    return "".join(_esc(a) if a == b else f"{_esc(a)}-{_esc(b)}" for a, b in ranges)


@functools.cache
def ecma_to_python(pattern: str) -> str:
    """Translate an ECMA-262 pattern (the subset JSON schemas use) into an equivalent Python ``re`` pattern."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                raise ValueError(f"pattern ends with a lone backslash: {pattern!r}")
            nxt = pattern[i + 1]
            if nxt in "pP":
                m = re.match(r"\{([A-Za-z_]+)\}", pattern[i + 2:])
                if not m:
                    raise ValueError(f"malformed \\{nxt} in {pattern!r}")
                body = unicode_class_body(m.group(1))
                if in_class:
                    if nxt == "P":
                        raise ValueError(f"\\P{{..}} inside a character class is not translatable: {pattern!r}")
                    out.append(body)
                else:
                    out.append(("[^" if nxt == "P" else "[") + body + "]")
                i += 2 + m.end()
                continue
            if nxt in "dws":
                out.append(_CLASS_BODY[nxt] if in_class else f"[{_CLASS_BODY[nxt]}]")
            elif nxt in "DWS":
                if in_class:
                    raise ValueError(f"\\{nxt} inside a character class is not translatable: {pattern!r}")
                out.append(f"[^{_CLASS_BODY[nxt.lower()]}]")
            else:
                out.append(c + nxt)
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
        elif c == "[":
            if pattern[i + 1:i + 2] == "]" or pattern[i + 1:i + 3] == "^]":
                raise ValueError(f"empty character classes differ between ECMA-262 and Python: {pattern!r}")
            in_class = True
            out.append(c)
        elif c == ".":
            out.append("[^\\n\\r\\u2028\\u2029]")
        elif c == "$":
            out.append("\\Z")
        else:
            out.append(c)
        i += 1
    if in_class:
        raise ValueError(f"unterminated character class in {pattern!r}")
    return "".join(out)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(ecma_to_python(pattern))


def _pattern(validator: Any, patrn: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(patrn).search(instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")
# RFC 3986 section 2: unreserved / reserved characters and percent-encodings; a URI also needs a scheme (3.1).
_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")

format_checker = FormatChecker(Draft7Validator.FORMAT_CHECKER.checkers)


@format_checker.checks("date-time")
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # raises on 2026-02-30 and the like
    return True


@format_checker.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_SCHEME.match(value) and _URI_CHARS.match(value))


@format_checker.checks("uri-reference")
def _uri_reference(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI_CHARS.match(value))


@format_checker.checks("regex", raises=(re.error, ValueError))
def _regex(value: object) -> bool:
    """A schema's own patterns are ECMA-262: valid if they translate and compile (``re`` alone rejects \\p{L})."""
    if isinstance(value, str):
        re.compile(ecma_to_python(value))
    return True


# The schema itself is checked against the draft-07 metaschema with this format checker (its "regex" above).
OscalDraft7Validator = validators.extend(Draft7Validator, {"pattern": _pattern}, format_checker=format_checker)


@functools.cache
def oscal_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def oscal_validator() -> Any:
    """A validator for the shipped assessment-results schema: ECMA-262 patterns, formats checked."""
    schema = oscal_schema()
    OscalDraft7Validator.check_schema(schema, format_checker=format_checker)
    return OscalDraft7Validator(schema, format_checker=format_checker)


def oscal_errors(doc: Any) -> list[str]:
    """Every schema violation in ``doc``, as "path: message" lines (empty when valid)."""
    return [f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
            for e in sorted(oscal_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]
