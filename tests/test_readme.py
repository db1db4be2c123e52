"""The README's "design a cell, train it in PyTorch" commands, run as written in an empty folder."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys


from conftest import ROOT, need_module


def test_design_to_pytorch_in_five_commands(tmp_path):
    need_module("torch")
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Design a cell, train it in PyTorch\n\n```sh\n(.*?)```", text, re.S).group(1)
    commands = [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    assert 1 < len(commands) <= 5
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    outputs = []
    for command in commands:
        argv = shlex.split(command)
        if argv[0] == "lstmsym":
            argv = [sys.executable, "-m", "lstmsym.cli"] + argv[1:]
        elif argv[0] == "python":
            argv[0] = sys.executable
        result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, (command, result.stderr)
        outputs.append(result.stdout)
    assert "torch.Size([5, 3, 32])" in outputs[-1]
