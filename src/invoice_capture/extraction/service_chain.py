"""The service's extractor: the local pool (and Azure, when configured) behind the tenant's chain.

One function so that app.py stays a composition root: whatever engines are configured, the service gets one
object with ``extract(path, name, *, tenant_id)``, every call is logged for ``status``, and a policy file with a
bad extraction section stops the start-up instead of the first invoice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from invoice_capture.config import Settings
from invoice_capture.extraction.chain import ChainExtractor
from invoice_capture.extraction.model import Page
from invoice_capture.extraction.policy_file import Book, PolicyChains
from invoice_capture.extraction.usage import UsageLog
from invoice_capture.extraction.vendor_rules import text_layer_pages
from invoice_capture.store.db import Database


def azure_engine(s: Settings) -> Any:
    """The Azure engine when AZURE_DI_ENDPOINT is set, else None (the chain then skips its Azure steps)."""
    if not s.azure_di_endpoint:
        return None
    from invoice_capture.extraction.azure import AzureEngine, AzureOptions

    return AzureEngine(AzureOptions.from_settings(s, features=("keyValuePairs",)))


async def _words(path: Path) -> list[Page]:
    # PDFium is not thread-safe: read in the loop's thread, as validation does (a text layer is milliseconds)
    return text_layer_pages(path)


def service_extractor(s: Settings, db: Database, local: Any, policies: Book) -> ChainExtractor:
    return ChainExtractor(local, azure_engine(s), config_for=PolicyChains(policies), recorder=UsageLog(db),
                          words_for=_words)
