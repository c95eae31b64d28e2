"""The ``extraction:`` section of the tenant policy file, per tenant (a stand-in until the policy loader lands).

The policy file is YAML whose top-level keys are the defaults and whose ``tenants: {<tenant id>: {...}}`` entries
override them. Only the ``extraction`` section is read here; a tenant's ``extraction`` replaces the default's keys
one by one (and its ``azure`` keys one by one), so a tenant can change its chain without repeating the rules.
Every tenant's section is parsed at start, so a typo stops the service with the tenant and entry named.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from invoice_capture.extraction.chain import ChainConfig, chain_config


def extraction_section(policy: Mapping[str, Any], tenant_id: str) -> dict[str, Any]:
    """The default ``extraction`` section with the tenant's overrides applied."""
    base = dict(policy.get("extraction") or {})
    tenant = ((policy.get("tenants") or {}).get(tenant_id) or {}).get("extraction") or {}
    merged = {**base, **tenant}
    if "azure" in base and "azure" in tenant:
        merged["azure"] = {**base["azure"], **tenant["azure"]}
    return merged


class PolicyChains:
    """``config_for(tenant_id)`` for the chain, from a policy file (absent file: the default chain for all)."""

    def __init__(self, path: Path | None) -> None:
        policy: dict[str, Any] = {}
        if path is not None and Path(path).is_file():
            policy = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            if not isinstance(policy, dict):
                raise ValueError(f"{path}: the policy file must be a mapping at the top level")
        self.policy = policy
        self.default = self._parse(None)
        self._tenants = {str(t): self._parse(str(t)) for t in policy.get("tenants") or {}}

    def _parse(self, tenant_id: str | None) -> ChainConfig:
        try:
            return chain_config(extraction_section(self.policy, tenant_id or ""))
        except ValueError as exc:
            where = f"tenant {tenant_id}" if tenant_id else "defaults"
            raise ValueError(f"policy file, extraction section ({where}): {exc}") from exc

    def __call__(self, tenant_id: str) -> ChainConfig:
        return self._tenants.get(tenant_id, self.default)
