"""The package's layout holds the limits docs/layout.md states: a reader finds a mechanism
by its folder, and no room is too long to hold in the head."""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mockserver"
MODULES = sorted(PACKAGE.rglob("*.py"))
LAYOUT_PAGE = (PACKAGE.parent / "docs" / "layout.md").read_text(encoding="utf-8")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_at_most_eight_modules_stay_at_the_root():
    root = [p.name for p in PACKAGE.glob("*.py")]
    assert len(root) <= 8, root


def test_no_root_module_shares_its_name_with_one_in_a_folder():
    root = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    nested = {p.stem for p in MODULES if p.parent != PACKAGE} | {p.name for p in PACKAGE.iterdir() if p.is_dir()}
    assert root & nested == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_rooms_are_short(path):
    source = path.read_text(encoding="utf-8")
    assert source.count("\n") < 600, "a module of 600 lines or more"
    for node in ast.walk(ast.parse(source)):
        length = (node.end_lineno or node.lineno) - node.lineno + 1 if hasattr(node, "lineno") else 0
        if isinstance(node, ast.ClassDef):
            assert length < 250, f"class {node.name}: {length} lines"
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert length < 100, f"function {node.name}: {length} lines"


def imports_of(path: Path) -> set[str]:
    """The package's modules this one imports (at the top or inside a function)."""
    name, found = module_name(path), set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("mockserver"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("mockserver"))
    return found


def test_no_import_cycles_between_modules():
    known = {module_name(p): p for p in MODULES}
    graph = {name: {t for t in imports_of(p) if t in known and t != name} for name, p in known.items()}

    def parents(name: str) -> set[str]:  # importing a.b.c runs a and a.b first
        parts = name.split(".")
        return {".".join(parts[:i]) for i in range(1, len(parts))}

    for name in graph:  # a package's own __init__ importing its children is not a cycle
        graph[name] -= parents(name)
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in graph[name]:
            if state.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_the_layout_page_names_every_folder_and_root_module():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert set(re.findall(r"^\| `(\w+)/` \|", LAYOUT_PAGE, re.M)) == folders
    intro = LAYOUT_PAGE.split("| folder |")[0]
    assert {p.name for p in PACKAGE.glob("*.py")} <= set(re.findall(r"`(\w+\.py)`", intro))
