"""Tables of the catalog: participants, areas, authorities, locations, services."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from auskunft.core.db.base import Base, UtcDateTime


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    web: Mapped[str | None] = mapped_column(String(500))


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("areas.id"))
    ags: Mapped[str | None] = mapped_column(String(12))


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")


class Authority(Base):
    __tablename__ = "authorities"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"))
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(80), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    web: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Days the office is closed besides public holidays: [{"day": "2026-12-24", "reason": ...}].
    closures: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)
    # Where forwarded concerns go by e-mail when the office has no accounts (else `email`).
    concern_email: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Moves with every edit: a stale save is refused (editorial office pages).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

    kinds: Mapped[list[AuthorityKind]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    areas: Mapped[list[AuthorityArea]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class AuthorityKind(Base):
    __tablename__ = "authority_kinds"

    authority_id: Mapped[str] = mapped_column(
        ForeignKey("authorities.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(80), primary_key=True)


class AuthorityArea(Base):
    __tablename__ = "authority_areas"

    authority_id: Mapped[str] = mapped_column(
        ForeignKey("authorities.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[str] = mapped_column(ForeignKey("areas.id"), primary_key=True)


class Location(Base):
    """A place where an authority receives people (a counter site)."""

    __tablename__ = "locations"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(80), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    web: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    slot_minutes: Mapped[int | None] = mapped_column(Integer)


class Service(Base):
    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    topic_id: Mapped[str | None] = mapped_column(ForeignKey("topics.id"))
    kind: Mapped[str] = mapped_column(String(80), index=True)
    appointment: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    prerequisites: Mapped[list[Any]] = mapped_column(default=list)
    documents: Mapped[list[Any]] = mapped_column(default=list)
    fees: Mapped[list[Any]] = mapped_column(default=list)
    processing_time: Mapped[str] = mapped_column(Text, default="")
    deadlines: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[list[Any]] = mapped_column(default=list)
    online_service: Mapped[str | None] = mapped_column(String(1000))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    questions: Mapped[list[Any]] = mapped_column(default=list)
    leika: Mapped[str | None] = mapped_column(String(300))  # may list several keys
    forms: Mapped[list[Any]] = mapped_column(default=list)
    links: Mapped[list[Any]] = mapped_column(default=list)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(40), default="demo")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Off the portal, the desk and the search (kept, with its history, for the records).
    published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Freshness: who answers for the text, how often it is reviewed, who last did.
    editor: Mapped[str | None] = mapped_column(String(120))
    review_months: Mapped[int] = mapped_column(Integer, default=12, server_default="12")
    reviewed_by: Mapped[str | None] = mapped_column(String(120))


class ServiceResponsibility(Base):
    """Where one service is handled by another authority than the kind rule names (an
    editor's exception per area; the jurisdiction consults it first)."""

    __tablename__ = "service_responsibilities"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[str] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    authority_id: Mapped[str] = mapped_column(ForeignKey("authorities.id", ondelete="CASCADE"))


class ServiceLocation(Base):
    """Where a service is offered, with the appointment duration there."""

    __tablename__ = "service_locations"

    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[str] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    appointment: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceVersion(Base):
    """One edit of a service: who, when, what changed ({field: [old, new]})."""

    __tablename__ = "service_versions"
    __table_args__ = (UniqueConstraint("service_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_by: Mapped[str] = mapped_column(String(120))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The second pair of eyes (editorial publications) and the whole record as published,
    # so that any version can be restored; None for imports before the editorial pages.
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class CatalogChange(Base):
    """What one revision changed: one service ("services"), the offices, or everything.

    A search index that knows its revision reads the rows after it and updates only the
    services named; an "all" row (an import) rebuilds it. Old rows are pruned on write.
    """

    __tablename__ = "catalog_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(Integer, index=True)
    scope: Mapped[str] = mapped_column(String(10))
    service_id: Mapped[str | None] = mapped_column(String(120))


class CatalogState(Base):
    """A counter bumped by every catalog change, so search indexes know when to rebuild."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
