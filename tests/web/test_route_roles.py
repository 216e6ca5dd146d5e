"""Every route of the app, for every kind of caller (issue 13): the route table below declares
who may use each route, and the test asks each route as each caller.

The table is complete by construction: the test reads the app's own routes
(`create_app(...).routes`, every method of every APIRoute), and a route the table does not
name fails, so a new route cannot ship unguarded. A route the table names that the app no
longer has fails too.

The callers: anonymous; an agent; a clerk of the office that owns the objects asked for
(Herborn's Bürgerbüro) and a clerk of another office (Kassel's); an editor; a partner
editor (an editor of a network participant); a supervisor; an administrator. Each with a
session (logged in through the login form); on the JSON API, Open311 and the staff pages
also with their personal API token, and an integration's machine token; a change through
the JSON API also with the administrator's session without X-CSRF-Token. Forms get the
session's CSRF token (the citizens' forms their cookie's), so the role decides, not the
form token.

What the callers get when they may not:
- a staff page without a login: 303 to /anmelden (an htmx request 401, not asked here);
- the JSON API without a token or session: 401;
- a role the route does not let in: 403; a staff form sent with a token, not a session: 403;
- a clerk (or editor) asking for another office's object: 404, the same as for no object at
  all (`core.principal.owned_or_not_found`), never a 403, which would confirm that the
  object exists; the role is checked first, so a role the route refuses gets 403 anyway;
- a citizen's link without its key (manage token, answer link): 404 for everybody, staff
  included: staff work on appointments and concerns through their own pages.

The path parameters are real objects: a service and a topic of the demo catalog, an
appointment and a concern of Herborn's Bürgerbüro, a waitlist entry. Posts that would
change something send either a real change (the desk's cancellation) or a request the use
case refuses after the guard (an empty text), so the run leaves the objects in place.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.appointments import tables as appointment_tables
from auskunft.appointments.model.calendar import from_epoch_minutes
from auskunft.appointments.service import agenda, booking
from auskunft.appointments.service.booking import local_day
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.core.principal import ALL_OFFICES, Role
from auskunft.forwarding.model import tracking
from auskunft.forwarding.model.concern import Citizen
from auskunft.forwarding.service import concerns
from auskunft.search.service.engine import SearchEngine
from tests.web.test_staff_login import PASSWORD, form_token, login

# -- who asks ----------------------------------------------------------------------------------

OFFICE = "herborn-buergerbuero"  # owns the appointment and the concern asked for
LOCATION = "herborn-buergerbuero-rathaus"
OTHER_OFFICE = "kassel-buergerbuero"
PARTNER = "stadtreiniger-kassel"
SERVICE = "personalausweis-beantragen"
TOPIC = "ausweise"
REPORT_SERVICE = "illegaler-muell"
# The seeded people: their names must not reach anybody who may not see them.
APPOINTMENT_PERSON = "Hanna Rollentest"
APPOINTMENT_EMAIL = "hanna.rollentest@example.org"
CONCERN_PERSON = "Rita Rollentest"


@dataclass(frozen=True)
class Identity:
    """A kind of caller: a role (None: nobody), and the offices of the account."""

    name: str
    role: Role | None
    authorities: tuple[str, ...] = ()
    participants: tuple[str, ...] = ()


IDENTITIES = (
    Identity("anonymous", None),
    Identity("agent", Role.AGENT),
    Identity("clerk", Role.CLERK, authorities=(OFFICE,)),
    Identity("clerk_other", Role.CLERK, authorities=(OTHER_OFFICE,)),
    Identity("editor", Role.EDITOR),
    Identity("partner_editor", Role.EDITOR, participants=(PARTNER,)),
    Identity("supervisor", Role.SUPERVISOR),
    Identity("admin", Role.ADMIN),
    Identity("dpo", Role.DPO),
)
MACHINE = Identity("machine", None)  # an integration's token
ADMIN = next(who for who in IDENTITIES if who.name == "admin")


@dataclass(frozen=True)
class Caller:
    """An identity as it reaches the app: by session, by personal token, or not at all."""

    identity: Identity
    via: str  # "none" | "session" | "token" | "bare" (a session without X-CSRF-Token)

    @property
    def label(self) -> str:
        suffix = {"token": " (token)", "bare": " (session without X-CSRF-Token)"}
        return self.identity.name + suffix.get(self.via, "")


# -- the rules --------------------------------------------------------------------------------

OK = "ok"  # the route's declared answer for those it lets in
LOGIN = "login"  # 303 to /anmelden


@dataclass(frozen=True)
class Rule:
    """Who may use a route.

    kind: "public" (everybody), "page" (a staff page: a login with one of `roles`), "api"
    (the JSON API: a session with X-CSRF-Token or a token, of one of `roles`), "key" (any
    live API token, e.g. Open311's api_key), "link" (a key in the link: nobody without it).
    office: the route shows or changes an office's object: clerks and editors only those of
    their own offices (another office's: 404); agents, supervisors and admins all.
    machine: on the API, whether an integration's machine token is let in.
    """

    kind: str
    roles: tuple[Role, ...] = ()
    office: bool = False
    machine: bool = False
    refused: int = 404  # "link": what everybody gets without the key
    # The route changes a service of the catalog: a partner's editor (an editor with
    # participant memberships) only their own participants' (another's: 404).
    participant: bool = False

    def expect(self, caller: Caller, *, form: bool = False) -> int | str:
        """What this caller should get: OK, LOGIN or a status (`form`: a staff form post,
        which needs the session's form token)."""
        who = caller.identity
        if self.kind == "public":
            return OK
        if self.kind == "link":
            return self.refused
        if self.kind == "key":
            return OK if caller.via == "token" else 403
        if self.kind == "page" and who is MACHINE:
            return LOGIN  # an integration's token is nobody on staff pages
        if who is MACHINE:
            return OK if self.machine else 403
        if who.role is None:
            return LOGIN if self.kind == "page" else 401
        if caller.via == "bare":
            return 401  # the API takes a session only with the page's X-CSRF-Token
        if who.role not in self.roles:
            return 403
        if form and caller.via == "token":
            return 403  # a token never stands in for a form's token (checked first)
        if self.office and who.role not in ALL_OFFICES and OFFICE not in who.authorities:
            return 404  # core.principal: clerks and editors see their own offices' objects
        if self.participant and who.role is Role.EDITOR and who.participants:
            return 404  # the service is Kassel's, not the partner's
        return OK


PUBLIC = Rule("public")
LINK = Rule("link")


def page(*roles: Role, office: bool = False, participant: bool = False) -> Rule:
    return Rule("page", roles=roles, office=office, participant=participant)


def api(
    *roles: Role, office: bool = False, machine: bool = False, participant: bool = False
) -> Rule:
    return Rule("api", roles=roles, office=office, machine=machine, participant=participant)


# The roles as the pages declare them (desk/web, forwarding/web, appointments/web) and
# docs/staff.md and docs/forwarding.md describe them.
EVERY_STAFF = tuple(Role)
# The desk: every role but the data-protection officer, who reads the log and the requests.
DESK_STAFF = tuple(role for role in Role if role is not Role.DPO)
# The audit log and the citizens' requests: the leads and the data-protection officer.
PRIVACY = (Role.SUPERVISOR, Role.ADMIN, Role.DPO)
CENTER = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)  # the service center: desk booking, /admin
LEADS = (Role.SUPERVISOR, Role.ADMIN)
EDITORIAL = (Role.EDITOR, Role.SUPERVISOR)  # the digital Rathaus (editorial/web)
CONCERN_WORK = (Role.AGENT, Role.CLERK, Role.SUPERVISOR, Role.ADMIN)  # editors: no concerns
DEPARTMENT = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)  # the day list


@dataclass(frozen=True)
class Case:
    """One route: its rule, the request that asks it, and what those it lets in get.

    Strings in path, params, form and json are formatted with the seeded objects
    ({service}, {code}, {concern}, ...). csrf: "staff" puts the session's form token in the
    form, "booking" and "login" the double-submit cookie of the citizens' and the login
    forms. token: how a token travels ("bearer", or "api_key" in the form for Open311).
    """

    rule: Rule
    path: str | None = None  # default: the route's template
    params: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] | None = None
    json: Any = None
    csrf: str = "none"
    token: str = "bearer"
    ok: tuple[int, ...] = (200,)
    fresh_session: bool = False  # the request ends the session (logout)
    # A value in the answers of those who see the office's objects, and in nobody else's.
    shows: str | None = None


