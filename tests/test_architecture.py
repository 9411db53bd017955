"""The rules of docs/architecture.md that import-linter cannot state.

The import boundaries themselves are import-linter contracts (pyproject.toml, `make lint`).
Here: no import cycles, counting imports inside functions; no function importing a task
module (the usual way to hide a cycle); no multi-row statement built outside tracker/sql.py.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("grouping", "ingest", "tracker")


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(name: str, path: Path):
    """(imported module, inside a function) for each import of our own modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, inside
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    # `from tracker import sql` imports a module; `from x import name` its x.
                    full = f"{base}.{alias.name}"
                    yield (full if full in MODULES else base), inside
            yield from visit(child, inside)

    for target, inside in visit(tree, False):
        if target in MODULES:
            yield target, inside


GRAPH = {name: sorted({t for t, _ in _imports(name, path)}) for name, path in MODULES.items()}


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    return found


def test_the_graph_is_found():
    assert len(GRAPH) > 100
    assert "ingest.digest.batch" in GRAPH["ingest.digest.tasks"]


def test_no_import_cycles():
    # A package's __init__ importing its own submodules is how packages work, not a cycle.
    graph = {
        name: [t for t in targets if not t.startswith(name + ".") or MODULES[name].name
               != "__init__.py"]
        for name, targets in GRAPH.items()
    }
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]


def test_no_function_imports_a_task_module():
    offenders = [
        f"{name} imports {target} inside a function"
        for name, path in MODULES.items()
        for target, inside in _imports(name, path)
        if inside and target.rpartition(".")[2] == "tasks"
    ]
    assert offenders == []


# An INSERT whose rows are a VALUES list, or a VALUES list joined as a table.
HAND_BUILT_ROWS = re.compile(
    r"INSERT\s+INTO\s+\S+\s*\([^)]*\)\s*VALUES|(FROM|AS|JOIN)\s*\(\s*VALUES", re.IGNORECASE)
ONE_HELPER = "tracker.sql"


def _string_parts(tree):
    """The text of every string constant, f-strings joined with {} for their fields."""
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            yield "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def _statements(path: Path):
    """A module's string literals joined into one text: a statement is often written as
    several literals, concatenated implicitly or with +."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    yield " ".join(_string_parts(tree))


def test_multi_row_statements_are_built_by_the_one_helper():
    offenders = [
        name for name, path in MODULES.items()
        if name != ONE_HELPER and any(HAND_BUILT_ROWS.search(s) for s in _statements(path))
    ]
    assert offenders == []


def test_the_statement_check_sees_hand_built_rows():
    assert HAND_BUILT_ROWS.search('INSERT INTO t (a, b) VALUES (%s, %s), (%s, %s)')
    assert HAND_BUILT_ROWS.search("WITH v (id, n) AS (VALUES (%s, %s)) UPDATE t SET ...")
    assert HAND_BUILT_ROWS.search("UPDATE t SET n = v.n FROM (VALUES (1, 2)) AS v (id, n)")
    assert not HAND_BUILT_ROWS.search("INSERT INTO t (a, b) SELECT a, b FROM u")
