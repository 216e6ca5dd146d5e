"""Open311 GeoReport v2: the standard interface of reporting apps (FixMyStreet, Mark-a-Spot
and many others), on top of the concerns.

A report (Meldung) from the street becomes a concern with source "open311", channel "web",
forwarded to the office responsible for the service in the municipality; its tracking code
is the service_request_id. Which services take reports is catalog data
(catalog/data/reports.toml). Anybody may list the reports, without the reporters' names or
contact details; only a holder of an API token (api_key) may send one. JSON and XML, the
field names exactly as the specification has them (docs/forwarding.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi import APIRouter, Depends, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import DataError

from auskunft.catalog.service import reads as catalog
from auskunft.core.errors import AuskunftError, Forbidden, InvalidInput, NotFound
from auskunft.core.hours import BERLIN
from auskunft.core.principal import Login
from auskunft.core.web.deps import SettingsDep, Uow, component
from auskunft.core.web.openapi import errors
from auskunft.core.web.ratelimit import limit
from auskunft.forwarding.model.concern import Citizen, report_place, report_question
from auskunft.forwarding.service import concerns
from auskunft.search.service.engine import SearchEngine

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this interface last changed (discovery's changeset).
CHANGESET = "2026-12-04T00:00:00+01:00"
# Where a report is when the client names no jurisdiction_id (a catalog area).
MUNICIPALITY = "kassel"
ANONYMOUS = "Anonym"
MAX_DESCRIPTION = 4000  # the specification's limit
MAX_ADDRESS = 250
MAX_URL = 500
MAX_IDS = 100
LONGEST_RANGE = timedelta(days=90)  # the specification's default and longest range
MOST_REQUESTS = 1000  # the specification's suggested cap
FORMATS = ("json", "xml")
# Our error statuses as GeoReport has them: bad input is 400, a missing or bad key 403.
_STATUS = {422: 400, 401: 403}
_PATHS = re.compile(r"(discovery|services|requests)(/[^/]+)?\.(json|xml)")


def _both(german: str, english: str) -> str:
    """GeoReport has one description: German first, then English."""
    return german if german == english else f"{german} / {english}"


def _kind(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


# --- the two formats -----------------------------------------------------------------------

# The element of each item of a list in XML, by the list's name.
_ITEMS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute"}


def _element(parent: Element, name: str, value: Any) -> None:
    node = SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _element(node, key, inner)
    elif isinstance(value, list):
        for inner in value:
            _element(node, _ITEMS.get(name, "item"), inner)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)


def _answer(kind: str, value: Any, *, root: str, item: str = "", status: int = 200) -> Response:
    """The answer in the format asked for: JSON as it is, XML under `root` (each entry of a
    list as an `item`)."""
    if kind == "json":
        return JSONResponse(value, status_code=status)
    top = Element(root)
    if isinstance(value, list):
        for entry in value:
            _element(top, item, entry)
    else:
        for key, inner in value.items():
            _element(top, key, inner)
    body = '<?xml version="1.0" encoding="utf-8"?>\n' + tostring(top, encoding="unicode")
    return Response(body, status_code=status, media_type="text/xml")


def _error(kind: str, status: int, description: str) -> Response:
    return _answer(
        kind,
        [{"code": status, "description": description}],
        root="errors",
        item="error",
        status=status,
    )


class GeoReportRoute(APIRoute):
    """Every refusal in GeoReport's error format (`[{"code", "description"}]`, German then
    English), in the format asked for, never the site's error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except AuskunftError as exc:
                status = _STATUS.get(exc.status, exc.status)
                return _error(_kind(request), status, _both(exc.message, exc.message_en))
            except (RequestValidationError, DataError):
                # DataError: a value the checks let through and the database refused (a NUL
                # character, which PostgreSQL cannot store or compare in text).
                return _error(
                    _kind(request),
                    400,
                    _both("Die Anfrage enthält ungültige Angaben.", "The request is invalid."),
                )

        return answer


class GeoReportError(BaseModel):
    """One refusal, as GeoReport v2 has it (a list of these; in XML under <errors>)."""

    code: int
    description: str


