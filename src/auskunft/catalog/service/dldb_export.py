"""Export the catalog in the DLDB JSON that `auskunft import --format dldb` reads.

Each service is a DLDB entry as the ZMS/DLDB tools know it (`id`, `name`, `description`
and `fees` as HTML, `meta.keywords`, `meta.lastupdate`, `leika`, `authorities`,
`locations`, `forms`, `links`, `duration`, `public`). What DLDB has no field for (English
texts, prerequisites, documents, topic, typical questions, responsibilities, …) travels in
an extension object `x-auskunft` per entry, and the catalog's participants, areas, topics,
authorities and locations in a top-level `x-auskunft` object: an export imported into an
empty database gives the same catalog (`dldb_full.import_full`). Other DLDB readers ignore
the extensions.
"""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import select

from auskunft.catalog import tables as t
from auskunft.catalog.repository import CatalogRepository
from auskunft.core.db.uow import UnitOfWork

FORMAT = "auskunft-dldb-1"
# The service columns the extension carries as they are.
SERVICE_FIELDS = (
    "name", "name_en", "summary", "summary_en", "description", "description_en", "kind",
    "appointment", "prerequisites", "documents", "fees", "processing_time", "deadlines",
    "legal_basis", "online_service", "keywords", "questions", "leika", "forms", "links",
    "duration_minutes", "demo", "source", "published", "editor", "review_months",
)  # fmt: skip
AUTHORITY_FIELDS = ("name", "street", "postcode", "city", "phone", "email", "concern_email",
                    "web", "note", "opening_hours", "closures", "demo")  # fmt: skip
LOCATION_FIELDS = ("authority_id", "name", "street", "postcode", "city", "phone", "email",
                   "web", "note", "slot_minutes")  # fmt: skip


def text_html(text: str) -> str:
    """Plain or Markdown-ish text as the simple HTML of DLDB: paragraphs, bullet lists."""
    blocks = []
    for block in (text or "").split("\n\n"):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith(("• ", "- ")) for line in lines):
            items = "".join(f"<li>{html.escape(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append("<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>")
    return "".join(blocks)


def export_catalog(uow: UnitOfWork, participant: str | None = None) -> dict[str, Any]:
    """The services (of one participant, or all) and what they refer to, as DLDB JSON."""
    repo = uow.repo(CatalogRepository)
    session = uow.session
    services = list(repo.services(participant))
    responsibilities: dict[str, list[dict[str, str]]] = {}
    for special in session.scalars(select(t.ServiceResponsibility)):
        responsibilities.setdefault(special.service_id, []).append(
            {"area": special.area_id, "authority": special.authority_id}
        )
    offered: dict[str, list[t.ServiceLocation]] = {}
    for link in session.scalars(select(t.ServiceLocation)):
        offered.setdefault(link.service_id, []).append(link)
    authorities = list(repo.authority_rows())
    handles: dict[str, t.Authority] = {}
    for authority in sorted(authorities, key=lambda a: a.id):  # ties: the smallest id, as
        for k in authority.kinds:  # the jurisdiction decides them
            handles.setdefault(k.kind, authority)
    entries = []
    for row in services:
        office = handles.get(row.kind)
        links = sorted(offered.get(row.id, []), key=lambda x: x.location_id)
        record = {name: getattr(row, name) for name in SERVICE_FIELDS}
        record.update(
            id=row.id,
            participant=row.participant_id,
            topic=row.topic_id,
            last_reviewed=row.last_reviewed.isoformat() if row.last_reviewed else None,
            jurisdiction=sorted(responsibilities.get(row.id, []), key=lambda x: x["area"]),
            locations=[
                {"location": x.location_id, "duration": x.duration_minutes,
                 "appointment": x.appointment}
                for x in links
            ],
        )  # fmt: skip
        entries.append(
            {
                "id": row.id,
                "name": row.name,
                "description": text_html(row.description),
                "fees": text_html("\n".join(f"• {fee}" for fee in row.fees)),
                "leika": row.leika,
                "public": row.published,
                "meta": {
                    "keywords": ",".join(row.keywords),
                    "lastupdate": row.last_reviewed.isoformat() if row.last_reviewed else None,
                },
                "authorities": [{"id": office.id, "name": office.name}] if office else [],
                "locations": [
                    {"location": x.location_id, "appointment": {"allowed": x.appointment}}
                    for x in links
                ],
                "forms": [{"name": f["title"], "link": f["url"]} for f in row.forms],
                "links": [{"name": f["title"], "link": f["url"]} for f in row.links],
                "duration": row.duration_minutes,
                "x-auskunft": record,
            }
        )
    return {
        "data": entries,
        "x-auskunft": {
            "format": FORMAT,
            "participants": [
                {"id": p.id, "name": p.name, "kind": p.kind, "web": p.web}
                for p in session.scalars(select(t.Participant).order_by(t.Participant.id))
            ],
            "areas": [
                {"id": a.id, "name": a.name, "type": a.type, "parent": a.parent_id, "ags": a.ags}
                for a in repo.area_rows()
            ],
            "topics": [{"id": x.id, "name": x.name, "name_en": x.name_en} for x in repo.topics()],
            "authorities": [
                {
                    "id": a.id,
                    "participant": a.participant_id,
                    "kinds": sorted(k.kind for k in a.kinds),
                    "areas": sorted(x.area_id for x in a.areas),
                    **{name: getattr(a, name) for name in AUTHORITY_FIELDS},
                    "closures": list(a.closures or []),
                }
                for a in authorities
            ],
            "locations": [
                {"id": loc.id, **{name: getattr(loc, name) for name in LOCATION_FIELDS}}
                for loc in session.scalars(select(t.Location).order_by(t.Location.id))
            ],
        },
    }
