"""The engine's modules import one another without a cycle.

A cycle works only as long as one side imports inside a function (or at the bottom of the file),
and breaks the day someone tidies that import up; it also means two modules cannot be understood
apart. Every import counts here, those inside functions too; only ``if TYPE_CHECKING:`` blocks
(never run) are left out.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "course"
#: Cycles allowed for now, as frozensets of module names, each with the reason it cannot go yet.
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def module_files() -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The engine's modules that ``name`` imports (``from a import b`` counts as ``a.b`` when that is
    a module, else as ``a``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                for statement in child.orelse:
                    visit_statement(statement)
            else:
                visit_statement(child)

    def visit_statement(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:
                    found.add(f"{source}.{alias.name}")
                elif source in modules:
                    found.add(source)
        visit(node)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path a -> b -> ... -> a) for each group of modules that import one another."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_path_within(graph, group) for group in groups]


def _path_within(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest way from the group's first module back to itself, through the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return paths[node] + [start]
                if target not in paths:
                    paths[target] = paths[node] + [target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover - a group always has one


def test_the_engine_has_no_import_cycle():
    found = [cycle for cycle in cycles(import_graph()) if frozenset(cycle) not in KNOWN_CYCLES]
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_every_known_cycle_still_exists():
    """A known cycle that was removed must leave the list, so it cannot come back unnoticed."""
    present = {frozenset(cycle) for cycle in cycles(import_graph())}
    assert set(KNOWN_CYCLES) <= present


def test_the_check_finds_a_cycle_and_names_its_modules():
    graph = {"course.a": {"course.b"}, "course.b": {"course.c"}, "course.c": {"course.a"}, "course.d": {"course.a"}}
    assert cycles(graph) == [["course.a", "course.b", "course.c", "course.a"]]
    assert cycles({"course.a": {"course.b"}, "course.b": set()}) == []


def test_imports_inside_functions_and_relative_imports_count(tmp_path):
    (tmp_path / "one.py").write_text("def late():\n    from .two import thing\n", encoding="utf-8")
    (tmp_path / "three.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                       "    import course.one\n", encoding="utf-8")
    modules = {"course.one": tmp_path / "one.py", "course.two": tmp_path / "two.py",
               "course.three": tmp_path / "three.py"}
    assert imports_of("course.one", modules["course.one"], modules) == {"course.two"}
    assert imports_of("course.three", modules["course.three"], modules) == set()
