"""Google and Apple ID tokens, signed by locally made RSA keys and checked against a JWKS on a mocked transport."""

import hashlib
import json
import time

import jwt
import pytest
import respx
from cryptography.hazmat.primitives.asymmetric import rsa
from rest_framework.test import APIClient

from accounts.models import SocialIdentity, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOGLE_JWKS = "https://www.googleapis.com/oauth2/v3/certs"
APPLE_JWKS = "https://appleid.apple.com/auth/keys"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(private_key, kid="k1") -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "alg": "RS256", "use": "sig"}]}


def id_token(*, key=KEY, kid="k1", **claims) -> str:
    now = int(time.time())
    body = {
        "iss": "https://accounts.google.com",
        "aud": "pamoja-web.apps.googleusercontent.com",
        "sub": "g-123",
        "email": "amani@gmail.com",
        "email_verified": True,
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(autouse=True)
def _configured(settings):
    settings.GOOGLE_CLIENT_IDS = ["pamoja-web.apps.googleusercontent.com"]
    settings.APPLE_CLIENT_IDS = ["africa.pamoja.app"]


@pytest.fixture
def google_keys():
    with respx.mock(assert_all_called=False) as router:
        yield router.get(GOOGLE_JWKS).respond(200, json=jwks(KEY))


def sign_in(provider, token, **extra):
    return APIClient().post(f"/api/v1/auth/social/{provider}/", {"id_token": token, **extra}, format="json")


def test_a_new_google_user_is_created_verified_and_keys_are_cached(google_keys):
    first = sign_in("google", id_token())
    assert first.status_code == 200, first.json()
    assert first.json()["user"]["email"] == "amani@gmail.com" and first.json()["user"]["is_verified"] is True
    assert sign_in("google", id_token()).status_code == 200
    assert google_keys.call_count == 1  # the JWKS came from the cache the second time
    assert SocialIdentity.objects.get().subject == "g-123"


def test_an_existing_account_is_linked_by_verified_email(google_keys):
    existing = UserFactory(email="amani@gmail.com")
    assert sign_in("google", id_token()).json()["user"]["id"] == str(existing.pk)
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(id_token(key=OTHER_KEY), id="signed-by-another-key"),
        pytest.param(id_token(exp=int(time.time()) - 60), id="expired"),
        pytest.param(id_token(aud="someone-elses-app"), id="wrong-audience"),
        pytest.param(id_token(iss="https://evil.example"), id="wrong-issuer"),
        pytest.param(id_token(email_verified=False), id="email-not-verified"),
        pytest.param("not.a.jwt", id="garbage"),
    ],
)
def test_bad_tokens_are_refused(google_keys, token):
    response = sign_in("google", token)
    assert response.status_code == 401 and response.json()["error"]["code"] == "social_token_invalid"
    assert not User.objects.exists()


def test_apple_with_its_nonce():
    with respx.mock:
        respx.get(APPLE_JWKS).respond(200, json=jwks(KEY, kid="apple-1"))
        raw_nonce = "n-0nc3"
        token = id_token(
            kid="apple-1",
            iss="https://appleid.apple.com",
            aud="africa.pamoja.app",
            sub="a-1",
            email="x@privaterelay.appleid.com",
            email_verified="true",
            nonce=hashlib.sha256(raw_nonce.encode()).hexdigest(),
        )
        assert sign_in("apple", token, nonce=raw_nonce).status_code == 200
        assert sign_in("apple", token, nonce="another").json()["error"]["code"] == "social_token_invalid"


def test_unknown_provider_is_404():
    assert sign_in("facebook", "x").status_code == 404
