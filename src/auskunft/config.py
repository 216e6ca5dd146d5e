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

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'auskunft.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return Settings()
