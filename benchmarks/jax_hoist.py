"""The JAX export's scan with the loop-invariant work hoisted (what `scan` does) against step() inside lax.scan
(what `scan` did before issue 21, item 4): what XLA's optimized HLO keeps in the while loop, and the CPU time.

Run: python benchmarks/jax_hoist.py [--cells lstm gru_reset_after] [--repeat 20]
T=100, B=32, m=128, n=256, float32, forward plus backward (jax.jit(jax.grad) of the sum of the outputs).
For each cell and variant it prints the dot, concatenate and transpose ops in the bodies of the compiled HLO's
while loops (the forward scan, then the backward's), and the median time; both variants are measured
interleaved in this one run.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

from lstmsym.derive.derived import derived
from lstmsym.model.loading import load_cell
from lstmsym.render.exports import TARGETS
from lstmsym.verify.loader import load_source
from lstmsym.verify.sampling import random_params

T, B, M, N = 100, 32, 128, 256


def variants(module):
    """name -> scan function (params, xs, state) -> ys."""
    def hoisted(p, x, s):
        return module.scan(p, x, s)[0]

    def per_step(p, x, s):
        return jax.lax.scan(lambda c, xt: module.step(p, xt, c), s, x)[1]
    return {"hoisted": hoisted, "per-step": per_step}


def loop_ops(hlo: str) -> list[dict[str, int]]:
    """For each while loop of optimized HLO text (the forward scan, then the backward's), the dot, concatenate
    and transpose ops of its body, fused computations included."""
    computations = {m.group(1): m.group(2) for m in re.finditer(r"\n(?:ENTRY )?%?([\w.-]+) \([^\n]*\{\n(.*?)\n\}", hlo, re.S)}

    def walk(name, seen, found):
        if name in seen or name not in computations:
            return
        seen.add(name)
        for op in found:
            found[op] += len(re.findall(rf" {op}\(", computations[name]))
        for called in re.findall(r"(?:calls|to_apply|body|condition)=%?([\w.-]+)", computations[name]):
            walk(called, seen, found)
    loops = []
    for body in re.findall(r"= [^\n]* while\([^\n]*?body=%?([\w.-]+)", hlo):
        found = {"dot": 0, "concatenate": 0, "transpose": 0}
        walk(body, set(), found)
        loops.append(found)
    return loops


def timed(functions: dict, repeat: int) -> dict[str, float]:
    times = {k: [] for k in functions}
    for _ in range(repeat):
        for key, fn in functions.items():
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", nargs="*", default=["lstm", "gru_reset_after"])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(f"T={T} B={B} m={M} n={N} float32, jax {jax.__version__}, {jax.devices()[0].platform}")
    print(f"{'cell':18s} {'variant':9s} {'while bodies in the optimized HLO: forward | backward':58s} {'ms':>7s}")
    for name in args.cells:
        cell = load_cell(name)
        module = load_source(TARGETS["jax"](derived(cell)))
        rng = np.random.default_rng(0)
        params = {k: jnp.asarray(0.3 * v, jnp.float32) for k, v in random_params(cell, {"m": M, "n": N}, rng).items()}
        xs = jnp.asarray(rng.normal(size=(T, B, M)), jnp.float32)
        state = module.zero_state(params, xs)
        runs, shown = {}, {}
        for key, fn in variants(module).items():
            step = jax.jit(jax.grad(lambda p, x, f=fn: f(p, x, state).sum(), argnums=(0, 1)))
            shown[key] = loop_ops(step.lower(params, xs).compile().as_text())
            runs[key] = (lambda s=step: jax.block_until_ready(s(params, xs)))
            runs[key]()
        t = timed(runs, args.repeat)
        for key in runs:
            ops = " | ".join(", ".join(f"{k} {v}" for k, v in loop.items()) for loop in shown[key])
            print(f"{name:18s} {key:9s} {ops:58s} {t[key] * 1e3:7.1f}")
        print(f"{'':18s} per-step / hoisted: {t['per-step'] / t['hoisted']:.2f}")


if __name__ == "__main__":
    main()
