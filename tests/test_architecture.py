"""The house rules that import-linter cannot see: routes take their unit of work from the
dependencies, every staff route declares its roles, and the slices' templates do not shadow
each other."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.routing import APIRoute

from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.i18n import package_root, slice_folders
from auskunft.core.web.deps import require_login, roles_of

SRC = package_root()


def _route_functions() -> list[tuple[Path, ast.FunctionDef]]:
    found = []
    for path in sorted(SRC.glob("*/web/*.py")) + sorted(SRC.glob("*/web.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call)
                and isinstance(d.func, ast.Attribute)
                and isinstance(d.func.value, ast.Name)
                and d.func.value.id == "router"
                for d in node.decorator_list
            ):
                found.append((path, node))
    return found


def test_no_route_opens_a_unit_of_work_or_reads_a_repository() -> None:
    routes = _route_functions()
    assert len(routes) > 40
    offenders = []
    for path, node in routes:
        for call in ast.walk(node):
            if not isinstance(call, ast.Call):
                continue
            name = call.func.id if isinstance(call.func, ast.Name) else None
            attr = call.func.attr if isinstance(call.func, ast.Attribute) else None
            if name == "UnitOfWork" or attr == "repo":
                offenders.append(f"{path.relative_to(SRC)}:{call.lineno} {node.name}")
    assert offenders == []


def _dependencies(route: APIRoute) -> list[object]:
    found: list[object] = []
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        found.append(dependant.call)
        pending.extend(dependant.dependencies)
    return found


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """The app's routes, with the routers FastAPI wraps on inclusion opened up."""
    found: list[APIRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found += _api_routes(included.routes)
        elif isinstance(route, APIRoute):
            found.append(route)
    return found


def test_every_staff_page_declares_its_roles(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, worker="off"))
    staff = [
        r
        for r in _api_routes(app.routes)
        if r.path.startswith(("/desk", "/admin", "/dienststelle"))
    ]
    assert len(staff) >= 12
    undeclared = []
    for route in staff:
        calls = _dependencies(route)
        declared = [roles_of(call) for call in calls if roles_of(call) is not None]
        if not declared:
            undeclared.append(route.path)
        assert require_login not in calls or declared, route.path
    assert undeclared == []


def test_template_names_are_unique_across_slices() -> None:
    names = Counter(path.name for folder in slice_folders("templates") for path in folder.iterdir())
    assert [name for name, count in names.items() if count > 1] == []
    assert names["base.html"] == 1 and names["booking_days.html"] == 1


def test_the_import_contracts_know_every_slice_and_its_private_modules() -> None:
    import tomllib

    config = tomllib.loads((SRC.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    slices = sorted(
        p.name
        for p in SRC.iterdir()
        if (p / "__init__.py").exists() and p.name not in ("core", "migrations")
    )
    assert sorted(contracts["inside"]["containers"]) == [f"auskunft.{s}" for s in slices]
    layered = " | ".join(contracts["slices"]["layers"])
    assert all(f"auskunft.{s}" in layered for s in slices)
    private = ("tables", "repository", "web", "cli", "jobs", "mails")
    for own in slices:
        forbidden = set(contracts[f"{own}-uses-others-through-service"]["forbidden_modules"])
        for other in slices:
            for part in private:
                module = SRC / other / part
                if other != own and (module.with_suffix(".py").exists() or module.is_dir()):
                    assert f"auskunft.{other}.{part}" in forbidden, (own, other, part)