def contact_json() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "channel": "115",
        "outcome": "answered",
        "started_at": (now - timedelta(minutes=3)).isoformat(),
        "ended_at": now.isoformat(),
    }


WRONG_TOKEN = "falsch-falsch-falsch"
UNPROCESSABLE = (422,)

ROUTES: dict[tuple[str, str], Case] = {
    # -- the house ------------------------------------------------------------------------
    ("GET", "/healthz"): Case(PUBLIC),
    ("GET", "/readyz"): Case(PUBLIC, ok=(200, 503)),  # 503: no worker heartbeat in tests
    ("GET", "/api/docs"): Case(PUBLIC),
    # -- portal: pages and catalog API ----------------------------------------------------
    ("GET", "/"): Case(PUBLIC),
    ("GET", "/suche"): Case(PUBLIC, params={"q": "Personalausweis"}),
    ("GET", "/suche/bekannt"): Case(PUBLIC, params={"q": "Personalausweis"}),
    ("GET", "/leistungen"): Case(PUBLIC),
    ("GET", "/leistungen/{service_id}"): Case(PUBLIC, path="/leistungen/{service}"),
    ("GET", "/lebenslagen"): Case(PUBLIC),
    ("GET", "/lebenslagen/{topic_id}"): Case(PUBLIC, path="/lebenslagen/{topic}"),
    ("GET", "/gemeinde"): Case(PUBLIC, params={"wahl": "kassel"}, ok=(303,)),
    ("GET", "/kontakt"): Case(PUBLIC),
    ("GET", "/sitemap.xml"): Case(PUBLIC),
    ("GET", "/robots.txt"): Case(PUBLIC),
    ("GET", "/api/v1/search"): Case(PUBLIC, params={"q": "Personalausweis"}),
    ("GET", "/api/v1/services/{service_id}"): Case(PUBLIC, path="/api/v1/services/{service}"),
    ("GET", "/api/v1/services/{service_id}/history"): Case(
        PUBLIC, path="/api/v1/services/{service}/history"
    ),
    ("GET", "/api/v1/authorities/{authority_id}"): Case(
        PUBLIC, path="/api/v1/authorities/{office}"
    ),
    # -- login ----------------------------------------------------------------------------
    # A logged-in caller is sent on to the desk (303).
    ("GET", "/anmelden"): Case(PUBLIC, ok=(200, 303)),
    ("POST", "/anmelden/pruefung"): Case(PUBLIC, form={"username": "niemand"}, csrf="login"),
    ("POST", "/anmelden"): Case(PUBLIC, form={"username": ""}, csrf="login", ok=UNPROCESSABLE),
    ("POST", "/abmelden"): Case(PUBLIC, form={}, csrf="staff", ok=(303,), fresh_session=True),
    # -- the desk (desk/web) --------------------------------------------------------------
    # The desk after forwarding (?anliegen=) names the concern's tracking code: every staff
    # member's start page, but the concern only for those who see its office.
    ("GET", "/desk"): Case(
        page(*DESK_STAFF, office=True),
        params={"anliegen": "{concern}"},
        shows="{tracking_shown}",
    ),
    ("GET", "/desk/treffer"): Case(page(*DESK_STAFF), params={"q": "Personalausweis"}),
    ("GET", "/desk/bekannt"): Case(page(*DESK_STAFF), params={"q": "Personalausweis"}),
    ("GET", "/desk/karte/{service_id}"): Case(page(*DESK_STAFF), path="/desk/karte/{service}"),
    ("POST", "/desk/kontakt"): Case(
        page(*DESK_STAFF),
        form={"channel": "115", "outcome": "answered"},
        csrf="staff",
        ok=(303,),
    ),
    ("POST", "/desk/email"): Case(
        page(*DESK_STAFF), form={"service": "{service}", "to": ""}, csrf="staff", ok=(422,)
    ),
    ("GET", "/admin"): Case(page(*CENTER)),
    ("GET", "/desk/termin"): Case(page(*CENTER), params={"leistung": "{service}"}),
    ("POST", "/desk/termin"): Case(
        page(*CENTER),
        form={"service": "{service}", "location": "{location}", "start": "", "name": ""},
        csrf="staff",
        ok=(422,),
    ),
    ("GET", "/desk/termin/suche"): Case(page(*CENTER), params={"code": "{code}"}),
    # A real cancellation: the first caller let in cancels (303), the next find it cancelled.
    ("POST", "/desk/termin/absagen"): Case(
        page(*CENTER), form={"code": "{code_cancel}"}, csrf="staff", ok=(303, 409)
    ),
    ("POST", "/desk/termin/verschieben"): Case(
        page(*CENTER), form={"code": "{code_move}", "start": ""}, csrf="staff", ok=(422,)
    ),
    ("GET", "/desk/weiterleiten"): Case(page(*CENTER), params={"leistung": "{service}"}),
    ("POST", "/desk/weiterleiten"): Case(
        page(*CENTER), form={"question": ""}, csrf="staff", ok=(422,)
    ),
    # -- contacts API (desk/web/api.py): any staff member, and the telephony's machine token
    ("POST", "/api/v1/contacts"): Case(
        api(*EVERY_STAFF, machine=True), json=contact_json(), ok=(201,)
    ),
    # -- appointments: the department's day list (clerks of the office) -------------------
    ("GET", "/dienststelle/termine"): Case(
        page(*DEPARTMENT, office=True), params={"ort": "{location}", "tag": "{day}"}
    ),
    # "arrived" days before the visit: refused as too early (409), nothing changes.
    ("POST", "/dienststelle/termine/aktion"): Case(
        page(*DEPARTMENT, office=True),
        form={"code": "{code}", "action": "arrived", "ort": "{location}", "tag": "{day}"},
        csrf="staff",
        ok=(409,),
    ),
    # -- appointments: the citizen's booking pages and API (public; the manage link's key) --
    ("GET", "/termin/buchen/{service_id}"): Case(PUBLIC, path="/termin/buchen/{service}"),
    ("POST", "/termin/buchen/{service_id}"): Case(
        PUBLIC,
        path="/termin/buchen/{service}",
        form={"standort": "{location}"},
        csrf="booking",
        ok=UNPROCESSABLE,
    ),
    ("POST", "/warteliste"): Case(
        PUBLIC,
        form={"leistung": "{service}", "standort": "{location}"},
        csrf="booking",
        ok=UNPROCESSABLE,
    ),
    ("GET", "/warteliste/{entry_id}"): Case(
        LINK, path="/warteliste/{entry}", params={"token": WRONG_TOKEN}
    ),
    ("POST", "/warteliste/{entry_id}/verlassen"): Case(
        LINK, path="/warteliste/{entry}/verlassen", form={"token": WRONG_TOKEN}, csrf="booking"
    ),
    ("GET", "/termin/{code}"): Case(LINK, path="/termin/{code}", params={"token": WRONG_TOKEN}),
    ("GET", "/termin/{code}/bestaetigung"): Case(
        LINK, path="/termin/{code}/bestaetigung", params={"token": WRONG_TOKEN}
    ),
    ("GET", "/termin/{code}/absagen"): Case(
        LINK, path="/termin/{code}/absagen", params={"token": WRONG_TOKEN}
    ),
    ("POST", "/termin/{code}/absagen"): Case(
        LINK, path="/termin/{code}/absagen", form={"token": WRONG_TOKEN}, csrf="booking"
    ),
    ("POST", "/termin/{code}/annehmen"): Case(
        LINK, path="/termin/{code}/annehmen", form={"token": WRONG_TOKEN}, csrf="booking"
    ),
    ("POST", "/termin/{code}/ablehnen"): Case(
        LINK, path="/termin/{code}/ablehnen", form={"token": WRONG_TOKEN}, csrf="booking"
    ),
    ("GET", "/termin/{code}/verschieben"): Case(
        LINK, path="/termin/{code}/verschieben", params={"token": WRONG_TOKEN}
    ),
    ("POST", "/termin/{code}/verschieben"): Case(
        LINK,
        path="/termin/{code}/verschieben",
        form={"token": WRONG_TOKEN, "tag": "{free_day}", "zeit": "{free_time}"},
        csrf="booking",
    ),
    ("GET", "/api/v1/locations"): Case(PUBLIC),
    ("GET", "/api/v1/slots"): Case(
        PUBLIC,
        params={"service": "{service}", "location": "{location}", "from": "{day}", "to": "{day}"},
    ),
    ("POST", "/api/v1/appointments"): Case(PUBLIC, json={}, ok=UNPROCESSABLE),
    ("GET", "/api/v1/appointments/{code}"): Case(
        LINK, path="/api/v1/appointments/{code}", params={"token": WRONG_TOKEN}
    ),
    ("DELETE", "/api/v1/appointments/{code}"): Case(
        LINK, path="/api/v1/appointments/{code}", params={"token": WRONG_TOKEN}
    ),
    ("POST", "/api/v1/appointments/{code}/reschedule"): Case(
        LINK,
        path="/api/v1/appointments/{code}/reschedule",
        params={"token": WRONG_TOKEN},
        json={"start": "{start}"},
    ),
    ("POST", "/api/v1/appointments/{code}/accept"): Case(
        LINK, path="/api/v1/appointments/{code}/accept", params={"token": WRONG_TOKEN}
    ),
    ("POST", "/api/v1/waitlist"): Case(PUBLIC, json={}, ok=UNPROCESSABLE),
    ("GET", "/api/v1/waitlist/{entry_id}"): Case(
        LINK, path="/api/v1/waitlist/{entry}", params={"token": WRONG_TOKEN}
    ),
    ("DELETE", "/api/v1/waitlist/{entry_id}"): Case(
        LINK, path="/api/v1/waitlist/{entry}", params={"token": WRONG_TOKEN}
    ),
    # -- forwarding: the service calendar (public) ------------------------------------------
    ("GET", "/api/v1/service-calendar/due"): Case(PUBLIC, params={"from": "{now}"}),
    ("GET", "/api/v1/service-calendar"): Case(PUBLIC, params={"from": "{day}", "to": "{day}"}),
    # -- forwarding: concerns API (people who work on concerns; a clerk their offices') ------
    ("POST", "/api/v1/concerns"): Case(
        api(*CONCERN_WORK),
        json={"question": "", "channel": "115", "citizen": {"name": ""}},
        ok=UNPROCESSABLE,
    ),
    ("GET", "/api/v1/concerns"): Case(
        api(*CONCERN_WORK), params={"authority": "{office}"}, shows="{tracking_shown}"
    ),
    # The supervisors' list: as its page /admin/anliegen (docs/forwarding.md: "the
    # supervisors' list"; the API keeps "the same role and tenant rules as the pages").
    ("GET", "/api/v1/concerns/overview"): Case(api(*LEADS)),
    ("GET", "/api/v1/concerns/access-log"): Case(api(*LEADS)),
    ("GET", "/api/v1/concerns/track/{code}"): Case(
        PUBLIC, path="/api/v1/concerns/track/{tracking}"
    ),
    ("GET", "/api/v1/concerns/{concern_id}"): Case(
        api(*CONCERN_WORK, office=True), path="/api/v1/concerns/{concern}"
    ),
    # Steps with nothing to do (an empty text, no office): refused after the guard.
    ("POST", "/api/v1/concerns/{concern_id}/take"): Case(
        api(*CONCERN_WORK, office=True), path="/api/v1/concerns/{concern}/take", ok=(200, 409)
    ),
    ("POST", "/api/v1/concerns/{concern_id}/answer"): Case(
        api(*CONCERN_WORK, office=True),
        path="/api/v1/concerns/{concern}/answer",
        json={"text": "", "via": "email"},
        ok=UNPROCESSABLE,
    ),
    ("POST", "/api/v1/concerns/{concern_id}/return"): Case(
        api(*CONCERN_WORK, office=True),
        path="/api/v1/concerns/{concern}/return",
        json={"reason": ""},
        ok=UNPROCESSABLE,
    ),
    # Forwarding is the service center's move (a clerk returns a concern instead): a role
    # rule, so a clerk who reads the concern is refused 403, not told it is not there.
    ("POST", "/api/v1/concerns/{concern_id}/forward"): Case(
        api(*CENTER, office=True),
        path="/api/v1/concerns/{concern}/forward",
        json={"authority": ""},
        ok=UNPROCESSABLE,
    ),
    ("POST", "/api/v1/concerns/{concern_id}/note"): Case(
        api(*CONCERN_WORK, office=True),
        path="/api/v1/concerns/{concern}/note",
        json={"text": ""},
        ok=UNPROCESSABLE,
    ),
    ("POST", "/api/v1/concerns/{concern_id}/ask"): Case(
        api(*CONCERN_WORK, office=True),
        path="/api/v1/concerns/{concern}/ask",
        json={"text": ""},
        ok=UNPROCESSABLE,
    ),
    ("POST", "/api/v1/concerns/{concern_id}/resume"): Case(
        api(*CONCERN_WORK, office=True),
        path="/api/v1/concerns/{concern}/resume",
        json={"text": ""},
        ok=(409,),  # the concern does not wait for the citizen
    ),
    # -- audit: the log for supervisors and administrators (audit/web.py) -------------------
    ("GET", "/admin/protokoll"): Case(page(*PRIVACY)),
    ("GET", "/admin/protokoll.csv"): Case(page(*PRIVACY)),
    ("POST", "/admin/protokoll/pruefen"): Case(page(*PRIVACY), form={}, csrf="staff"),
    ("GET", "/api/v1/audit"): Case(api(*PRIVACY)),
    ("GET", "/api/v1/audit/export"): Case(api(*PRIVACY)),
    ("POST", "/api/v1/audit/verify"): Case(api(*PRIVACY)),
    # -- privacy: the citizen's rights, for supervisors and administrators (privacy/web) -----
    # Finding and exporting a person's data (the seeded visitor's address); erasing is asked
    # without an address, so it is refused after the guard and nothing is erased.
    ("GET", "/admin/datenschutz"): Case(page(*PRIVACY)),
    ("POST", "/admin/datenschutz"): Case(
        page(*PRIVACY), form={"email": "{email}"}, csrf="staff", shows=APPOINTMENT_PERSON
    ),
    ("POST", "/admin/datenschutz/auskunft"): Case(
        page(*PRIVACY), form={"email": "{email}"}, csrf="staff", shows=APPOINTMENT_PERSON
    ),
    ("POST", "/admin/datenschutz/loeschen"): Case(
        page(*PRIVACY), form={"email": ""}, csrf="staff", ok=UNPROCESSABLE
    ),
    ("POST", "/api/v1/privacy/search"): Case(
        api(*PRIVACY), json={"email": "{email}"}, shows=APPOINTMENT_PERSON
    ),
    ("POST", "/api/v1/privacy/export"): Case(
        api(*PRIVACY), json={"email": "{email}"}, shows=APPOINTMENT_PERSON
    ),
    ("POST", "/api/v1/privacy/erase"): Case(
        api(*PRIVACY), json={"email": "", "confirm": False}, ok=UNPROCESSABLE
    ),
    # -- staffing: Erlang C/A for supervisors (staffing/web) ---------------------------------
    ("GET", "/api/v1/staffing/erlang"): Case(
        api(*LEADS), params={"calls_per_hour": "200", "aht_s": "180"}
    ),
    # -- telephony: the telephone system's live events (telephony/web) ----------------------
    # An empty batch: refused after the guard, nothing recorded.
    ("POST", "/api/v1/telephony/events"): Case(
        api(*LEADS, machine=True), json={"events": []}, ok=UNPROCESSABLE
    ),
    # -- statistics: the figures for supervisors (statistics/web) ---------------------------
    ("GET", "/api/v1/statistics/calls"): Case(
        api(*LEADS), params={"from": "2026-01-01", "to": "2026-01-31"}
    ),
    ("GET", "/api/v1/statistics/calls/abandoned"): Case(api(*LEADS), params={"day": "2026-01-05"}),
    ("GET", "/statistik"): Case(page(*LEADS), params={"monat": "2026-01"}),
    ("GET", "/statistik/live"): Case(page(*LEADS)),
    ("GET", "/statistik/personal"): Case(page(*LEADS), params={"woche": "2026-01-05"}),
    ("GET", "/api/v1/staffing/week"): Case(api(*LEADS), params={"start": "2026-01-05"}),
    ("GET", "/api/v1/statistics/live"): Case(api(*LEADS)),
    ("GET", "/metrics"): Case(api(*LEADS, machine=True)),
    # -- the desk's screen pop and the agents' links (desk/web, telephony/web) ---------------
    ("GET", "/desk/anruf"): Case(page(*DESK_STAFF), ok=(204,)),
    ("GET", "/api/v1/desk/call"): Case(api(*DESK_STAFF)),
    ("GET", "/api/v1/telephony/agents"): Case(api(*LEADS)),
    ("PUT", "/api/v1/telephony/agents/{agent:path}"): Case(
        api(*LEADS),
        path="/api/v1/telephony/agents/Agent/9",
        json={"username": "nobody-here"},
        ok=UNPROCESSABLE,
    ),
    ("DELETE", "/api/v1/telephony/agents/{agent:path}"): Case(
        api(*LEADS), path="/api/v1/telephony/agents/Agent/9", ok=(404,)
    ),
    # -- the digital Rathaus (editorial/web): requests refused after the guard ------------
    ("GET", "/api/v1/services/{service_id}/draft"): Case(
        api(*EDITORIAL, participant=True), path="/api/v1/services/{service}/draft"
    ),
    ("PUT", "/api/v1/services/{service_id}/draft"): Case(
        api(*EDITORIAL, participant=True),
        path="/api/v1/services/{service}/draft",
        json={"version": 0},
        ok=UNPROCESSABLE,
    ),
    ("DELETE", "/api/v1/services/{service_id}/draft"): Case(
        api(*EDITORIAL), path="/api/v1/services/{service}/draft", ok=(404,)
    ),
    ("POST", "/api/v1/services"): Case(api(*EDITORIAL), json={}, ok=UNPROCESSABLE),
    ("POST", "/api/v1/services/{service_id}/draft/submit"): Case(
        api(*EDITORIAL), path="/api/v1/services/{service}/draft/submit", ok=(404,)
    ),
    ("POST", "/api/v1/services/{service_id}/draft/approve"): Case(
        api(*EDITORIAL), path="/api/v1/services/{service}/draft/approve", ok=(404,)
    ),
    ("POST", "/api/v1/services/{service_id}/draft/return"): Case(
        api(*EDITORIAL), path="/api/v1/services/{service}/draft/return", ok=(404,)
    ),
    ("POST", "/api/v1/services/{service_id}/unpublish"): Case(
        api(*EDITORIAL), path="/api/v1/services/gibt-es-nicht/unpublish", ok=(404,)
    ),
    ("POST", "/api/v1/services/{service_id}/republish"): Case(
        api(*EDITORIAL, participant=True), path="/api/v1/services/{service}/republish"
    ),
    ("POST", "/api/v1/services/{service_id}/history/{number}/restore"): Case(
        api(*EDITORIAL), path="/api/v1/services/{service}/history/999999/restore", ok=(404,)
    ),
    ("GET", "/api/v1/editorial/offices"): Case(api(*EDITORIAL)),
    ("GET", "/api/v1/authorities/{authority_id}/record"): Case(
        api(*EDITORIAL, participant=True), path="/api/v1/authorities/{office}/record"
    ),
    ("PUT", "/api/v1/authorities/{authority_id}/record"): Case(
        api(*EDITORIAL, participant=True),
        path="/api/v1/authorities/{office}/record",
        json={"version": 0},
        ok=UNPROCESSABLE,
    ),
    ("GET", "/redaktion/stellen"): Case(page(*EDITORIAL)),
    ("GET", "/redaktion/stellen/{authority_id}"): Case(
        page(*EDITORIAL, participant=True), path="/redaktion/stellen/{office}"
    ),
    ("POST", "/redaktion/stellen/{authority_id}"): Case(
        page(*EDITORIAL, participant=True),
        path="/redaktion/stellen/{office}",
        form={},
        csrf="staff",
        ok=UNPROCESSABLE,
    ),
    ("GET", "/api/v1/editorial/gaps"): Case(api(*EDITORIAL)),
    ("GET", "/api/v1/editorial/services"): Case(api(*EDITORIAL)),
    ("POST", "/api/v1/services/{service_id}/reviewed"): Case(
        api(*EDITORIAL, participant=True), path="/api/v1/services/{service}/reviewed"
    ),
    ("POST", "/api/v1/editorial/gaps/{gap_id}/take-up"): Case(
        api(*EDITORIAL),
        path="/api/v1/editorial/gaps/999999/take-up",
        json={"service": "{service}", "as": "keyword"},
        ok=(404,),
    ),
    # -- the link checker (links/web): the editorial roles; "check now" queues a job ------
    ("GET", "/api/v1/editorial/links"): Case(api(*EDITORIAL), params={"state": "dead"}),
    ("POST", "/api/v1/editorial/links/check"): Case(api(*EDITORIAL), ok=(202,)),
    ("GET", "/redaktion/links"): Case(page(*EDITORIAL)),
    ("POST", "/redaktion/links/pruefen"): Case(page(*EDITORIAL), form={}, csrf="staff", ok=(303,)),
    ("GET", "/redaktion"): Case(page(*EDITORIAL)),
    ("GET", "/redaktion/neu"): Case(page(*EDITORIAL)),
    ("POST", "/redaktion/neu"): Case(page(*EDITORIAL), form={}, csrf="staff", ok=UNPROCESSABLE),
    ("GET", "/redaktion/luecken"): Case(page(*EDITORIAL)),
    ("POST", "/redaktion/luecken/{gap_id}"): Case(
        page(*EDITORIAL),
        path="/redaktion/luecken/999999",
        form={"service": "{service}"},
        csrf="staff",
        ok=(404,),
    ),
    ("GET", "/redaktion/leistungen/{service_id}"): Case(
        page(*EDITORIAL, participant=True), path="/redaktion/leistungen/{service}"
    ),
    ("POST", "/redaktion/leistungen/{service_id}"): Case(
        page(*EDITORIAL, participant=True),
        path="/redaktion/leistungen/{service}",
        form={"name": ""},
        csrf="staff",
        ok=UNPROCESSABLE,
    ),
    ("POST", "/redaktion/leistungen/{service_id}/{action}"): Case(
        page(*EDITORIAL, participant=True),
        path="/redaktion/leistungen/{service}/submit",
        form={},
        csrf="staff",
        ok=(404,),
    ),
    ("GET", "/redaktion/leistungen/{service_id}/versionen"): Case(
        page(*EDITORIAL, participant=True), path="/redaktion/leistungen/{service}/versionen"
    ),
    ("POST", "/redaktion/leistungen/{service_id}/versionen/{number}"): Case(
        page(*EDITORIAL),
        path="/redaktion/leistungen/{service}/versionen/999999",
        form={},
        csrf="staff",
        ok=(404,),
    ),
    ("GET", "/statistik/tag"): Case(page(*LEADS), params={"datum": "2026-01-05"}),
    ("GET", "/statistik/export/{name}.{extension}"): Case(
        page(*LEADS), path="/statistik/export/anrufe.csv", params={"monat": "2026-01"}
    ),
    ("GET", "/api/v1/statistics/contacts"): Case(
        api(*LEADS), params={"from": "2026-01-01", "to": "2026-01-31"}
    ),
    ("GET", "/api/v1/statistics/partners"): Case(
        api(*LEADS), params={"from": "2026-01-01", "to": "2026-01-31"}
    ),
    ("GET", "/api/v1/statistics/appointments"): Case(
        api(*LEADS), params={"from": "2026-01-01", "to": "2026-01-31"}
    ),
    ("GET", "/api/v1/statistics/services"): Case(
        api(*LEADS), params={"from": "2026-01-01", "to": "2026-01-31"}
    ),
    ("GET", "/api/v1/statistics/concerns"): Case(
        api(*LEADS), params={"from": "2026-01-01", "to": "2026-01-31"}
    ),
    # -- forwarding: the offices' inbox and the supervisors' list ---------------------------
    ("GET", "/dienststelle/anliegen"): Case(
        page(*CONCERN_WORK), params={"stelle": "{office}"}, shows="{tracking_shown}"
    ),
    ("GET", "/dienststelle/anliegen/{concern_id}"): Case(
        page(*CONCERN_WORK, office=True), path="/dienststelle/anliegen/{concern}"
    ),
    ("POST", "/dienststelle/anliegen/{concern_id}/{action}"): Case(
        page(*CONCERN_WORK, office=True),
        path="/dienststelle/anliegen/{concern}/note",
        form={"text": ""},
        csrf="staff",
        ok=UNPROCESSABLE,
    ),
    ("GET", "/admin/anliegen"): Case(page(*LEADS)),
    ("POST", "/admin/anliegen/weiterleiten"): Case(
        page(*LEADS), form={"concern": ""}, csrf="staff", ok=UNPROCESSABLE
    ),
    # -- forwarding: the citizen's pages (public; the office's answer link has a key) -------
    ("GET", "/kontakt/pruefung"): Case(PUBLIC),
    ("POST", "/kontakt"): Case(PUBLIC, form={}, ok=UNPROCESSABLE),
    ("GET", "/anliegen"): Case(PUBLIC),
    ("GET", "/anliegen/{code}"): Case(PUBLIC, path="/anliegen/{tracking}"),
    ("POST", "/anliegen/{code}/bewertung"): Case(
        PUBLIC, path="/anliegen/{tracking}/bewertung", form={"verdict": "ja"}, ok=(409,)
    ),
    ("GET", "/anliegen/antwort/{concern_id}"): Case(
        LINK, path="/anliegen/antwort/{concern}", params={"token": WRONG_TOKEN}
    ),
    ("POST", "/anliegen/antwort/{concern_id}"): Case(
        LINK, path="/anliegen/antwort/{concern}", form={"token": WRONG_TOKEN, "text": "x"}
    ),
    # -- forwarding: Open311 (reports in need a live api_key; reading is public) ------------
    ("GET", "/open311/v2/discovery.{fmt}"): Case(PUBLIC, path="/open311/v2/discovery.json"),
    ("GET", "/open311/v2/services.{fmt}"): Case(PUBLIC, path="/open311/v2/services.json"),
    ("GET", "/open311/v2/services/{code}.{fmt}"): Case(
        PUBLIC, path="/open311/v2/services/{report_service}.json"
    ),
    ("POST", "/open311/v2/requests.{fmt}"): Case(
        Rule("key"), path="/open311/v2/requests.json", form={}, token="api_key", ok=(400,)
    ),
    ("GET", "/open311/v2/requests.{fmt}"): Case(PUBLIC, path="/open311/v2/requests.json"),
    ("GET", "/open311/v2/requests/{request_id}.{fmt}"): Case(
        PUBLIC, path="/open311/v2/requests/{tracking}.json", ok=(404,)
    ),
    **{
        (method, "/open311/v2/{rest:path}"): Case(PUBLIC, path="/open311/v2/nichts/da", ok=(404,))
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    },
}

