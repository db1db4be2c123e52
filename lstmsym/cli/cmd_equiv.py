"""`lstmsym equiv`: are two cells the same function under some mapping of their parameters?"""

from __future__ import annotations

import argparse

import numpy as np

from ..base.errors import UsageError
from ..base.writing import check_writable
from ..derive.equiv import SCOPE, equivalence
from ..interop.files import read_weights, write_weights
from ..interop.stack import flatten, unflatten
from ..verify.equiv import apply_mapping, check
from ..printing.text import text
from ..render.facts import notation
from .common import add_json, emit, load

HELP = "whether two cells compute the same function, and the parameter mapping (exit 1 when they do not, as check)"
#: The exit status of a negative verdict, the same as `check`'s "not equivalent".
NOT_EQUIVALENT = 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", metavar="A", help="a built-in cell name or a spec path")
    p.add_argument("b", metavar="B", help="another")
    p.add_argument("--apply", nargs=2, metavar=("IN", "OUT"),
                   help="convert A's weights (IN, an .npz in lstmsym's layout) into B's (OUT) with the mapping")
    add_json(p)


def run(args: argparse.Namespace) -> int:
    a, b = load(args.a), load(args.b)
    verdict = equivalence(a.cell, b.cell)
    numbers = check(verdict, a, b)
    if args.apply:
        _apply(verdict, a, b, *args.apply)
    if args.json:
        emit("equiv", {"a": a.cell.name, "b": b.cell.name, "equivalent": verdict.equivalent, "alias": verdict.alias,
                       "b_from_a": verdict.mapping, "a_from_b": verdict.inverse, "special_case": verdict.special_case,
                       "parts_at": verdict.parts_at, "parts": {"a": verdict.parts_a, "b": verdict.parts_b},
                       "reason": verdict.reason, "numbers": numbers, "scope": SCOPE})
        return 0 if verdict.equivalent or verdict.alias else NOT_EQUIVALENT
    A, B = a.cell.name, b.cell.name
    if verdict.alias:
        print(f"{A} and {B} are the same cell: {verdict.reason}.")
        return 0
    if verdict.equivalent:
        print(f"{A} and {B} are equivalent.")
    else:
        print(f"{A} and {B} are not equivalent: {verdict.reason or 'their equations differ'}.")
        if verdict.special_case:
            print(f"  {verdict.special_case}.")
    for title, mapping, key in ((f"{B}'s parameters from {A}'s", verdict.mapping, "b_from_a"),
                                (f"{A}'s parameters from {B}'s", verdict.inverse, "a_from_b")):
        if mapping:
            shown = ", ".join(f"{k} = {v}" for k, v in mapping.items() if k != v)
            same = [k for k, v in mapping.items() if k == v]
            print(f"  {title}: {shown or 'all by name'}" + (f"; by name: {', '.join(same)}" if shown and same else ""))
            print(f"    checked numerically: the mapped parameters give the same outputs (max difference {numbers[key]:.1e})")
    if verdict.equivalent:
        print("  proved symbolically: every state and output is equal once the mapping is substituted")
    if not verdict.equivalent:
        if verdict.parts_at and verdict.parts_exprs:
            left, right = (text(e, notation(d)) for e, d in zip(verdict.parts_exprs, (a, b)))
            print(f"  they part in the update of {verdict.parts_at}: {A} has  {left}")
            print(f"  {' ' * (len(verdict.parts_at) + 27)}{B} has  {right}")
        ce = numbers.get("counterexample")
        if ce and ce["first"]:
            step, seq, unit = ce["first"]
            print(f"  counterexample (same inputs and initial state, parameters shared by name): output unit {unit} of "
                  f"sequence {seq} at step {step + 1} is {ce['a_output']:.6g} in {A} and {ce['b_output']:.6g} in {B} "
                  f"(largest difference {ce['max_difference']:.3g})")
    print(f"  searched: {SCOPE}")
    return 0 if verdict.equivalent else NOT_EQUIVALENT


def _apply(verdict, a, b, source: str, target: str) -> None:
    if verdict.forward is None:
        raise UsageError(f"no mapping gives {b.cell.name}'s parameters from {a.cell.name}'s, so --apply cannot convert")
    check_writable(target)
    stack = unflatten(a.cell, read_weights(source))
    out = {}
    for key, weights in stack.items():
        sizes = {}
        for p in a.cell.parameters:
            sizes.update(zip(p.shape, np.shape(weights[p.name])))
        sizes_b = {}
        for x, y in zip(a.cell.inputs, b.cell.inputs):
            sizes_b.update({sy: sizes[sx] for sx, sy in zip(x.shape, y.shape)})
        for x, y in zip(a.cell.states, b.cell.states):
            sizes_b.update({sy: sizes[sx] for sx, sy in zip(x.shape, y.shape)})
        out[key] = apply_mapping(verdict.forward, weights, b.cell, sizes_b)
    write_weights(target, flatten(out))
    print(f"wrote {b.cell.name}'s weights to {target}")
