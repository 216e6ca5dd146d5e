"""The supervisors' statistics pages: `/statistik` (a month or a year at a glance against
its targets, each table with a chart beside it and as CSV and Excel), `/statistik/tag` (a
day's half hours and the calls not answered), `/statistik/live` (the wallboard)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from auskunft.core.config import Settings
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput, NotFound
from auskunft.core.hours import BERLIN
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import SettingsDep, Uow, require
from auskunft.core.web.render import english, language_of, render
from auskunft.staffing.service import plan
from auskunft.statistics.service.exports import to_csv, to_xlsx
from auskunft.statistics.service.tables import (
    PageTable,
    day_tables,
    month_of,
    period_tables,
    plan_table,
    year_of,
)
from auskunft.statistics.web import charts
from auskunft.statistics.web.api import definition_of
from auskunft.telephony.service import live

router = APIRouter(include_in_schema=False)

LEADS = (Role.SUPERVISOR, Role.ADMIN)
Lead = Annotated[
    Login,
    Depends(
        require(
            *LEADS,
            refusal=(
                "Die Statistik ist der Leitung vorbehalten.",
                "The statistics are for supervisors.",
            ),
        )
    ),
]
FCR_TARGET = 0.65  # the 115 network: 65 % answered at the first contact
REFRESH_SECONDS = 5  # the wallboard
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def shown(value: Any, kind: str, language: str) -> str:
    """A value as the page shows it, in the page's language ("75,3 %", "1.234")."""
    if value is None:
        return "–"
    locale = "de" if language == "de" else "en_GB"
    if kind == "pct":
        pattern = "#,##0.0\u00a0%" if language == "de" else "#,##0.0%"
        return format_percent(value, pattern, locale=locale)
    if kind == "int":
        return format_decimal(value, "#,##0", locale=locale)
    if kind == "sec":
        return format_decimal(value, "#,##0.0", locale=locale)
    if kind == "eur":
        return format_decimal(value, "#,##0.00", locale=locale) + "\u00a0€"
    return str(value)


def _today() -> date:
    return datetime.now(UTC).astimezone(BERLIN).date()


def _key_figures(
    found: dict[str, Any], settings: Settings, en: bool
) -> list[tuple[str, Any, str, Any, bool | None]]:
    """(label, value, kind, target, met) of the month."""
    calls, contacts = found["calls"]["total"], found["contacts"]["total"]
    bookings, concerns = found["bookings"]["total"], found["concerns"]["total"]
    target = settings.service_level_target

    def met(value: float | None, goal: float) -> bool | None:
        return None if value is None else value >= goal

    def label(de: str, english: str) -> str:
        return english if en else de

    return [
        (label("Angebotene Anrufe", "Calls offered"), calls["offered"], "int", None, None),
        (label("Angenommene Anrufe", "Calls answered"), calls["answered"], "int", None, None),
        (
            label(
                f"Servicelevel ({settings.service_level_seconds} s)",
                f"Service level ({settings.service_level_seconds} s)",
            ),
            calls["service_level"],
            "pct",
            target,
            met(calls["service_level"], target),
        ),
        (label("Abbruchquote", "Abandonment rate"), calls["abandonment_rate"], "pct", None, None),
        (label("Mittlere Wartezeit (s)", "Average speed of answer (s)"), calls["asa_s"], "sec",
         None, None),
        (label("Mittlere Gesprächszeit (s)", "Average handling time (s)"), calls["aht_s"], "sec",
         None, None),
        (label("Anteil 115", "115 share"), calls["share_115"], "pct", None, None),
        (
            label("Erstlösungsquote, gemessen", "First-contact resolution, measured"),
            contacts["fcr"],
            "pct",
            FCR_TARGET,
            met(contacts["fcr"], FCR_TARGET),
        ),
        (
            label("Erstlösungsquote, selbst erfasst", "First-contact resolution, self-reported"),
            contacts["fcr_self_reported"],
            "pct",
            None,
            None,
        ),
        (label("Termine telefonisch gebucht", "Appointments booked by phone"), bookings["phone"],
         "int", None, None),
        (label("Termine online gebucht", "Appointments booked online"), bookings["online"], "int",
         None, None),
        (
            label("Anliegen: Rückmeldung in Frist", "Concerns: feedback in time"),
            concerns["in_time_rate"],
            "pct",
            1.0,
            met(concerns["in_time_rate"], 1.0),
        ),
    ]  # fmt: skip


