"""Tests of the GitHub simulator's app JWT checks and installation tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import gidgethub
import jwt
import pytest
from gidgethub.aiohttp import GitHubAPI

from tests.simulators.github_fixtures import *  # noqa: F403 (the fixtures)
from tests.simulators.github_fixtures import APP_ID, OWNER, KeyPair, repo_path


def make_jwt(private_pem: str, *, offsets=None, **overrides) -> str:
    """Sign a JWT; offsets are claims given in seconds from now."""
    now = int(time.time())
    claims = {"iat": now - 60, "exp": now + 540, "iss": str(APP_ID)}
    claims.update(overrides)
    claims.update({name: now + delta for name, delta in (offsets or {}).items()})
    # Signed as a raw JWS because PyJWT refuses to encode a numeric `iss`.
    return jwt.PyJWS().encode(
        json.dumps(claims).encode(), private_pem, algorithm="RS256"
    )


async def create_token(client: GitHubAPI, installation: int, app_jwt: str, **body):
    return await client.post(
        f"/app/installations/{installation}/access_tokens",
        data=body or b"",
        jwt=app_jwt,
    )


async def test_jwt_accepted_gives_token(app_client, installation_id, key: KeyPair):
    response = await create_token(
        app_client, installation_id, make_jwt(key.private_pem)
    )
    assert response["token"].startswith("ghs_")
    assert len(response["token"]) == 40
    assert response["repository_selection"] == "all"
    assert response["permissions"]["deployments"] == "write"
    expires = time.mktime(time.strptime(response["expires_at"], "%Y-%m-%dT%H:%M:%SZ"))
    assert 3500 < expires - time.mktime(time.gmtime()) <= 3600


async def test_jwt_numeric_iss_accepted(app_client, installation_id, key: KeyPair):
    app_jwt = make_jwt(key.private_pem, iss=APP_ID)
    response = await create_token(app_client, installation_id, app_jwt)
    assert response["token"].startswith("ghs_")


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (
            {"offsets": {"exp": -10}},
            "'Expiration time' claim ('exp') must be a numeric value representing"
            " the future time at which the assertion expires",
        ),
        (
            {"offsets": {"exp": 660}},
            "'Expiration time' claim ('exp') is too far in the future",
        ),
        (
            {"offsets": {"iat": 300}},
            "'Issued at' claim ('iat') must be an Integer representing the time"
            " that the assertion was issued",
        ),
        ({"iss": "999"}, "A JSON web token could not be decoded"),
    ],
    ids=["expired", "exp-too-far", "iat-in-future", "wrong-iss"],
)
async def test_jwt_rejected(app_client, installation_id, key: KeyPair, claims, message):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await create_token(
            app_client, installation_id, make_jwt(key.private_pem, **claims)
        )
    assert raised.value.status_code == 401
    assert str(raised.value) == message


async def test_jwt_signed_with_other_key_rejected(app_client, installation_id):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_pem = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with pytest.raises(gidgethub.BadRequest) as raised:
        await create_token(app_client, installation_id, make_jwt(other_pem))
    assert raised.value.status_code == 401
    assert str(raised.value) == "A JSON web token could not be decoded"


async def test_jwt_hs256_rejected(app_client, installation_id, key: KeyPair):
    # An HMAC keyed with the public key must not pass as the app's signature.
    now = int(time.time())
    claims = {"iat": now - 60, "exp": now + 500, "iss": str(APP_ID)}
    signing_input = b".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
        for part in ({"alg": "HS256", "typ": "JWT"}, claims)
    )
    mac = hmac.new(key.public_pem.encode(), signing_input, hashlib.sha256).digest()
    forged = (
        signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")
    ).decode()
    with pytest.raises(gidgethub.BadRequest) as raised:
        await create_token(app_client, installation_id, forged)
    assert raised.value.status_code == 401


async def test_unknown_installation_is_404(app_client, installation_id, key: KeyPair):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await create_token(app_client, 99999999, make_jwt(key.private_pem))
    assert raised.value.status_code == 404


async def test_get_app_returns_slug(app_client, key: KeyPair):
    app = await app_client.getitem("/app", jwt=make_jwt(key.private_pem))
    assert app["id"] == APP_ID
    assert app["slug"] == "cite"


async def test_token_required_for_repository(app_client, repository):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await app_client.getitem(repo_path("/deployments"))
    assert raised.value.status_code == 401
    assert str(raised.value) == "Requires authentication"


async def test_unknown_token_is_bad_credentials(session, server_url, repository):
    client = GitHubAPI(
        session, "cite-tests", oauth_token="ghs_" + "x" * 36, base_url=server_url
    )
    with pytest.raises(gidgethub.BadRequest) as raised:
        await client.getitem(repo_path("/deployments"))
    assert raised.value.status_code == 401
    assert str(raised.value) == "Bad credentials"


async def test_app_jwt_not_accepted_on_repository(app_client, repository, key):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await app_client.getitem(
            repo_path("/deployments"), jwt=make_jwt(key.private_pem)
        )
    assert raised.value.status_code == 401


async def test_expired_token_is_bad_credentials(sim, gh, token, monkeypatch):
    sim.auth.tokens[token].expires_at = time.time() - 1
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.getitem(repo_path("/deployments"))
    assert raised.value.status_code == 401
    assert str(raised.value) == "Bad credentials"


async def test_bearer_scheme_accepted(session, server_url, token, repository):
    async with session.get(
        server_url + repo_path("/deployments"),
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 200


async def test_repository_outside_installation_is_404(sim, gh):
    sim.add_repository("other-org", "secret", files={"a": "b"})
    with pytest.raises(gidgethub.BadRequest) as raised:
        await gh.getitem("/repos/other-org/secret/deployments")
    assert raised.value.status_code == 404


async def test_token_limited_to_repositories(sim, app_client, installation_id, key):
    sim.add_repository(OWNER, "one", files={"a": "1"})
    sim.add_repository(OWNER, "two", files={"a": "2"})
    response = await create_token(
        app_client, installation_id, make_jwt(key.private_pem), repositories=["one"]
    )
    assert response["repository_selection"] == "selected"
    assert [r["name"] for r in response["repositories"]] == ["one"]
    client = GitHubAPI(
        app_client._session,
        "cite-tests",
        oauth_token=response["token"],
        base_url=sim.base_url,
    )
    assert await client.getitem(f"/repos/{OWNER}/one/deployments") == []
    with pytest.raises(gidgethub.BadRequest) as raised:
        await client.getitem(f"/repos/{OWNER}/two/deployments")
    assert raised.value.status_code == 404


async def test_token_for_foreign_repository_is_422(
    sim, app_client, installation_id, key
):
    sim.add_repository("other-org", "elsewhere", files={"a": "1"})
    with pytest.raises(gidgethub.BadRequest) as raised:
        await create_token(
            app_client,
            installation_id,
            make_jwt(key.private_pem),
            repositories=["elsewhere"],
        )
    assert raised.value.status_code == 422


async def test_token_limited_permissions_gives_403(
    sim, app_client, installation_id, key, repository
):
    response = await create_token(
        app_client,
        installation_id,
        make_jwt(key.private_pem),
        permissions={"deployments": "read"},
    )
    assert response["permissions"] == {"deployments": "read"}
    client = GitHubAPI(
        app_client._session,
        "cite-tests",
        oauth_token=response["token"],
        base_url=sim.base_url,
    )
    assert await client.getitem(repo_path("/deployments")) == []
    with pytest.raises(gidgethub.BadRequest) as raised:
        await client.post(repo_path("/deployments"), data={"ref": "main"})
    assert raised.value.status_code == 403
    assert str(raised.value) == "Resource not accessible by integration"


async def test_permission_beyond_installation_is_422(app_client, installation_id, key):
    with pytest.raises(gidgethub.BadRequest) as raised:
        await create_token(
            app_client,
            installation_id,
            make_jwt(key.private_pem),
            permissions={"administration": "write"},
        )
    assert raised.value.status_code == 422


async def test_rate_limit_headers_and_exhaustion(sim, gh, token):
    sim.rate_limit = 3
    await gh.getitem(repo_path("/deployments"))
    assert gh.rate_limit.limit == 3
    assert gh.rate_limit.remaining == 2
    await gh.getitem(repo_path("/deployments"))
    await gh.getitem(repo_path("/deployments"))
    assert gh.rate_limit.remaining == 0
    with pytest.raises(gidgethub.RateLimitExceeded):
        await gh.getitem(repo_path("/deployments"))
