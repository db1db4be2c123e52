"""Files to touch for an extension (issue 23): each change is applied to a scratch copy of this checkout (a git
worktree of HEAD), the files it touched are counted from git, and the tests that cover that kind of extension are
run in the copy, so the count is of a change that passes, not of a guess.

    python benchmarks/extension.py            # every scenario
    python benchmarks/extension.py function   # one

Scenarios:
  function  a new elementwise function, gelu (x sigmoid(1.702 x)): its SymPy class with the derivative, its row
            of the function table (every notation and backend by name), its test spec, and its printed head in the
            read-back's own list (the independent reader of the documents imports no printer table, by design).
  matrix    a new kind of constant matrix, the exchange matrix (ones on the anti-diagonal, reversing a vector):
            its row of spec/matrices.py and the test's NumPy answer for it.
  operator  a new structural operator, logcumsumexp along the units of a vector (minGRU's scan in log space,
            Feng et al. 2024): its entry in the operator table model/along.py (meaning, adjoint rule written with the
            table's own revcumsum, cost, NumPy/PyTorch/JAX code, interpreter), its test spec, and its name in the
            two places that are kept apart from the table by design: the PyTorch oracle's own definitions
            (verify/torch_spec.py) and the document reader's list of printed heads (verify/readback_tokens.py).
The fourth kind the issue names, a code backend, is not scripted here (see the closing note of issue 23)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def add_function(copy: Path) -> list[str]:
    edit(copy / "lstmsym/model/function_classes.py", "\nclass Abs(ElementwiseBase):", '''
class Gelu(ElementwiseBase):
    """x sigmoid(1.702 x), the sigmoid approximation of GELU."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sympy.Expr:  # in the notation's own functions (the printers know those)
        s = Sigmoid(sympy.Rational(1702, 1000) * self.args[0])
        return s + sympy.Rational(1702, 1000) * self.args[0] * s * (1 - s)

    @classmethod
    def standard(cls, x):
        return x / (1 + sympy.exp(-sympy.Rational(1702, 1000) * x))


