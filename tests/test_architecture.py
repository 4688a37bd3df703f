"""The package's shape as ARCHITECTURE.md draws it, checked: the import graph of harness/ is acyclic and
points one way (configuration and plain records at the bottom, then ingest -> claims -> evidence -> key facts
-> checks -> judges -> metrics -> evaluation -> reports and gate, with the entry points on top); the package's
own modules are imported at the top of a file, never inside a function; and no module is over 400 lines."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "harness"
MAX_LINES = 400
# Each layer may import its own layer and those before it, never one after it.
LAYERS = (
    ("records and configuration", ("document", "registry", "files", "text", "lcs", "store", "config", "process")),
    ("ingest", ("ingest",)),
    ("loaded models", ("runtime",)),
    ("reading: claims and evidence", ("reading",)),
    ("checks", ("checks", "edits")),  # edits: one-edit variants, made with the checks' spaCy model
    ("judges", ("judges", "llm_api")),
    ("evaluation of a story", ("evaluation",)),
    ("a run", ("run",)),
    ("reports and gate", ("report", "gate")),
    ("measuring a judge", ("measure",)),
    ("entry points", ("api", "cli", "pytest_plugin", "__init__")),
)
LAYER_OF = {name: rank for rank, (_, names) in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(module: str, path: Path, node: ast.AST, known: dict[str, Path]) -> list[str]:
    """The package modules an import statement names (`from harness.x import y` may name module x.y)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        if node.level:
            base = base[: len(base) - node.level + 1]
            stem = ".".join(base + ([node.module] if node.module else []))
        else:
            stem = node.module or ""
        names = [stem, *(f"{stem}.{alias.name}" for alias in node.names)]
    return [name for name in names if name in known and name != module]


def import_graph() -> tuple[dict[str, set[str]], list[tuple[str, str, int]]]:
    """The static import graph, and every import of a package module made inside a function."""
    known = modules()
    edges: dict[str, set[str]] = {name: set() for name in known}
    inside: list[tuple[str, str, int]] = []
    for module, path in known.items():
        tree = ast.parse(path.read_text("utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        nested = {id(n) for f in functions for n in ast.walk(f) if n is not f}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported(module, path, node, known):
                    edges[module].add(target)
                    if id(node) in nested:
                        inside.append((module, target, node.lineno))
    return edges, inside


def layer(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    assert top in LAYER_OF, f"{module} is in no layer of tests/test_architecture.py (and ARCHITECTURE.md)"
    return LAYER_OF[top]


def test_every_module_is_in_a_layer():
    for module in modules():
        layer(module)


def test_imports_point_down_the_layers():
    edges, _ = import_graph()
    upward = [
        f"{a} ({LAYERS[layer(a)][0]}) imports {b} ({LAYERS[layer(b)][0]})"
        for a, targets in edges.items()
        for b in targets
        if layer(b) > layer(a)
    ]
    assert not upward, upward


def test_the_import_graph_has_no_cycle():
    edges, _ = import_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path[path.index(target) :], target]))
            if target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])


def test_no_package_module_is_imported_inside_a_function():
    """Imports inside functions are kept for optional heavy libraries (torch, ray, ...), never for the
    package's own modules: one placed there to dodge a cycle would hide the cycle from this test."""
    _, inside = import_graph()
    assert not inside, [f"{m} imports {t} inside a function (line {n})" for m, t, n in inside]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_400_lines(path):
    assert len(path.read_text("utf-8").splitlines()) <= MAX_LINES


def test_the_cycle_search_finds_a_cycle(monkeypatch):
    """The cycle search is not vacuous: two modules importing each other are found."""
    monkeypatch.setitem(
        globals(), "import_graph", lambda: ({"harness.a": {"harness.b"}, "harness.b": {"harness.a"}}, [])
    )
    with pytest.raises(pytest.fail.Exception, match="import cycle"):
        test_the_import_graph_has_no_cycle()


def module_names() -> list[str]:
    """Every module's own name: a file's stem, a package's folder name (its __init__.py)."""
    names = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__init__.py":
            if path.parent != PACKAGE:
                names.append(path.parent.name)
        elif path.name != "__main__.py":
            names.append(path.stem)
    return names


def test_no_two_modules_share_a_name():
    """`evidence.py` beside `judges/evidence.py` sends a reader (and go-to-file) to the wrong one."""
    names = module_names()
    assert len(names) > 40
    shared = sorted({name for name in names if names.count(name) > 1})
    assert not shared, f"modules that share a name: {shared}"


def architecture_tree() -> str:
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text("utf-8")
    return text.split("## The tree", 1)[1].split("\n## ", 1)[0]


def test_architecture_md_lists_every_module():
    """A new module goes into ARCHITECTURE.md's tree with what it does, or this fails."""
    tree = architecture_tree()
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py":
            wanted = f"{path.parent.name}/" if path.parent != PACKAGE else "__init__.py"
        else:
            wanted = path.name
        if not re.search(rf"(?<![\w/.]){re.escape(wanted)}", tree):
            missing.append(str(path.relative_to(PACKAGE)))
    assert not missing, f"modules ARCHITECTURE.md's tree does not list: {missing}"


def test_the_tree_check_finds_a_missing_module(monkeypatch, tmp_path):
    """The listing test is not vacuous: a module the tree does not name is reported."""
    (tmp_path / "harness" / "stage").mkdir(parents=True)
    (tmp_path / "harness" / "stage" / "__init__.py").write_text("")
    (tmp_path / "harness" / "stage" / "unlisted.py").write_text("")
    (tmp_path / "ARCHITECTURE.md").write_text("## The tree\n\nstage/\n", "utf-8")
    monkeypatch.setitem(globals(), "PACKAGE", tmp_path / "harness")
    with pytest.raises(AssertionError, match="stage/unlisted.py"):
        test_architecture_md_lists_every_module()
