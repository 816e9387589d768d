"""Settings read from the environment, with safe embedded defaults.

Locally the portal runs with nothing configured: a SQLite file and a secret key
kept in ``instance/``, mail written to ``instance/outbox``, rate limits counted in
memory. Production sets ``PORTAL_ENV=production`` and must then give
``SECRET_KEY`` and ``DATABASE_URL`` (refusing to start beats running with a
throwaway key).
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = Path(os.environ.get("PORTAL_INSTANCE_PATH", PROJECT_ROOT / "instance"))


class ConfigurationError(RuntimeError):
    """Raised at start-up when production is missing a required setting."""


def _local_secret_key(instance_path: Path) -> str:
    """Generate the secret key once and keep it, so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply ``overrides``."""
    overrides = overrides or {}
    instance_path = Path(overrides.get("INSTANCE_PATH", INSTANCE_PATH))
    is_production = os.environ.get("PORTAL_ENV", "development") == "production"

    secret_key = os.environ.get("SECRET_KEY")
    database_url = os.environ.get("DATABASE_URL")
    if is_production and not overrides.get("TESTING"):
        missing = [n for n, v in (("SECRET_KEY", secret_key), ("DATABASE_URL", database_url)) if not v]
        if missing:
            raise ConfigurationError(f"Production needs these settings: {', '.join(missing)}")

    config = {
        "INSTANCE_PATH": str(instance_path),
        "IS_PRODUCTION": is_production,
        "SECRET_KEY": secret_key or _local_secret_key(instance_path),
        "DATABASE_URL": database_url or f"sqlite:///{instance_path / 'portal.db'}",
        "SQL_ECHO": _bool("SQL_ECHO", False),
        # Council and branding
        "COUNCIL_NAME": os.environ.get("COUNCIL_NAME", "Kent County Council"),
        "SERVICE_NAME": os.environ.get("SERVICE_NAME", "Commissioning and tendering portal"),
        # Help and contact (/help, the accessibility statement, some messages). The email
        # address must be a real, monitored mailbox in production; the phone is optional.
        "SERVICE_CONTACT_EMAIL": os.environ.get("SERVICE_CONTACT_EMAIL", "commissioning@example.gov.uk"),
        "SERVICE_CONTACT_PHONE": os.environ.get("SERVICE_CONTACT_PHONE") or None,
        "SERVICE_CONTACT_HOURS": os.environ.get(
            "SERVICE_CONTACT_HOURS", "Monday to Friday, 9am to 5pm (except bank holidays)"
        ),
        "SERVICE_RESPONSE_WORKING_DAYS": int(os.environ.get("SERVICE_RESPONSE_WORKING_DAYS", "2") or 2),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        # Open data (OCDS). The prefix is the council's own, registered with the OCDS Data
        # Support Team (https://standard.open-contracting.org/latest/en/guidance/map/ocid/);
        # the default is a placeholder for the demo. A buyer identifier (e.g. GB-PPON) is shown
        # when its scheme is set.
        "OCDS_OCID_PREFIX": os.environ.get("OCDS_OCID_PREFIX", "ocds-xxxxxx"),
        "OCDS_BUYER_ID": os.environ.get("OCDS_BUYER_ID", "buyer"),
        "OCDS_BUYER_IDENTIFIER_SCHEME": os.environ.get("OCDS_BUYER_IDENTIFIER_SCHEME"),
        "OCDS_BUYER_IDENTIFIER": os.environ.get("OCDS_BUYER_IDENTIFIER"),
        # Mail: "outbox" writes .eml files locally; "smtp" sends through MAIL_HOST.
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "outbox"),
        "MAIL_OUTBOX_PATH": os.environ.get("MAIL_OUTBOX_PATH", str(instance_path / "outbox")),
        "MAIL_HOST": os.environ.get("MAIL_HOST", "localhost"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_STARTTLS": _bool("MAIL_USE_STARTTLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Commissioning portal <noreply@example.gov.uk>"),
        # Sign-in protection. memory:// suits one process; production uses redis://
        # so that every gunicorn worker and host counts the same attempts.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "SIGN_IN_LIMIT_PER_ACCOUNT": os.environ.get("SIGN_IN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "SIGN_IN_LIMIT_PER_ADDRESS": os.environ.get("SIGN_IN_LIMIT_PER_ADDRESS", "30 per 15 minutes"),
        "EMAIL_REQUEST_LIMIT": os.environ.get("EMAIL_REQUEST_LIMIT", "10 per hour"),
        # argon2 cost; blank means the library's recommended defaults
        "PASSWORD_HASH_TIME_COST": int(os.environ.get("PASSWORD_HASH_TIME_COST", "0")) or None,
        "PASSWORD_HASH_MEMORY_KIB": int(os.environ.get("PASSWORD_HASH_MEMORY_KIB", "0")) or None,
        # Token lifetimes, in seconds
        "VERIFY_TOKEN_MAX_AGE": 2 * 24 * 3600,
        "RESET_TOKEN_MAX_AGE": 3600,
        "INVITE_TOKEN_MAX_AGE": 7 * 24 * 3600,
        # Sessions and cookies
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=int(os.environ.get("SESSION_MINUTES", "60"))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", is_production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", is_production),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "25")) * 1024 * 1024,
        "MAX_FILE_BYTES": int(os.environ.get("MAX_FILE_MB", "10")) * 1024 * 1024,
        "MAX_BID_BYTES": int(os.environ.get("MAX_BID_MB", "50")) * 1024 * 1024,
        "UPLOAD_PATH": os.environ.get("UPLOAD_PATH", str(instance_path / "uploads")),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "PREFERRED_URL_SCHEME": "https" if is_production else "http",
        # How many proxies (load balancer, nginx) stand in front of the portal and
        # set X-Forwarded-For/-Proto/-Host. Only then are those headers believed:
        # 0 (the default) ignores them, so nobody can claim https or another address.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0") or 0),
        "TESTING": False,
    }
    config.update(overrides)
    if config["IS_PRODUCTION"] and config["SERVICE_CONTACT_EMAIL"].endswith("@example.gov.uk"):
        # Not refused (the portal still works), but the help page would send people nowhere.
        logging.getLogger(__name__).warning(
            "SERVICE_CONTACT_EMAIL is the example address: set it to the council's real, monitored mailbox"
        )
    return config
