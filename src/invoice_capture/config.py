"""Service settings, read once at start from the environment and an optional ``.env`` file.

Names follow what operators already know: the Bot Framework's ``MicrosoftAppId``/``MicrosoftAppPassword``/
``MicrosoftAppTenantId``/``MicrosoftAppType`` (the same names the Azure Bot templates use), and plain upper-case
names for the rest. Every setting has an embedded default so ``python app.py`` runs with no set-up at all.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the composition root (app.py) needs to wire the service."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    host: str = Field("127.0.0.1", validation_alias=AliasChoices("HOST", "host"))
    port: int = Field(3978, validation_alias=AliasChoices("PORT", "port"))
    data_dir: Path = Field(Path("data"), validation_alias=AliasChoices("DATA_DIR", "data_dir"))
    #: Empty: a SQLite file in DATA_DIR. Otherwise any SQLAlchemy async URL (postgresql+asyncpg://...).
    database_url: str = Field("", validation_alias=AliasChoices("DATABASE_URL", "database_url"))
    #: ``memory`` (in-process, the default), ``redis://host:6379/0`` or ``amqp://guest:guest@host:5672/``.
    jobs_broker: str = Field("memory", validation_alias=AliasChoices("JOBS_BROKER", "jobs_broker"))
    #: Extractions run at once in this service (each in its own worker process).
    extract_workers: int = Field(1, validation_alias=AliasChoices("EXTRACT_WORKERS", "extract_workers"))
    extract_timeout_s: float = Field(120.0, validation_alias=AliasChoices("EXTRACT_TIMEOUT", "extract_timeout_s"))

    app_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppId", "MICROSOFT_APP_ID", "app_id"))
    app_password: str = Field("", validation_alias=AliasChoices("MicrosoftAppPassword", "MICROSOFT_APP_PASSWORD",
                                                                "app_password"))
    app_tenant_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppTenantId", "MICROSOFT_APP_TENANT_ID",
                                                                 "app_tenant_id"))
    app_type: str = Field("MultiTenant", validation_alias=AliasChoices("MicrosoftAppType", "MICROSOFT_APP_TYPE",
                                                                       "app_type"))
    #: Key for the REST API and the upload page. Empty: the API is open (fine on 127.0.0.1, loudly logged).
    api_key: str = Field("", validation_alias=AliasChoices("API_KEY", "api_key"))
    #: Tenant that uploads through the page/REST API belong to when the caller does not name one.
    default_tenant: str = Field("local", validation_alias=AliasChoices("DEFAULT_TENANT", "default_tenant"))
    #: Roles given at start, ``"<aad object id or name>=approver,<id>=manager"``; everyone else is a clerk.
    roles: str = Field("", validation_alias=AliasChoices("ROLES", "roles"))
    #: Hosts the bot may download Teams files from (besides the Bot Framework's own attachment service).
    #: Empty: any https host, and http only on loopback (the Agents Playground and tests).
    download_hosts: str = Field("", validation_alias=AliasChoices("DOWNLOAD_HOSTS", "download_hosts"))

    #: The tenant policy (HITL gate, approval matrix, checks) as YAML. Empty: DATA_DIR/policy.yaml if it exists,
    #: else the built-in defaults (review/policy.py; docs/examples/policy.yaml shows every setting).
    policy_file: str = Field("", validation_alias=AliasChoices("POLICY_FILE", "policy_file"))
    #: How often the reminder loop looks for escalated invoices that waited too long (seconds).
    reminder_interval_s: float = Field(300.0, validation_alias=AliasChoices("REMINDER_INTERVAL", "reminder_interval_s"))

    @property
    def policy_path(self) -> Path:
        return Path(self.policy_file) if self.policy_file else self.data_dir / "policy.yaml"

    # --- Azure Document Intelligence (second extraction engine; off while AZURE_DI_ENDPOINT is empty)
    azure_di_endpoint: str = Field("", validation_alias=AliasChoices("AZURE_DI_ENDPOINT", "azure_di_endpoint"))
    #: Empty: authenticate with azure-identity (managed identity, workload identity, az login...).
    azure_di_key: str = Field("", validation_alias=AliasChoices("AZURE_DI_KEY", "azure_di_key"))
    azure_di_model: str = Field("prebuilt-invoice", validation_alias=AliasChoices("AZURE_DI_MODEL", "azure_di_model"))
    #: Pages sent per document (Azure bills per page): the rest of a longer file is not analysed.
    azure_di_max_pages: int = Field(20, validation_alias=AliasChoices("AZURE_DI_MAX_PAGES", "azure_di_max_pages"))
    azure_di_timeout_s: float = Field(120.0, validation_alias=AliasChoices("AZURE_DI_TIMEOUT", "azure_di_timeout_s"))
    #: Client-side limits per tenant, below the S0 tier's 15 analyze calls per second.
    azure_di_calls_per_second: int = Field(15, validation_alias=AliasChoices("AZURE_DI_CALLS_PER_SECOND",
                                                                             "azure_di_calls_per_second"))
    azure_di_calls_per_minute: int = Field(360, validation_alias=AliasChoices("AZURE_DI_CALLS_PER_MINUTE",
                                                                              "azure_di_calls_per_minute"))

    # --- Microsoft Graph sources (SharePoint folders, mailboxes, files shared in channels; off while GRAPH_CLIENT_ID
    # is empty). App-only client credentials: an Entra app registration with the permissions in README.md.
    graph_client_id: str = Field("", validation_alias=AliasChoices("GRAPH_CLIENT_ID", "graph_client_id"))
    graph_client_secret: str = Field("", validation_alias=AliasChoices("GRAPH_CLIENT_SECRET", "graph_client_secret"))
    #: The Entra tenant the app signs in to for tenants whose id is not an Entra id (e.g. "local").
    graph_tenant_id: str = Field("", validation_alias=AliasChoices("GRAPH_TENANT_ID", "graph_tenant_id"))
    #: Where Graph is; only changed for national clouds, or for the tests' local fake Graph.
    graph_base_url: str = Field("https://graph.microsoft.com/v1.0",
                                validation_alias=AliasChoices("GRAPH_BASE_URL", "graph_base_url"))
    #: This service's public https base URL, which Graph posts change notifications to
    #: (<url>/api/graph/notifications and <url>/api/graph/lifecycle).
    graph_public_url: str = Field("", validation_alias=AliasChoices("GRAPH_PUBLIC_URL", "graph_public_url"))
    #: How often the subscription keeper looks for subscriptions to renew or recreate (seconds).
    graph_renew_interval_s: float = Field(900.0, validation_alias=AliasChoices("GRAPH_RENEW_INTERVAL",
                                                                               "graph_renew_interval_s"))

    @property
    def graph_enabled(self) -> bool:
        return bool(self.graph_client_id)

    @property
    def auth_enabled(self) -> bool:
        return bool(self.app_id)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'invoice-capture.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "originals"

    def role_map(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in self.roles.split(","):
            key, _, role = part.partition("=")
            if key.strip() and role.strip():
                out[key.strip().casefold()] = role.strip().lower()
        return out

    # --- REST API for other systems
    #: API keys bound to tenants, ``"tenant1:key1,tenant2:key2"``: a key acts only for its tenant. API_KEY above
    #: stays valid and is bound to DEFAULT_TENANT.
    api_keys: str = Field("", validation_alias=AliasChoices("API_KEYS", "api_keys"))
    #: The API's app id URI or client id (a comma list accepts several); Entra bearer tokens must be issued for it.
    #: Empty: Entra tokens are not accepted.
    entra_api_audience: str = Field("", validation_alias=AliasChoices("ENTRA_API_AUDIENCE", "entra_api_audience"))
    #: Where Entra's token signing keys are published (fetched rarely and cached, not per request).
    entra_jwks_url: str = Field("https://login.microsoftonline.com/common/discovery/v2.0/keys",
                                validation_alias=AliasChoices("ENTRA_JWKS_URL", "entra_jwks_url"))
    #: Entra tenant ids whose tokens are accepted (comma list). Empty: any tenant (each sees only its own invoices).
    entra_allowed_tenants: str = Field("", validation_alias=AliasChoices("ENTRA_ALLOWED_TENANTS",
                                                                         "entra_allowed_tenants"))
    #: Hosts ``POST /api/invoices`` may fetch a file from when given a URL (comma list of host names; https only,
    #: http only to loopback). Empty: URL uploads are refused.
    fetch_hosts: str = Field("", validation_alias=AliasChoices("FETCH_HOSTS", "fetch_hosts"))

    @property
    def rest_api_open(self) -> bool:
        """No API key and no Entra audience: /api/invoices answers anyone who can reach it (the local default)."""
        return not (self.api_key or self.api_keys.strip() or self.entra_api_audience.strip())