def _charts(found: dict[str, Any], settings: Settings, en: bool, group: str) -> dict[str, str]:
    calls = found["calls"]["rows"]
    contacts = found["contacts"]["rows"]
    cut = 8 if group == "day" else 5  # "2019-01-07" -> "07", "2019-01" -> "01"
    target = ("Ziel" if not en else "Target", settings.service_level_target)
    return {
        "anrufe": charts.bars(
            [row["period"][cut:] for row in calls],
            [("Servicelevel" if not en else "Service level", [r["service_level"] for r in calls])],
            target=target,
            percent=True,
        ),
        "kontakte": charts.bars(
            [row["period"][cut:] for row in contacts],
            [
                ("gemessen" if not en else "measured", [r["fcr"] for r in contacts]),
                ("selbst erfasst" if not en else "self-reported",
                 [r["fcr_self_reported"] for r in contacts]),
            ],
            target=("Ziel" if not en else "Target", FCR_TARGET),
            percent=True,
        ),
    }  # fmt: skip


def _view(
    uow: UnitOfWork, settings: Settings, monat: str | None, jahr: str | None, en: bool
) -> tuple[dict[str, Any], date, date, str]:
    """The figures of a month (rows per day) or, with `jahr`, of a year (rows per month)."""
    if jahr:
        first, last = year_of(jahr)
        group, name = "month", str(first.year)
    else:
        first, last = month_of(monat, _today())
        group, name = "day", first.strftime("%Y-%m")
    found = period_tables(
        uow, first, last, definition_of(settings), english=en, group=group, name=name,
        partner_rate=settings.partner_rate_eur,
    )  # fmt: skip
    uow.commit()  # the months summed for the first time are kept
    return found, first, last, group


@router.get("/statistik", response_class=HTMLResponse)
def month_page(
    request: Request,
    login: Lead,
    uow: Uow,
    settings: SettingsDep,
    monat: Annotated[str | None, Query(max_length=20)] = None,
    jahr: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    en = english(request)
    language = language_of(request)
    found, first, last, group = _view(uow, settings, monat, jahr, en)
    if group == "month":
        title = str(first.year)
        query = f"jahr={first.year}"
        previous, following = f"jahr={first.year - 1}", f"jahr={first.year + 1}"
    else:
        title = _month_name(first, language)
        query = f"monat={first:%Y-%m}"
        previous = f"monat={first - timedelta(days=1):%Y-%m}"
        following = f"monat={last + timedelta(days=1):%Y-%m}"
    return render(
        request,
        "statistics.html",
        login=login,
        csrf=login.csrf_token,
        year_view=group == "month",
        title=title,
        query=query,
        month=first.strftime("%Y-%m"),
        year=first.year,
        previous=previous,
        following=following,
        figures=_key_figures(found, settings, en),
        tables=found["tables"],
        charts=_charts(found, settings, en, group),
        shown=lambda value, kind: shown(value, kind, language),
    )


def _month_name(first: date, language: str) -> str:
    return format_date(first, "LLLL y", locale="de" if language == "de" else "en_GB")


@router.get("/statistik/tag", response_class=HTMLResponse)
def day_page(
    request: Request,
    login: Lead,
    uow: Uow,
    settings: SettingsDep,
    datum: Annotated[date, Query()],
) -> HTMLResponse:
    en = english(request)
    found = day_tables(uow, datum, definition_of(settings), english=en)
    rows = found["calls"]["rows"]
    chart = charts.bars(
        [row["period"][11:16] for row in rows],
        [
            ("Angeboten" if not en else "Offered", [r["offered"] for r in rows]),
            ("Angenommen" if not en else "Answered", [r["answered"] for r in rows]),
        ],
    )
    return render(
        request,
        "statistics_day.html",
        login=login,
        csrf=login.csrf_token,
        day=datum,
        month=datum.strftime("%Y-%m"),
        previous=(datum - timedelta(days=1)).isoformat(),
        following=(datum + timedelta(days=1)).isoformat(),
        total=found["calls"]["total"],
        tables=found["tables"],
        chart=chart,
        shown=lambda value, kind: shown(value, kind, language_of(request)),
    )


@router.get("/statistik/export/{name}.{extension}")
def export(
    request: Request,
    login: Lead,
    uow: Uow,
    settings: SettingsDep,
    name: str,
    extension: str,
    monat: Annotated[str | None, Query(max_length=20)] = None,
    jahr: Annotated[str | None, Query(max_length=10)] = None,
    datum: Annotated[date | None, Query()] = None,
    woche: Annotated[date | None, Query()] = None,
) -> Response:
    """One table of a page as CSV or Excel."""
    if extension not in ("csv", "xlsx"):
        raise InvalidInput("Export als .csv oder .xlsx.", message_en="Export as .csv or .xlsx.")
    en = english(request)
    definition = definition_of(settings)
    if woche is not None or name == "personal":
        tables: dict[str, PageTable] = {
            "personal": plan_table(_plan(uow, settings, woche, check=False), english=en)
        }
    elif datum is not None:
        tables = day_tables(uow, datum, definition, english=en)["tables"]
    else:
        tables = _view(uow, settings, monat, jahr, en)[0]["tables"]
    found = tables.get(name)
    if found is None:
        raise NotFound(
            f"Keine Tabelle „{name[:40]}“; möglich: {', '.join(tables)}.",
            message_en=f"No table '{name[:40]}'; possible: {', '.join(tables)}.",
        )
    table = found.table
    if found.total is not None:
        table = type(table)(
            table.name, table.title, table.columns,
            [*table.rows, {**found.total, "period": "Summe" if not en else "Total",
                           "name": "Summe" if not en else "Total"}],
            table.notes,
        )  # fmt: skip
    body, media = (
        (to_csv(table), "text/csv; charset=utf-8") if extension == "csv" else (to_xlsx(table), XLSX)
    )
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{table.name}.{extension}"'},
    )


