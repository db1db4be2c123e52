"""`lstmsym convert`: weights from one framework's layout to another's (or lstmsym's own), as .npz files."""

from __future__ import annotations

import argparse

from ..base.frameworks import FRAMEWORKS
from ..base.writing import check_writable
from ..interop.files import read_weights, write_weights
from ..interop.libraries import read
from ..interop.stack import flatten, shape_of, to_framework, unflatten
from .common import add_sizes, cell_argument, given_sizes, load, sizes_for

HELP = "convert a cell's weights between PyTorch, Keras, Flax, ONNX and lstmsym layouts"
FORMATS = ("lstmsym",) + FRAMEWORKS
NAMES = {"lstmsym": "lstmsym (<parameter>_l<k>)", "pytorch": "PyTorch", "keras": "Keras", "flax": "Flax linen",
         "onnx": "ONNX"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="source", required=True, choices=FORMATS, help="the layout of IN")
    p.add_argument("--to", dest="target", required=True, choices=FORMATS, help="the layout to write")
    cell_argument(p)
    p.add_argument("input", metavar="IN", help="an .npz archive of named arrays (or a torch.save'd state dict)")
    p.add_argument("output", metavar="OUT", help="the .npz archive to write")
    add_sizes(p)


def run(args: argparse.Namespace) -> int:
    check_writable(args.output)
    cell = load(args.cell).cell
    sizes = sizes_for(cell, given_sizes(args))
    arrays = read_weights(args.input)
    stack = unflatten(cell, arrays) if args.source == "lstmsym" else read(cell, args.source, arrays, sizes)
    out = flatten(stack) if args.target == "lstmsym" else to_framework(cell, args.target, stack)
    write_weights(args.output, out)
    layers, bidirectional = shape_of(stack)
    print(f"{cell.name}: {layers} layer(s){', bidirectional' if bidirectional else ''}; {NAMES[args.source]} -> "
          f"{NAMES[args.target]}: {len(out)} arrays written to {args.output}")
    return 0
