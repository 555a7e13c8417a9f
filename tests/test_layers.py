"""The layers, read from the imports: routes import use cases, never other routes; the foundation, no feature."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "board"
# Only the app factory (board/__init__.py) puts the route modules together.
APP_FACTORY = "board"
# What everything else stands on: it knows no feature, no route and no request handling.
FOUNDATION = {"board.config", "board.db", "board.errors", "board.fields", "board.models", "board.sqlstates"}


def module_name(path: Path, package: Path) -> str:
    parts = [package.name, *path.relative_to(package).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_route_module(name: str) -> bool:
    """A module of routes: a feature's api.py, the page (web.py), the OpenAPI document's own routes."""
    return name.endswith(".api") or name in {"board.web", "board.http.api_docs"}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The package's modules that `path` imports, at its top or inside a function."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module)
            # `from board.accounts import api` imports the module board.accounts.api.
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    return imported & known


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    paths = {module_name(path, package): path for path in package.rglob("*.py")}
    return {name: imports_of(path, set(paths)) for name, path in paths.items()}


def routes_importing_routes(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (importer, imported)
        for importer, imports in graph.items()
        if is_route_module(importer)
        for imported in imports
        if is_route_module(imported) and imported != importer
    )


def routes_imported_from_below(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (importer, imported)
        for importer, imports in graph.items()
        if not is_route_module(importer) and importer != APP_FACTORY
        for imported in imports
        if is_route_module(imported)
    )


def foundation_importing_above(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (importer, imported)
        for importer, imports in graph.items()
        if importer in FOUNDATION
        for imported in imports
        if imported not in FOUNDATION
    )


def test_the_package_is_read_whole():
    graph = import_graph()
    assert {"board", "board.appointments.api", "board.accounts.api", "board.web"} <= set(graph)
    assert FOUNDATION <= set(graph)
    # The reader sees both spellings of an import, and imports inside functions.
    assert "board.accounts.api" in graph[APP_FACTORY]
    assert "board.appointments.card_json" in graph["board.appointments.changes"]


def test_no_route_module_imports_another():
    assert routes_importing_routes(import_graph()) == []


def test_only_the_app_factory_imports_route_modules():
    assert routes_imported_from_below(import_graph()) == []


def test_the_foundation_imports_no_feature_and_no_request_handling():
    assert foundation_importing_above(import_graph()) == []


@pytest.mark.parametrize(
    "sources, finds",
    [
        # What board looked like before issue 15: accounts' routes borrowed load_body from the appointments
        # routes, and the error module rendered cards with a feature's schemas.
        (
            {"accounts/api.py": "from board.api import ok", "api.py": "", "__init__.py": "from board import api"},
            (routes_importing_routes, [("board.accounts.api", "board.api")]),
        ),
        (
            {"http/idempotency.py": "from board.accounts import api as accounts_api", "accounts/api.py": ""},
            (routes_imported_from_below, [("board.http.idempotency", "board.accounts.api")]),
        ),
        (
            {
                "errors.py": "from board.schemas import card_out\nfrom board.sqlstates import sqlstate_of",
                "schemas.py": "",
                "sqlstates.py": "",
            },
            (foundation_importing_above, [("board.errors", "board.schemas")]),
        ),
    ],
)
def test_each_rule_finds_what_it_forbids(tmp_path, sources, finds):
    package = tmp_path / "board"
    for relative, source in sources.items():
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text(source)
    rule, found = finds
    assert rule(import_graph(package)) == found


def test_the_openapi_builder_reads_the_routes_from_the_app_not_from_their_modules():
    graph = import_graph()
    builder = {"board.http.openapi", "board.http.documented", "board.http.shapes"}

    assert is_route_module("board.http.api_docs") and not builder & {n for n in graph if is_route_module(n)}
    assert [(m, i) for m in builder for i in graph[m] if is_route_module(i)] == []