@router.get("/statistik/live", response_class=HTMLResponse)
def live_page(
    request: Request,
    login: Lead,
    uow: Uow,
    settings: SettingsDep,
    teil: Annotated[bool, Query()] = False,
    angehalten: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """The wallboard; its figures reload every 5 seconds (htmx swaps them in; without
    script the page is read as it is), and the updating can be paused (WCAG 2.2.2)."""
    board = live.board(uow, datetime.now(UTC), definition_of(settings))
    today = board["today"]
    level = today["service_level"]
    return render(
        request,
        "_statistics_board.html" if teil else "statistics_live.html",
        login=login,
        csrf=login.csrf_token,
        paused=angehalten,
        board=board,
        today=today,
        target=settings.service_level_target,
        missed=level is not None and level < settings.service_level_target,
        refresh=REFRESH_SECONDS,
        shown=lambda value, kind: shown(value, kind, language_of(request)),
    )


def _plan(
    uow: UnitOfWork, settings: Settings, monday: date | None, *, check: bool
) -> dict[str, Any]:
    return plan.week_plan(
        uow,
        monday or plan.default_monday(uow, _today()),
        definition_of(settings),
        target=settings.service_level_target,
        shrinkage=settings.staffing_shrinkage,
        check=check,
    )


@router.get("/statistik/personal", response_class=HTMLResponse)
def staffing_page(
    request: Request,
    login: Lead,
    uow: Uow,
    settings: SettingsDep,
    woche: Annotated[date | None, Query()] = None,
    pruefen: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """The coming week: calls forecast per half hour and the agents needed, as a table and
    a chart; with `pruefen`, checked by simulation."""
    en = english(request)
    found = _plan(uow, settings, woche, check=pruefen)
    table = plan_table(found, english=en)
    rows = found["intervals"]
    chart = charts.bars(
        [row["start"] for row in table.table.rows],
        [
            ("Anrufe (Prognose)" if not en else "Calls (forecast)", [r["calls"] for r in rows]),
            ("Einzuplanen" if not en else "To schedule", [r["agents_scheduled"] for r in rows]),
        ],
        width=1100,
        height=320,
    )
    monday = date.fromisoformat(found["week"])
    return render(
        request,
        "statistics_staffing.html",
        login=login,
        csrf=login.csrf_token,
        plan=found,
        monday=monday,
        previous=(monday - timedelta(weeks=1)).isoformat(),
        following=(monday + timedelta(weeks=1)).isoformat(),
        table=table,
        chart=chart,
        shown=lambda value, kind: shown(value, kind, language_of(request)),
    )
