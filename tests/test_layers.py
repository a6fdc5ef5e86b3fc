"""The package's layers point only down, no two modules import each other in a circle, and no
function is longer than one person can hold.

Every import counts: at module level, inside functions and under ``TYPE_CHECKING``. A module may
import modules of a lower layer, or modules of its own subpackage; two subpackages of the same layer
stay independent (ingest and mail, collect and outgoing and consolidate).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "perfsheet"

# Bottom up. The key is a module or subpackage below perfsheet (its first dotted part).
LAYERS: list[set[str]] = [
    {"_version", "errors", "ziputil", "xlsxutil", "a1"},
    {"fsutil", "docxutil"},
    {"model"},
    {"targets", "rules", "labels"},
    {"goals", "form"},
    {"template"},
    {"ingest", "mail"},
    {"ledger"},
    {"workspace"},
    {"collect", "outgoing", "consolidate"},
    {"report"},
    {"monthly"},
    {"selfeval"},
    {"demo"},
    {"cli"},
    {"__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every perfsheet module ``path`` imports, wherever the import statement stands."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "perfsheet")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "perfsheet":
                continue
            # `from perfsheet.ledger import store` imports the module perfsheet.ledger.store.
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if _is_module(candidate) else target)
    found.discard(module)
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "perfsheet"


def test_every_module_has_a_layer() -> None:
    units = {_unit(m) for m in _graph()} - {"perfsheet"}
    assert units <= set(RANK), f"modules without a layer in tests/test_layers.py: {sorted(units - set(RANK))}"


def test_imports_point_down() -> None:
    wrong: list[str] = []
    for module, targets in _graph().items():
        source = _unit(module)
        for target in sorted(targets):
            dest = _unit(target)
            if dest == "perfsheet":
                # The top-level facade re-exports everything: nothing inside may import it.
                wrong.append(f"{module} → {target} (the public facade)")
            elif source == "perfsheet" or source == dest:
                continue
            elif RANK[dest] >= RANK[source]:
                wrong.append(f"{module} → {target}")
    assert not wrong, "imports that do not point down:\n" + "\n".join(wrong)


def test_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state and start != "perfsheet":
            visit(start, [start])
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("perfsheet.rules", {"sqlite3", "yaml", "pandas"}),
        ("perfsheet.labels", {"sqlite3", "yaml", "pandas"}),
        ("perfsheet.model", {"sqlite3", "yaml", "pandas"}),
        ("perfsheet.consolidate.build", {"sqlite3", "yaml"}),
        ("perfsheet.ingest.check", {"sqlite3", "pandas", "xlsxwriter"}),
        ("perfsheet.ledger.store", {"yaml", "pandas", "xlsxwriter"}),
    ],
)
def test_lower_layers_load_no_heavy_parts(module: str, absent: set[str]) -> None:
    code = f"import sys, {module}; print(sorted(m for m in {sorted(absent)!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"{module} imports {out.strip()}"


def test_the_facade_loads_only_the_bottom_layers_eagerly() -> None:
    # perfsheet/__init__.py runs before every submodule: an eager import of a higher layer there
    # would make cycles the import graph above cannot see. Its other names load on first use.
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    eager: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            eager.add(node.module.split(".")[0])
    assert eager and all(RANK[name] <= RANK["model"] for name in eager), eager
    code = "import sys, perfsheet; print(sorted(m for m in sys.modules if m.startswith('perfsheet.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert all(RANK[m.split(".")[1]] <= RANK["model"] for m in ast.literal_eval(loaded)), loaded


# -- function length ---------------------------------------------------------------------------------

MAX_BODY_LINES = 60  # a function's body, its docstring excluded (issue 9: "no function over about 60 lines")

def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the function's last line."""
    body = node.body
    first = body[0]
    is_docstring = (
        isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    )
    if is_docstring and len(body) > 1:
        first = body[1]
    assert node.end_lineno is not None
    return node.end_lineno - first.lineno + 1


def _function_lengths() -> dict[str, int]:
    """``path::Qualified.name`` → body lines, for every function and method under perfsheet/ (a nested
    function counts on its own as well as inside its parent)."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{where}::{prefix}{child.name}"
                # Two definitions of one name (an overload, a redefinition): the longer one counts.
                lengths[name] = max(lengths.get(name, 0), _body_lines(child))
                visit(child, f"{prefix}{child.name}.", where)
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.", where)
            else:
                visit(child, prefix, where)

    for path in sorted(PACKAGE.rglob("*.py")):
        visit(ast.parse(path.read_text(encoding="utf-8")), "", path.relative_to(PACKAGE).as_posix())
    return lengths


def test_no_function_is_longer_than_the_limit() -> None:
    too_long = sorted(
        f"{name}: {lines} lines"
        for name, lines in _function_lengths().items()
        if lines > MAX_BODY_LINES
    )
    assert not too_long, f"functions over {MAX_BODY_LINES} body lines (split them along their seams):\n" + "\n".join(
        too_long
    )
