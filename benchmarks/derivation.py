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
from lstmsym.derive.derived import Derived
from lstmsym.model.cell import Cell
from lstmsym.spec.catalogue import resolve
from lstmsym.spec.files import load_spec


def derive(name: str) -> None:
    """Everything gradient-related, from the spec file: parse, build, one-step and BPTT equations."""
    facts = Derived(Cell(load_spec(resolve(name))))
    facts.backward, facts.bptt


def check_times(name: str) -> tuple[float, float, str]:
    """Seconds for `check`'s verdict on the printed adjoint of the first state's previous value, as printed
    (right) and with its first term dropped (wrong); the derivation is done before timing."""
    from lstmsym.render.facts import notation
    from lstmsym.render.gradview import gradient_view
    from lstmsym.verify.check import check_formula

    facts = Derived(Cell(load_spec(resolve(name))))
    n = notation(facts)
    entries = [e for section in gradient_view(facts)["sections"] for e in section["entries"]]
    entry = next(e for e in entries if e["target"].endswith("_prev")) if any(e["target"].endswith("_prev") for e in entries) else entries[0]
    terms = sympy.Add.make_args(next(st.expr for st in facts.backward.statements if text_of(st.symbol, n) == entry["target"]))
    from lstmsym.printing.text import text
    wrong = text(sympy.Add(*terms[1:]), n) if len(terms) > 1 else f"2 * ({entry['text']})"
    out = []
    for formula in (entry["text"], wrong):
        start = time.perf_counter()
        check_formula(facts, n, entry["target"], formula)
        out.append(time.perf_counter() - start)
    return out[0], out[1], entry["target"]


def text_of(symbol, n) -> str:
    from lstmsym.printing.text import text
    return text(symbol, n)


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
        print(f"   {name:24s} {seconds * 1e3:7.1f} ms")
    times = sorted(s for _, s in rows)
    print(f"   total {sum(times):.2f} s for {len(rows)} cells; median {statistics.median(times) * 1e3:.1f} ms; "
          f"slowest {max(rows, key=lambda r: r[1])[0]} {times[-1] * 1e3:.0f} ms (goal: median at most 100 ms)")

    print("\n1b. `check` verdicts: the printed adjoint of each cell's first previous state, right and with a term dropped")
    checks = [(name, *check_times(name)) for name in lstmsym.builtin_names()]
    worst = max(checks, key=lambda r: max(r[1], r[2]))
    print(f"   {len(checks)} cells: slowest verdict {max(worst[1], worst[2]):.2f} s ({worst[0]}, --wrt {worst[3]}); "
          f"median right {statistics.median(r[1] for r in checks):.2f} s, wrong {statistics.median(r[2] for r in checks):.2f} s "
          "(goal: every verdict under 2 s)")

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
