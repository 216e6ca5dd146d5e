"""Read models of the citizen portal: services A–Z, life situations, municipalities."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from auskunft.catalog import tables as t
from auskunft.catalog.model.jurisdiction import MUNICIPAL_TYPES
from auskunft.catalog.repository import CatalogRepository
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import NotFound


@dataclass(frozen=True)
class ServiceLink:
    """A service as a line in a list."""

    id: str
    name: str
    summary: str


@dataclass(frozen=True)
class Topic:
    """A life situation (Lebenslage) with its services."""

    id: str
    name: str
    services: list[ServiceLink]


def _initial(name: str) -> str:
    letter = unicodedata.normalize("NFKD", name[:1])[:1].upper()
    return letter if letter.isalpha() else "#"


def _link(row: t.Service, english: bool) -> ServiceLink:
    name = row.name_en if english and row.name_en else row.name
    summary = row.summary_en if english and row.summary_en else row.summary
    return ServiceLink(row.id, name, summary)


def services_a_to_z(uow: UnitOfWork, english: bool = False) -> list[tuple[str, list[ServiceLink]]]:
    """All services grouped by initial letter (umlauts with their base letter), sorted."""
    links = sorted(
        (_link(s, english) for s in uow.repo(CatalogRepository).services(published_only=True)),
        key=lambda x: unicodedata.normalize("NFKD", x.name).casefold(),
    )
    groups: dict[str, list[ServiceLink]] = {}
    for link in links:
        groups.setdefault(_initial(link.name), []).append(link)
    return sorted(groups.items())


def topics(uow: UnitOfWork, english: bool = False) -> list[Topic]:
    """Every life situation with its services, in catalog order."""
    by_topic: dict[str, list[ServiceLink]] = {}
    for s in uow.repo(CatalogRepository).services(published_only=True):
        if s.topic_id:
            by_topic.setdefault(s.topic_id, []).append(_link(s, english))
    for links in by_topic.values():
        links.sort(key=lambda x: x.name.casefold())
    return [
        Topic(x.id, x.name_en if english and x.name_en else x.name, by_topic[x.id])
        for x in uow.repo(CatalogRepository).topics()
        if x.id in by_topic
    ]


def topic(uow: UnitOfWork, topic_id: str, english: bool = False) -> Topic:
    """One life situation, or NotFound."""
    for found in topics(uow, english):
        if found.id == topic_id:
            return found
    raise NotFound(
        f"Die Lebenslage „{topic_id}“ gibt es nicht.",
        message_en=f"There is no life situation '{topic_id}'.",
    )


def municipalities(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(area id, name) of the towns a visitor can choose, sorted by place name
    ("Gemeinde Niestetal" under N, not G)."""
    return sorted(
        ((a.id, a.name) for a in uow.repo(CatalogRepository).areas() if a.type in MUNICIPAL_TYPES),
        key=lambda x: x[1].split()[-1].casefold(),
    )


def with_summaries(
    uow: UnitOfWork, hits: list[dict[str, Any]], english: bool = False
) -> list[dict[str, Any]]:
    """Search hits with each service's name and summary in the reader's language."""
    rows = uow.repo(CatalogRepository).services_by_id([hit["id"] for hit in hits])
    shown = []
    for hit in hits:
        row = rows.get(hit["id"])
        summary = ((english and row.summary_en) or row.summary) if row else ""
        name = ((english and row.name_en) or hit["name"]) if row else hit["name"]
        shown.append({**hit, "name": name, "summary": summary})
    return shown


def page_paths(uow: UnitOfWork) -> list[str]:
    """The addresses of every public page of the catalog (for the sitemap)."""
    paths = ["/", "/leistungen", "/lebenslagen", "/kontakt"]
    paths += [f"/lebenslagen/{quote(t.id)}" for t in topics(uow)]
    paths += [
        f"/leistungen/{quote(s.id)}"
        for s in uow.repo(CatalogRepository).services(published_only=True)
    ]
    return paths
