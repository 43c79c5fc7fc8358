"""Which part of the code may import which: the layers the design depends on, checked.

- The product (everything in cardprep but the simulator and the CLI) never imports the
  simulator, cardprep.sim: a pipeline tuned on its own test deck through a back door would
  pass every test and fail on real photos.
- cardprep never imports torch: preparing a dataset must not pull in a training stack.
- cardtrain imports from cardprep only what CARDTRAIN_MAY_IMPORT lists.

The import graph is read from the source (every import statement, also those inside
functions), and a fresh interpreter confirms it for what is loaded at run time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIMULATOR = "cardprep.sim"
NOT_PRODUCT = (SIMULATOR, "cardprep.cli", "cardprep.__main__")
# What cardtrain may use of cardprep (a module or a package and everything under it). Extend it
# when a card path needs another product module; never with cardprep.sim.
CARDTRAIN_MAY_IMPORT = ("cardprep.common", "cardprep.spec", "cardprep.detect", "cardprep.card_frame", "cardprep.track")


def module_files(package: str) -> dict[str, Path]:
    """Every module of ``package`` by dotted name, found on disk (importing would run the code under test)."""
    modules = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = {**module_files("cardprep"), **module_files("cardtrain")}


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def imported_names(module: str) -> set[str]:
    """Every name ``module`` imports, as dotted module names (``from a import b`` gives a and a.b)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return names


def project_imports(module: str) -> set[str]:
    """The project's modules that importing ``module`` loads directly, parent packages included."""
    loaded = set()
    for name in imported_names(module):
        parts = name.split(".")
        loaded |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & MODULES.keys()
    return loaded - {module}


def import_chain(start: str, target: str) -> list[str] | None:
    """The shortest chain of imports from ``start`` to a module under ``target``, if any."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        if under(module, target):
            return paths[module]
        for name in sorted(project_imports(module)):
            if name not in paths:
                paths[name] = [*paths[module], name]
                queue.append(name)
    return None


PRODUCT = sorted(m for m in MODULES if under(m, "cardprep") and not any(under(m, p) for p in NOT_PRODUCT))


def test_the_graph_sees_the_product_and_the_simulator():
    """The checks below would pass on an empty graph: make sure they look at the real one."""
    assert {"cardprep.align", "cardprep.detect", "cardprep.register", "cardprep.spec"} <= set(PRODUCT)
    assert import_chain("cardprep.cli.simulate", SIMULATOR) is not None
    assert "cardprep.sim.camera" in project_imports("cardprep.sim.photos")
    assert "cardprep.sim.deck" in project_imports("cardprep.sim.faces")


@pytest.mark.parametrize("module", PRODUCT)
def test_product_code_never_imports_the_simulator(module):
    chain = import_chain(module, SIMULATOR)
    assert chain is None, " imports ".join(chain)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if under(m, "cardprep")))
def test_cardprep_never_imports_torch(module):
    assert not any(under(name, "torch") for name in imported_names(module))


@pytest.mark.parametrize("module", sorted(m for m in MODULES if under(m, "cardtrain")))
def test_cardtrain_imports_only_the_allowed_parts_of_cardprep(module):
    used = {name for name in project_imports(module) if under(name, "cardprep") and name != "cardprep"}
    assert all(any(under(name, allowed) for allowed in CARDTRAIN_MAY_IMPORT) for name in used), sorted(used)


def test_loading_the_product_loads_neither_the_simulator_nor_torch():
    """At run time too: a fresh interpreter imports every product module, then looks at what came in."""
    script = (
        "import importlib, sys\n"
        f"for name in {PRODUCT!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith(('torch.', 'cardprep.sim'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_whole_of_cardprep_runs_without_torch():
    script = ("import sys, cardprep.cli, cardprep.sim\n"
              "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_import_graph_has_no_cycle():
    """One way down: no module imports, directly or through others, a module that imports it."""
    graph = {m: {n for n in imported_names(m) if n in MODULES and n != m} for m in MODULES}
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for other in sorted(graph[module]):
            assert state.get(other) != "open", " -> ".join([*path, module, other])
            if other not in state:
                visit(other, [*path, module])
        state[module] = "done"

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [])
