"""REST API auth (ingest/auth.py): API keys bound to tenants, Entra ID bearer tokens checked against a real JWKS
served on 127.0.0.1 (keys made here with `cryptography`), and the open mode of the embedded default."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from invoice_capture.config import Settings
from invoice_capture.ingest.auth import ApiAuth, Caller, Denied, EntraVerifier, parse_api_keys

AUDIENCE = "api://invoice-capture"
TID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TID = "0b5e4c3a-1111-4222-8333-944455556666"


class Jwks:
    """A JWKS endpoint like Entra's (``{"keys": [...]}``) on 127.0.0.1, with RSA keys made for the test, and a
    token minter whose defaults are a valid v2 access token for ``AUDIENCE`` in tenant ``TID``."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.fetches = 0
        self.up = True
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _keys(self, _request: web.Request) -> web.Response:
        self.fetches += 1
        if not self.up:
            raise web.HTTPServiceUnavailable()
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return web.json_response({"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]})

    async def start(self) -> Jwks:
        app = web.Application()
        app.router.add_get("/discovery/v2.0/keys", self._keys)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/discovery/v2.0/keys"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def token(self, *, tid: str = TID, key: Any = None, kid: str | None = None, algorithm: str = "RS256",
              **claims: Any) -> str:
        now = int(time.time())
        body = {"aud": AUDIENCE, "iss": f"https://login.microsoftonline.com/{tid}/v2.0", "tid": tid,
                "oid": "00000000-0000-0000-0000-0000000000a1", "name": "Ana Clerk",
                "preferred_username": "ana@contoso.example", "iat": now, "nbf": now, "exp": now + 3600, "ver": "2.0"}
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key if key is not None else self.key, algorithm=algorithm,
                          headers={"kid": kid or self.kid})


@pytest.fixture
async def jwks() -> AsyncIterator[Jwks]:
    server = await Jwks().start()
    yield server
    await server.stop()


def request(**headers: str) -> web.Request:
    return make_mocked_request("GET", "/api/invoices", headers=headers)


def entra_auth(jwks: Jwks, **kw: Any) -> ApiAuth:
    return ApiAuth(keys=[("acme", "acme-key")], entra=EntraVerifier([AUDIENCE], jwks.url, **kw))


async def denied(auth: ApiAuth, req: web.Request) -> Denied:
    with pytest.raises(Denied) as info:
        await auth.caller(req)
    return info.value


# ------------------------------------------------------------------------------------------ API keys


def test_api_keys_setting_binds_each_key_to_its_tenant() -> None:
    assert parse_api_keys(" acme:k1 , globex:k:2,") == [("acme", "k1"), ("globex", "k:2")]
    with pytest.raises(ValueError, match="entry 2 has no key"):
        parse_api_keys("acme:k1,globex")
    with pytest.raises(ValueError, match="not a tenant id"):
        parse_api_keys("ac me:k1")


def test_settings_bind_api_key_to_the_default_tenant_and_refuse_a_shared_key() -> None:
    s = Settings(_env_file=None, API_KEY="old", DEFAULT_TENANT="local", API_KEYS="acme:a1,globex:g1")
    auth = ApiAuth.from_settings(s)
    assert not s.rest_api_open and not auth.open and auth.entra is None
    assert [auth.key_tenant(k) for k in ("old", "a1", "g1", "nope", "")] == ["local", "acme", "globex", None, None]
    with pytest.raises(ValueError, match="more than one tenant"):
        ApiAuth.from_settings(Settings(_env_file=None, API_KEYS="acme:same,globex:same"))
    assert Settings(_env_file=None, API_KEY="", API_KEYS="", ENTRA_API_AUDIENCE="").rest_api_open


async def test_key_decides_the_tenant_in_either_header() -> None:
    auth = ApiAuth(keys=[("acme", "acme-key"), ("globex", "globex-key")])
    assert await auth.caller(request(**{"X-API-Key": "acme-key"})) == Caller("acme", "api_key")
    assert (await auth.caller(request(Authorization="ApiKey globex-key"))).tenant == "globex"
    # naming the key's own tenant is fine
    assert (await auth.caller(request(**{"X-API-Key": "acme-key", "X-Tenant-Id": "acme"}))).tenant == "acme"


async def test_other_tenant_header_is_403_and_bad_keys_are_401_with_a_challenge() -> None:
    auth = ApiAuth(keys=[("acme", "acme-key"), ("globex", "globex-key")])
    wrong = await denied(auth, request(**{"X-API-Key": "acme-key", "X-Tenant-Id": "globex"}))
    assert wrong.status == 403 and "'acme'" in wrong.message and "'globex'" in wrong.message
    bad = await denied(auth, request(**{"X-API-Key": "acme-key-"}))
    assert bad.status == 401 and bad.message == "That API key is not valid."
    assert bad.challenge.startswith("ApiKey ")
    missing = await denied(auth, request())
    assert missing.status == 401 and "X-API-Key" in missing.message
    resp = missing.response()
    assert resp.status == 401 and resp.headers["WWW-Authenticate"] == 'ApiKey realm="invoice-capture"'
    assert resp.content_type == "application/json"
    malformed = await denied(auth, request(**{"X-API-Key": "acme-key", "X-Tenant-Id": "../etc"}))
    assert malformed.status == 400