# Routes that are not APIRoutes and need no rule of their own: the static files and the
# OpenAPI document (the API's description, public by design).
NOT_IN_TABLE = {("MOUNT", "/static"), ("GET", "/openapi.json")}


def app_routes(app: FastAPI) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The app's APIRoutes as (method, path) pairs, and its other routes."""
    routes: set[tuple[str, str]] = set()
    others: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        path = str(context.path)
        if isinstance(context.original_route, APIRoute):
            routes |= {(method, path) for method in context.methods or ()}
        elif context.methods:
            others |= {(method, path) for method in context.methods if method != "HEAD"}
        else:
            others.add(("MOUNT", path))
    return routes, others


# -- the seeded world ------------------------------------------------------------------------


@dataclass
class World:
    """The app, one logged-in client per identity and the objects the table asks for."""

    app: FastAPI
    client: TestClient
    seed: dict[str, str]
    sessions: dict[str, tuple[str, str]]  # identity -> (session cookie, CSRF token)
    tokens: dict[str, str]  # identity -> personal API token ("machine": the integration's)
    url: str
    seconds: dict[str, float] = field(default_factory=dict)


def _free_starts(app: FastAPI, url: str, count: int) -> list[datetime]:
    with UnitOfWork(get_engine(url)) as uow:
        first = local_day(datetime.now(UTC)) + timedelta(days=3)
        slots = booking.find_slots(
            uow,
            app.state.policy,
            service_ids=[SERVICE],
            location_id=LOCATION,
            first=first,
            last=first + timedelta(days=20),
            now=datetime.now(UTC),
        )
    return [from_epoch_minutes(slot.start) for slot in slots[:count]]


