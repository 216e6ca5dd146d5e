"""One typed settings object, read from AUSKUNFT_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS: always in production, by choice elsewhere."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.env == "production"

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'auskunft.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return Settings()
