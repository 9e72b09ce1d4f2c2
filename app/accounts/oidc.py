"""OpenID Connect log-in (authorization code flow with PKCE, state and nonce) with Authlib;
the ID token is verified with joserfc (Authlib's own JOSE library). No Flask here: the web
layer keeps the pending login in its session and passes it back."""

import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2 import OAuth2Error
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet

from app.errors import NotAllowed

# Signature algorithms accepted on an ID token (never "none", never a symmetric one).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA"]
# Seconds of clock difference tolerated between us and the provider.
LEEWAY = 60


class LoginRefused(NotAllowed):
    """The provider's answer cannot be trusted or names no usable account."""


@dataclass(frozen=True)
class OidcSettings:
    """The provider and our client at it (from the OIDC_* settings)."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    groups_claim: str
    username_claim: str
    provider_name: str
    timeout: float

    @classmethod
    def from_config(cls, config: dict) -> "OidcSettings | None":
        """Return the settings, or None if single sign-on is not configured."""
        if not config.get("OIDC_ISSUER") or not config.get("OIDC_CLIENT_ID"):
            return None
        return cls(issuer=config["OIDC_ISSUER"].rstrip("/"), client_id=config["OIDC_CLIENT_ID"],
                   client_secret=config["OIDC_CLIENT_SECRET"], scopes=config["OIDC_SCOPES"],
                   groups_claim=config["OIDC_GROUPS_CLAIM"],
                   username_claim=config["OIDC_USERNAME_CLAIM"],
                   provider_name=config["OIDC_PROVIDER_NAME"] or config["OIDC_ISSUER"],
                   timeout=float(config["OIDC_TIMEOUT"]))


@dataclass(frozen=True)
class PendingLogin:
    """What we sent the browser away with; it must come back with the same state."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str


def discover(settings: OidcSettings) -> dict:
    """Fetch the provider's metadata (OpenID Connect Discovery); check that it names our
    issuer."""
    metadata = _get_json(settings, f"{settings.issuer}/.well-known/openid-configuration")
    if metadata.get("issuer", "").rstrip("/") != settings.issuer:
        raise LoginRefused("Identitetsleverantören uppger en annan utfärdare än den "
                           "inställda (OIDC_ISSUER).")
    return metadata


def start_login(settings: OidcSettings, metadata: dict, redirect_uri: str
                ) -> tuple[str, PendingLogin]:
    """Return the provider's authorization URL to send the browser to, and the pending login
    to keep until it comes back (state, nonce and the PKCE code verifier)."""
    pending = PendingLogin(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                           code_verifier=secrets.token_urlsafe(64), redirect_uri=redirect_uri)
    with _client(settings, redirect_uri) as client:
        url, _state = client.create_authorization_url(
            metadata["authorization_endpoint"], state=pending.state, nonce=pending.nonce,
            code_verifier=pending.code_verifier)
    return url, pending


def finish_login(settings: OidcSettings, metadata: dict, pending: PendingLogin,
                 params: dict[str, str], now: float | None = None) -> tuple[dict, str]:
    """Exchange the code the browser brought back for tokens; return the verified claims
    (ID token, completed by the userinfo endpoint) and the raw ID token (for log-out)."""
    if params.get("error"):
        raise LoginRefused(f"Identitetsleverantören avbröt inloggningen: "
                           f"{params.get('error_description') or params['error']}")
    if not params.get("state") or not secrets.compare_digest(params["state"], pending.state):
        raise LoginRefused("Inloggningssvaret hör inte till den här inloggningen (state). "
                           "Börja om inloggningen.")
    if not params.get("code"):
        raise LoginRefused("Inloggningssvaret saknar kod. Börja om inloggningen.")
    with _client(settings, pending.redirect_uri) as client:
        try:
            token = client.fetch_token(metadata["token_endpoint"], code=params["code"],
                                       code_verifier=pending.code_verifier,
                                       timeout=settings.timeout)
        except (OAuth2Error, requests.RequestException) as err:
            raise LoginRefused(f"Koden kunde inte bytas mot en token: {err}") from err
        if "id_token" not in token:
            raise LoginRefused("Identitetsleverantören skickade ingen ID-token.")
        jwks = _get_json(settings, metadata["jwks_uri"])
        claims = verify_id_token(settings, jwks, token["id_token"], pending.nonce, now)
        if metadata.get("userinfo_endpoint"):
            claims = _with_userinfo(client, metadata["userinfo_endpoint"], claims, settings)
    return claims, token["id_token"]


def verify_id_token(settings: OidcSettings, jwks: dict, id_token: str, nonce: str,
                    now: float | None = None) -> dict:
    """Return the claims of an ID token whose signature (by one of the provider's keys),
    issuer, audience, expiry and nonce hold; raise LoginRefused otherwise."""
    try:
        decoded = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=ALGORITHMS)
        registry = jwt.JWTClaimsRegistry(
            now=int(now if now is not None else time.time()), leeway=LEEWAY,
            iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": settings.client_id},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        registry.validate(decoded.claims)
    except BadSignatureError as err:
        raise LoginRefused("ID-token har fel signatur: den är inte utfärdad av "
                           "identitetsleverantören eller har ändrats på vägen. Börja om "
                           "inloggningen.") from err
    except ExpiredTokenError as err:
        raise LoginRefused("ID-token har redan gått ut. Börja om inloggningen; händer det "
                           "igen, kontrollera klockan hos identitetsleverantören.") from err
    except (JoseError, ValueError) as err:
        raise LoginRefused(f"ID-token godtogs inte ({type(err).__name__}: {err}).") from err
    claims = dict(decoded.claims)
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != settings.client_id:
        raise LoginRefused("ID-token är utfärdad till en annan klient (azp).")
    return claims


def logout_url(metadata: dict, settings: OidcSettings, id_token: str | None,
               post_logout_redirect_uri: str) -> str | None:
    """Return the provider's RP-initiated log-out URL, or None if it has none."""
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    query = {"client_id": settings.client_id,
             "post_logout_redirect_uri": post_logout_redirect_uri}
    if id_token:
        query["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"


def _with_userinfo(client: OAuth2Session, endpoint: str, claims: dict,
                   settings: OidcSettings) -> dict:
    try:
        response = client.get(endpoint, timeout=settings.timeout)
        response.raise_for_status()
        userinfo = response.json()
    except (requests.RequestException, ValueError) as err:
        raise LoginRefused(f"Användaruppgifterna kunde inte hämtas: {err}") from err
    if userinfo.get("sub") != claims["sub"]:
        raise LoginRefused("Användaruppgifterna gäller en annan användare (sub).")
    return {**userinfo, **claims}


def _client(settings: OidcSettings, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(settings.client_id, settings.client_secret, scope=settings.scopes,
                         redirect_uri=redirect_uri, code_challenge_method="S256")


def _get_json(settings: OidcSettings, url: str) -> dict:
    try:
        response = requests.get(url, timeout=settings.timeout)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as err:
        raise LoginRefused(f"Identitetsleverantören svarar inte ({url}): {err}") from err
