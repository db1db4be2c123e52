"""Hostile spec files and formulas: parsed, never run; each gets a clear error, exit 2, in bounded time and memory."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CELLS

RNN = (CELLS / "rnn.toml").read_text()
H = 'h = "tanh(W @ x + U @ h_prev + b)"'
LIMIT_SECONDS = 20
LIMIT_BYTES = 1_500_000_000


def equation(text: str) -> str:
    return RNN.replace(H, f"h = '''{text}'''")


CASES = {
    "import and call": (equation("__import__('os').system('touch /tmp/lstmsym-pwned')"), "starts with '_' or contains '__'"),
    "attribute access": (equation("tanh(x.shape)"), "attribute access '.shape' is not allowed"),
    "dunder name": (equation("tanh(W.__class__)"), "name '__class__' starts with '_'"),
    "method call": (equation("tanh(x.mean())"), "attribute access '.mean' is not allowed"),
    "lambda": (equation("(lambda: 1)()"), "unexpected character ':'"),
    "comprehension": (equation("[q for q in x]"), "unexpected character '['"),
    "subscript": (equation("tanh(x[0])"), "unexpected character '['"),
    "keyword argument": (equation("tanh(x=1)"), "keyword arguments are not allowed"),
    "string literal": (equation("tanh('x')"), "unexpected character"),
    "string where a number belongs": (RNN.replace('year = 1990', 'year = "1990"'), "'year' is a string"),
    "string constant": (RNN.replace('[input]', '[constants]\ngamma = "0.1"\n\n[input]'), "constant 'gamma' is a string"),
    "power tower": (equation("tanh(W @ x + U @ h_prev + b) ** 10 ** 10"), "the exponent of '**' is not a number"),
    "huge exponent": (equation("tanh(W @ x + U @ h_prev + b) ** 99999999"), "is out of range"),
    "huge constant": (equation("tanh(W @ x + U @ h_prev + b) * 1e999"), "is out of range"),
    "huge named constant": (RNN.replace('[input]', '[constants]\ngamma = 1e300\n\n[input]'), "is out of range"),
    "deep nesting": (equation("(" * 3000 + "x" + ")" * 3000), "expression is 6001 characters long"),
    "nesting under the length limit": (equation("(" * 1500 + "W @ x" + ")" * 1500), "nested too deeply"),
    "thousands of equations": (RNN.replace(H, H + "\n" + "\n".join(f'q{i} = "x"' for i in range(3000))), "at most 200"),
    "very long name": (equation("tanh(" + "w" * 5000 + ")"), "characters long"),
    "eval in a title": (RNN.replace('title = "Elman recurrent network"', 'title = "${__import__(\'os\')}"'), None),
    "empty file": ("", "missing required keys 'name' (the cell's name), 'sizes'"),
    "binary junk": ("\x00\x01\x02name = 1", "TOML syntax error"),
}


#: The CLI under a memory limit the child sets on itself: a preexec_fn would fork this test process, which may hold
#: JAX's threads from an earlier test (os.fork with threads can deadlock; Python warned of it 30 times a run).
LIMITED_CLI = ("import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, ({0}, {0})); "
               "sys.argv = ['lstmsym'] + sys.argv[1:]; runpy.run_module('lstmsym.cli', run_name='__main__')")


def run_limited(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LIMITED_CLI.format(LIMIT_BYTES), *argv], capture_output=True, text=True,
                          cwd=cwd, timeout=LIMIT_SECONDS)


#: Every case in one child process under the memory limit, each through the CLI's own entry (lstmsym.cli.main, what
#: `python -m lstmsym.cli` runs): its exit status, output and time. One interpreter start instead of one per case
#: (22 starts were 24 s of the suite); an exception that escaped the CLI is written as the traceback it would print.
BATCH = """
import contextlib, io, json, resource, sys, time, traceback
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from lstmsym.cli.main import main
results = {{}}
for case, argv in json.loads(sys.argv[1]).items():
    out, err, started = io.StringIO(), io.StringIO(), time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as stop:
            code = stop.code
        except BaseException:
            code, _ = 1, err.write(traceback.format_exc())
    results[case] = [code, out.getvalue(), err.getvalue(), time.perf_counter() - started]
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def hostile_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    paths, runs = {}, {}
    for index, case in enumerate(sorted(CASES)):
        paths[case] = str(folder / f"hostile{index}.toml")
        Path(paths[case]).write_text(CASES[case][0])
        runs[case] = ["show", paths[case]]
    runs |= {f"formula {formula}": ["check", "lstm", "--wrt", "c_prev", "--formula", formula] for formula, _ in FORMULAS}
    return paths, run_batch(runs, folder)


