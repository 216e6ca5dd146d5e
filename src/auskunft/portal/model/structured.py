"""schema.org `GovernmentService` of a service page, as JSON-LD: search engines and the
115 network's crawlers read who offers what, where, and how to reach it."""

from __future__ import annotations

import json
from typing import Any


def government_service(
    record: dict[str, Any],
    office: dict[str, Any] | None,
    *,
    url: str,
    area_name: str,
    english: bool,
) -> dict[str, Any]:
    """The JSON-LD object of one service page (what the page shows, nothing more)."""
    name = (english and record.get("name_en")) or record["name"]
    summary = (english and record.get("summary_en")) or record.get("summary") or ""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "@id": url,
        "url": url,
        "name": name,
        "description": summary,
        "inLanguage": "en" if english and record.get("name_en") else "de",
        "areaServed": {"@type": "City", "name": area_name},
    }
    if record.get("topic"):
        topic = record["topic"]
        data["serviceType"] = (english and topic.get("name_en")) or topic["name"]
    if record.get("leika"):
        data["identifier"] = [
            {"@type": "PropertyValue", "propertyID": "LeiKa", "value": key}
            for key in str(record["leika"]).split()
        ]
    channels: list[dict[str, Any]] = [
        {
            "@type": "ServiceChannel",
            "name": "Behördennummer 115",
            "servicePhone": {"@type": "ContactPoint", "telephone": "115"},
        }
    ]
    if record.get("online_service"):
        channels.append(
            {"@type": "ServiceChannel", "name": "Online", "serviceUrl": record["online_service"]}
        )
    if office:
        provider: dict[str, Any] = {"@type": "GovernmentOrganization", "name": office["name"]}
        address = office.get("address") or {}
        if address.get("street") or address.get("city"):
            provider["address"] = {
                "@type": "PostalAddress",
                "streetAddress": address.get("street", ""),
                "postalCode": address.get("postcode", ""),
                "addressLocality": address.get("city", ""),
                "addressCountry": "DE",
            }
        for key, field in (("phone", "telephone"), ("email", "email"), ("web", "url")):
            if office.get(key):
                provider[field] = office[key]
        data["provider"] = provider
        place = {"@type": "ServiceChannel", "name": office["name"]}
        if "address" in provider:
            place["serviceLocation"] = {"@type": "Place", "address": provider["address"]}
        channels.append(place)
    data["availableChannel"] = channels
    return data


def as_script(data: dict[str, Any]) -> str:
    """The JSON for a `<script type="application/ld+json">`: `<`, `>` and `&` escaped, so
    no text of the catalog can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
