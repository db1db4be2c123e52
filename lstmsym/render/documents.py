"""Rendering: a cell's documents and diagrams as text or bytes (LaTeX, PDF, Markdown, DOT, SVG, PNG, JSON)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from . import __version__
from .cell import Cell
from .context import REFERENCE_SIZES, cell_context
from .diagram import backward_diagram, forward_diagram, to_dot
from .errors import LstmsymError, ToolMissingError
from .frameworks import mapping
from .templating import environment

SOURCE_DATE_EPOCH = "0"
MAX_OVERFULL_PT = 3.0
DOT_HINT = "Graphviz's dot is not installed: apt-get install -y graphviz"
TEX_HINT = "pdflatex/latexmk are not installed: apt-get install -y --no-install-recommends texlive-latex-base texlive-latex-recommended latexmk"


def verification_context(cell: Cell, entry: dict[str, Any]) -> dict[str, Any]:
    """The verification entry of the record, with the phrases the documents print."""
    symbolic = dict(entry["symbolic"])
    symbolic["sizes_text"] = ", ".join(f"{k} = {v}" for k, v in symbolic["sizes"].items())
    torch_map = mapping(cell, "pytorch")
    return {"symbolic": symbolic, "finite_differences": dict(entry["finite_differences"]),
            "pytorch": f"torch.nn.{torch_map.cls}" if torch_map is not None else ""}


# -- diagrams ------------------------------------------------------------------------------
def diagram_dot(cell: Cell, kind: str = "cell") -> str:
    """DOT source of the forward diagram ('cell') or the gradient-flow diagram ('backward')."""
    return to_dot(forward_diagram(cell) if kind == "cell" else backward_diagram(cell))


def dot_available() -> bool:
    return shutil.which("dot") is not None


def render_dot(source: str, fmt: str) -> bytes:
    """Lay out DOT with Graphviz's dot (through the graphviz package) into svg, png or pdf bytes."""
    import graphviz

    if not dot_available():
        raise ToolMissingError(DOT_HINT)
    try:
        return graphviz.Source(source).pipe(format=fmt, engine="dot")
    except graphviz.ExecutableNotFound:
        raise ToolMissingError(DOT_HINT) from None
    except graphviz.CalledProcessError as exc:
        raise LstmsymError(f"dot failed: {exc.stderr.decode(errors='replace')[:300]}") from None


def diagram_svg(cell: Cell, kind: str = "cell") -> bytes:
    return render_dot(diagram_dot(cell, kind), "svg")


# -- documents -------------------------------------------------------------------------------
def writeup_tex(cell: Cell, verification: dict[str, Any]) -> str:
    return environment("latex").get_template("writeup.tex.j2").render(
        cell=cell_context(cell), verification=verification_context(cell, verification))


def readme_md(cell: Cell, verification: dict[str, Any]) -> str:
    return environment("markdown").get_template("readme.md.j2").render(
        cell=cell_context(cell), verification=verification_context(cell, verification))


def cell_json(cell: Cell, verification: dict[str, Any]) -> str:
    ctx = cell_context(cell)
    data = {key: ctx[key] for key in ("name", "title", "family", "year", "summary", "source", "aliases", "references",
                                      "outputs", "parameters", "counts", "reference_sizes")}
    data["sizes"] = {s["name"]: s["role"] for s in ctx["sizes"]}
    data["input"] = {"name": ctx["input"]["name"], "size": ctx["input"]["size"]}
    data["state"] = [{k: s[k] for k in ("name", "size", "role")} for s in ctx["states"]]
    data["constants"] = {c["name"]: c["value"] for c in ctx["constants"]}
    data["equations"] = [{k: e[k] for k in ("name", "text", "latex", "role")} for e in ctx["equations"]]
    grads = ctx["gradients"]
    data["gradients"] = {
        "incoming": grads["incoming"],
        "one_step": [{"target": e["target"], "kind": e["kind"], "text": e["text"], "latex": e["latex"]}
                     for section in grads["sections"] for e in section["entries"]],
        "bptt": [{"target": r["target"], "text": r["text"], "latex": r["latex"]} for r in grads["recurrences"]],
    }
    data["verification"] = verification_context(cell, verification)
    data["lstmsym"] = __version__
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def index_rows(cells: list[Cell]) -> list[dict[str, Any]]:
    from .counts import evaluate, factored
    from .views import formula_latex

    base = next((c for c in cells if c.name == "rnn"), None)
    base_total = evaluate(base, base.parameter_count(), {"m": REFERENCE_SIZES["m"], "n": REFERENCE_SIZES["n"]}) if base else None
    rows = []
    for cell in cells:
        ctx = cell_context(cell)
        total = evaluate(cell, cell.parameter_count(), ctx["reference_sizes"])
        rows.append({"name": cell.name, "title": cell.title, "family": cell.family, "year": cell.year or "",
                     "formula_latex": formula_latex(factored(cell.parameter_count())), "total_text": f"{total:,}",
                     "ratio_text": f"{total / base_total:.2f}" if base_total else ""})
    return rows