def run_batch(runs: dict[str, list[str]], cwd: Path) -> dict[str, list]:
    import json

    result = subprocess.run([sys.executable, "-c", BATCH.format(limit=LIMIT_BYTES), json.dumps(runs)], capture_output=True,
                            text=True, cwd=cwd, timeout=LIMIT_SECONDS * len(runs))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_spec(case, hostile_results):
    expected = CASES[case][1]
    paths, results = hostile_results
    code, stdout, stderr, seconds = results[case]
    assert seconds < LIMIT_SECONDS
    assert "Traceback" not in stderr, stderr
    assert not Path("/tmp/lstmsym-pwned").exists()
    if expected is None:
        assert code == 0 and "${__import__" in stdout
        return
    assert code == 2, (stdout, stderr)
    assert stderr.startswith(f"lstmsym: error: {paths[case]}"), stderr
    assert expected in stderr, stderr
    assert len(stderr.splitlines()) <= 2


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(RNN.encode().replace(b"Elman recurrent", b"Elman r\xe9current"))
    result = run_limited(["show", str(path)], tmp_path)
    assert result.returncode == 2
    line = next(i for i, text in enumerate(RNN.splitlines(), 1) if "Elman recurrent" in text)
    column = RNN.splitlines()[line - 1].index("recurrent") + 2
    assert result.stderr == f"lstmsym: error: {path}:{line}:{column}: byte 0xe9 is not UTF-8; expected a UTF-8 text file\n"


def test_directory_given_as_file(tmp_path):
    folder = tmp_path / "cell.toml"
    folder.mkdir()
    result = run_limited(["show", str(folder)], tmp_path)
    assert result.returncode == 2
    assert result.stderr == f"lstmsym: error: {folder}: is a folder; expected a .toml spec file\n"


FORMULAS = [
    ("__import__('os').system('true')", "starts with '_' or contains '__'"),
    ("d_c.__class__", "starts with '_'"),
    ("d_c.real", "attribute access '.real' is not allowed"),
    ("(" * 2000 + "d_c" + ")" * 2000, "characters long"),
    ("d_c ** 10 ** 10", "the exponent of '**' is not a number"),
    ("d_c ** 100000", "is out of range"),
]


@pytest.mark.parametrize("formula, expected", FORMULAS)
def test_hostile_formula(formula, expected, hostile_results):
    code, _, stderr, seconds = hostile_results[1][f"formula {formula}"]
    assert code == 2 and "Traceback" not in stderr and seconds < LIMIT_SECONDS
    assert expected in stderr, stderr


def test_a_mistyped_option_names_the_closest_one(capsys):
    """`lstmsym params lstm --hiden-size 3` printed the top-level usage with no hint (issue 22, item 9)."""
    from lstmsym.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(["params", "lstm", "--hiden-size", "3"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.startswith("usage: lstmsym params") and "did you mean '--hidden-size'?" in err and "Traceback" not in err


@pytest.mark.parametrize("argv, hint", [(["parms", "lstm"], "unknown command 'parms'; expected one of list, show, params"),
                                        (["--verison"], "unrecognized arguments: --verison; did you mean '--version'?")])
def test_a_mistyped_command_or_top_level_option_names_the_closest_one(argv, hint, capsys):
    """`lstmsym parms` listed every command with no hint, `lstmsym --verison` said a command was required."""
    from lstmsym.cli.main import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2 and hint in err and err.count("\n") == 2, err
    assert "did you mean 'params'?" in err or argv != ["parms", "lstm"]
