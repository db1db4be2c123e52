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
The other two kinds the issue names, a structural operator and a code backend, are not scripted here: they still
touch more files than the targets (see the closing note of issue 23)."""

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


SCENARIOS = {"function": add_function, "matrix": add_matrix_kind}


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
