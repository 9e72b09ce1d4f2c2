"""Every setting with its default. Environment variables prefixed `TF_` override them."""

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, object] = {
    # SQLAlchemy URL; SQLite under instance/ by default, PostgreSQL in production.
    "DATABASE_URL": f"sqlite:///{ROOT / 'instance' / 'trygghetsfonden.db'}",
    # Signs session cookies and CSRF tokens; MUST be set in production.
    "SECRET_KEY": "dev-secret-change-me",
    # Folder of BPMN/DMN process definitions.
    "PROCESSES_DIR": str(ROOT / "processes"),
    # Folder of JSON Schema form definitions.
    "FORMS_DIR": str(ROOT / "forms"),
    # Diarienummer pattern: {prefix}, {year} and {seq} (zero-padded to 4 digits).
    "DIARIE_PATTERN": "{prefix}-{year}/{seq:04d}",
    # Diarienummer prefix (the registering body).
    "DIARIE_PREFIX": "KS",
    # Run the worker (due timers, queued e-mail) in a thread of the web process (development).
    "TIMER_THREAD": False,
    # Seconds between timer runs in the worker and the background thread.
    "TIMER_INTERVAL": 30,
    # Seconds between the worker's checks for stopped cases (running, waiting for nothing).
    "DOCTOR_INTERVAL": 300,
    # Seconds between the worker's full reconciliations of the fund ledger (the budget page
    # shows the last; ekonomi and admin can also run one from there). Checked with the doctor.
    "RECONCILE_INTERVAL": 86400,
    # Largest accepted request body in bytes: the hard cap (our 413 page). A single file over
    # MAX_UPLOAD_BYTES below it is not stored and the form is shown again naming the file.
    "MAX_CONTENT_LENGTH": 128 * 1024 * 1024,
    # Where uploaded attachments are stored (local disk).
    "UPLOAD_DIR": str(ROOT / "instance" / "uploads"),
    # Largest accepted attachment (one file) in bytes.
    "MAX_UPLOAD_BYTES": 10 * 1024 * 1024,
    # Send the session cookie only over HTTPS: "auto" = on outside development; 1/0 to force.
    "SESSION_COOKIE_SECURE": "auto",
    # Most attached files one case may hold at a time (all forms together; removed ones free
    # their place).
    "MAX_FILES_PER_CASE": 20,
    # Minutes of inactivity before a login expires.
    "SESSION_IDLE_MINUTES": 60,
    # The address users reach the app at; used for links in e-mails.
    "BASE_URL": "http://127.0.0.1:5000",
    # SMTP server for e-mail; empty: messages are only logged and shown on the outbox page.
    "SMTP_HOST": "",
    # SMTP port (587 = submission with STARTTLS).
    "SMTP_PORT": 587,
    # SMTP user name (empty: no login).
    "SMTP_USERNAME": "",
    # SMTP password.
    "SMTP_PASSWORD": "",
    # Use STARTTLS with the SMTP server.
    "SMTP_TLS": True,
    # Sender address of e-mails.
    "MAIL_FROM": "trygghetsfonden@huddinge.se",
    # Default UI language (sv or en).
    "DEFAULT_LOCALE": "sv",
    # Time zone used for display; storage is always UTC.
    "DISPLAY_TIMEZONE": "Europe/Stockholm",
    # Letterhead of decision letters: the kommun.
    "LETTER_KOMMUN": "Huddinge kommun",
    # Letterhead of decision letters: the nämnd that decides (or delegates).
    "LETTER_NAMND": "Kommunstyrelsen",
    # The deciding bodies by decision level / committee (the DMN's beslutsniva, the minutes
    # form's organ) as letters name them; a delegat decides for LETTER_NAMND. JSON in the env.
    "LETTER_ORGANS": {"au": "Kommunstyrelsens arbetsutskott", "ks": "Kommunstyrelsen"},
    # Postal address printed in the letterhead and the footer of every page.
    "LETTER_ADDRESS": "Huddinge kommun, 141 85 Huddinge",
    # Contact at the kommun printed in decision letters.
    "LETTER_CONTACT": "Kommunstyrelsens förvaltning, trygghetsfonden@huddinge.se, 08-535 300 00",
    # The "Information om laglighetsprövning" text of decision letters.
    "LETTER_APPEAL_TEXT": (
        "Beslutet kan överklagas genom laglighetsprövning enligt 13 kap. kommunallagen "
        "(2017:725). Alla medlemmar i kommunen får överklaga. Överklagandet ska ha kommit in "
        "till Förvaltningsrätten i Stockholm inom tre veckor från den dag då det "
        "tillkännagavs på kommunens anslagstavla att protokollet där beslutet finns (eller "
        "där delegationsbeslutet anmälts) har justerats. Skriv vilket beslut du överklagar, "
        "varför du anser att det är olagligt och vilka omständigheter du stöder det på. "
        "Skicka överklagandet till Förvaltningsrätten i Stockholm, Box 2302, 103 17 Stockholm."
    ),
    # Logo in the letterhead: a local PNG/JPEG/SVG file (empty: no logo).
    "LETTER_LOGO": str(ROOT / "app" / "letters" / "assets" / "logo.svg"),
    # Delegation basis printed in avvisning and avskrivning letters (decided by the officer).
    "LETTER_FORMAL_DELEGATION": (
        "Delegationsordningen för kommunstyrelsen, punkt 1.4: avvisning och avskrivning "
        "av ansökningar till trygghetsfonden"
    ),
    # Finance: the kommun's organisationsnummer (SIE #ORGNR, pain.001 debtor id).
    "FINANCE_ORG_NUMBER": "212000-0068",
    # Finance: the kommun's name (SIE #FNAMN, pain.001 debtor).
    "FINANCE_KOMMUN_NAME": "Huddinge kommun",
    # Finance: the kommun's bank account the payments are made from (IBAN).
    "FINANCE_DEBTOR_IBAN": "SE4550000000058398257466",
    # Finance: the BIC of the kommun's bank.
    "FINANCE_DEBTOR_BIC": "ESSESESS",
    # Finance: the kommun's customer id at the bank (pain.001 InitgPty).
    "FINANCE_INITIATING_PARTY_ID": "5560000001",
    # Finance: the scheme of that id: BANK (assigned by the bank) or CUST (Nordea).
    "FINANCE_INITIATING_PARTY_SCHEME": "BANK",
    # Finance: SIE verifikation series for payouts and återkrav.
    "FINANCE_SIE_SERIES": "T",
    # Finance: account debited/credited for transfers between ansvar (both sides of a #VER);
    # a fund's own account replaces it.
    "FINANCE_TRANSFER_ACCOUNT": "7990",
    # Finance: the fund's own ansvar/kostnadsställe (dimension 1), the side money leaves; a
    # fund's own cost centre replaces it.
    "FINANCE_FUND_COST_CENTRE": "1100",
    # Finance: the name of the fund's ansvar in SIE #OBJEKT.
    "FINANCE_FUND_COST_CENTRE_NAME": "KS Trygghetsfond",
    # Finance: SIE dimension number of ansvar/kostnadsställe.
    "FINANCE_DIM_COST_CENTRE": 1,
    # Finance: SIE dimension number of projekt (each case is a project object).
    "FINANCE_DIM_PROJECT": 6,
    # Finance: project object code from the diarienummer: {prefix}, {year}, {year2}, {seq}; a
    # fund's own pattern replaces it (funds with other diarium prefixes need one).
    "FINANCE_PROJECT_PATTERN": "TF{year2}-{seq}",
    # Finance: prefix of payout batch numbers (UB-2027-0001).
    "FINANCE_BATCH_PREFIX": "UB",
    # "development" (make run, tests, demo) or "production"; production refuses a weak SECRET_KEY.
    "ENVIRONMENT": "production",
    # Hours after login when a session ends however active it is (absolute lifetime).
    "SESSION_MAX_HOURS": 12,
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none).
    "TRUSTED_PROXIES": 0,
    # PostgreSQL: seconds to wait for a new connection before giving up (0: no limit).
    "DATABASE_CONNECT_TIMEOUT": 5,
    # PostgreSQL: seconds a statement may run before the server cancels it (0: no limit).
    "DATABASE_STATEMENT_TIMEOUT": 30,
    # Seconds the "database unavailable" page (503) asks clients to wait (Retry-After).
    "DATABASE_RETRY_AFTER": 30,
    # Log lines: "text" (one line per record) or "json" (one JSON object per line).
    "LOG_FORMAT": "text",
    # Lowest level logged: DEBUG, INFO, WARNING, ERROR.
    "LOG_LEVEL": "INFO",
    # Bearer token Prometheus must send to read /metrics; empty: /metrics is not served.
    "METRICS_TOKEN": "",
    # Where stored files (attachments, letters, batch files) are kept: "local" (UPLOAD_DIR) or
    # "s3" (an S3-compatible object store: the S3_* settings).
    "STORAGE": "local",
    # S3: the endpoint URL (e.g. http://minio:9000); empty: AWS S3 itself.
    "S3_ENDPOINT_URL": "",
    # S3: the bucket the files are kept in (it must exist).
    "S3_BUCKET": "trygghetsfonden",
    # S3: the region of the bucket.
    "S3_REGION": "eu-north-1",
    # S3: the access key id (empty: boto3's own lookup, e.g. an instance role).
    "S3_ACCESS_KEY_ID": "",
    # S3: the secret access key.
    "S3_SECRET_ACCESS_KEY": "",
    # Hours a stored file no row names must be old before `flask storage sweep` removes it (a
    # younger one may belong to a transaction that has not committed yet).
    "STORAGE_SWEEP_HOURS": 24,
    # Log-in with local accounts (user name + password); off: single sign-on only (see README).
    "LOCAL_LOGIN": True,
    # OpenID Connect: the provider's issuer URL (discovery); empty: single sign-on is off.
    "OIDC_ISSUER": "",
    # OpenID Connect: our client id at the provider.
    "OIDC_CLIENT_ID": "",
    # OpenID Connect: our client secret at the provider.
    "OIDC_CLIENT_SECRET": "",
    # OpenID Connect: the scopes asked for (space-separated; must include openid).
    "OIDC_SCOPES": "openid profile email groups",
    # OpenID Connect: the claim listing the user's groups (mapped to roles on the admin page).
    "OIDC_GROUPS_CLAIM": "groups",
    # OpenID Connect: the claim a new user's user name is taken from (else e-mail, else sub).
    "OIDC_USERNAME_CLAIM": "preferred_username",
    # OpenID Connect: the name on the button "Logga in med …" (empty: the issuer URL).
    "OIDC_PROVIDER_NAME": "",
    # OpenID Connect: seconds to wait for the provider (discovery, token, keys, userinfo).
    "OIDC_TIMEOUT": 10,
    # Seconds a worker trusts its list of current process versions before one small query
    # re-checks it (a version deployed elsewhere is seen within this time; 0 = every use).
    "CATALOGUE_RECHECK_SECONDS": 2,
    # Hours an invitation link (a new user chooses their password) stays valid.
    "INVITATION_HOURS": 72,
    # Minutes a "forgot password" link stays valid.
    "PASSWORD_RESET_MINUTES": 60,
}

