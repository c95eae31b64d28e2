"""Who is calling the REST API, and for which tenant.

Three ways in, decided once per request by ``ApiAuth.caller``:

* **API keys** bound to a tenant (settings ``API_KEYS="tenant1:key1,tenant2:key2"``; the older single ``API_KEY``
  is bound to ``DEFAULT_TENANT``). The tenant comes from the key, never from the request: an ``X-Tenant-Id`` header
  naming another tenant is refused with 403, so one customer's key can never read another's invoices. The key is
  sent as ``X-API-Key`` (what the upload page does) or ``Authorization: ApiKey <key>``; the person acting is named
  by ``X-User`` as before.
* **Entra ID bearer tokens** (``Authorization: Bearer <jwt>``) for systems and people in a customer's Microsoft
  tenant: RS256, signed by a key from Entra's JWKS (fetched rarely, cached by PyJWKClient, off the event loop),
  issued for ``ENTRA_API_AUDIENCE`` by the tenant's own issuer. The tenant is the token's ``tid`` and the person
  its ``oid``, the same id the Teams bot records, so the audit trail names one person whichever door they used.
* **Open** when neither is configured: the embedded default on 127.0.0.1, where ``X-Tenant-Id`` is honoured as it
  always was (app.py logs loudly that the API is open).

Refusals are JSON (``{"error": ...}``) with a ``WWW-Authenticate`` challenge on 401, so a client can tell a
missing credential from a bad one and a wrong tenant from both.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError

#: Tenant ids the API accepts: Entra tenant ids (GUIDs), "local", short names from API_KEYS. Anything else in a
#: header is refused rather than stored as a new tenant.
TENANT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
REALM = 'realm="invoice-capture"'
#: Clock skew tolerated on exp/nbf (Entra's own libraries allow five minutes; one is plenty between servers).
LEEWAY_S = 60


@dataclass(frozen=True)
class Caller:
    """An authenticated (or, in open mode, trusted) caller: the tenant everything is scoped to, how they got in,
    and for Entra tokens the person (object id and display name) the token names."""

    tenant: str
    method: str  # "open" | "api_key" | "entra"
    user_id: str = ""
    user_name: str = ""


class Denied(Exception):
    """A request the API refuses before it reaches a handler; ``response()`` is the JSON answer."""

    def __init__(self, status: int, message: str, *, challenge: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.challenge = challenge

    def response(self) -> web.Response:
        headers = {"WWW-Authenticate": self.challenge} if self.challenge else None
        return web.json_response({"error": self.message}, status=self.status, headers=headers)


def parse_api_keys(text: str) -> list[tuple[str, str]]:
    """``"tenant1:key1,tenant2:key2"`` as ``[(tenant, key)]``. The key may contain ':' (only the first one
    separates); a malformed entry stops the start with a sentence naming it, because a silently ignored key is an
    outage for that customer and a silently mis-bound one a breach."""
    out: list[tuple[str, str]] = []
    for n, entry in enumerate(text.split(","), start=1):
        if not entry.strip():
            continue
        tenant, sep, key = entry.strip().partition(":")
        tenant, key = tenant.strip(), key.strip()
        if not sep or not key:
            raise ValueError(f"API_KEYS entry {n} has no key: write it as tenant:key.")
        if not TENANT_RE.fullmatch(tenant):
            raise ValueError(f"API_KEYS entry {n}: {tenant!r} is not a tenant id (letters, digits, '.', '_', '-').")
        out.append((tenant, key))
    return out


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


def header_text(value: str, limit: int) -> str:
    """A header value as the text the client meant: aiohttp keeps non-UTF-8 bytes as lone surrogates, which
    PostgreSQL and JSON encoders refuse, so they become U+FFFD; control characters go too."""
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(c for c in text if c.isprintable()).strip()[:limit]


class EntraVerifier:
    """Checks an Entra ID access token: signature (RS256, key from the JWKS by ``kid``), audience, expiry, and
    that the issuer is the token's own tenant (``tid``), for v1 and v2 tokens alike."""

    def __init__(self, audiences: Sequence[str], jwks_url: str, *, allowed_tenants: Iterable[str] = (),
                 jwks_client: PyJWKClient | None = None) -> None:
        self.audiences = [a for a in audiences if a]
        if not self.audiences:
            raise ValueError("ENTRA_API_AUDIENCE is empty: there is nothing to check Entra tokens against.")
        self.allowed_tenants = frozenset(t.strip().lower() for t in allowed_tenants if t.strip())
        # One set of keys for all tenants, refreshed hourly or (after a cool-down) when a token names a new kid
        self.jwks = jwks_client or PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=3600, timeout=10)

    @staticmethod
    def _invalid(message: str) -> Denied:
        safe = message.replace('"', "'")
        return Denied(401, message, challenge=f'Bearer {REALM}, error="invalid_token", error_description="{safe}"')

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or ``Denied`` (401 for a bad token, 403 for a tenant that is not allowed, 503 when
        the signing keys cannot be fetched: the token may be fine, so the client should retry, not re-login)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise self._invalid("The bearer token is not a JWT.") from None
        if header.get("alg") != "RS256":
            raise self._invalid("The bearer token must be signed with RS256.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise self._invalid("The bearer token names no signing key (kid).")
        try:
            # PyJWKClient caches the key set; a fetch (rare) is blocking urllib, so it runs off the event loop
            signing = await asyncio.to_thread(self.jwks.get_signing_key, kid)
        except PyJWKClientConnectionError:
            raise Denied(503, "Entra's token signing keys cannot be fetched right now, so the token cannot be "
                              "checked. Try again in a minute.") from None
        except PyJWKClientError:
            raise self._invalid("The bearer token is signed with a key Entra does not publish.") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token, signing.key, algorithms=["RS256"], audience=self.audiences, leeway=LEEWAY_S,
                options={"require": ["exp", "iss", "aud", "tid", "oid"]})
        except jwt.ExpiredSignatureError:
            raise self._invalid("The bearer token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise self._invalid("The bearer token is not valid yet.") from None
        except jwt.InvalidAudienceError:
            raise self._invalid("The bearer token was issued for another API (aud).") from None
        except jwt.MissingRequiredClaimError as exc:
            raise self._invalid(f"The bearer token has no {exc.claim} claim.") from None
        except jwt.PyJWTError:
            raise self._invalid("The bearer token's signature or claims are not valid.") from None
        tid, oid = claims.get("tid"), claims.get("oid")
        if not isinstance(tid, str) or not TENANT_RE.fullmatch(tid) or not isinstance(oid, str) or not oid.strip():
            raise self._invalid("The bearer token's tid or oid claim is not valid.")
        if claims.get("iss") not in (f"https://login.microsoftonline.com/{tid}/v2.0", f"https://sts.windows.net/{tid}/"):
            raise self._invalid("The bearer token was not issued by its own tenant's Entra ID (iss).")
        if self.allowed_tenants and tid.lower() not in self.allowed_tenants:
            raise Denied(403, f"Tenant {tid} is not allowed to use this service (ENTRA_ALLOWED_TENANTS).")
        return claims


class ApiAuth:
    """Decides who a request comes from and which tenant it may see (see the module docstring)."""

    def __init__(self, *, keys: Iterable[tuple[str, str]] = (), default_tenant: str = "local",
                 entra: EntraVerifier | None = None) -> None:
        self.default_tenant = default_tenant
        self._keys = [(_digest(key), tenant) for tenant, key in keys if key]
        if len({d for d, _ in self._keys}) != len(self._keys):
            owners: dict[bytes, set[str]] = {}
            for d, tenant in self._keys:
                owners.setdefault(d, set()).add(tenant)
            if any(len(t) > 1 for t in owners.values()):
                raise ValueError("The same API key is given to more than one tenant (API_KEY/API_KEYS).")
        self.entra = entra

    @classmethod
    def from_settings(cls, s: Any) -> ApiAuth:
        """From ``Settings``: API_KEY (bound to DEFAULT_TENANT), API_KEYS, and the Entra settings."""
        keys = [(s.default_tenant, s.api_key)] if s.api_key else []
        keys += parse_api_keys(s.api_keys)
        audiences = [a.strip() for a in s.entra_api_audience.split(",") if a.strip()]
        entra = EntraVerifier(audiences, s.entra_jwks_url, allowed_tenants=s.entra_allowed_tenants.split(",")) \
            if audiences else None
        return cls(keys=keys, default_tenant=s.default_tenant, entra=entra)

    @property
    def open(self) -> bool:
        """No key and no Entra audience configured: everyone is trusted (the local default)."""
        return not self._keys and self.entra is None

    @property
    def schemes(self) -> list[str]:
        out = ["ApiKey"] if self._keys else []
        return [*out, "Bearer"] if self.entra is not None else out

    def _challenge(self) -> str:
        return ", ".join(f"{scheme} {REALM}" for scheme in self.schemes)

    def key_tenant(self, key: str) -> str | None:
        """The tenant a key is bound to. Every configured key is compared (in constant time, on digests of equal
        length), so the answer's timing tells nothing about which key came close."""
        given = _digest(key)
        found = None
        for digest, tenant in self._keys:
            if hmac.compare_digest(given, digest):
                found = tenant
        return found

    @staticmethod
    def tenant_header(headers: Mapping[str, str]) -> str:
        raw = headers.get("X-Tenant-Id", "").strip()
        if raw and not TENANT_RE.fullmatch(raw):
            raise Denied(400, "X-Tenant-Id must be a tenant id: up to 64 letters, digits, '.', '_' or '-'.")
        return raw

    async def caller(self, request: web.Request) -> Caller:
        """The caller of this request, or ``Denied``."""
        named = self.tenant_header(request.headers)
        if self.open:
            return Caller(named or self.default_tenant, "open")
        scheme, _, credential = request.headers.get("Authorization", "").strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer" and credential:
            if self.entra is None:
                raise Denied(401, "Entra tokens are not accepted by this service (ENTRA_API_AUDIENCE is not set); "
                                  "use an API key.", challenge=self._challenge())
            claims = await self.entra.verify(credential)
            caller = Caller(claims["tid"], "entra", claims["oid"].strip()[:128],
                            header_text(str(claims.get("name") or claims.get("preferred_username")
                                            or claims.get("azp") or claims.get("appid") or claims["oid"]), 200))
        else:
            key = credential if scheme.lower() == "apikey" else request.headers.get("X-API-Key", "").strip()
            if not key:
                what = " or ".join(["an API key (X-API-Key)"] * bool(self._keys)
                                   + ["an Entra token (Authorization: Bearer)"] * (self.entra is not None))
                raise Denied(401, f"This service needs {what}.", challenge=self._challenge())
            tenant = self.key_tenant(key)
            if tenant is None:
                raise Denied(401, "That API key is not valid.", challenge=self._challenge())
            caller = Caller(tenant, "api_key")
        if named and named != caller.tenant:
            raise Denied(403, f"These credentials belong to tenant {caller.tenant!r}; they cannot act for tenant "
                              f"{named!r}. Leave out X-Tenant-Id or use that tenant's credentials.")
        return caller
