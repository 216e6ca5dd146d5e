"""Commands of statistics: auskunft demo traffic."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from auskunft.catalog.service import reads as catalog
from auskunft.core.cli import fail, progress, work
from auskunft.core.config import get_settings
from auskunft.core.errors import AuskunftError
from auskunft.statistics.service import demo
from auskunft.telephony.service import figures


@click.group("demo")
def demo_group() -> None:
    """Demo data beyond the catalog."""


@demo_group.command("traffic")
@click.option("--year", type=click.IntRange(2000, 2099), default=2019, show_default=True)
@click.option("--seed", type=int, default=115, show_default=True, help="Same seed, same year.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the queue_log (default: <data dir>/demo/queue_log-YEAR).",
)
@click.option(
    "--months",
    type=click.IntRange(1, 12),
    default=12,
    show_default=True,
    help="Only the year's first N months.",
)
@click.option("--no-import", is_flag=True, help="Only write the queue_log file.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing when calls are stored already (make run seeds the demo once).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def traffic(
    year: int,
    seed: int,
    out: Path | None,
    months: int,
    no_import: bool,
    if_empty: bool,
    as_json: bool,
) -> None:
    """A year of calls (Asterisk queue_log) and the contacts the agents logged, consistent
    with the service center's published figures; imported unless --no-import."""
    settings = get_settings()
    if if_empty:
        with work() as uow:
            if figures.last_day_with_calls(uow) is not None:
                click.echo("Anrufe sind schon gespeichert; keine Demo-Daten erzeugt.")
                return
    target = out or settings.data_dir / "demo" / f"queue_log-{year}"
    started = time.perf_counter()
    try:
        with work() as uow:
            services = catalog.services(uow)
            kinds = {s.id: s.kind for s in services}
        if not as_json:
            click.echo(f"Das Demo-Jahr {year} wird erzeugt (Anrufe und Kontakte) …")
        made = demo.make_year(year, kinds, seed=seed, months=months)
        lines = demo.write_queue_log(made, target)
        summary: dict[str, object] = {
            "year": year,
            "seed": seed,
            "queue_log": str(target),
            "lines": lines,
            **demo.summary(made),
        }
        if not no_import:
            with work() as uow, progress("queue_log") as step:
                report = demo.import_year(
                    uow, made, target, channels=settings.telephony_channels, progress=step
                )
                uow.commit()
            summary.update(report)
    except AuskunftError as error:
        fail(error)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    click.echo(
        f"{year}: {summary['answered']} Anrufe angenommen von {summary['offered']} "
        f"({summary['share_115']:.0%} über 115), {lines} Zeilen in {target}"
        + (f", {summary.get('contacts', 0)} Kontakte" if not no_import else "")
        + "."
    )