def _seed(app: FastAPI, url: str) -> dict[str, str]:
    now = datetime.now(UTC)
    starts = _free_starts(app, url, 4)
    seed: dict[str, str] = {
        "service": SERVICE,
        "topic": TOPIC,
        "office": OFFICE,
        "location": LOCATION,
        "report_service": REPORT_SERVICE,
        "day": starts[0].astimezone(BERLIN).date().isoformat(),
        "start": starts[3].isoformat(),
        "free_day": starts[3].astimezone(BERLIN).date().isoformat(),
        "free_time": starts[3].astimezone(BERLIN).strftime("%H:%M"),
        "now": now.isoformat(),
        "email": APPOINTMENT_EMAIL,
    }
    with UnitOfWork(get_engine(url)) as uow:
        for key, start in zip(("code", "code_cancel", "code_move"), starts, strict=False):
            done = booking.book(
                uow,
                app.state.policy,
                service_ids=[SERVICE],
                location_id=LOCATION,
                start=start,
                person=booking.Person(APPOINTMENT_PERSON, APPOINTMENT_EMAIL, "0561 1"),
                now=now,
                channel="phone",
            )
            seed[key] = done.appointment.code
        # A waitlist entry as the portal's waitlist keeps it (joining needs a full calendar).
        entry = appointment_tables.WaitlistEntry(
            service_id=SERVICE,
            location_id=LOCATION,
            name=APPOINTMENT_PERSON,
            email=APPOINTMENT_EMAIL,
            status="waiting",
            created_at=now,
        )
        uow.session.add(entry)
        uow.session.flush()
        seed["entry"] = str(entry.id)
        search: SearchEngine = app.state.components[SearchEngine]
        concern = concerns.create(
            uow,
            search.snapshot().jurisdiction,
            concerns.Policy.from_settings(app.state.settings),
            concerns.NewConcern(
                question="Wann ist mein Ausweis fertig?",
                channel="115",
                citizen=Citizen(name=CONCERN_PERSON, phone="0561 987654", preferred="phone"),
                consent=True,
                service_id=SERVICE,
                authority_id=OFFICE,
            ),
            login=None,
            now=now,
        )
        uow.commit()
        seed["concern"] = str(concern.id)
        seed["tracking"] = concern.tracking_code
        seed["tracking_shown"] = tracking.shown(concern.tracking_code)
    return seed


