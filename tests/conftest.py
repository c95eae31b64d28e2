"""Shared test fixtures: where the dev set lives, and a rule that CI never silently skips it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[1]
DEV_SET = REPO.parent / "shared" / "data" / "invoices"


def unavailable(reason: str, *, ci_reason: str | None = None) -> NoReturn:
    """Something a test needs is missing: a skip on a developer machine, a failure in CI (CI=true), so CI can
    never go green by silently not running a test."""
    if os.environ.get("CI") == "true":
        pytest.fail(ci_reason or reason)
    pytest.skip(reason)


def require_dev_set() -> Path:
    """The shared dev set; skipped on a developer machine without it, a failure in CI (CI=true)."""
    if (DEV_SET / "labels.jsonl").is_file():
        return DEV_SET
    unavailable(f"no dev set at {DEV_SET}",
                ci_reason=f"the dev set is missing at {DEV_SET}; CI runs with ../shared beside the clone")


@pytest.fixture(scope="session")
def dev_set() -> Path:
    return require_dev_set()


@pytest.fixture(scope="session")
def extractor() -> Iterator[Any]:
    """One real extraction pool for the session's service tests (its worker keeps the OCR models loaded)."""
    from invoice_capture.extraction.pool import ExtractorPool

    pool = ExtractorPool(1, timeout_s=120)
    yield pool
    pool.close()