def _in_both_formats(description: str, model: Any = None) -> dict[str, Any]:
    """A documented answer in JSON (the model, if any) and in XML (the same under a root)."""
    answer: dict[str, Any] = {
        "description": description,
        "content": {"text/xml": {"schema": {"type": "string"}}},
    }
    if model is not None:
        answer["model"] = model
    return answer


_REFUSED = {
    400: "Invalid input",
    403: "No valid api_key",
    404: "Not found, or no such format",
    429: "Over the client's request rate",
}


def _refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """GeoReport's error list for these statuses, in the format the path asks for."""
    return {status: _in_both_formats(_REFUSED[status], list[GeoReportError]) for status in statuses}


# A store out of reach answers as the whole JSON API does (core.web.errors), not GeoReport's.
router = APIRouter(
    prefix="/open311/v2",
    tags=["open311"],
    route_class=GeoReportRoute,
    responses=errors(503),
)
Search = Annotated[SearchEngine, Depends(component(SearchEngine))]
# The format is the path's extension; another one is a 404 (documented, not validated).
Format = Annotated[str, Path(description="json or xml", json_schema_extra={"enum": list(FORMATS)})]


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(
            f"Das Format „{fmt[:20]}“ gibt es nicht; möglich: json, xml.",
            message_en=f"There is no format '{fmt[:20]}'; possible: json, xml.",
        )
    return fmt


def _moment(value: datetime | None) -> str | None:
    return value.astimezone(BERLIN).isoformat(timespec="seconds") if value is not None else None


def _now() -> datetime:
    return datetime.now(UTC)


# --- discovery and services ----------------------------------------------------------------


@router.get(
    "/discovery.{fmt}", responses={200: _in_both_formats("Where and how"), **_refusals(404)}
)
def discovery(fmt: Format, settings: SettingsDep) -> Response:
    """Where the interface is, which specification and formats it speaks, whom to ask."""
    kind = _format(fmt)
    return _answer(
        kind,
        {
            "changeset": CHANGESET,
            "contact": _both(
                f"Behördennummer 115 oder {settings.mail_from}",
                f"public service number 115 or {settings.mail_from}",
            ),
            "key_service": _both(
                "API-Schlüssel vergibt die Administration des Servicecenters "
                "(auskunft token create NAME)",
                "API keys are issued by the service center's administrators "
                "(auskunft token create NAME)",
            ),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": settings.public_url.rstrip("/") + router.prefix,
                    "changeset": CHANGESET,
                    "type": "production" if settings.env == "production" else "test",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        },
        root="discovery",
    )


def _service(entry: catalog.ReportService) -> dict[str, Any]:
    return {
        "service_code": entry.service.id,
        "service_name": entry.service.name,
        "description": entry.service.summary,
        "metadata": entry.metadata,
        "type": "realtime",
        "keywords": ", ".join(entry.keywords) or None,
        "group": entry.group,
    }


def _report_service(uow: Any, code: str) -> catalog.ReportService:
    found = catalog.report_service(uow, code)
    if found is None:
        raise NotFound(
            f"Die Leistung „{code[:120]}“ nimmt keine Meldungen an (services.json nennt alle).",
            message_en=f"The service '{code[:120]}' takes no reports (services.json lists them).",
        )
    return found


@router.get("/services.{fmt}", responses={200: _in_both_formats("The services"), **_refusals(404)})
def services(fmt: Format, uow: Uow) -> Response:
    """The services that take reports, with their group and keywords."""
    kind = _format(fmt)
    found = [_service(entry) for entry in catalog.report_services(uow)]
    return _answer(kind, found, root="services", item="service")


@router.get(
    "/services/{code}.{fmt}", responses={200: _in_both_formats("The definition"), **_refusals(404)}
)
def service_definition(code: str, fmt: Format, uow: Uow) -> Response:
    """A service's extra attributes: none so far (metadata is false for every service)."""
    kind = _format(fmt)
    entry = _report_service(uow, code)
    return _answer(
        kind, {"service_code": entry.service.id, "attributes": []}, root="service_definition"
    )


# --- reports in ----------------------------------------------------------------------------


