"""A normal install works: a wheel built from the checkout, installed into a fresh venv (not editable), runs
the commands from there."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT, need

#: The venv's own environment: without the PYTHONPATH conftest gives other tests, which would import the checkout.
VENV_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.mark.dot
@pytest.mark.slow
def test_wheel_in_a_clean_venv(tmp_path):
    need("dot")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(wheels)], check=True,
                   capture_output=True, timeout=600)
    wheel = next(wheels.glob("lstmsym-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=600)
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], capture_output=True, text=True, timeout=900,
                             env=VENV_ENV)
    assert install.returncode == 0, install.stderr[-2000:]
    lstmsym = str(venv / "bin" / "lstmsym")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import lstmsym; print(lstmsym.__file__, lstmsym.__version__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=VENV_ENV)
    assert str(venv) in where.stdout, where.stdout + where.stderr

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([lstmsym, *argv], capture_output=True, text=True, cwd=tmp_path, timeout=600, env=VENV_ENV)

    verify = run("verify", "lstm")
    assert verify.returncode == 0 and "1/1 cells verified" in verify.stdout, verify.stdout + verify.stderr
    check = run("check", "lstm", "--wrt", "c_prev", "--formula", "d_c * f")
    assert check.returncode == 0 and check.stdout.startswith("equivalent"), check.stderr
    build = run("build", "rnn", "--out", str(tmp_path / "out"), "--format", "md,svg,json")
    # the wheel without the [gallery] extra has no matplotlib: the plots are skipped, said, and the exit status is 3
    assert build.returncode == 3 and "skipped plots" in build.stderr and "pip install matplotlib" in build.stderr, build.stderr
    assert {"README.md", "cell.svg", "cell.json"} <= {p.name for p in (tmp_path / "out" / "rnn").iterdir()}
    # the other commands in one process of the venv's Python, each through the CLI's entry (eight starts were 8 s)
    commands = [["show", "gru"], ["params", "lstm", "-m", "2", "-n", "3"], ["grad", "rnn"], ["cost", "rnn"], ["list"],
                ["compare", "lstm", "rnn"], ["export", "lstm"], ["new", "mine", "-o", str(tmp_path / "mine.toml")]]
    batch = ("import contextlib, io, json, sys\nfrom lstmsym.cli.main import main\ncodes = []\n"
             "for argv in json.loads(sys.argv[1]):\n    with contextlib.redirect_stdout(io.StringIO()):\n"
             "        codes.append(main(argv))\nprint(json.dumps(codes))")
    import json

    result = subprocess.run([str(venv / "bin" / "python"), "-c", batch, json.dumps(commands)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=600, env=VENV_ENV)
    assert result.returncode == 0 and json.loads(result.stdout) == [0] * len(commands), result.stdout + result.stderr[-2000:]
    assert (tmp_path / "mine.toml").is_file()


def test_an_installed_package_uses_its_own_templates(tmp_path):
    """Installed, lstmsym's templates are lstmsym/templates; a "templates" folder another package left in
    site-packages was taken first and gave a TemplateNotFound traceback (issue 22, item 6)."""
    import shutil
    import subprocess
    import sys

    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "lstmsym", site / "lstmsym", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "templates", site / "lstmsym" / "templates")
    (site / "templates").mkdir()
    (site / "templates" / "other.html").write_text("another package's template")
    code = "from lstmsym.render.templating import templates_dir; print(templates_dir())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, check=True).stdout.strip()
    assert out == str(site / "lstmsym" / "templates")
