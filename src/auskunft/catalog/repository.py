"""Repositories: the only place that knows how catalog rows are queried."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from auskunft.catalog import tables as t
from auskunft.catalog.model.entities import Area, Authority

# Change notes kept for indexes that lag behind (a process asks every 2 s); older ones go.
CHANGES_KEPT = 1000
CHANGES_PRUNED_EVERY = 100


class CatalogRepository:
    """Read and write catalog rows within a unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- reads ---------------------------------------------------------------
    def service(self, service_id: str) -> t.Service | None:
        return self.session.get(t.Service, service_id)

    def services(
        self, participant: str | None = None, *, published_only: bool = False
    ) -> Sequence[t.Service]:
        query = select(t.Service).order_by(t.Service.id)
        if published_only:
            query = query.where(t.Service.published.is_(True))
        if participant:
            query = query.where(t.Service.participant_id == participant)
        return self.session.scalars(query).all()

    def services_by_id(self, service_ids: Sequence[str]) -> dict[str, t.Service]:
        """The services with these ids, in one query (ids not found are left out)."""
        if not service_ids:
            return {}
        rows = self.session.scalars(select(t.Service).where(t.Service.id.in_(service_ids)))
        return {row.id: row for row in rows}

    def published_service(self, service_id: str) -> t.Service | None:
        """The service if the portal, the desk and the search may show it."""
        row = self.session.get(t.Service, service_id)
        return row if row is not None and row.published else None

    def responsibilities(self) -> list[tuple[str, str, str]]:
        """(service, area, authority) of the editors' exceptions to the kind rule."""
        rows = self.session.execute(
            select(
                t.ServiceResponsibility.service_id,
                t.ServiceResponsibility.area_id,
                t.ServiceResponsibility.authority_id,
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def authority(self, authority_id: str) -> t.Authority | None:
        return self.session.get(t.Authority, authority_id)

    def authority_names(self, authority_ids: Sequence[str]) -> dict[str, str]:
        """Office names by id, in one query (lists show many offices)."""
        if not authority_ids:
            return {}
        rows = self.session.execute(
            select(t.Authority.id, t.Authority.name).where(t.Authority.id.in_(authority_ids))
        )
        return {row.id: row.name for row in rows}

    def authority_rows(self) -> Sequence[t.Authority]:
        return self.session.scalars(select(t.Authority).order_by(t.Authority.id)).all()

    def participant(self, participant_id: str) -> t.Participant | None:
        return self.session.get(t.Participant, participant_id)

    def participant_ids(self) -> set[str]:
        return set(self.session.scalars(select(t.Participant.id)))

    def participants(self) -> dict[str, tuple[str, str]]:
        rows = self.session.execute(
            select(t.Participant.id, t.Participant.name, t.Participant.kind)
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    def topic(self, topic_id: str) -> t.Topic | None:
        return self.session.get(t.Topic, topic_id)

    def topics(self) -> Sequence[t.Topic]:
        return self.session.scalars(select(t.Topic).order_by(t.Topic.id)).all()

    def area_rows(self) -> Sequence[t.Area]:
        return self.session.scalars(select(t.Area).order_by(t.Area.id)).all()

    def areas(self) -> list[Area]:
        return [Area(a.id, a.name, a.type, a.parent_id, a.ags) for a in self.area_rows()]

    def authorities(self) -> list[Authority]:
        return [
            Authority(
                a.id,
                a.name,
                a.participant_id,
                frozenset(k.kind for k in a.kinds),
                frozenset(x.area_id for x in a.areas),
            )
            for a in self.authority_rows()
        ]

    def locations_of_service(
        self, service_id: str
    ) -> Sequence[tuple[t.ServiceLocation, t.Location]]:
        query = (
            select(t.ServiceLocation, t.Location)
            .join(t.Location, t.Location.id == t.ServiceLocation.location_id)
            .where(t.ServiceLocation.service_id == service_id)
            .order_by(t.Location.name)
        )
        return [(sl, loc) for sl, loc in self.session.execute(query)]

    def locations_of_authority(self, authority_id: str) -> Sequence[t.Location]:
        query = select(t.Location).where(t.Location.authority_id == authority_id)
        return self.session.scalars(query.order_by(t.Location.name)).all()

    def versions(self, service_id: str) -> Sequence[t.ServiceVersion]:
        query = select(t.ServiceVersion).where(t.ServiceVersion.service_id == service_id)
        return self.session.scalars(query.order_by(t.ServiceVersion.version)).all()

    def count_services(self, participant: str | None = None) -> int:
        query = select(func.count()).select_from(t.Service)
        if participant:
            query = query.where(t.Service.participant_id == participant)
        return int(self.session.scalar(query) or 0)

    def revision(self) -> int:
        return int(self.session.scalar(select(t.CatalogState.revision)) or 0)

    # -- writes --------------------------------------------------------------
    def add(self, row: object) -> None:
        self.session.add(row)

    def merge(self, row: object) -> None:
        self.session.merge(row)

    def flush(self) -> None:
        self.session.flush()

    def add_version(
        self,
        service_id: str,
        version: int,
        *,
        at: datetime,
        by: str,
        changes: dict[str, Any],
        reviewed_by: str | None = None,
        record: dict[str, Any] | None = None,
    ) -> None:
        """Keep one version of a service: who changed what, when (the only writer of
        `service_versions`: imports, publications, unpublishing)."""
        self.session.add(
            t.ServiceVersion(
                service_id=service_id,
                version=version,
                changed_at=at,
                changed_by=by,
                reviewed_by=reviewed_by,
                changes=changes,
                record=record,
            )
        )

    def bump_revision(self, scope: str = "all", service_ids: Sequence[str] = ()) -> int:
        """Mark the catalog as changed and note what changed (`catalog_changes`): the
        services named (scope "services"), the offices, or everything (an import).

        Every search index reads the notes after its own revision and updates only what
        they name. Notes older than CHANGES_KEPT revisions are pruned here.
        """
        revision = self.session.scalar(
            update(t.CatalogState)
            .where(t.CatalogState.id == 1)
            .values(revision=t.CatalogState.revision + 1)
            .returning(t.CatalogState.revision)
        )
        if revision is None:
            self.session.add(t.CatalogState(id=1, revision=1))
            revision = 1
        if scope == "services":
            for service_id in sorted(set(service_ids)):
                self.session.add(
                    t.CatalogChange(revision=revision, scope=scope, service_id=service_id)
                )
        else:
            self.session.add(t.CatalogChange(revision=revision, scope=scope))
        if revision % CHANGES_PRUNED_EVERY == 0:
            self.session.execute(
                delete(t.CatalogChange).where(t.CatalogChange.revision <= revision - CHANGES_KEPT)
            )
        return int(revision)

    def changes_after(self, revision: int, until: int) -> Sequence[t.CatalogChange]:
        """The notes of the revisions after `revision` up to `until`."""
        return self.session.scalars(
            select(t.CatalogChange)
            .where(t.CatalogChange.revision > revision, t.CatalogChange.revision <= until)
            .order_by(t.CatalogChange.revision)
        ).all()
