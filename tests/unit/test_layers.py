"""The package's layers import each other in one direction: no circle between them.

A layer is a folder of caigunn_provider (each kind's folder on its own, `kinds/` itself for the
files directly in it) or a top-level module; the emulator, a separate server, is left aside.
Every import counts, a function-level or TYPE_CHECKING one included: a circle through a lazy
import is still a circle a reader has to untangle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "caigunn_provider"
LEFT_ASIDE = {"emulator/"}


def layer(module: str) -> str:
    """`kinds/chatbot`, `kinds`, `client/` or `config` for a dotted module of the package."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__"
    if parts[0] == "kinds":
        if len(parts) > 1 and (PACKAGE / "kinds" / parts[1]).is_dir():
            return f"kinds/{parts[1]}"
        return "kinds"
    return f"{parts[0]}/" if (PACKAGE / parts[0]).is_dir() else parts[0]


def is_module(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> list[tuple[str, int]]:
    """Every module of the package that the file imports, with the line."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                # `from caigunn_provider import messages` imports the module, not the package.
                whole = f"{base}.{alias.name}"
                found.append((whole if is_module(whole) else base, node.lineno))
    return [(name, line) for name, line in found if name.split(".")[0] == "caigunn_provider"]


def edges() -> dict[str, dict[str, str]]:
    """{layer: {layer it imports: where, as `file:line`}}."""
    graph: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted(PACKAGE.rglob("*.py")):
        source = layer(module_name(path))
        if source in LEFT_ASIDE:
            continue
        for name, line in imported(path):
            target = layer(name)
            if target != source and target not in LEFT_ASIDE:
                where = f"{path.relative_to(PACKAGE)}:{line}"
                graph[source].setdefault(target, where)
    return graph


def circles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """The strongly connected sets of more than one layer (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            members = []
            while True:
                member = stack.pop()
                members.append(member)
                if member == node:
                    break
            if len(members) > 1:
                found.append(sorted(members))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_the_layers_import_each_other_in_one_direction() -> None:
    graph = edges()
    assert len(graph) >= 10, "the walk found too few layers to mean anything"
    shown = [
        f"{members}: "
        + "; ".join(
            f"{a} -> {b} ({graph[a][b]})" for a in members for b in graph[a] if b in members
        )
        for members in circles(graph)
    ]
    assert shown == []


def test_the_circle_finder_finds_a_circle() -> None:
    # The test above passes on an empty answer, so the finder must be seen to find one.
    assert circles({"a": {"b": "x"}, "b": {"c": "y"}, "c": {"a": "z"}, "d": {"a": "w"}}) == [
        ["a", "b", "c"]
    ]


def test_the_command_line_loads_a_stack_file_without_the_pulumi_sdk(tmp_path: Path) -> None:
    stack = tmp_path / "dev.yaml"
    stack.write_text("chatbots:\n  support:\n    title: Support\n    plan: Pro\n", "utf-8")
    # Every command that reads a stack file, loaded, then the file read as they read it.
    probe = (
        "import sys\n"
        "import caigunn_provider.cli.adopt, caigunn_provider.cli.chatbots\n"
        "import caigunn_provider.cli.knowledge, caigunn_provider.cli.stackedit\n"
        "from caigunn_provider.kinds import load_stack_file\n"
        f"assert load_stack_file({str(stack)!r}).section('chatbots')\n"
        "print(sorted(m for m in sys.modules if m == 'pulumi' or m.startswith('pulumi.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