class Abs(ElementwiseBase):''')
    functions = copy / "lstmsym/model/functions.py"
    edit(functions, "Relu, Sigmoid,", "Relu, Sigmoid, Gelu,")  # the import line
    edit(functions, '''    _function("elu", Elu,''', '''    _function("gelu", Gelu, 1, r"\\operatorname{gelu}", "gelu", "x sigmoid(1.702 x)",
              numpy="x / (1.0 + np.exp(-1.702 * x))", torch="x * torch.sigmoid(1.702 * x)", jax="x * jax.nn.sigmoid(1.702 * x)",
              triton="x * tl.sigmoid(1.702 * x)"),
    _function("elu", Elu,''')
    # the read-back's own list of printed heads: the independent reader imports no printer table, by design
    edit(copy / "lstmsym/verify/readback_tokens.py", '''"softsign": "softsign",''', '''"softsign": "softsign", "gelu": "gelu",''')
    spec = (copy / "tests/specs/fn_softsign.toml").read_text().replace("softsign", "gelu")
    (copy / "tests/specs/fn_gelu.toml").write_text(spec)
    return ["tests/test_gradients.py", "tests/test_check.py", "tests/test_readback.py", "tests/test_fuzz.py",
            "tests/test_strict_printers.py", "tests/test_guide.py", "tests/test_architecture.py",
            "tests/test_export_torch.py::test_generated_module_against_autograd_through_the_spec", "-k",
            "gelu or every_function or fuzz or guide or architecture or strict or modules"]


def add_matrix_kind(copy: Path) -> list[str]:
    edit(copy / "lstmsym/spec/matrices.py", '''    MatrixKind("ones", False,''', '''    MatrixKind("exchange", True, "ones on the anti-diagonal, so {name} v is v reversed",
               {"numpy": "np.eye(c, dtype=dtype)[::-1].copy()", "jax": "jnp.eye(c, dtype=dtype)[::-1]",
                "torch": f"torch.flip(torch.eye(c, {_TORCH}), (0,))"}),
    MatrixKind("ones", False,''')
    edit(copy / "lstmsym/spec/matrices.py", '''    if kind == "ones":
        return 1''', '''    if kind == "ones":
        return 1
    if kind == "exchange":
        return int(i + j == rows - 1)''')
    edit(copy / "tests/test_constant_matrices.py", '''    "ones": lambda r, c: np.ones((r, c)),''', '''    "ones": lambda r, c: np.ones((r, c)),
    "exchange": lambda r, c: np.eye(r, c)[::-1],''')
    return ["tests/test_constant_matrices.py", "tests/test_json.py"]


def add_operator(copy: Path) -> list[str]:
    along = copy / "lstmsym/model/along.py"
    edit(along, "from sympy import Function\n", "from sympy import Function\n\nfrom .function_classes import Exp\n")
    edit(along, "\n)\n\n\ndef _sum_units", '''
    Along("logcumsumexp", "LogCumSumExp", "log of the cumulative sum of exponentials along the units of a vector, "
          "y_i = log(e^v_1 + ... + e^v_i)", "v",
          {"numpy": "np.logaddexp.accumulate(v, axis=-1)", "torch": "torch.logcumsumexp(v, dim=-1)",
           "jax": "jax.lax.cumlogsumexp(v, axis=v.ndim - 1)", "matrix": "{np}.logaddexp.accumulate({a0}, axis=0)"},
          lambda fns, numeric, v: np.logaddexp.accumulate(v) if numeric else np.asarray(fns["log"](np.cumsum(fns["exp"](v)))),
          # y = logcumsumexp(v): v_j gets sum over i >= j of g_i e^(v_j - y_i)
          adjoint=lambda g, v, y, total: Exp(v) * op("revcumsum")(g * Exp(-y)), counts={"nonlinear": 2, "sum": 1}),
)


def _sum_units''')
    edit(copy / "lstmsym/verify/torch_spec.py", '''"softmax": _softmax,''', '''"softmax": _softmax, "logcumsumexp": lambda v: v.logcumsumexp(dim=-1),''')
    edit(copy / "lstmsym/verify/readback_tokens.py", '''ALONG_HEADS = ("cumsum",''', '''ALONG_HEADS = ("logcumsumexp", "cumsum",''')
    (copy / "tests/specs/construct_logcumsumexp.toml").write_text('''name = "construct_logcumsumexp"
summary = "logcumsumexp along the units of a vector: its adjoint is exp(v) * revcumsum(g * exp(-y))."
parameters = ["W", "U", "b"]
outputs = ["h"]

[sizes]
m = "input size"
n = "hidden size"

[input]
x = "m"

[state.h]
shape = "n"

[equations]
a = "W @ x + U @ h_prev + b"
h = "0.5 * h_prev + 0.5 * tanh(logcumsumexp(a))"
''')
    return ["tests", "-m", "not slow", "-k", "logcumsumexp or every_function or strict or helpers or spec_errors or architecture "
            "or test_guide or fuzz or schema or json"]


SCENARIOS = {"function": add_function, "matrix": add_matrix_kind, "operator": add_operator}


def run(name: str) -> tuple[list[str], int, float]:
    with tempfile.TemporaryDirectory(prefix="lstmsym-extension-") as tmp:
        copy = Path(tmp) / "copy"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(copy), "HEAD"], cwd=ROOT, check=True)
        try:
            tests = SCENARIOS[name](copy)
            subprocess.run(["git", "add", "-A"], cwd=copy, check=True)
            touched = subprocess.run(["git", "diff", "--cached", "--name-only"], cwd=copy, check=True, capture_output=True,
                                     text=True).stdout.split()
            started = time.perf_counter()
            env = dict(os.environ, PYTHONPATH=str(copy))
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=copy,
                                    capture_output=True, text=True, env=env)
            print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:])
            return touched, result.returncode, time.perf_counter() - started
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(copy)], cwd=ROOT, check=True)


def main(names: list[str]) -> int:
    worst = 0
    for name in names or list(SCENARIOS):
        touched, code, seconds = run(name)
        print(f"{name}: {len(touched)} files touched ({', '.join(touched)}); its tests "
              f"{'pass' if code == 0 else 'FAIL'} ({seconds:.0f} s)")
        worst = max(worst, code)
    return worst


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
