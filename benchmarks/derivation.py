"""Derivation cost: per cell, against hidden size and sequence length, and against the naive route.

Run: python benchmarks/derivation.py [--quick]
The naive route builds explicit n x n symbol matrices, unrolls T steps of an LSTM and calls
Matrix.jacobian on the loss; lstmsym derives vector-level equations once, for symbolic sizes."""

from __future__ import annotations

import argparse
import statistics
import time

import sympy
from sympy.core.cache import clear_cache

import lstmsym
from lstmsym.backward import Backward
from lstmsym.bptt import BPTT
from lstmsym.cell import Cell
from lstmsym.registry import resolve
from lstmsym.spec import load_spec


def derive(name: str) -> None:
    """Everything gradient-related, from the spec file: parse, build, one-step and BPTT equations."""
    back = Backward(Cell(load_spec(resolve(name))))
    BPTT(back).recurrences


def timed(fn, repeat: int = 5) -> float:
    """Median seconds, with SymPy's cache cleared before each run so no run reuses another's work."""
    times = []
    for _ in range(repeat):
        clear_cache()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def naive_lstm(n: int, m: int, steps: int) -> float:
    """Seconds for the explicit-matrix route: unroll, then Jacobian of the loss w.r.t. every parameter."""
    clear_cache()
    start = time.perf_counter()
    sig = lambda z: z.applyfunc(lambda e: 1 / (1 + sympy.exp(-e)))  # noqa: E731
    tanh = lambda z: z.applyfunc(sympy.tanh)  # noqa: E731
    params = []

    def mat(name, rows, cols):
        matrix = sympy.Matrix(rows, cols, lambda i, j: sympy.Symbol(f"{name}_{i}_{j}"))
        params.extend(matrix)
        return matrix

    W = {g: mat(f"W{g}", n, m) for g in "ifgo"}
    U = {g: mat(f"U{g}", n, n) for g in "ifgo"}
    b = {g: mat(f"b{g}", n, 1) for g in "ifgo"}
    h = sympy.zeros(n, 1)
    c = sympy.zeros(n, 1)
    for t in range(steps):
        x = sympy.Matrix(m, 1, lambda i, j: sympy.Rational(i + 1 + t, 7))
        z = {g: W[g] * x + U[g] * h + b[g] for g in "ifgo"}
        i, f, g, o = sig(z["i"]), sig(z["f"]), tanh(z["g"]), sig(z["o"])
        c = f.multiply_elementwise(c) + i.multiply_elementwise(g)
        h = o.multiply_elementwise(tanh(c))
    loss = sympy.Matrix([sum(h)])
    loss.jacobian(params)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the slowest naive run (n = 8)")
    parser.add_argument("--long", action="store_true", help="also run the naive route at T = 3 (about 4 minutes)")
    args = parser.parse_args()

    print("1. Derivation time per cell (parse spec, build cell, one-step and BPTT equations; median of 5)")
    rows = [(name, timed(lambda: derive(name))) for name in lstmsym.builtin_names()]
    for name, seconds in rows:
        print(f"   {name:18s} {seconds * 1e3:7.1f} ms")
    print(f"   total {sum(s for _, s in rows):.2f} s for {len(rows)} cells; slowest {max(rows, key=lambda r: r[1])[0]}")

    ours = timed(lambda: derive("lstm"))
    print("\n2. LSTM gradient equations against hidden size n (m = 3, one step)")
    print(f"   {'n':>3s} {'lstmsym (s)':>12s} {'naive (s)':>10s} {'naive / lstmsym':>16s}")
    for n in (2, 4) if args.quick else (2, 4, 8):
        naive = naive_lstm(n, 3, 1)
        print(f"   {n:3d} {ours:12.4f} {naive:10.3f} {naive / ours:16.0f}")

    print("\n3. LSTM BPTT against sequence length T (n = 2, m = 3)")
    print(f"   {'T':>3s} {'lstmsym (s)':>12s} {'naive (s)':>10s} {'naive / lstmsym':>16s}")
    for steps in (1, 2, 3) if args.long else (1, 2):
        naive = naive_lstm(2, 3, steps)
        print(f"   {steps:3d} {ours:12.4f} {naive:10.3f} {naive / ours:16.0f}")
    print("\n   lstmsym's derivation never sees n or T: the same equations serve every size and length,")
    print("   so its column is one measurement. The naive route grows with both (here: T = 3 took 248 s;")
    print("   FACTS.md: 135 s at T = 4 on a faster run). Use --long to measure T = 3.")


if __name__ == "__main__":
    main()
