"""Mutation testing as a standing measure: a curated list of semantic mutations of the derivation, counting,
cost, code-generation and printing rules. Each mutant is applied to a copy of the checkout and the test
suite runs against it without the golden-file test (test_committed_gallery_is_current), so only real checks
can kill it. Prints each mutant's outcome and the score by area.

Run:  python benchmarks/mutation.py            (all mutants, 2 at a time; about an hour here)
      python benchmarks/mutation.py --list     (the mutants only)
      python benchmarks/mutation.py 3 17       (some mutants, by number)"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCS = "lstmsym/model/function_classes.py"
BACK = "lstmsym/derive/backward.py"
VOPS = "lstmsym/model/vector_ops.py"
TESTS = ["tests/test_gradients.py", "tests/test_check.py", "tests/test_counts.py", "tests/test_cost.py", "tests/test_printing.py",
         "tests/test_export.py", "tests/test_json.py", "tests/test_flow.py", "tests/test_interop.py"]
IGNORE = "test_committed_gallery_is_current"

#: (area, file, text, replacement, what the mutant does). Each text occurs exactly once in its file.
MUTANTS = [
    # -- derivatives of the function table -------------------------------------------------------------
    ("derivation", FUNCS, "        return self * (1 - self)", "        return self * (1 + self)", "sigmoid' = s(1 + s)"),
    ("derivation", FUNCS, "        return 1 - self**2", "        return 1 + self**2", "tanh' = 1 + t^2"),
    ("derivation", FUNCS, "        return self\n\n    @classmethod\n    def numeric(cls, x):\n        return mpmath.exp(x)",
     "        return 2 * self\n\n    @classmethod\n    def numeric(cls, x):\n        return mpmath.exp(x)", "exp' = 2 exp"),
    ("derivation", FUNCS, "        return 1 / self.args[0]", "        return -1 / self.args[0]", "log' = -1/x"),
    ("derivation", FUNCS, "        return 1 / (2 * self)", "        return 1 / self", "sqrt' = 1/sqrt"),
    ("derivation", FUNCS, "        return Sigmoid(self.args[0])", "        return Tanh(self.args[0])", "softplus' = tanh"),
    ("derivation", FUNCS, "        return Step(self.args[0])\n\n    @classmethod\n    def numeric(cls, x):\n        return max(x, mpmath.mpf(0))",
     "        return S.One\n\n    @classmethod\n    def numeric(cls, x):\n        return max(x, mpmath.mpf(0))", "relu' = 1"),
    ("derivation", FUNCS, "        return Rational(1, 6) * Step(x + 3) * Step(3 - x)", "        return Rational(1, 4) * Step(x + 3) * Step(3 - x)", "hard_sigmoid' = 1/4"),
    ("derivation", FUNCS, "        return Step(x + 1) * Step(1 - x)", "        return Step(x + 1)", "hard_tanh' ignores the upper clip"),
    ("derivation", FUNCS, "        return Sign(self.args[0])", "        return S.One", "abs' = 1"),
    ("derivation", FUNCS, "        return Cos(self.args[0])", "        return -Cos(self.args[0])", "sin' = -cos"),
    ("derivation", FUNCS, "        return -Sin(self.args[0])", "        return Sin(self.args[0])", "cos' = sin"),
    ("derivation", FUNCS, "        return 1 / (1 + Abs(self.args[0])) ** 2", "        return 1 / (1 + Abs(self.args[0]))", "softsign' without the square"),
    ("derivation", FUNCS, "        return Step(x) + (1 - Step(x)) * Exp(x)", "        return Step(x) + (1 - Step(x))", "elu' = 1 below 0"),
    ("derivation", FUNCS, "        return Step(x) + a * (1 - Step(x))", "        return Step(x) + (1 - Step(x))", "leaky_relu' ignores the slope"),
    ("derivation", FUNCS, "        return S.One if argindex == 1 else -Floor(a / b)", "        return S.One if argindex == 1 else Floor(a / b)", "mod' wrt divisor sign"),
    ("derivation", FUNCS, "        return Step(a - b) if argindex == 1 else 1 - Step(a - b)", "        return Step(a - b) if argindex == 1 else Step(a - b)", "max' to both"),
    ("derivation", FUNCS, "        return Step(b - a) if argindex == 1 else 1 - Step(b - a)", "        return Step(a - b) if argindex == 1 else 1 - Step(b - a)", "min' swapped"),
    # -- reverse-mode rules ----------------------------------------------------------------------------
    ("derivation", VOPS, 'op("MatTVec")(m, g) if i == 1 else op("Outer")(g, v)', 'op("MatVec")(m, g) if i == 1 else op("Outer")(g, v)',
     "matvec: M v instead of M^T v"),
    ("derivation", VOPS, 'op("MatTVec")(m, g) if i == 1 else op("Outer")(g, v)', 'op("MatTVec")(m, g) if i == 1 else op("Outer")(v, g)',
     "matrix-valued quantity gets v dy^T"),
    ("derivation", VOPS, 'op("MatVec")(g, b) if i == 0 else op("MatTVec")(g, a)', 'op("MatVec")(g, b) if i == 0 else op("MatVec")(g, a)',
     "outer: b gets dY a"),
    ("derivation", VOPS, 'op("ConvT")(k, g)', 'op("ConvT")(k, -g)', "conv adjoint sign"),
    ("derivation", BACK, "    return Outer(upstream, S(op.args[1]))\n\n\n#:", "    return Outer(S(op.args[1]), upstream)\n\n\n#:", "weight gradient transposed"),
    ("derivation", BACK, "                upstream = upstream / size_factor(consumer.over)", "                upstream = upstream", "mean without 1/n"),
    ("derivation", BACK, "            return SumUnits(upstream)", "            return upstream", "scalar does not sum over units"),
    ("derivation", BACK, "        return SumTrailing(upstream, sympy.Integer(len(units) - len(mine)))", "        return SumTrailing(upstream, sympy.Integer(1))",
     "per-channel sums one axis"),
    ("derivation", BACK, "            sourced.insert(0, (S(incoming_key(key)), \"in\"))", "            pass", "incoming adjoint dropped"),
    ("derivation", BACK, "                    terms.append(term.coef * (transposed(upstream) if term.transposed else upstream))",
     "                    terms.append(term.coef * upstream)", "matrix expression ignores transposes"),
    ("derivation", BACK, "                    terms.append(term.coef * (transposed(upstream) if term.transposed else upstream))",
     "                    terms.append(transposed(upstream) if term.transposed else upstream)", "matrix expression ignores coefficients"),
    ("derivation", BACK, "        return sympy.Add(self.matrix_gradient(name), *elementwise)", "        return self.matrix_gradient(name) or sympy.Add(*elementwise)",
     "parameter misses elementwise uses"),
    ("derivation", "lstmsym/derive/bptt.py", "                terms.append(LossGrad(sympy.Symbol(name)))", "                pass", "recurrence without the loss term"),
    ("derivation", "lstmsym/model/vector_ops.py", "        return Outer(expr.args[1], expr.args[0])", "        return Outer(expr.args[0], expr.args[1])", "(a b^T)^T = a b^T"),
    ("derivation", "lstmsym/model/lower.py", "            return -operand if self.evaluate else sympy.Mul(-1, operand, evaluate=False)",
     "            return operand if self.evaluate else sympy.Mul(-1, operand, evaluate=False)", "unary minus lost in lowering"),
    # -- generated code ---------------------------------------------------------------------------------
    ("code", "templates/numpy_module.py.j2", "    return a.reshape(-1, a.shape[-1]).T @ v.reshape(-1, v.shape[-1])",
     "    return v.reshape(-1, v.shape[-1]).T @ a.reshape(-1, a.shape[-1])", "outer sums transposed"),
    ("code", "templates/numpy_module.py.j2", "    return _conv2d(d, np.flip(kernel, (-2, -1)).swapaxes(0, 1))",
     "    return _conv2d(d, kernel.swapaxes(0, 1))", "transposed convolution not flipped"),
    ("code", "templates/numpy_module.py.j2", "    return value.sum(axis=tuple(range(value.ndim - rank))) if value.ndim > rank else value",
     "    return value.sum(axis=tuple(range(1, value.ndim - rank))) if value.ndim > rank else value", "gradient terms not summed over time"),
    ("code", "templates/numpy_module.py.j2", '    return np.einsum("...kr,krc->...kc", parts, m).reshape(d.shape[:-1] + (k * m.shape[2],))',
     '    return np.einsum("...kr,kcr->...kc", parts, m.swapaxes(1, 2)).reshape(d.shape[:-1] + (k * m.shape[2],)) * 0.5',
     "block transpose product halved"),
    ("code", "lstmsym/printing/numpy_code.py", '            return f"(({v}) @ {self.at_rank(matrix, 2)})"',
     '            return f"(({v}) @ {self.at_rank(matrix, 2)}.T)"', "M^T v printed as M v"),
    ("code", "lstmsym/printing/numpy_code.py", '        return f"_sum({code}, ({axes},))"', '        return f"(0.5 * _sum({code}, ({axes},)))"',
     "sum over units halved in the code"),
    ("code", "lstmsym/render/numpy_forward.py", '                expr = expr / sympy.Mul(*[S(f"size:{s}") for s in node.over])',
     '                expr = expr', "forward mean without 1/n"),
    ("code", "lstmsym/render/numpy_module.py", '                parts.append(f"dY_{self.short(term.args[0].name)}[t]")', "                pass",
     "loss gradient not added to the incoming adjoint"),
    ("code", "lstmsym/render/numpy_module.py", '            lines.append(f"d_carry_{self.short(self.cell.state_of_previous[st.of].name)} = {pyname(st.target)}")',
     '            lines.append(f"d_carry_{self.short(self.cell.state_of_previous[st.of].name)} = 0 * {pyname(st.target)}")',
     "carry not handed to step t-1"),
    ("code", "lstmsym/render/numpy_module.py", '                    code = f"_G_{group.key}[{start}:{stop}]" + (".T" if flipped else "")',
     '                    code = f"_G_{group.key}[{start}:{stop}]"', "stacked weight gradient: transpose dropped"),
    # -- counting ------------------------------------------------------------------------------------------
    ("counting", "lstmsym/derive/counts.py", "    later_input = query.directions * output_size(cell)", "    later_input = output_size(cell)",
     "later layers read one direction"),
    ("counting", "lstmsym/derive/counts.py", "                shape = (k, shape[0] / k, shape[1] / k)", "                shape = (k, shape[0], shape[1] / k)",
     "block tensor too big"),
    ("counting", "lstmsym/model/cell.py", "        return count / size_symbol(self.blocks) if self.blocks else count", "        return count",
     "block-diagonal counted dense"),
    ("counting", "lstmsym/derive/frameworks.py", '        "partner": {"bias_hh": "bias_ih", "bias_ih": "bias_hh"},', '        "partner": {},',
     "PyTorch's second bias has no shape"),
    ("counting", "lstmsym/derive/frameworks.py", '    stacked = sympy.Add(*[size(shape[0]) for shape in shapes])',
     '    stacked = sympy.Add(*[size(shape[0]) for shape in shapes[:-1]]) if len(shapes) > 1 else size(shapes[0][0])',
     "framework tensor misses its last block"),
    ("counting", "lstmsym/model/sizes.py", '        return {"less": a < b, "divides": b % a == 0, "within": a <= b}[self.kind]',
     '        return {"less": a <= b, "divides": b % a == 0, "within": a <= b}[self.kind]', "p = n allowed"),
    # -- cost ------------------------------------------------------------------------------------------------
    ("cost", "lstmsym/derive/cost.py", "        return 2 * self.forward_macs", "        return self.forward_macs", "forward FLOPs not doubled"),
    ("cost", "lstmsym/derive/cost.py", "        return units(first) * units(second[1:])", "        return units(first)", "conv without H*W"),
    ("cost", "lstmsym/derive/cost.py", "            cost.backward_weight_macs += macs", "            cost.backward_weight_macs += 0", "no weight-gradient FLOPs"),
    ("cost", "lstmsym/derive/cost.py", "    per_step = sum((units(i.shape) for i in cell.inputs), sympy.S.Zero)", "    per_step = sympy.S.Zero",
     "cache without the inputs"),
    ("cost", "lstmsym/derive/cost.py", '            cost.forward_ops["sum"] += units(node.over) - 1', '            cost.forward_ops["sum"] += units(node.over)',
     "reduction counts one sum too many"),
    ("cost", "lstmsym/derive/cost.py", "    cost.initial_state = sympy.expand(sum((units(s.shape) for s in cell.states), sympy.S.Zero))",
     "    cost.initial_state = sympy.S.Zero", "initial state not cached"),
    # -- printing --------------------------------------------------------------------------------------------
    ("printing", "lstmsym/printing/order.py", "    if inner.is_Add:\n        return True\n    return position > 0",
     "    if inner.is_Add:\n        return False\n    return position > 0", "no brackets around sums in products"),
    ("printing", "lstmsym/printing/order.py", "    return not (base.is_Symbol or isinstance(base, ElementwiseBase)) or base.could_extract_minus_sign()",
     "    return False", "no brackets around bases of powers"),
    ("printing", "lstmsym/printing/order.py", "        if index and term.could_extract_minus_sign():\n            text += minus\n            term = -term",
     "        if index and term.could_extract_minus_sign():\n            text += plus\n            term = -term", "subtraction printed as addition"),
    ("printing", "lstmsym/printing/order.py", "key=lambda f: (is_vector(notation, f), factor_key(notation, f))",
     "key=lambda f: factor_key(notation, f)", "scalars not printed before vectors"),
    ("printing", "lstmsym/printing/order.py", "return is_vector(notation, factors[position]) and any(is_vector(notation, f) for f in factors[:position])",
     "return is_vector(notation, factors[position]) and position > 0 and is_vector(notation, factors[position - 1])",
     "odot only between adjacent vectors"),
    ("printing", "lstmsym/printing/latex.py", '    return "t" if offset == 0 else f"t{offset:+d}"', '    return "t"', "time index always t"),
    ("printing", VOPS, '"{m0}.T @ {o1}"', '"{m0} @ {o1}"', "text: transpose dropped"),
    ("printing", "lstmsym/printing/html.py", '            parts.append(f"⊙ {text}" if odot_before(self.notation, numer, position) else text)', '            parts.append(text)', "labels without ⊙"),
    ("printing", "lstmsym/render/diagram.py", '        if not is_vector(self.notation, rest):  # a scalar multiplies: −γ, dt (⊙ is for two vectors)\n            return text\n',
     '', "gradient-flow label: ⊙ before a scalar factor"),
    ("printing", "lstmsym/printing/notation.py", '            return Glyph(latex, html, tuple(subs), tuple(html_subs), "prev", rank, CATEGORY[kind], vector)',
     '            return Glyph(latex, html, tuple(subs), tuple(html_subs), "step", rank, CATEGORY[kind], vector)', "previous state printed at t"),
    ("printing", "lstmsym/printing/notation.py", '            return f"{pre}_bar{index}"', '            return f"{pre}{index}"', "pre-activation named as its gate"),
    ("printing", "lstmsym/printing/mathml.py", '            out.appendChild(self.bracketed(printed) if factor_needs_brackets(factor, position + (coeff != 1)) else printed)',
     '            out.appendChild(printed)', "MathML without brackets"),
    ("printing", "lstmsym/printing/latex.py", '            return rf"{ADJOINT_GLYPH[0]} {self.name_tex(base)}^{{\\mathrm{{{INCOMING_MARK}}}}}"',
     '            return rf"{ADJOINT_GLYPH[0]} {self.name_tex(base)}"', "incoming adjoint printed as the adjoint"),
]


def apply(copy: Path, mutant: tuple) -> None:
    _, rel, old, new, _ = mutant
    path = copy / rel
    text = path.read_text()
    if text.count(old) != 1:
        raise SystemExit(f"mutant text not found exactly once in {rel}: {old[:60]!r}")
    path.write_text(text.replace(old, new))


def run(index: int) -> tuple[int, bool, float]:
    """Mutant `index` against the tests in a copy of the checkout (index -1: no mutation, the baseline)."""
    mutant = MUTANTS[index] if index >= 0 else None
    with tempfile.TemporaryDirectory(prefix="lstmsym-mutant-") as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "output", "__pycache__", ".pytest_cache", ".hypothesis"))
        if mutant is not None:
            apply(copy, mutant)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-n", "0", "-p", "no:cacheprovider", "-k", f"not {IGNORE}", *TESTS],
                                cwd=copy, capture_output=True, text=True, env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin:/usr/local/bin",
                                                                                "HOME": tmp, "KERAS_BACKEND": "torch"})
        if result.returncode not in (0, 1):  # 2-5: interrupted, internal or usage error, nothing collected
            raise SystemExit(f"mutant {index}: pytest exited with {result.returncode}, not a test verdict:\n{result.stdout[-2000:]}")
        if index < 0 and result.returncode == 1:
            print(result.stdout[-3000:], flush=True)
        return index, result.returncode == 1, time.perf_counter() - started


def main(argv: list[str]) -> None:
    if "--list" in argv:
        for index, (area, rel, _, _, what) in enumerate(MUTANTS):
            print(f"{index:3d}  {area:10s}  {rel:40s}  {what}")
        return
    chosen = [int(a) for a in argv] or list(range(len(MUTANTS)))
    for index in chosen:
        apply_check = (ROOT / MUTANTS[index][1]).read_text().count(MUTANTS[index][2])
        assert apply_check == 1, (index, MUTANTS[index][4])
    baseline = run(-1)
    if baseline[1]:
        raise SystemExit("the unmutated checkout fails these tests: fix that first")
    print(f"baseline: the tests pass on the unmutated checkout ({baseline[2]:.0f} s)", flush=True)
    areas: dict[str, list[bool]] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        for index, killed, seconds in pool.map(run, chosen):
            area, rel, _, _, what = MUTANTS[index]
            areas.setdefault(area, []).append(killed)
            print(f"{index:3d}  {'killed  ' if killed else 'SURVIVED'}  {area:10s}  {what}  ({seconds:.0f} s)", flush=True)
    total = sum(sum(v) for v in areas.values())
    print(f"\nkilled {total}/{sum(len(v) for v in areas.values())} mutants")
    for area, results in areas.items():
        print(f"  {area:10s} {sum(results)}/{len(results)} ({100 * sum(results) / len(results):.0f}%)")


if __name__ == "__main__":
    main(sys.argv[1:])
