"""The Sphinx extension: with `extensions = ["lstmsym.sphinx"]` in conf.py, the directive

    .. lstmsym:: lstm
       :show: equations, gradient, parameters, diagram, gradient-diagram
       :hidden-size: 20
       :input-size: 10

places a built-in cell's (or a spec file's, relative to the source folder) forward equations and gradient as
math blocks (LaTeX from lstmsym's printer, drawn by Sphinx's math renderer), its parameter table (with counts at
the sizes given) and its diagrams (inline SVG, HTML builders only). A bad name or option is a Sphinx error that
names the valid choices."""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .api import cell as load_cell
from .base.errors import LstmsymError, UsageError, did_you_mean, one_of
from .base.version import __version__
from .derive.derived import Derived
from .render import embed

logger = logging.getLogger(__name__)


class Options(dict):
    """The directive's options; an unknown one is kept (not refused by docutils) so run() can name the valid ones."""

    def __missing__(self, key: str) -> Any:
        return directives.unchanged


OPTIONS = ("show", "sizes", *embed.SIZE_OPTIONS)


def check_options(options: dict[str, Any]) -> None:
    for key in options:
        if key not in OPTIONS:
            hint = did_you_mean(key, OPTIONS)
            raise UsageError(f"unknown option ':{key}:'; expected {one_of(OPTIONS)}" + (f"; {hint}" if hint else ""))


class LstmsymDirective(SphinxDirective):
    """`.. lstmsym:: CELL` with :show:, :hidden-size:, :input-size:, :proj-size: and :sizes: NAME=VALUE, ..."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = Options({key: directives.unchanged for key in OPTIONS})

    def run(self) -> list[nodes.Node]:
        try:
            check_options(self.options)
            target, watched = embed.cell_target(self.env.srcdir, self.arguments[0])
            if watched is not None:
                self.env.note_dependency(str(watched))
            derived = load_cell(target).derived
            show = embed.parse_show(self.options.get("show"))
            sizes = embed.sizes_from_options(derived, {k: v for k, v in self.options.items() if k != "show"})
            out: list[nodes.Node] = []
            for item in show:
                out += PIECES.get(item, diagram_nodes)(self, derived, item, sizes)
            return out
        except LstmsymError as exc:
            logger.error(f"lstmsym: {exc}", location=self.get_location(), type="lstmsym")
            return []

    def math_block(self, latex: str) -> nodes.math_block:
        docname = getattr(getattr(self.env, "current_document", None), "docname", None) or self.env.docname
        node = nodes.math_block(latex, latex, docname=docname, number=None, label=None)
        node["nowrap"] = node["no-wrap"] = False
        self.set_source_info(node)
        return node


def equation_nodes(directive: LstmsymDirective, derived: Derived, item: str, sizes: dict[str, int]) -> list[nodes.Node]:
    return [nodes.container("", directive.math_block(embed.equations_latex(derived)), classes=["lstmsym-equations"])]


def gradient_nodes(directive: LstmsymDirective, derived: Derived, item: str, sizes: dict[str, int]) -> list[nodes.Node]:
    box = nodes.container("", classes=["lstmsym-gradient"])
    for title, body in embed.gradient_latex(derived):
        box += nodes.paragraph("", "", nodes.emphasis(title, title + ":"))
        box += directive.math_block(body)
    return [box]


def _math_cell(latex: str) -> nodes.entry:
    return nodes.entry("", nodes.paragraph("", "", nodes.math(latex, latex)))


def _text_cell(text: str) -> nodes.entry:
    return nodes.entry("", nodes.paragraph(text, text))


def parameter_nodes(directive: LstmsymDirective, derived: Derived, item: str, sizes: dict[str, int]) -> list[nodes.Node]:
    """A table: parameter, shape, entries (formula), entries at the sizes (when given), role; then the total."""
    table = embed.parameter_rows(derived, sizes)
    heads = ["parameter", "shape", "entries"] + ([f"at {table['sizes_text']}"] if sizes else []) + ["role"]
    body = nodes.tbody()
    for row in table["rows"]:
        cells = [_math_cell(row["latex"]), _math_cell(row["shape_latex"]), _math_cell(row["count_latex"])]
        cells += [_text_cell(row["value"])] if sizes else []
        body += nodes.row("", *cells, _text_cell(row["role"]))
    total = [_text_cell("total"), _text_cell(""), _math_cell(table["total_latex"])]
    body += nodes.row("", *total, *([_text_cell(table["total_value"])] if sizes else []), _text_cell(""))
    group = nodes.tgroup(cols=len(heads))
    group += [nodes.colspec(colwidth=1) for _ in heads]
    group += nodes.thead("", nodes.row("", *[_text_cell(h) for h in heads]))
    group += body
    return [nodes.table("", group, classes=["lstmsym-parameters"])]


def diagram_nodes(directive: LstmsymDirective, derived: Derived, item: str, sizes: dict[str, int]) -> list[nodes.Node]:
    """The diagram as inline SVG (raw HTML: other builders leave it out)."""
    svg = embed.diagram_svg(derived, item)
    return [nodes.container("", nodes.raw("", svg, format="html"), classes=[f"lstmsym-{item}"])]


#: The node builder of each show item (the diagrams share diagram_nodes).
PIECES = {"equations": equation_nodes, "gradient": gradient_nodes, "parameters": parameter_nodes}


def setup(app: Sphinx) -> dict[str, Any]:
    """Sphinx's entry point: registers the `lstmsym` directive."""
    app.add_directive("lstmsym", LstmsymDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
