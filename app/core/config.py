"""Settings, read once from the environment (prefix PORTAL_) and the optional `.env` file.

`get_settings()` is cached so every part of the app sees the same values; tests clear the cache
after changing the environment.
"""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.search.engines import ENGINES


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says why and how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PORTAL_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    _kept_key: str | None = PrivateAttr(default=None)  # the secret from the data folder, once read

    data_dir: Path = Path("./var")
    database_url: str = ""  # empty: SQLite file in the data folder
    search_backend: str = "whoosh"  # a name in app.search.engines.ENGINES
    secret_key: str = ""  # empty: generated once and kept in the data folder
    min_group: int = 5
    max_upload_mb: int = 20
    # Feedback exports are larger than attachments: 100,000 survey answers make a file of about 40 MB.
    max_import_mb: int = 100
    response_target_days: int = 14
    auth_mode: Literal["local", "header", "oidc"] = "local"
    auth_header: str = "X-Forwarded-Email"
    auth_name_header: str = "X-Forwarded-Name"
    # Optional: headers naming the department and team of a person arriving by header for the first time.
    auth_department_header: str = ""
    auth_team_header: str = ""
    # OpenID Connect (auth_mode "oidc"): the company's provider, found by discovery at
    # {issuer}/.well-known/openid-configuration; the redirect URI is {base_url}/auth/oidc/callback.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid email profile"
    oidc_department_claim: str = "department"
    oidc_team_claim: str = "team"
    oidc_role_claim: str = "groups"
    # group=role pairs; a person in none of the groups is an employee, in several the highest role.
    oidc_role_map: str = "portal-leaders=leader,portal-cx=cx,portal-admins=admin"
    # In the SSO modes (header, oidc), the one admin who may still sign in with a password at
    # /login?local=1, for when the company's sign-in is down; empty: nobody.
    break_glass_email: str = ""
    # Empty by default: X-Forwarded-For and identity headers are believed only from proxies named here.
    trusted_proxies: str = ""
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    session_idle_minutes: int = 8 * 60
    session_absolute_hours: int = 7 * 24
    log_level: str = "INFO"
    site_name: str = "Insight Loop"
    # Login throttling: failures allowed before 429 (security.md A1).
    login_max_per_ip_per_minute: int = 6
    login_max_per_ip_per_hour: int = 30
    login_max_per_account: int = 5
    login_account_window_minutes: int = 10
    # Per-person write limits (security.md H1), counted in the database across all workers.
    limit_comments_per_minute: int = 6
    limit_comments_per_hour: int = 60
    limit_proposals_per_hour: int = 10
    limit_supports_per_minute: int = 60
    limit_uploads_per_hour: int = 20
    # Personal API tokens: how long a new one lasts unless its creator chooses (at most a year),
    # and how many unrevoked, unexpired tokens one person may hold.
    api_token_days: int = 90
    api_tokens_per_person: int = 20
    # E-mail digests (portal digest send); no host means no e-mail is sent.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_from: str = "Insight Loop <insight-loop@localhost>"
    base_url: str = "http://127.0.0.1:8000"  # for links in e-mails
    # Webhook, Slack and Teams channels send only to public addresses unless this is true (an
    # intranet receiver; app/integrations/addresses.py says why).
    allow_private_webhooks: bool = False
    # Each app process runs a small thread that applies the search outbox to the index.
    index_drainer: bool = True
    # ... and a thread that runs the import jobs started on the web pages.
    import_runner: bool = True
    # How many page reads (GET) one web process works on at once; the others wait their turn in
    # the event loop. Pages are CPU work under one interpreter lock: more at once only makes each
    # wait longer for it (app/core/admission.py has the measurement).
    read_concurrency: int = 4

    @field_validator("min_group")
    @classmethod
    def _min_group_floor(cls, value: int) -> int:
        if value < 3:
            raise ValueError("PORTAL_MIN_GROUP can never be below 3 (anonymity of pulse answers)")
        return value

    @field_validator(
        "max_upload_mb",
        "max_import_mb",
        "response_target_days",
        "session_idle_minutes",
        "session_absolute_hours",
        "limit_comments_per_minute",
        "limit_comments_per_hour",
        "limit_proposals_per_hour",
        "limit_supports_per_minute",
        "limit_uploads_per_hour",
        "api_token_days",
        "api_tokens_per_person",
        "read_concurrency",
    )
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, value: str) -> str:
        for part in _split(value):
            ipaddress.ip_network(part, strict=False)
        return value

    @model_validator(mode="after")
    def _normalise(self) -> Settings:
        if self.database_url.startswith("postgres://"):
            self.database_url = "postgresql+psycopg://" + self.database_url[len("postgres://") :]
        elif self.database_url.startswith("postgresql://"):
            self.database_url = "postgresql+psycopg://" + self.database_url[len("postgresql://") :]
        if self.auth_mode == "oidc":
            missing = [
                f"PORTAL_OIDC_{name.upper()}"
                for name in ("issuer", "client_id")
                if not getattr(self, f"oidc_{name}")
            ]
            if missing:
                raise ValueError(f"PORTAL_AUTH_MODE=oidc needs {' and '.join(missing)}")
            self.oidc_role_pairs()  # a malformed map is refused at start, not at someone's sign-in
        engine = ENGINES.get(self.search_backend)
        if engine is None:
            raise ValueError(
                f"PORTAL_SEARCH_BACKEND must be one of {', '.join(ENGINES)}, not {self.search_backend!r}"
            )
        if engine.needs_postgres and not self.database_url.startswith("postgresql"):
            raise ValueError(
                f"PORTAL_SEARCH_BACKEND={engine.name} keeps the index in the database itself, so it needs "
                "PORTAL_DATABASE_URL to be a PostgreSQL database; with SQLite, use whoosh (the default)"
            )
        return self

    def oidc_role_pairs(self) -> dict[str, str]:
        """PORTAL_OIDC_ROLE_MAP as {group: role}."""
        pairs: dict[str, str] = {}
        for part in _split(self.oidc_role_map):
            group, sep, role = part.partition("=")
            if not sep or not group.strip() or role.strip() not in ("employee", "cx", "leader", "admin"):
                raise ValueError(
                    f"PORTAL_OIDC_ROLE_MAP: “{part}” is not group=role (roles: employee, cx, leader, admin)"
                )
            pairs[group.strip()] = role.strip()
        return pairs

    @property
    def oidc_redirect_uri(self) -> str:
        return self.base_url.rstrip("/") + "/auth/oidc/callback"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'portal.db').resolve()}"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_import_bytes(self) -> int:
        return self.max_import_mb * 1024 * 1024

    @property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p, strict=False) for p in _split(self.trusted_proxies)]

    def resolved_secret_key(self) -> str:
        """The configured secret, or the one kept in the data folder (created on first use). Read
        from disk once per settings object: every form on a page signs a CSRF token with it, and
        reading the file each time was a tenth of a detail page's time."""
        if self.secret_key:
            if len(self.secret_key) < 32:
                raise ConfigurationError("PORTAL_SECRET_KEY must be at least 32 characters long")
            return self.secret_key
        if self._kept_key is None:
            self._kept_key = self._key_from_data_dir()
        return self._kept_key

    def _key_from_data_dir(self) -> str:
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.touch(mode=0o600)
        key_file.write_text(key)
        return key


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigurationError(f"Insight Loop cannot start with this configuration:\n{exc}") from exc
