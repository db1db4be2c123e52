"""`lstmsym export`: the cell as standalone code (NumPy, PyTorch, JAX, or PyTorch with fused Triton kernels)."""

from __future__ import annotations

import argparse
import sys

from ..base.writing import check_writable, write_text_atomic
from ..render.exports import TARGETS
from .common import cell_argument, load

HELP = "export a cell as a standalone module"


def add_arguments(p: argparse.ArgumentParser) -> None:
    cell_argument(p)
    p.add_argument("--to", default="numpy", choices=tuple(TARGETS), help="the target (default numpy)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")


def run(args: argparse.Namespace) -> int:
    if args.output:
        check_writable(args.output)
    source = TARGETS[args.to](load(args.cell))
    if args.output:
        write_text_atomic(args.output, source)
    else:
        sys.stdout.write(source)
    return 0