async def report_fields(request: Request) -> dict[str, str]:
    """The fields of a POST: form-encoded (the standard) or a JSON object; text values only,
    the first of repeated fields, uploaded files left out."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fields: dict[str, str] = {}
    if kind.endswith("json"):
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise InvalidInput(
                "Der Inhalt ist kein JSON-Objekt.", message_en="The body is no JSON object."
            )
        for key, value in data.items():
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                fields[str(key)] = str(value)
            elif value is not None:
                raise InvalidInput(
                    f"„{str(key)[:40]}“ muss Text oder eine Zahl sein.",
                    message_en=f"'{str(key)[:40]}' must be text or a number.",
                )
        return fields
    try:
        form = await request.form()
    except Exception as exc:  # a broken multipart body; Starlette names no one type
        raise InvalidInput(
            "Der Inhalt des Formulars ist nicht lesbar.", message_en="The form body is unreadable."
        ) from exc
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, value)
    return fields


Fields = Annotated[dict[str, str], Depends(report_fields)]


def _caller(request: Request, key: str) -> Login | None:
    """Who sends: the staff member of a personal token, None for a machine token; 403
    without a live key."""
    if key:
        verify: Callable[[Request, str], tuple[bool, Login | None]] = request.app.state.verify_token
        live, login = verify(request, key)
        if live:
            return login
    raise Forbidden(
        "Ohne gültigen api_key (ein API-Token) nimmt die Schnittstelle keine Meldungen an.",
        message_en="Without a valid api_key (an API token) the interface takes no reports.",
    )


def _coordinate(fields: dict[str, str], name: str, bound: float) -> float | None:
    text = fields.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > bound:
        raise InvalidInput(
            f"{name} muss eine Zahl zwischen -{bound:g} und {bound:g} sein.",
            message_en=f"{name} must be a number between -{bound:g} and {bound:g}.",
        )
    return value


def _place(fields: dict[str, str]) -> str:
    """Where the report is: lat and long, or an address, or both (as the concern keeps it)."""
    lat = _coordinate(fields, "lat", 90)
    long = _coordinate(fields, "long", 180)
    address = " ".join(fields.get("address_string", "").split())
    if (lat is None) != (long is None):
        raise InvalidInput(
            "lat und long gehören zusammen: bitte beide angeben.",
            message_en="lat and long belong together: please give both.",
        )
    if lat is None and not address:
        raise InvalidInput(
            "Wo ist es? Bitte lat und long oder address_string angeben.",
            message_en="Where is it? Please give lat and long or address_string.",
        )
    if len(address) > MAX_ADDRESS:
        raise InvalidInput(
            f"address_string darf höchstens {MAX_ADDRESS} Zeichen haben.",
            message_en=f"address_string may have at most {MAX_ADDRESS} characters.",
        )
    return report_place(address, lat, long)


def _media_url(fields: dict[str, str]) -> str:
    url = fields.get("media_url", "").strip()
    if url and (len(url) > MAX_URL or not re.fullmatch(r"https?://\S+", url, flags=re.IGNORECASE)):
        raise InvalidInput(
            "media_url muss eine http- oder https-Adresse sein.",
            message_en="media_url must be an http or https address.",
        )
    return url


def _draft(fields: dict[str, str], entry: catalog.ReportService) -> concerns.NewConcern:
    description = fields.get("description", "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"description darf höchstens {MAX_DESCRIPTION} Zeichen haben "
            f"({len(description)} gesendet).",
            message_en=f"description may have at most {MAX_DESCRIPTION} characters "
            f"({len(description)} sent).",
        )
    email = fields.get("email", "").strip()
    phone = fields.get("phone", "").strip()
    name = " ".join(
        part.strip() for part in (fields.get("first_name", ""), fields.get("last_name", ""))
    ).strip()
    return concerns.NewConcern(
        # A report without words is still a report: the service says what it is about.
        question=report_question(description or entry.service.name, _media_url(fields)),
        channel="web",
        citizen=Citizen(
            name=name or ANONYMOUS,
            email=email,
            phone=phone,
            preferred="phone" if phone and not email else "email",
        ),
        # The reporting app asked its user before sending: submitting a report is the
        # consent to pass it on to the office responsible (docs/forwarding.md).
        consent=True,
        service_id=entry.service.id,
        municipality=fields.get("jurisdiction_id", "").strip() or MUNICIPALITY,
        source=concerns.OPEN311,
        address=_place(fields),
        anonymous_report=True,
    )


def _notice(office: str, code: str, due: datetime | None) -> str:
    if due is None:
        return _both(
            f"Ihre Meldung ist bei {office} eingegangen (Vorgangsnummer {code}).",
            f"Your report reached {office} (tracking code {code}).",
        )
    local = due.astimezone(BERLIN)
    return _both(
        f"Ihre Meldung ist bei {office} eingegangen (Vorgangsnummer {code}); "
        f"Rückmeldung bis {local:%d.%m.%Y, %H:%M} Uhr.",
        f"Your report reached {office} (tracking code {code}); feedback by {local:%Y-%m-%d %H:%M}.",
    )


# The fields of a report as GeoReport names them (read by report_fields, so documented here).
_REPORT = {
    "type": "object",
    "required": ["service_code"],
    "properties": {
        "api_key": {"type": "string", "description": "an API token (or ?api_key=)"},
        "service_code": {"type": "string", "examples": ["illegaler-muell"]},
        "jurisdiction_id": {"type": "string"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90, "examples": [51.3155]},
        "long": {"type": "number", "minimum": -180, "maximum": 180, "examples": [9.4985]},
        "address_string": {"type": "string", "maxLength": MAX_ADDRESS},
        "email": {"type": "string"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "phone": {"type": "string"},
        "description": {
            "type": "string",
            "maxLength": MAX_DESCRIPTION,
            "examples": ["Sperrmüll am Straßenrand"],
        },
        "media_url": {"type": "string", "maxLength": MAX_URL},
    },
}


@router.post(
    "/requests.{fmt}",
    dependencies=[Depends(limit)],
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": _REPORT},
                "application/json": {"schema": _REPORT},
            },
        }
    },
    responses={201: _in_both_formats("Taken in"), **_refusals(400, 403, 404, 429)},
)
def create_request(
    request: Request, fmt: Format, fields: Fields, uow: Uow, settings: SettingsDep, search: Search
) -> Response:
    """Take a report in (api_key needed) and forward it to the office responsible."""
    kind = _format(fmt)
    login = _caller(request, fields.get("api_key") or request.query_params.get("api_key", ""))
    code = fields.get("service_code", "").strip()
    if not code:
        raise InvalidInput(
            "service_code fehlt (services.json nennt alle).",
            message_en="service_code is missing (services.json lists them).",
        )
    entry = _report_service(uow, code)
    now = _now()
    row = concerns.create(
        uow,
        search.snapshot().jurisdiction,
        concerns.Policy.from_settings(settings),
        _draft(fields, entry),
        login=login,
        now=now,
    )
    uow.commit()
    shown = concerns.public_report(uow, row.tracking_code)
    answer = {
        "service_request_id": shown.code,
        "service_notice": _notice(shown.authority, shown.code, shown.expected),
        "account_id": None,
    }
    return _answer(kind, [answer], root="service_requests", item="request", status=201)


# --- reports out ---------------------------------------------------------------------------


def _request(report: concerns.PublicReport, names: dict[str, str]) -> dict[str, Any]:
    """A report with the specification's fields; never the reporter's name or contact."""
    service = report.service_id or ""
    return {
        "service_request_id": report.code,
        "status": report.status,
        "status_notes": report.notes,
        "service_name": names.get(service),
        "service_code": report.service_id,
        "description": report.description or None,
        "agency_responsible": report.authority,
        "service_notice": _both(
            f"Rückmeldung innerhalb von {report.feedback_hours} Stunden Servicezeit zugesagt",
            f"feedback promised within {report.feedback_hours} hours of service time",
        ),
        "requested_datetime": _moment(report.requested),
        "updated_datetime": _moment(report.updated),
        "expected_datetime": _moment(report.expected),
        "address": report.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.long,
        "media_url": report.media_url,
    }


def _requests(kind: str, uow: Any, reports: list[concerns.PublicReport]) -> Response:
    ids = sorted({r.service_id for r in reports if r.service_id})
    names = {i: row.name for i, row in catalog.services_by_id(uow, ids).items()}
    found = [_request(report, names) for report in reports]
    return _answer(kind, found, root="service_requests", item="request")


def _listed(value: str | None) -> list[str] | None:
    """A comma-separated parameter as its values (None when it is not given)."""
    if value is None or not value.strip():
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _date_param(name: str, value: str | None, *, end: bool) -> datetime | None:
    """A W3C date or date and time; a day alone is its start (or, as end_date, its end), a
    time without offset is Berlin's."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end else time.min, tzinfo=BERLIN)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=BERLIN)
    except ValueError:
        raise InvalidInput(
            f"{name} ist kein Zeitpunkt (z. B. 2026-12-04T09:00:00+01:00 oder 2026-12-04).",
            message_en=f"{name} is no point in time (e.g. 2026-12-04T09:00:00+01:00 or "
            "2026-12-04).",
        ) from None
    return moment.astimezone(UTC)


