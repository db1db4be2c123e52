"""The package's shape: the stages import one way (import-linter's layers contract), no import cycle anywhere,
small modules, and the verification record's digest covering every engine file."""

from __future__ import annotations

import ast
import subprocess
import sys

import grimp

from conftest import ROOT

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


def test_the_record_digest_covers_every_engine_file():
    from lstmsym.verify.record import ENGINE_GLOBS

    covered = {p for pattern in ENGINE_GLOBS for p in PACKAGE.glob(pattern)}
    for stage in ("spec", "model", "derive", "verify", "base"):
        for path in (PACKAGE / stage).glob("*.py"):
            assert path in covered, path


def test_no_eval_on_spec_text():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec"), f"{path}:{node.lineno}"
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("parse_expr",), f"{path}:{node.lineno}"