def username(who: Identity) -> str:
    return f"rt-{who.name.replace('_', '-')}"


def _log_in(app: FastAPI, name: str, address: str) -> tuple[str, str]:
    """A new session of this account: its cookie and its pages' CSRF token."""
    with TestClient(app, raise_server_exceptions=False, client=(address, 50000)) as client:
        answer = login(client, name)
        assert answer.status_code == 303, name
        cookie = client.cookies["auskunft_session"]
        # The page the login leads to (the desk; the data-protection officer's log).
        return cookie, form_token(client.get(answer.headers["location"]).text)


@pytest.fixture(scope="module")
def world(module_url: str) -> Iterator[World]:
    started = time.perf_counter()
    now = datetime.now(UTC)
    tokens: dict[str, str] = {}
    with UnitOfWork(get_engine(module_url)) as uow:
        for who in IDENTITIES:
            if who.role is None:
                continue
            create_user(
                uow,
                username(who),
                who.role.value,
                PASSWORD,
                now,
                authorities=who.authorities,
                participants=who.participants,
                offices=catalog,
            )
        uow.session.flush()
        for who in IDENTITIES:
            if who.role is not None:
                name = username(who)
                tokens[who.name] = create_api_token(uow, f"{name}-t", now, username=name)
        tokens[MACHINE.name] = create_api_token(uow, "rt-telefonanlage", now)
        uow.commit()
    app = create_app(Settings(database_url=module_url, worker="off", rate_limits="off"))
    with TestClient(app, raise_server_exceptions=False, client=("10.13.0.1", 50000)) as client:
        seed = _seed(app, module_url)
        sessions = {
            who.name: _log_in(app, username(who), f"10.13.1.{n}")
            for n, who in enumerate(IDENTITIES, start=1)
            if who.role is not None
        }
        world = World(app, client, seed, sessions, tokens, module_url)
        world.seconds["setup"] = time.perf_counter() - started
        yield world
    size = sum(len(callers(m, p, c)) for (m, p), c in ROUTES.items())
    report = ", ".join(f"{k} {v:.1f} s" for k, v in world.seconds.items())
    print(f"\nroute × caller matrix ({module_url.split(':')[0]}): {len(ROUTES)} routes, ", end="")
    print(f"{size} requests; {report}")