def _range(start_date: str | None, end_date: str | None) -> tuple[datetime, datetime]:
    """The range of requested_datetime to list: at most 90 days, the last 90 without dates."""
    start = _date_param("start_date", start_date, end=False)
    end = _date_param("end_date", end_date, end=True)
    if start is None:
        end = end or _now()
        start = end - LONGEST_RANGE
    elif end is None:
        end = start + LONGEST_RANGE
    if end < start:
        raise InvalidInput(
            "end_date liegt vor start_date.", message_en="end_date lies before start_date."
        )
    if end - start > LONGEST_RANGE + timedelta(days=1):
        raise InvalidInput(
            "Zwischen start_date und end_date dürfen höchstens 90 Tage liegen.",
            message_en="start_date and end_date may be at most 90 days apart.",
        )
    return start, end


@router.get(
    "/requests.{fmt}",
    dependencies=[Depends(limit)],
    responses={200: _in_both_formats("The reports"), **_refusals(400, 404, 429)},
)
def requests(
    fmt: Format,
    uow: Uow,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> Response:
    """Reports, newest first: those with these numbers (then nothing else counts), or by
    service, state (open, closed) and time received (the last 90 days by default)."""
    kind = _format(fmt)
    ids = _listed(service_request_id)
    if ids is not None:
        if len(ids) > MAX_IDS:
            raise InvalidInput(
                f"Höchstens {MAX_IDS} service_request_id auf einmal.",
                message_en=f"At most {MAX_IDS} service_request_id at once.",
            )
        return _requests(kind, uow, concerns.public_reports(uow, codes=ids))
    start, end = _range(start_date, end_date)
    states = _listed(status.lower() if status is not None else None)
    found = concerns.public_reports(
        uow,
        service_ids=_listed(service_code),
        states=states,
        received_from=start,
        received_to=end,
        limit=MOST_REQUESTS,
    )
    return _requests(kind, uow, found)


@router.get(
    "/requests/{request_id}.{fmt}",
    dependencies=[Depends(limit)],
    responses={200: _in_both_formats("The report"), **_refusals(404, 429)},
)
def request_by_id(request_id: str, fmt: Format, uow: Uow) -> Response:
    """One report by its number (an array of one, as the specification has it)."""
    kind = _format(fmt)
    return _requests(kind, uow, [concerns.public_report(uow, request_id[:64])])


# Not an operation of the interface (and one operation id for five methods): not documented.
@router.api_route(
    "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
)
def elsewhere(rest: str, request: Request) -> Response:
    """Anything else under the prefix: 404 (405 for a known address), in GeoReport's form."""
    if _PATHS.fullmatch(rest):
        problem = AuskunftError(
            f"Diese Adresse nimmt keine {request.method}-Anfragen an.",
            message_en=f"This address takes no {request.method} requests.",
        )
        problem.status = 405
        raise problem
    raise NotFound("Diese Adresse gibt es nicht.", message_en="There is no such address.")
