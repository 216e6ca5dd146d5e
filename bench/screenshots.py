"""Screenshots of the portal for the README: Chromium at 1280x900 on a fresh demo database.

    .venv/bin/python -m bench.screenshots            # or: make screenshots
    .venv/bin/python -m bench.screenshots --out /tmp/shots home service

Each shot is a name (the PNG's file name), a path, and an optional setup that
runs in the same browser context first (to log in, say, or choose a
municipality); add entries to SHOTS for more pages.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, ViewportSize, sync_playwright  # noqa: E402
from tests.browser.server import CHROMIUM, live_server, missing_front_end  # noqa: E402

from auskunft.access.repository import StaffRepository  # noqa: E402

VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
OUT = ROOT / "docs" / "screenshots"

# A setup gets the page and the database URL of the fresh demo database.
Setup = Callable[[Page, str], None]

STAFF_USER = "screenshot-agent"
STAFF_PASSWORD = "only-for-the-screenshots"


def log_in(page: Page, database_url: str) -> None:
    """Create an agent account in the fresh database and log it in."""
    from datetime import UTC, datetime

    from auskunft.access.service import create_user
    from auskunft.core.db.engine import get_engine
    from auskunft.core.db.uow import UnitOfWork

    with UnitOfWork(get_engine(database_url)) as uow:
        if uow.repo(StaffRepository).user_by_name(STAFF_USER) is None:
            create_user(uow, STAFF_USER, "agent", STAFF_PASSWORD, datetime.now(UTC))
            uow.commit()
    page.goto("/anmelden")
    page.get_by_label("Benutzername").fill(STAFF_USER)
    page.get_by_label("Passwort").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/desk")


@dataclass(frozen=True)
class Shot:
    """One screenshot: docs/screenshots/<name>.png of path, after an optional setup."""

    name: str
    path: str
    setup: Setup | None = None


SHOTS = [
    Shot("portal-home", "/"),
    Shot("portal-search", "/suche?q=Personalausweis+beantragen"),
    Shot("portal-service", "/leistungen/personalausweis-beantragen"),
    Shot(
        "portal-booking-days",
        "/termin/buchen/personalausweis-beantragen?standort=kassel-buergerbuero-rathaus",
    ),
    Shot("staff-login", "/anmelden"),
    Shot(
        "desk",
        "/desk?q=Personalausweis+beantragen&gemeinde=kassel&leistung=personalausweis-beantragen",
        log_in,
    ),
]


def take(shots: list[Shot], out: Path) -> list[Path]:
    """Serve the app on a fresh demo database and save one PNG per shot."""
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with (
        tempfile.TemporaryDirectory() as data,
        live_server(Path(data)) as base,
        sync_playwright() as driver,
    ):
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        for shot in shots:
            # A context per shot: cookies and logins of one do not change the next.
            context = browser.new_context(
                base_url=base, viewport=VIEWPORT, locale="de-DE", timezone_id="Europe/Berlin"
            )
            page = context.new_page()
            if shot.setup:
                shot.setup(page, f"sqlite:///{Path(data) / 'auskunft.sqlite3'}")
            page.goto(shot.path, wait_until="networkidle")
            target = out / f"{shot.name}.png"
            page.screenshot(path=str(target))
            saved.append(target)
            context.close()
        browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="only these shots (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs")
    args = parser.parse_args()
    reasons = missing_front_end()
    if reasons:
        print("cannot take screenshots: " + "; ".join(reasons), file=sys.stderr)
        return 1
    shots = [s for s in SHOTS if not args.names or s.name in args.names]
    unknown = set(args.names) - {s.name for s in SHOTS}
    if unknown:
        print(f"unknown shots: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for path in take(shots, args.out):
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
            f"{path.stat().st_size // 1024} KB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
