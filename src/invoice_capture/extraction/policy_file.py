"""The tenant policy file's ``extraction:`` section, per tenant, as the chain's configuration.

The policy file (review/policy.py ``PolicyBook``) merges a tenant's overrides into the defaults key by key, so a
tenant can change its chain (or one ``azure`` setting) without repeating the vendor rules, and checks the section
with the rest of the policy: a typo stops the start, and a broken edit later keeps the last good policy in force.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from invoice_capture.extraction.chain import ChainConfig, chain_config


class Book(Protocol):
    """What is needed of review/policy.py's PolicyBook (extraction does not depend on the review package)."""

    def for_tenant(self, tenant_id: str) -> Any: ...


class PolicyChains:
    """``config_for(tenant_id)`` for the chain, from the tenant policy (absent file: the default chain for all)."""

    def __init__(self, book: Book | Path | None) -> None:
        if book is None or isinstance(book, Path):
            from invoice_capture.review.policy import PolicyBook  # the CLI: a file path; the service hands a book

            book = PolicyBook.load(book)
        self.book = book
        #: tenant -> (the policy it was read from, its chain): the book hands out a new policy when the file changes
        self._parsed: dict[str, tuple[Any, ChainConfig]] = {}

    def __call__(self, tenant_id: str) -> ChainConfig:
        policy = self.book.for_tenant(tenant_id)
        known = self._parsed.get(tenant_id)
        if known is None or known[0] is not policy:
            known = self._parsed[tenant_id] = (policy, chain_config(policy.extraction))
        return known[1]
