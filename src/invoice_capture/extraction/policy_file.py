"""The tenant policy file's ``extraction:`` section, per tenant, as the chain's configuration.

The policy file (review/policy.py ``PolicyBook``) merges a tenant's overrides into the defaults key by key, so a
tenant can change its chain (or one ``azure`` setting) without repeating the vendor rules. Every tenant's section is
parsed when the service starts, so a typo stops it with the tenant and entry named, not the first invoice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from invoice_capture.extraction.chain import ChainConfig, chain_config


class Book(Protocol):
    """What is needed of review/policy.py's PolicyBook (extraction does not depend on the review package)."""

    def extraction_for(self, tenant_id: str) -> dict: ...

    def tenants(self) -> list[str]: ...


class PolicyChains:
    """``config_for(tenant_id)`` for the chain, from the tenant policy (absent file: the default chain for all)."""

    def __init__(self, book: Book | Path | None) -> None:
        if book is None or isinstance(book, Path):
            from invoice_capture.review.policy import PolicyBook  # the CLI: a file path; the service hands a book

            book = PolicyBook.load(book)
        self.book = book
        for tenant in ["", *book.tenants()]:
            self._parse(tenant)

    def _parse(self, tenant_id: str) -> ChainConfig:
        try:
            return chain_config(self.book.extraction_for(tenant_id))
        except ValueError as exc:
            where = f"tenant {tenant_id}" if tenant_id else "defaults"
            raise ValueError(f"policy file, extraction section ({where}): {exc}") from exc

    def __call__(self, tenant_id: str) -> ChainConfig:
        return self._parse(tenant_id)