async def test_open_mode_honours_the_tenant_header() -> None:
    auth = ApiAuth(default_tenant="local")
    assert auth.open
    assert await auth.caller(request()) == Caller("local", "open")
    assert (await auth.caller(request(**{"X-Tenant-Id": "acme"}))).tenant == "acme"
    assert (await denied(auth, request(**{"X-Tenant-Id": "a b"}))).status == 400


async def test_bearer_is_refused_when_entra_is_not_configured() -> None:
    auth = ApiAuth(keys=[("acme", "acme-key")])
    refused = await denied(auth, request(Authorization="Bearer abc.def.ghi"))
    assert refused.status == 401 and "ENTRA_API_AUDIENCE" in refused.message


# ------------------------------------------------------------------------------------------ Entra tokens


async def test_valid_entra_token_names_tenant_and_person_and_keys_are_cached(jwks: Jwks) -> None:
    auth = entra_auth(jwks)
    caller = await auth.caller(request(Authorization=f"Bearer {jwks.token()}"))
    assert caller == Caller(TID, "entra", "00000000-0000-0000-0000-0000000000a1", "Ana Clerk")
    # a v1 token (sts.windows.net issuer) with only preferred_username also passes
    v1 = jwks.token(iss=f"https://sts.windows.net/{TID}/", name=None, ver="1.0")
    assert (await auth.caller(request(Authorization=f"Bearer {v1}"))).user_name == "ana@contoso.example"
    for _ in range(5):
        await auth.caller(request(Authorization=f"Bearer {jwks.token()}"))
    assert jwks.fetches == 1  # the key set is fetched once, not per request
    # the token's tenant may be named, another may not
    assert (await auth.caller(request(Authorization=f"Bearer {jwks.token()}", **{"X-Tenant-Id": TID}))).tenant == TID
    other = await denied(auth, request(Authorization=f"Bearer {jwks.token()}", **{"X-Tenant-Id": "acme"}))
    assert other.status == 403


@pytest.mark.parametrize(("claims", "why"), [
    ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 4000, "nbf": int(time.time()) - 4000}, "expired"),
    ({"nbf": int(time.time()) + 600}, "not valid yet"),
    ({"aud": "api://someone-else"}, "another API"),
    ({"iss": f"https://login.microsoftonline.com/{OTHER_TID}/v2.0"}, "own tenant"),
    ({"iss": "https://evil.example/"}, "own tenant"),
    ({"tid": None}, "no tid claim"),
    ({"oid": None}, "no oid claim"),
])
async def test_bad_entra_tokens_are_401_with_invalid_token(jwks: Jwks, claims: dict[str, Any], why: str) -> None:
    refused = await denied(entra_auth(jwks), request(Authorization=f"Bearer {jwks.token(**claims)}"))
    assert refused.status == 401 and why in refused.message
    assert refused.challenge.startswith('Bearer realm="invoice-capture", error="invalid_token"')
    assert refused.response().headers["WWW-Authenticate"] == refused.challenge


async def test_unknown_kid_forged_signature_and_hs256_are_refused(jwks: Jwks) -> None:
    auth = entra_auth(jwks)
    unknown = await denied(auth, request(Authorization=f"Bearer {jwks.token(kid='rotated-away')}"))
    assert unknown.status == 401 and "key Entra does not publish" in unknown.message
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = await denied(auth, request(Authorization=f"Bearer {jwks.token(key=stranger)}"))
    assert forged.status == 401 and "signature" in forged.message
    hs = jwt.encode({"aud": AUDIENCE, "tid": TID, "oid": "x", "exp": int(time.time()) + 60,
                     "iss": f"https://login.microsoftonline.com/{TID}/v2.0"}, "a-shared-secret-of-32-bytes-long!",
                    algorithm="HS256", headers={"kid": jwks.kid})
    assert "RS256" in (await denied(auth, request(Authorization=f"Bearer {hs}"))).message
    assert (await denied(auth, request(Authorization="Bearer not-a-jwt"))).status == 401


async def test_allowed_tenants_and_unreachable_keys(jwks: Jwks) -> None:
    auth = entra_auth(jwks, allowed_tenants=[OTHER_TID])
    refused = await denied(auth, request(Authorization=f"Bearer {jwks.token()}"))
    assert refused.status == 403 and TID in refused.message
    assert (await auth.caller(request(Authorization=f"Bearer {jwks.token(tid=OTHER_TID)}"))).tenant == OTHER_TID

    jwks.up = False
    fresh = entra_auth(jwks)  # nothing cached yet, and the key server is down
    down = await denied(fresh, request(Authorization=f"Bearer {jwks.token()}"))
    assert down.status == 503 and "Try again" in down.message


async def test_key_and_token_both_work_on_one_service(jwks: Jwks) -> None:
    auth = entra_auth(jwks)
    assert set(auth.schemes) == {"ApiKey", "Bearer"}
    assert (await auth.caller(request(**{"X-API-Key": "acme-key"}))).tenant == "acme"
    missing = await denied(auth, request())
    assert missing.challenge == 'ApiKey realm="invoice-capture", Bearer realm="invoice-capture"'
    assert "X-API-Key" in missing.message and "Bearer" in missing.message
    # a random oid is kept as the person's id, as the Teams bot records them
    oid = str(uuid.uuid4())
    assert (await auth.caller(request(Authorization=f"Bearer {jwks.token(oid=oid)}"))).user_id == oid
