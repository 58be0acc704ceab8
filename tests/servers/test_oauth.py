"""``[server.oauth]``: JWT access tokens checked against a local JWKS, the RFC 9728 metadata, 401 challenges,
and the token's claims scoping rows through the real SQL server over streamable HTTP."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from connectors.config import OAuthConfig
from servers.oauth import OAuthRefusal, TokenVerifier
from tests.connectors.sql.conftest import load_tables
from tests.support import mcp_http_server, run_async

ISSUER = "https://login.example.test/realms/acme"
RESOURCE = "http://127.0.0.1/mcp"


class Keys:
    """An RSA and an EC signing key, and the JWKS that publishes them."""

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())

    def jwks(self) -> dict:
        keys = []
        for kid, key, alg in (("rsa-1", self.rsa, "RS256"), ("ec-1", self.ec, "ES256")):
            jwk = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "alg": alg, "use": "sig"})
        return {"keys": keys}

    def token(self, alg: str = "RS256", kid: str | None = None, **claims) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": RESOURCE, "sub": "alice", "iat": now, "exp": now + 300, **claims}
        body = {k: v for k, v in body.items() if v is not None}
        key = self.rsa if alg.startswith(("RS", "PS")) else self.ec
        return jwt.encode(body, key, algorithm=alg, headers={"kid": kid or ("rsa-1" if key is self.rsa else "ec-1")})


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture
def jwks_file(tmp_path: Path, keys: Keys) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(keys.jwks()))
    return path


def verifier(jwks_file: Path, **settings) -> TokenVerifier:
    return TokenVerifier(OAuthConfig(issuer=ISSUER, resource=RESOURCE, jwks_file=jwks_file, **settings))


def test_a_valid_token_names_its_subject_and_carries_its_claims(jwks_file, keys):
    for alg in ("RS256", "ES256"):
        caller = verifier(jwks_file).verify(keys.token(alg, region=[1, 2]))
        assert caller.name == "oauth:alice" and caller.claims["region"] == [1, 2] and caller.sources is None


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"iss": "https://evil.example.test"}, "issuer"),
        ({"aud": "https://other.example.test/mcp"}, "(?i)audience"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"nbf": int(time.time()) + 3600}, "not yet valid"),
        ({"sub": None}, "sub"),
        ({"exp": None}, "exp"),
        ({"aud": None}, "aud"),
    ],
)
def test_a_token_with_a_wrong_or_missing_claim_is_refused(jwks_file, keys, claims, why):
    with pytest.raises(OAuthRefusal, match=why) as info:
        verifier(jwks_file).verify(keys.token(**claims))
    assert info.value.error == "invalid_token" and info.value.status == 401


def hs256_with_public_key(secret: bytes) -> str:
    """A token 'signed' with HMAC keyed by the public key: the classic algorithm confusion."""
    import hashlib
    import hmac

    def part(data: dict) -> str:
        return jwt.utils.base64url_encode(json.dumps(data).encode()).decode()

    signed = f"{part({'alg': 'HS256', 'kid': 'rsa-1'})}.{part({'iss': ISSUER, 'aud': RESOURCE, 'sub': 'x', 'exp': time.time() + 60})}"
    return signed + "." + jwt.utils.base64url_encode(hmac.new(secret, signed.encode(), hashlib.sha256).digest()).decode()


def test_forged_tokens_are_refused(jwks_file, keys):
    v = verifier(jwks_file)
    good = keys.token()
    head, body, sig = good.split(".")
    tampered_body = jwt.utils.base64url_encode(json.dumps({**jwt.decode(good, options={"verify_signature": False}),
                                                           "region": 2}).encode()).decode()
    public_pem = keys.rsa.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = [
        f"{head}.{tampered_body}.{sig}",                                             # claims edited
        jwt.encode(jwt.decode(good, options={"verify_signature": False}), other, "RS256",
                   headers={"kid": "rsa-1"}),                                        # another key, our kid
        hs256_with_public_key(public_pem),                                           # alg confusion
        jwt.encode({"iss": ISSUER, "aud": RESOURCE, "sub": "x", "exp": time.time() + 60}, None, "none"),
        keys.token(kid="unknown-kid"),
        f"{head}.{body}.",
        "not.a.jwt",
    ]
    for token in forged:
        with pytest.raises(OAuthRefusal):
            v.verify(token)


def test_an_algorithm_outside_the_list_is_refused(jwks_file, keys):
    with pytest.raises(OAuthRefusal, match="ES256"):
        verifier(jwks_file, algorithms=["RS256"]).verify(keys.token("ES256"))


def test_required_scopes_are_checked_in_scope_or_scp(jwks_file, keys):
    v = verifier(jwks_file, required_scopes=["ragbox:read"])
    assert v.verify(keys.token(scope="openid ragbox:read")).name == "oauth:alice"
    assert v.verify(keys.token(scp=["ragbox:read"])).name == "oauth:alice"
    with pytest.raises(OAuthRefusal) as info:
        v.verify(keys.token(scope="openid"))
    assert info.value.error == "insufficient_scope" and info.value.status == 403


def test_the_jwks_file_is_read_again_when_keys_rotate(jwks_file, keys):
    v = verifier(jwks_file)
    assert v.verify(keys.token())
    rotated = Keys()
    jwks_file.write_text(json.dumps(rotated.jwks()))
    with pytest.raises(OAuthRefusal):
        v.verify(keys.token())
    assert v.verify(rotated.token()).name == "oauth:alice"


def test_keys_come_from_a_jwks_url_and_an_unreachable_one_is_a_clear_refusal(keys):
    body = json.dumps(keys.jwks()).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{http.server_address[1]}/jwks"
    try:
        v = TokenVerifier(OAuthConfig(issuer=ISSUER, resource=RESOURCE, jwks_url=url))
        assert v.verify(keys.token("ES256")).name == "oauth:alice"
    finally:
        http.shutdown()
    dead = TokenVerifier(OAuthConfig(issuer=ISSUER, resource=RESOURCE, jwks_url=url))
    with pytest.raises(OAuthRefusal, match="signing keys could not be fetched"):
        dead.verify(keys.token())


@pytest.mark.parametrize(
    "bad",
    [{}, {"jwks_url": "https://x.test/jwks", "jwks_file": "k.json"}, {"jwks_url": "ftp://x"},
     {"jwks_file": "k.json", "algorithms": ["HS256"]}, {"jwks_file": "k.json", "algorithms": ["none"]}],
)
def test_a_bad_oauth_config_is_refused(bad):
    with pytest.raises(ValueError):
        OAuthConfig(issuer=ISSUER, resource=RESOURCE, **bad)


# -- over HTTP: the SQL server as a resource server --------------------------------------------

CLIENTS = (["id INTEGER PRIMARY KEY", "name TEXT", "region_id INTEGER"],
           [(1, "Alpha Mills", 1), (2, "Bravo Labs", 2), (3, "Cobalt Farms", 1)])


@pytest.fixture
def crm_server(tmp_path: Path, jwks_file: Path):
    db = tmp_path / "crm.db"
    load_tables(f"sqlite:///{db}", {"clients": CLIENTS})
    config = tmp_path / "ragbox.toml"
    config.write_text(f"""
