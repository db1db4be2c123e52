"""Generated modules keep only the helpers they call.

The templates carry every helper of the notation (one per row of the function table, and the scans, convolutions
and outer products of the structural operators); a cell calls a few. After rendering, the module's own source is
parsed (it is our generated code, never a spec's text) and every top-level private function that nothing kept
refers to is removed, so lstm's PyTorch file no longer defines conv2d. Public names and everything that is not a
function stay as they are."""

from __future__ import annotations

import ast


def _private_functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("_")}


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | \
        {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}


def called_helpers(tree: ast.Module) -> set[str]:
    """The private top-level functions reachable from the module's other code."""
    helpers = _private_functions(tree)
    roots: set[str] = set()
    for node in tree.body:
        if node.__class__ is not ast.FunctionDef or node.name not in helpers:
            roots |= _names_in(node)
    kept, frontier = set(), [name for name in roots if name in helpers]
    while frontier:
        name = frontier.pop()
        if name in kept:
            continue
        kept.add(name)
        frontier.extend(n for n in _names_in(helpers[name]) if n in helpers and n not in kept)
    return kept


def keep_called(source: str) -> str:
    """The module without the private top-level functions it never calls (and the blank lines they left)."""
    tree = ast.parse(source)
    kept = called_helpers(tree)
    lines = source.splitlines(keepends=True)
    drop: set[int] = set()
    last = _private_functions(tree)
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("_"):
            continue
        if node.name not in kept or node is not last[node.name]:  # uncalled, or redefined further down
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            drop.update(range(first - 1, node.end_lineno))
    out = [line for k, line in enumerate(lines) if k not in drop]
    text = "".join(out)
    while "\n\n\n\n" in text:
        text = text.replace("\n\n\n\n", "\n\n\n")
    return text
