"""Single words on a catalog we did not write (issue 15): does a word or compound that
occurs in a service's name or text find that service?

The Munich DLDB export is imported as it is (no keywords, no typical questions). From
every service, the words of its name and up to `--per-service` words of its description
are asked alone, as a caller types one word; a word counts as found when its service is
among the first ten results. A word is telling when its stem (what the search matches:
"entsprechen" is "entsprechend" too) occurs in at most `--max-services` services; a word in
fifty texts cannot bring each of them into a first ten. Description words are taken only
where telling; name words are reported all and telling. Compounds (12 letters or more,
telling) are reported apart.

Reports the share found, the share without any result, for auskunft's lexical search and
for plain BM25 over names and descriptions (bench/baseline.py), in the same run. The
dense signal is off: the claim is about the words.

    .venv/bin/python bench/search_single_words.py [--per-service 5] [--max-services 10]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["AUSKUNFT_SEARCH_DENSE"] = "off"

from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.catalog.repository import CatalogRepository  # noqa: E402
from auskunft.core.db.uow import UnitOfWork  # noqa: E402
from auskunft.search.model.analyzer import Stemmer, fold, load_lexicon  # noqa: E402
from auskunft.search.service.engine import SearchEngine, answer_question  # noqa: E402
from bench.baseline import PlainBM25  # noqa: E402
from bench.search_bench import import_munich  # noqa: E402

WORD = re.compile(r"[^\W\d_]{4,}")
COMPOUND = 12
TOP = 10


def surface_words(text: str, stop: set[str]) -> list[str]:
    """The words of a text as written, each once, without stopwords."""
    seen: dict[str, str] = {}
    for w in WORD.findall(text):
        key = fold(w)
        if key not in stop and key not in seen:
            seen[key] = w
    return list(seen.values())


def cases(
    rows: list[tuple[str, str, str]], stop: set[str], per_service: int, max_services: int
) -> list[tuple[str, str, str, bool]]:
    """(kind, word, service id, telling): kind is "name" or "description"."""
    stemmer = Stemmer()

    def stem(w: str) -> str:
        return stemmer.de(fold(w))

    spread: Counter[str] = Counter()
    for _, name, text in rows:
        spread.update({stem(w) for w in surface_words(f"{name} {text}", stop)})
    rng = random.Random(15)
    out: list[tuple[str, str, str, bool]] = []
    for sid, name, text in rows:
        named = surface_words(name, stop)
        out.extend(("name", w, sid, spread[stem(w)] <= max_services) for w in named)
        named_keys = {stem(w) for w in named}
        telling = [
            w
            for w in surface_words(text, stop)
            if stem(w) not in named_keys and spread[stem(w)] <= max_services
        ]
        rng.shuffle(telling)
        out.extend(("description", w, sid, True) for w in telling[:per_service])
    return out


def judge(found: list[tuple[str, str, str, bool, list[str]]]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    groups = {
        "name_all": lambda k, w, t: k == "name",
        "name_telling": lambda k, w, t: k == "name" and t,
        "description_telling": lambda k, w, t: k == "description",
        "compounds_telling": lambda k, w, t: len(w) >= COMPOUND and t,
        "all_telling": lambda k, w, t: t,
    }
    for label, keep in groups.items():
        chosen = [(sid, hits) for k, w, sid, t, hits in found if keep(k, w, t)]
        n = max(len(chosen), 1)
        report[label] = {
            "n": len(chosen),
            "found_top10": round(sum(sid in hits[:TOP] for sid, hits in chosen) / n, 4),
            "found_first": round(sum(hits[:1] == [sid] for sid, hits in chosen) / n, 4),
            "no_result": round(sum(not hits for _, hits in chosen) / n, 4),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-service", type=int, default=5)
    parser.add_argument("--max-services", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--misses", type=int, default=0, help="print this many misses")
    args = parser.parse_args()
    stop = {fold(w) for ws in load_lexicon()["stopwords"].values() for w in ws}
    with tempfile.TemporaryDirectory() as tmp:
        engine, _ = open_catalog(f"sqlite:///{tmp}/bench.sqlite3")
        import_munich(engine)
        search = SearchEngine(engine)
        with UnitOfWork(engine) as uow:
            rows = [
                (r.id, r.name, r.description)
                for r in uow.repo(CatalogRepository).services("muenchen")
            ]
        asked = cases(rows, stop, args.per_service, args.max_services)
        plain_index = PlainBM25([sid for sid, _, _ in rows], [f"{n} {t}" for _, n, t in rows])
        ours, plain = [], []
        for kind, word, sid, telling in asked:
            result = answer_question(search, q=word, participant="muenchen", limit=TOP)
            ours.append((kind, word, sid, telling, [r["id"] for r in result["results"]]))
            plain.append((kind, word, sid, telling, [k for k, _ in plain_index.search(word, TOP)]))
    out = {
        "services": len(rows),
        "words_asked": len(asked),
        "auskunft": judge(ours),
        "plain_bm25": judge(plain),
    }
    print(json.dumps(out, indent=2))
    if args.misses:
        missed = [
            (k, w, sid, hits[:3]) for k, w, sid, t, hits in ours if t and sid not in hits[:TOP]
        ]
        for miss in missed[: args.misses]:
            print(miss)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
