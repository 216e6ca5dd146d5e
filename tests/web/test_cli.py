"""The command line, run as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_path


def cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUSKUNFT_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "auskunft.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_search_prints_a_readable_answer(catalog_url: str) -> None:
    out = cli(catalog_url, "search", "Kfz zulassen", "--municipality", "baunatal", "--limit", "3")
    assert out.returncode == 0, out.stderr
    assert "fahrzeug-zulassen" in out.stdout
    assert "Landkreis Kassel – Kfz-Zulassungsstelle" in out.stdout


def test_search_json_has_the_api_shape(catalog_url: str) -> None:
    out = cli(catalog_url, "search", "Reisepass", "--json", "--limit", "2")
    body = json.loads(out.stdout)
    assert set(body) == {"q", "known", "results", "took_ms"}
    assert len(body["results"]) == 2


def test_search_jsonl_answers_line_by_line_in_order(catalog_url: str) -> None:
    lines = [
        {"q": "Kfz zulassen", "municipality": "baunatal"},
        {"q": "Personalausweis"},
        {"q": ""},
        {"q": "Ausweis", "municipality": "atlantis"},
        {"q": "Sperrmüll", "municipality": "baunatal"},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\nthis is not json\n"
    out = cli(catalog_url, "search", "--jsonl", stdin=stdin)
    assert out.returncode == 0, out.stderr
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert [a["q"] for a in answers[:5]] == [x["q"] for x in lines]
    assert answers[0]["results"][0]["authority"]["id"] == "lk-kassel-zulassung"
    assert answers[1]["results"][0]["authority"]["id"] == "kassel-buergerbuero"
    assert answers[2]["results"] == [] and answers[2]["error"]
    assert answers[3]["results"] == [] and answers[3]["error"]
    assert answers[4]["results"][0]["authority"] is None
    assert answers[5]["results"] == [] and answers[5]["error"]
    assert all("took_ms" in a for a in answers)


def test_bad_cli_input_is_a_message_not_a_traceback(catalog_url: str) -> None:
    out = cli(catalog_url, "search", "x" * 5000)
    assert out.returncode == 2
    assert "Fehler" in out.stderr and "Traceback" not in out.stderr


def test_eval_search_meets_the_bars_on_the_development_set(catalog_url: str) -> None:
    path = shared_path("eval", "search_dev.jsonl")
    out = cli(catalog_url, "eval-search", str(path), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["n"] >= 70
    assert report["top1"] >= 0.90, report["misses"]
    assert report["top3"] >= 0.98, report["misses"]
    assert report["routing"] == 1.0
    assert set(report["latency_ms"]) >= {"p50", "p95", "p99"}


@pytest.mark.parametrize(
    "args", [["import", "/nonexistent.json", "--participant", "x"], ["eval-search", "/nope"]]
)
def test_missing_files_are_reported(catalog_url: str, args: list[str]) -> None:
    out = cli(catalog_url, *args)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr


def test_an_unreachable_database_is_named_without_a_traceback() -> None:
    out = cli("postgresql://postgres:geheim@127.0.0.1:9/nirgends", "search", "Perso")
    assert out.returncode == 1
    assert "Die Datenbank ist nicht erreichbar" in out.stderr
    assert "geheim" not in out.stderr and "Traceback" not in out.stderr


def test_an_unexpected_failure_is_logged_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from auskunft import cli as module
    from auskunft.core.config import Settings
    from auskunft.search import cli as search_commands

    def broken() -> None:
        raise RuntimeError("kaputt im Test")

    monkeypatch.setattr(search_commands, "_search_engine", broken)
    monkeypatch.setattr(module, "get_settings", lambda: Settings(data_dir=tmp_path))
    result = CliRunner().invoke(module.main, ["search", "Perso"])
    assert result.exit_code == 1
    assert "unerwarteter Fehler (RuntimeError)" in result.output
    assert "Traceback" not in result.output
    assert "kaputt im Test" in (tmp_path / "errors.log").read_text(encoding="utf-8")


def test_db_init_shows_the_demo_passwords_once(fresh_url: str) -> None:
    first = cli(fresh_url, "db", "init")
    assert first.returncode == 0, first.stderr
    accounts = re.findall(r"^\s+(demo-\w+)\s+(\w+)\s+(\S{16})$", first.stdout, re.M)
    assert [role for _, role, _ in accounts] == [
        "agent",
        "clerk",
        "editor",
        "supervisor",
        "admin",
        "dpo",
    ]
    again = cli(fresh_url, "db", "init")
    assert again.returncode == 0 and "demo-" not in again.stdout


def test_db_init_in_production_makes_no_demo_accounts(fresh_url: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "auskunft.cli", "db", "init"],
        capture_output=True,
        text=True,
        env={**os.environ, "AUSKUNFT_DATABASE_URL": fresh_url, "AUSKUNFT_ENV": "production"},
        timeout=120,
        check=False,
    )
    assert out.returncode == 0 and "demo-" not in out.stdout


def test_user_create_asks_twice_or_generates(fresh_url: str) -> None:
    typed = cli(
        fresh_url,
        "user",
        "create",
        "marie",
        "--role",
        "clerk",
        stdin="long enough secret\nlong enough secret\n",
    )
    assert typed.returncode == 0, typed.stderr
    assert "Benutzer marie (clerk) angelegt." in typed.stdout
    made = cli(fresh_url, "user", "create", "otto", "--role", "supervisor", "--generate")
    assert re.search(r"Passwort \(wird nur jetzt angezeigt\): \S{16}", made.stdout)
    listed = cli(fresh_url, "user", "list")
    assert re.search(r"^marie\s+clerk$", listed.stdout, re.M)
    twice = cli(fresh_url, "user", "create", "marie", "--role", "agent", "--generate")
    assert twice.returncode == 2 and "gibt es schon" in twice.stderr
    bad_role = cli(fresh_url, "user", "create", "paul", "--role", "king", "--generate")
    assert bad_role.returncode == 2 and "king" in bad_role.stderr
    bad_name = cli(fresh_url, "user", "create", "Paul Smith", "--role", "agent", "--generate")
    assert bad_name.returncode == 2 and "Benutzernamen" in bad_name.stderr


def test_short_passwords_are_refused_at_the_prompt(fresh_url: str) -> None:
    out = cli(
        fresh_url,
        "user",
        "create",
        "kurt",
        "--role",
        "agent",
        stdin="short\nshort\nlong enough secret\nlong enough secret\n",
    )
    assert out.returncode == 0
    assert "12 bis 1024 Zeichen" in out.stderr


def test_tokens_are_shown_once_and_can_be_revoked(fresh_url: str) -> None:
    made = cli(fresh_url, "token", "create", "telefonanlage")
    assert re.search(r": ak_\S{40,}$", made.stdout.strip())
    assert cli(fresh_url, "token", "create", "telefonanlage").returncode == 2
    assert cli(fresh_url, "token", "revoke", "telefonanlage").returncode == 0
    assert cli(fresh_url, "token", "revoke", "unbekannt").returncode == 2