[[databases]]
name = "crm"
url = "sqlite:///{db}"

[[databases.row_filter]]
table = "clients"
column = "region_id"
claim = "region"

[server]
audit = false

[server.oauth]
issuer = "{ISSUER}"
resource = "{RESOURCE}"
jwks_file = "{jwks_file}"
required_scopes = ["ragbox"]
""")
    with mcp_http_server("sql", "--config", str(config), env={"RAGBOX_CLIENTS_FILE": "", "RAGBOX_AUTH_TOKEN": ""}) as base:
        yield base


async def _names(base: str, token: str) -> list[str]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            result = await client.call_tool("run_query", {"sql": "SELECT c.name FROM clients AS c ORDER BY c.id"})
            if result.is_error:
                return ["error: " + result.content[0].text]
            return [row[0] for row in result.structured_content["rows"]]


def test_each_token_sees_only_its_regions_rows_over_http(crm_server, keys):
    assert run_async(_names, crm_server, keys.token(region=1, scope="ragbox")) == ["Alpha Mills", "Cobalt Farms"]
    assert run_async(_names, crm_server, keys.token("ES256", region=[2], scope="ragbox", sub="bob")) == ["Bravo Labs"]
    refused = run_async(_names, crm_server, keys.token(scope="ragbox"))  # no region claim
    assert len(refused) == 1 and "row_scope" in refused[0] and "Alpha" not in refused[0]


def test_the_metadata_is_served_and_every_401_points_to_it(crm_server, keys):
    for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"):
        document = httpx.get(crm_server + path).json()
        assert document["resource"] == RESOURCE and document["authorization_servers"] == [ISSUER]
        assert document["scopes_supported"] == ["ragbox"] and document["bearer_methods_supported"] == ["header"]
    metadata_url = 'resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp"'

    bare = httpx.post(crm_server + "/mcp", json={})
    assert bare.status_code == 401 and bare.headers["www-authenticate"].startswith("Bearer ")
    assert metadata_url in bare.headers["www-authenticate"] and "error=" not in bare.headers["www-authenticate"]

    for token in (keys.token(region=1, scope="ragbox", iss="https://evil.test"), "static-guess",
                  keys.token(region=1, scope="ragbox", exp=int(time.time()) - 600)):
        r = httpx.post(crm_server + "/mcp", json={}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
        assert metadata_url in r.headers["www-authenticate"] and token not in r.text

    no_scope = httpx.post(crm_server + "/mcp", json={}, headers={"Authorization": f"Bearer {keys.token(region=1)}"})
    assert no_scope.status_code == 403 and 'error="insufficient_scope"' in no_scope.headers["www-authenticate"]
