"""The project's modules import each other without a cycle, and the channels stand alone.

Every import counts, also one inside a function (a cycle hidden that way is still a cycle);
only imports under `if TYPE_CHECKING:` (never run) do not. `from package import module` is an
import of that module, not of the package's __init__.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "knowledge")


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The project module `name` is or lies in (bot.storage.store.Store -> bot.storage.store)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_only(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skipped.update(id(inner) for inner in ast.walk(node))
    return skipped


def imports_of(name: str) -> set[str]:
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(_owner(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in MODULES else _owner(base))
    return {module for module in found if module and module != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read() -> None:
    assert {"bot.server", "bot.channels.web", "knowledge.nlu.ranking"} <= set(GRAPH)
    assert "bot.channels.telegram" in GRAPH["bot.server"]
    # An import inside a function counts.
    assert "knowledge.handkept.check" in GRAPH["bot.cli"]


def test_a_cycle_is_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_itself_back() -> None:
    assert cycles(GRAPH) == []


def test_the_channels_import_nothing_of_each_other_or_of_the_wiring() -> None:
    channels = {"web": "bot.channels.web", "telegram": "bot.channels.telegram",
                "zalo": "bot.channels.zalo"}
    for name, module in channels.items():
        family = f"bot.channels.{name}"
        for target in GRAPH[module] | {t for m in GRAPH if m.startswith(family + "_")
                                       for t in GRAPH[m]}:
            assert target not in ("bot.server", "bot.channel_plan", "bot.cli"), (module, target)
            if target.startswith("bot.channels."):
                assert target.removeprefix("bot.channels.").startswith(name), (module, target)