DEFAULT_SECRET_KEY = DEFAULTS["SECRET_KEY"]
MIN_SECRET_KEY_LENGTH = 32


def load_config(overrides: dict | None = None) -> dict:
    """Return the settings: defaults, then TF_* environment variables, then overrides."""
    config = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        raw = os.environ.get(f"TF_{key}")
        if raw is not None:
            config[key] = _coerce(raw, default)
    config.update(overrides or {})
    if config["SESSION_COOKIE_SECURE"] == "auto":
        config["SESSION_COOKIE_SECURE"] = not is_development(config)
    elif isinstance(config["SESSION_COOKIE_SECURE"], str):
        config["SESSION_COOKIE_SECURE"] = _coerce(config["SESSION_COOKIE_SECURE"], False)
    return config


def is_development(config: dict) -> bool:
    """Return True if the settings are for development (make run, tests, the demo)."""
    return config["ENVIRONMENT"] == "development"


def secret_key_problem(config: dict) -> str | None:
    """Return why the app must not start with this SECRET_KEY, or None. Development may use
    anything; elsewhere a known or short key would let anyone forge a session cookie."""
    key = str(config["SECRET_KEY"] or "")
    if is_development(config):
        return None
    if key == DEFAULT_SECRET_KEY or len(key) < MIN_SECRET_KEY_LENGTH:
        return (f"TF_SECRET_KEY saknas, är standardnyckeln eller är kortare än "
                f"{MIN_SECRET_KEY_LENGTH} tecken (miljö: {config['ENVIRONMENT']}). Sätt en "
                f"slumpmässig nyckel, t.ex. TF_SECRET_KEY=\"$(python3 -c 'import secrets; "
                f"print(secrets.token_hex(32))')\", eller TF_ENVIRONMENT=development för "
                f"utveckling. / The secret key is missing, the default or shorter than "
                f"{MIN_SECRET_KEY_LENGTH} characters: set TF_SECRET_KEY (or "
                f"TF_ENVIRONMENT=development on a developer's machine).")
    return None


def _coerce(raw: str, default: object) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, dict):
        return json.loads(raw)
    return raw
