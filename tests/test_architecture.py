"""The package's shape: the stages import one way (import-linter's layers contract), no import cycle anywhere,
small modules, and the verification record's digest covering every check it keeps."""

from __future__ import annotations

import ast
import subprocess
import sys

import grimp

from conftest import ROOT, derived_cell

PACKAGE = ROOT / "lstmsym"
STAGES = ["base", "spec", "model", "derive", "printing", "render", "interop", "verify", "gallery", "cli"]
MAX_LINES = 420


def test_layers_contract_is_kept():
    result = subprocess.run(["lint-imports"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_no_import_cycle_anywhere():
    graph = grimp.build_graph("lstmsym", include_external_packages=False)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.chain_exists(imported=module, importer=imported):
                cycles.append((module, imported))
    packages = {m for m in graph.modules if (PACKAGE / m.split(".", 1)[-1].replace(".", "/") / "__init__.py").exists()}
    real = [(a, b) for a, b in cycles if a not in packages and b not in packages and a != "lstmsym" and b != "lstmsym"]
    assert not real, real


def test_the_folder_reads_as_the_pipeline():
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert set(STAGES) <= set(folders)
    flat = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__.py", "api.py", "markdown.py", "sphinx.py"], flat  # the API and the docs integrations


def test_modules_are_small():
    big = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, big


def test_every_module_says_what_it_holds():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path} has no module docstring"


def _verify_imports(name: str) -> set[str]:
    """The modules of lstmsym/verify that a verify module imports (at any depth of its body)."""
    tree = ast.parse((PACKAGE / "verify" / f"{name}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module)
    return found


def test_the_record_digest_covers_every_module_a_kept_check_runs():
    """Every verify module reachable from the kept checks (not the PyTorch or read-back ones, which the record
    does not keep) is hashed: an edit to one of them must invalidate the record."""
    from lstmsym.verify.record import CHECK_SOURCES

    todo, seen = ["record", "numeric", "symbolic", "flow", "worked"], set()
    while todo:
        name = todo.pop()
        if name in seen or name.startswith(("torch_", "readback")):
            continue
        seen.add(name)
        todo.extend(_verify_imports(name))
    missing = {f"verify/{name}.py" for name in seen} - set(CHECK_SOURCES)
    assert not missing, missing


def test_the_record_digest_follows_the_generated_code_and_the_checks(monkeypatch):
    """A cell's digest changes with its generated code or the checks, and is the same whatever else runs."""
    from lstmsym.render import numpy_module
    from lstmsym.verify import record

    lstm = derived_cell("lstm")
    before = record.cell_digest(lstm)
    assert record.cell_digest(derived_cell("gru")) != before
    with monkeypatch.context() as patch:
        patch.setattr(record, "checks_digest", lambda: "other checks")
        assert record.cell_digest(lstm) != before
    export = numpy_module.export_numpy
    with monkeypatch.context() as patch:
        patch.setattr(numpy_module, "export_numpy", lambda derived: export(derived) + "# changed code\n")
        assert record.cell_digest(lstm) != before
    assert record.cell_digest(lstm) == before


def test_no_eval_on_spec_text():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec"), f"{path}:{node.lineno}"
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("parse_expr",), f"{path}:{node.lineno}"


def test_no_test_skips_for_a_missing_tool():
    """A test skipped because a tool is missing counts as missing: the suite fails instead (conftest.need and
    need_module), and no test file skips on its own."""
    for path in (ROOT / "tests").glob("*.py"):
        text = path.read_text()
        for word in ("importorskip", "pytest.skip(", "mark.skip", "skipif"):
            assert word not in text or path.name == "test_architecture.py", f"{path.name} uses {word}"


def test_one_framework_list():
    """The frameworks are listed once (base/frameworks.py): the layouts, a spec's tables and `convert` follow it."""
    from lstmsym.base.frameworks import FRAMEWORKS
    from lstmsym.cli.cmd_convert import FORMATS
    from lstmsym.derive.frameworks import LAYOUTS
    from lstmsym.spec.reader import FRAMEWORK_KEYS

    assert tuple(LAYOUTS) == FRAMEWORKS == FRAMEWORK_KEYS and FORMATS == ("lstmsym",) + FRAMEWORKS
