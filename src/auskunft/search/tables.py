"""Stored sentence vectors of the services (the dense search signal)."""

from __future__ import annotations

from sqlalchemy import (
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from auskunft.core.db.base import Base


class Embedding(Base):
    """A dense vector of a text, keyed by a hash of model and text (a durable cache)."""

    __tablename__ = "embeddings"

    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(80))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