def _sizes_text() -> str:
    return ", ".join(f"{k} = {v}" for k, v in REFERENCE_SIZES.items() if k in ("m", "n", "p"))


def index_md(cells: list[Cell], with_plots: bool = False) -> str:
    plots = {k: f"plots/{k}.svg" for k in ("parameters", "flops", "memory")} if with_plots else {}
    return environment("markdown").get_template("index.md.j2").render(
        cells=index_rows(cells), sizes_text=_sizes_text(), version=__version__, plots=plots)


def handbook_tex(cells: list[Cell], verifications: dict[str, dict[str, Any]], with_plots: bool = False) -> str:
    return environment("latex").get_template("handbook.tex.j2").render(
        cells=[cell_context(c) for c in cells], rows=index_rows(cells), sizes_text=_sizes_text(), version=__version__,
        verifications={c.name: verification_context(c, verifications[c.name]) for c in cells},
        sub="\\section", width="0.8", plots=["parameters", "flops", "memory"] if with_plots else [])


# -- PDF -------------------------------------------------------------------------------------
def tex_available() -> bool:
    return shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None


def compile_pdf(tex: str, figures: dict[str, bytes], name: str = "doc") -> bytes:
    """Compile LaTeX with latexmk in a scratch folder; `figures` maps relative paths to PDF bytes.

    SOURCE_DATE_EPOCH and FORCE_SOURCE_DATE fix the dates, and the templates set \\pdfsuppressptexinfo=-1
    and an empty \\pdftrailerid, so the same input gives the same bytes."""
    if not tex_available():
        raise ToolMissingError(TEX_HINT)
    with tempfile.TemporaryDirectory(prefix="lstmsym-tex-") as tmp:
        root = Path(tmp)
        (root / f"{name}.tex").write_text(tex)
        for rel, data in figures.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        env = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH, FORCE_SOURCE_DATE="1", TZ="UTC")
        cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", f"{name}.tex"]
        result = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)
        log = (root / f"{name}.log").read_text(errors="replace") if (root / f"{name}.log").exists() else result.stdout
        if result.returncode != 0 or not (root / f"{name}.pdf").exists():
            errors = [line for line in log.splitlines() if line.startswith("!") or ".tex:" in line][:5]
            raise LstmsymError(f"LaTeX failed for {name}.tex: " + " | ".join(errors or [log[-400:]]))
        problems = log_problems(log)
        if problems:
            raise LstmsymError(f"{name}.tex is not ready to publish: " + " | ".join(problems[:5]))
        return (root / f"{name}.pdf").read_bytes()


def log_problems(log: str) -> list[str]:
    """What a publishable document must not have: undefined references or citations, boxes over 3pt too wide."""
    import re

    problems = [line.strip() for line in log.splitlines()
                if re.search(r"(Reference|Citation) .* undefined|There were undefined references", line)]
    for match in re.finditer(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]*", log):
        if float(match.group(1)) > MAX_OVERFULL_PT:
            problems.append(match.group(0))
    return problems
