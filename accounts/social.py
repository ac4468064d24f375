"""Sign in with Google or Apple: the ID token's signature against the provider's JWKS (cached), its issuer,
audience, expiry and (Apple) nonce; then the user found by the linked identity, linked by verified email, or made."""

import hashlib
import json
from dataclasses import dataclass

import httpx
import jwt
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from accounts.errors import SocialTokenInvalidError
from accounts.models import SocialIdentity, User
from core.errors import ProviderUnavailableError

JWKS_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class SocialProvider:
    name: str
    jwks_url: str
    issuers: tuple[str, ...]
    client_ids_setting: str


PROVIDERS = {
    "google": SocialProvider(
        "google",
        "https://www.googleapis.com/oauth2/v3/certs",
        ("https://accounts.google.com", "accounts.google.com"),
        "GOOGLE_CLIENT_IDS",
    ),
    "apple": SocialProvider(
        "apple", "https://appleid.apple.com/auth/keys", ("https://appleid.apple.com",), "APPLE_CLIENT_IDS"
    ),
}


def _jwks(provider: SocialProvider, *, refresh: bool = False) -> dict:
    key = f"jwks:{provider.name}"
    keys = None if refresh else cache.get(key)
    if keys is None:
        try:
            response = httpx.get(provider.jwks_url, timeout=5)
            response.raise_for_status()
            keys = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailableError(f"{provider.name.title()} sign-in keys could not be fetched.") from exc
        cache.set(key, keys, JWKS_CACHE_SECONDS)
    return keys


def _signing_key(provider: SocialProvider, token: str):
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise SocialTokenInvalidError() from exc
    for refresh in (False, True):  # a key we have not seen yet: the provider rotated; fetch once more
        for jwk in _jwks(provider, refresh=refresh).get("keys", []):
            if jwk.get("kid") == kid:
                return jwt.PyJWK.from_json(json.dumps(jwk)).key
    raise SocialTokenInvalidError()


def verify_id_token(*, provider_name: str, token: str, nonce: str | None = None) -> dict:
    provider = PROVIDERS[provider_name]
    audiences = getattr(settings, provider.client_ids_setting)
    if not audiences:
        raise SocialTokenInvalidError(f"{provider_name.title()} sign-in is not configured.")
    try:
        claims = jwt.decode(
            token,
            _signing_key(provider, token),
            algorithms=["RS256"],
            audience=audiences,
            issuer=provider.issuers,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise SocialTokenInvalidError() from exc
    if nonce is not None and claims.get("nonce") not in {nonce, hashlib.sha256(nonce.encode()).hexdigest()}:
        raise SocialTokenInvalidError("The sign-in nonce does not match.")
    return claims


def social_sign_in(
    *, provider_name: str, token: str, nonce: str | None = None, first_name: str = "", last_name: str = ""
) -> User:
    claims = verify_id_token(provider_name=provider_name, token=token, nonce=nonce)
    subject = str(claims["sub"])
    identity = SocialIdentity.objects.select_related("user").filter(provider=provider_name, subject=subject).first()
    if identity is not None:
        return identity.user
    email = User.objects.normalize_email(claims.get("email", ""))
    email_verified = claims.get("email_verified") in (True, "true")
    if not email or not email_verified:
        raise SocialTokenInvalidError("The provider did not vouch for an email address.")
    try:
        with transaction.atomic():
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email,
                    None,
                    first_name=first_name or claims.get("given_name", ""),
                    last_name=last_name or claims.get("family_name", ""),
                    is_verified=True,
                )
            SocialIdentity.objects.create(user=user, provider=provider_name, subject=subject, email=email)
    except IntegrityError:  # the same identity, linked by a concurrent request
        return SocialIdentity.objects.get(provider=provider_name, subject=subject).user
    return user
