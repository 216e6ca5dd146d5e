"""One typed settings object, read from AUSKUNFT_* environment variables."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from auskunft.core.hours import WeeklyHours
from auskunft.core.servicetime import SERVICE_HOURS


class Settings(BaseSettings):
    """Runtime settings; every field is documented in docs/settings.md."""

    model_config = SettingsConfigDict(env_prefix="AUSKUNFT_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default=Path("var"))
    database_url: str = ""
    search_dense: Literal["auto", "on", "off"] = "auto"
    # Staff login
    session_hours: int = Field(default=10, ge=1, le=24)
    session_idle_minutes: int = Field(default=120, ge=5, le=24 * 60)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_client_max_failures: int = Field(default=30, ge=1, le=10_000)
    # Password checks (Argon2id, 64 MiB each) at once; 0: half the CPU cores, at least one.
    login_concurrency: int = Field(default=0, ge=0, le=64)
    cookie_secure: bool | None = None
    # Outgoing e-mail (information sent to a caller)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout: float = Field(default=10.0, gt=0, le=120)
    mail_from: str = "Servicecenter Kassel <servicecenter@kassel.example>"
    public_url: str = "http://127.0.0.1:8000"
    # Appointments (Termine)
    booking_horizon_days: int = Field(default=60, ge=1, le=730)
    booking_lead_minutes: int = Field(default=120, ge=0, le=14 * 24 * 60)
    phone_share: int = Field(default=25, ge=0, le=100)
    phone_release_days: int = Field(default=2, ge=0, le=365)
    wedding_hold_days: int = Field(default=14, ge=1, le=365)
    waitlist_offer_hours: int = Field(default=12, ge=1, le=24 * 14)
    appointment_limit_per_service: int = Field(default=1, ge=1, le=50)
    appointment_retention_days: int = Field(default=30, ge=1, le=3650)
    reminder_hour: int = Field(default=10, ge=0, le=23)
    rate_limits: Literal["on", "off"] = "on"
    rate_limit_per_minute: int = Field(default=30, ge=1, le=100_000)
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma-
    # separated); empty: the app is reached directly (core/web/client.py).
    trusted_proxies: str = ""
    worker: Literal["inline", "off"] = "inline"
    worker_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    # Finished and failed jobs (ids, no personal data) are dropped after this many days.
    job_retention_days: int = Field(default=30, ge=1, le=3650)
    # The service center's working time, which the feedback clock counts (besides Hessen's
    # holidays and the closure days a supervisor enters), and the hours of feedback promised.
    service_hours: dict[str, list[str]] = Field(default_factory=lambda: dict(SERVICE_HOURS))
    feedback_hours: int = Field(default=24, ge=1, le=1000)
    # Concerns (Anliegen): the service center's own queue (for concerns whose office the
    # catalog does not know, and returned ones), where escalations go, and how long the
    # personal data of a closed concern is kept.
    service_center_authority: str = "kassel-servicecenter"
    supervisor_email: str = "leitung-servicecenter@kassel.example"
    concern_retention_days: int = Field(default=90, ge=1, le=3650)
    # The audit log of staff actions keeps its entries this long (two years by default).
    audit_retention_days: int = Field(default=730, ge=30, le=3650)
    # Telephony (issue 14): which dialled number or queue is which channel
    # ("number-or-queue=channel,..."; Kassel's two numbers by default).
    telephony_channels: str = "115=115,0561115=local"
    # The service level every report and the staffing plan use: the share answered within
    # `service_level_seconds`, divided by what `service_level_formula` names; callers who
    # hang up within `short_abandon_seconds` count apart and outside the rates.
    service_level_target: float = Field(default=0.75, gt=0, lt=1)
    service_level_seconds: int = Field(default=30, ge=0, le=3600)
    short_abandon_seconds: int = Field(default=5, ge=0, le=600)
    service_level_formula: Literal["answered_and_long_abandons", "offered", "answered"] = (
        "answered_and_long_abandons"
    )
    # Share of paid time agents are not on the phone (breaks, training, absence).
    staffing_shrinkage: float = Field(default=0.30, ge=0, lt=0.9)
    # What a partner pays the service center per contact about its services (euros, as
    # the cooperation contract says); unset, the partner report counts without amounts.
    partner_rate_eur: float | None = Field(default=None, ge=0, le=1000)
    # Proof of work that the portal's concern form asks of the browser (ALTCHA).
    altcha_max_number: int = Field(default=50_000, ge=1000, le=10_000_000)
    # The link checker of the online-service and form links (docs/editorial.md): checks at
    # once, seconds per connect and per read, hours between two checks of a link (0: the
    # worker checks none by itself; servers without internet access, the tests), and
    # whether it may ask this machine (127.0.0.1, ::1): for tests only, refused in production.
    link_check_concurrency: int = Field(default=8, ge=1, le=64)
    link_check_timeout_s: float = Field(default=10.0, gt=0, le=60)
    link_check_interval_hours: int = Field(default=24, ge=0, le=24 * 90)
    link_check_allow_loopback: bool = False
    # Signs the links that let a citizen manage an appointment.
    secret_key: str = ""
    secret_key_file: Path | None = None
    # /readyz: a worker whose heartbeat is older than this counts as stuck (stale).
    worker_stale_seconds: float = Field(default=120.0, gt=0, le=7 * 24 * 3600)
    # Directory login (LDAP, Active Directory); an empty URL: local accounts only.
    ldap_url: str = ""
    ldap_bind_dn: str = ""
    ldap_bind_password: str = ""
    ldap_bind_password_file: Path | None = None
    ldap_user_base: str = ""
    ldap_user_filter: str = "(uid={username})"
    ldap_group_base: str = ""
    ldap_group_filter: str = "(|(member={dn})(uniqueMember={dn}))"
    ldap_start_tls: bool = False
    ldap_ca_file: Path | None = None
    ldap_timeout: float = Field(default=5.0, gt=0, le=60)
    # Group DN -> role (the first group of the mapping a user is in decides), and group DN
    # -> authority id, list of ids, or {"authorities": [...], "participants": [...]}.
    ldap_role_groups: dict[str, str] = Field(default_factory=dict)
    ldap_authority_groups: dict[str, str | list[str] | dict[str, list[str]]] = Field(
        default_factory=dict
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        from auskunft.core.proxies import parse_proxies

        parse_proxies(value)  # ValueError names the bad entry
        return value

    @field_validator("telephony_channels")
    @classmethod
    def _channels_parse(cls, value: str) -> str:
        parse_channel_map(value)  # ValueError names the bad entry
        return value

    @field_validator("service_hours")
    @classmethod
    def _hours_parse(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        WeeklyHours.from_mapping(value)  # ValueError names the bad day or range
        return value

    @field_validator("ldap_url")
    @classmethod
    def _ldap_url_scheme(cls, value: str) -> str:
        if value and not value.lower().startswith(("ldap://", "ldaps://")):
            raise ValueError("AUSKUNFT_LDAP_URL starts with ldap:// or ldaps://")
        return value

    @field_validator("ldap_role_groups")
    @classmethod
    def _ldap_roles_known(cls, value: dict[str, str]) -> dict[str, str]:
        from auskunft.core.principal import ROLES

        for group, role in value.items():
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r} for {group!r}; possible: {ROLES}")
        return value

    @field_validator("ldap_authority_groups")
    @classmethod
    def _ldap_offices_shape(
        cls, value: dict[str, str | list[str] | dict[str, list[str]]]
    ) -> dict[str, str | list[str] | dict[str, list[str]]]:
        for group, offices in value.items():
            if isinstance(offices, dict) and not set(offices) <= {"authorities", "participants"}:
                raise ValueError(
                    f'{group!r}: an object names only "authorities" and "participants"'
                )
        return value

    @model_validator(mode="after")
    def _no_loopback_links_in_production(self) -> Settings:
        if self.env == "production" and self.link_check_allow_loopback:
            raise ValueError(
                "AUSKUNFT_LINK_CHECK_ALLOW_LOOPBACK is for tests: the link checker must not "
                "ask this machine in production"
            )
        return self

    @model_validator(mode="after")
    def _ldap_complete(self) -> Settings:
        if not self.ldap_url:
            return self
        if not self.ldap_user_base:
            raise ValueError("AUSKUNFT_LDAP_URL needs AUSKUNFT_LDAP_USER_BASE")
        if "{username}" not in self.ldap_user_filter:
            raise ValueError("AUSKUNFT_LDAP_USER_FILTER must contain {username}")
        group_filter = self.ldap_group_filter
        if self.ldap_group_base and "{dn}" not in group_filter and "{username}" not in group_filter:
            raise ValueError("AUSKUNFT_LDAP_GROUP_FILTER must contain {dn} or {username}")
        # Passwords go to the directory: in production only over TLS (or to this machine).
        host = urlsplit(self.ldap_url).hostname or ""
        plain = self.ldap_url.lower().startswith("ldap://") and not self.ldap_start_tls
        if self.env == "production" and plain and host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError(
                "AUSKUNFT_LDAP_URL ldap:// sends passwords in clear text: use ldaps:// or "
                "AUSKUNFT_LDAP_START_TLS=true"
            )
        return self

    def ldap_password(self) -> str:
        """The directory service account's password: from the setting or its file."""
        if not self.ldap_bind_password and self.ldap_bind_password_file is not None:
            return self.ldap_bind_password_file.read_text(encoding="utf-8").strip()
        return self.ldap_bind_password

    def service_week(self) -> WeeklyHours:
        """The service center's weekly hours."""
        return WeeklyHours.from_mapping(self.service_hours)

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS: always in production, by choice elsewhere."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.env == "production"

    def secret(self) -> bytes:
        """The server secret: from the setting or its file; made up once outside production."""
        key = self.secret_key
        if not key and self.secret_key_file is not None:
            key = self.secret_key_file.read_text(encoding="utf-8").strip()
        if key:
            if self.env == "production" and len(key) < 32:
                raise RuntimeError("AUSKUNFT_SECRET_KEY must have at least 32 characters")
            return key.encode()
        if self.env == "production":
            raise RuntimeError("AUSKUNFT_SECRET_KEY or AUSKUNFT_SECRET_KEY_FILE must be set")
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first
            else:
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    handle.write(secrets.token_hex(32))
        return path.read_text(encoding="utf-8").strip().encode()

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'auskunft.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return Settings()


PHONE_CHANNELS = ("115", "local")


def parse_channel_map(value: str) -> dict[str, str]:
    """`AUSKUNFT_TELEPHONY_CHANNELS`: "number-or-queue=channel,..." -> {key: channel}."""
    mapping: dict[str, str] = {}
    for entry in value.split(","):
        entry = entry.strip()
        if not entry:
            continue
        key, sep, channel = entry.partition("=")
        key, channel = key.strip(), channel.strip()
        if not sep or not key or channel not in PHONE_CHANNELS:
            raise ValueError(
                f"telephony channel entry {entry!r}: expected NUMBER-OR-QUEUE=CHANNEL with "
                f"a channel of {', '.join(PHONE_CHANNELS)}"
            )
        mapping[key] = channel
    return mapping