# -- asking ----------------------------------------------------------------------------------

BOOKING_CSRF = "auskunft_booking_csrf"
LOGIN_CSRF = "auskunft_login_csrf"
FORM_TOKEN = "rollen-test-formular-0123456789"


def callers(method: str, path: str, case: Case) -> list[Caller]:
    """Everybody by session (or nothing); on the JSON API, Open311 and the staff pages also
    by personal token and the machine token; a change through the JSON API also by a
    session that does not send the page's X-CSRF-Token."""
    found = [Caller(who, "none" if who.role is None else "session") for who in IDENTITIES]
    api_path = path.startswith(("/api/", "/open311/"))
    if api_path or case.rule.kind == "page":
        found += [Caller(who, "token") for who in IDENTITIES if who.role is not None]
        found.append(Caller(MACHINE, "token"))
    if api_path and method != "GET":
        found.append(Caller(ADMIN, "bare"))
    return found


def _filled(value: Any, seed: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format_map(seed)
    if isinstance(value, dict):
        return {k: _filled(v, seed) for k, v in value.items()}
    return value


def ask(world: World, method: str, template: str, case: Case, caller: Caller) -> Any:
    """Send the case's request as this caller."""
    seed = world.seed
    cookies: dict[str, str] = {}
    headers: dict[str, str] = {"Accept": "text/html,application/json"}
    form = _filled(case.form, seed) if case.form is not None else None
    session: tuple[str, str] | None = None
    if caller.via in ("session", "bare"):
        session = world.sessions[caller.identity.name]
        if case.fresh_session:
            session = _log_in(world.app, username(caller.identity), "10.13.2.1")
        cookies["auskunft_session"] = session[0]
        if caller.via == "session":
            headers["X-CSRF-Token"] = session[1]
    if caller.via == "token":
        token = world.tokens[caller.identity.name]
        if case.token == "api_key":
            form = {**(form or {}), "api_key": token}
        else:
            headers["Authorization"] = f"Bearer {token}"
    if form is not None:
        if case.csrf == "staff":
            form["csrf"] = session[1] if session else ""
        elif case.csrf in ("booking", "login"):
            cookies[BOOKING_CSRF if case.csrf == "booking" else LOGIN_CSRF] = FORM_TOKEN
            form["csrf"] = FORM_TOKEN
    if cookies:
        # An explicit header, so the client's own cookie jar never mixes in.
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return world.client.request(
        method,
        _filled(case.path or template, seed),
        params=_filled(case.params, seed),
        data=form,
        json=_filled(case.json, seed),
        headers=headers,
        follow_redirects=False,
    )


def outcome(response: Any) -> int | str:
    """The status, or LOGIN for a redirect to the login form."""
    location = response.headers.get("location", "")
    if response.status_code == 303 and location.startswith("/anmelden?next="):
        return LOGIN
    return int(response.status_code)


# Those who see neither Herborn's visitors nor its concerns, on any route.
OUTSIDERS = ("anonymous", "machine", "clerk_other", "editor", "partner_editor")


# -- the tests -------------------------------------------------------------------------------


def test_every_route_of_the_app_has_a_declared_rule(tmp_path: Any) -> None:
    app = create_app(Settings(data_dir=tmp_path, worker="off"))
    routes, others = app_routes(app)
    assert len(routes) > 90
    missing = sorted(routes - set(ROUTES))
    assert missing == [], f"routes without a rule in ROUTES (test_route_roles.py): {missing}"
    stale = sorted(set(ROUTES) - routes)
    assert stale == [], f"rules for routes the app does not have: {stale}"
    assert others == NOT_IN_TABLE


@pytest.mark.parametrize(("method", "template"), list(ROUTES))
def test_each_caller_gets_what_the_route_declares(world: World, method: str, template: str) -> None:
    case = ROUTES[(method, template)]
    started = time.perf_counter()
    wrong = []
    for caller in callers(method, template, case):
        expected = case.rule.expect(caller, form=case.csrf == "staff")
        response = ask(world, method, template, case, caller)
        got = outcome(response)
        allowed = expected == OK
        if (allowed and got not in case.ok) or (not allowed and got != expected):
            want = "/".join(map(str, case.ok)) if allowed else expected
            wrong.append(f"{caller.label}: got {got}, expected {want}")
        if case.shows is not None:
            sees = allowed and caller.identity.name not in OUTSIDERS
            if (_filled(case.shows, world.seed) in response.text) is not sees:
                wrong.append(f"{caller.label}: {'does not see' if sees else 'sees'} {case.shows}")
        if not allowed or caller.identity.name in OUTSIDERS:
            for person in (APPOINTMENT_PERSON, CONCERN_PERSON):
                if person in response.text:
                    wrong.append(f"{caller.label}: the answer names {person}")
    world.seconds["matrix"] = world.seconds.get("matrix", 0.0) + time.perf_counter() - started
    assert wrong == [], f"{method} {template}: " + "; ".join(wrong)


def test_an_editor_leaves_a_citizens_appointment_as_it_was(world: World) -> None:
    """The desk's cancel and move are the service center's: an editor's posts change nothing
    (the matrix runs them with a valid form token)."""
    with UnitOfWork(get_engine(world.url)) as uow:
        moved = agenda.lookup(uow, code=world.seed["code_move"])
        before = (moved.status, moved.start_minute)
    for who in ("editor", "partner_editor", "clerk"):
        cookie, csrf = world.sessions[who]
        for path, form in (
            ("/desk/termin/absagen", {"code": world.seed["code_move"]}),
            (
                "/desk/termin/verschieben",
                {"code": world.seed["code_move"], "start": world.seed["start"]},
            ),
        ):
            r = world.client.post(
                path,
                data={**form, "csrf": csrf},
                headers={"Cookie": f"auskunft_session={cookie}"},
                follow_redirects=False,
            )
            assert r.status_code == 403, (who, path)
    with UnitOfWork(get_engine(world.url)) as uow:
        moved = agenda.lookup(uow, code=world.seed["code_move"])
        assert (moved.status, moved.start_minute) == before
    # The same form from an agent moves it: the 403s were the role's, not the form's.
    cookie, csrf = world.sessions["agent"]
    r = world.client.post(
        "/desk/termin/verschieben",
        data={"code": world.seed["code_move"], "start": world.seed["start"], "csrf": csrf},
        headers={"Cookie": f"auskunft_session={cookie}"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with UnitOfWork(get_engine(world.url)) as uow:
        moved = agenda.lookup(uow, code=world.seed["code_move"])
        assert moved.status == "booked" and moved.start_minute != before[1]


def test_the_matrix_asks_every_role() -> None:
    """Every identity of the issue is asked, and a new role fails until it is added here."""
    assert {who.role for who in IDENTITIES} == {None, *Role}
    assert [who.name for who in IDENTITIES] == [
        "anonymous",
        "agent",
        "clerk",
        "clerk_other",
        "editor",
        "partner_editor",
        "supervisor",
        "admin",
        "dpo",
    ]
