"""No import cycle anywhere in the package: not at module level, not inside functions.

A cycle held together by imports inside functions works until someone moves one of them to
the top; it also means two modules cannot be understood one without the other."""
import ast
import graphlib
from pathlib import Path

import optplayground

ROOT = Path(optplayground.__file__).parent
PACKAGE = "optplayground"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in ROOT.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules `name` imports, wherever in the file the import statement is."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` mod
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source
                       for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in known and t != name)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def test_the_graph_is_read_right():
    graph = import_graph()
    assert "optplayground.core.experiment" in graph["optplayground.core.engine"]
    assert "optplayground.gui.export" in graph["optplayground.gui.files"]  # from . import export
    assert "optplayground.gui.plots" in graph["optplayground.gui.main_window"]
    assert "optplayground.gui.controls.spec_form" in graph["optplayground.gui.controls.run_editor"]
    # an import inside a function counts too (cli opens the window only when asked)
    assert "optplayground.gui.app" in graph["optplayground.cli"]


def test_no_module_imports_itself_through_others():
    graph = import_graph()
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        raise AssertionError("import cycle: " + " -> ".join(error.args[1])) from None
