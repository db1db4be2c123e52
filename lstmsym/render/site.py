"""The HTML handbook (output/site/): one page per cell and a sortable index, with equations as MathML, diagrams
as inline SVG, no JavaScript and no network. Text is escaped by the template engine (autoescape); MathML
comes from lstmsym's MathML printer and SVG from dot."""

from __future__ import annotations

import re
from typing import Any

import sympy
from markupsafe import Markup, escape

from ..derive.counts import evaluate, factored
from ..derive.derived import Derived
from ..derive.scan import ScanForm
from ..model.sizes import SIZE_PREFIX
from ..printing.mathml import adjoint_form, equation, jacobian, mathml
from ..printing.text import text
from .checked import verification_context
from .context import cell_context
from .facts import notation
from .gradview import gradient_view
from .references import bib_text
from .templating import environment
from .views import formula_text

#: The index's orders: key -> (title, sort key of a row).
SORTS = {"name": ("name", lambda r: r["name"]), "year": ("year", lambda r: (r["year"] or 0, r["name"])),
         "params": ("parameters", lambda r: (r["total"], r["name"]))}
PAGES = {"name": "index.html", "year": "by-year.html", "params": "by-parameters.html"}


def equations_html(derived: Derived) -> str:
    """The forward equations, one MathML block each."""
    n = notation(derived)
    return "".join(equation(sympy.Symbol(name), expr, n, keep_order=True) for name, expr in derived.cell.equations)


def inline_svg(data: bytes | None) -> Markup | None:
    """dot's SVG without its XML prolog and DOCTYPE, to sit inside an HTML page."""
    if not data:
        return None
    svg = data.decode("utf-8")
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return Markup(keep_legible(svg.strip()))


#: The smallest share of its own size a diagram is drawn at: below it the figure scrolls instead (14 pt labels stay
#: 8 pt or more; in a 1280-px window 9 pages drew a diagram smaller, layernorm_lstm's at 0.39 of its size).
LEAST_SCALE = 0.6


def keep_legible(svg: str) -> str:
    """The root <svg> with a least width of LEAST_SCALE of its own, so a wide diagram is not shrunk to fit the column
    (the stylesheet lets its figure scroll)."""
    match = re.match(r'<svg width="([0-9.]+)pt"', svg)
    if not match:
        return svg
    least = float(match.group(1)) * LEAST_SCALE
    return svg.replace("<svg ", f'<svg style="min-width: {least:.0f}pt" ', 1)


def file_links(name: str, present: tuple[str, ...]) -> dict[str, str]:
    """A cell page's links to the cell's other files, by label: those the build writes (`present`)."""
    return {label: f"../{name}/{rel}" for label, rel in (("write-up (PDF)", f"{name}.pdf"), ("LaTeX", f"{name}.tex"),
                                                         ("Markdown", "README.md"), ("cell.json", "cell.json")) if rel in present}


def cell_page(derived: Derived, verification: dict[str, Any] | None, svgs: dict[str, bytes], links: dict[str, str]) -> str:
    """One cell's page. `svgs`: cell, backward, flow (SVG bytes); `links`: other files of the cell, by label."""
    n = notation(derived)
    ctx = cell_context(derived)
    sections = gradient_sections(derived)
    recurrences = [Markup(equation(sympy.Symbol(rec.incoming), rec.expr, n)) for rec in derived.bptt.recurrences]
    flow = dict(ctx["flow"])  # the cached write-up's view (flow_context): the same blocks, and which are too long
    flow["math"] = flow_math(derived, n, {(b["row"], b["col"]) for b in flow["long"]})
    equations = [{"math": Markup(equation(sympy.Symbol(name), expr, n, keep_order=True)), "role": derived.cell.role(name)}
                 for name, expr in derived.cell.equations]
    return environment("html").get_template("site_cell.html.j2").render(
        cell=ctx, equations=equations, sections=sections, recurrences=recurrences,
        flow=flow, verification=verification_context(derived, verification),
        svgs={k: inline_svg(v) for k, v in svgs.items()}, links=links, bibtex=bib_text([derived]).strip(),
        count_math={row["convention"]: count_mathml(derived, factored(derived.count(_query(row["convention"]))), n)
                    for row in ctx["counts"]},
        name_math=names_mathml(derived, n), parameter_math=parameters_mathml(derived, n), scan_math=scan_mathml(derived, n))


def gradient_sections(derived: Derived) -> list[dict[str, Any]]:
    """The one-step backward equations in MathML, by section (title, math): as `grad` groups them."""
    n = notation(derived)
    statements = derived.backward.statements
    sections = []
    for section, kinds in zip(gradient_view(derived)["sections"], (("node",), ("carry",), ("input",), ("param",))):
        chosen = [st for st in statements if st.kind in kinds]
        relation = "+=" if kinds == ("param",) else "="
        sections.append({"title": section["title"],
                         "math": [Markup(equation(st.symbol, st.expr, n, relation)) for st in chosen]})
    return sections


def inline(expr: sympy.Expr, n) -> Markup:
    return Markup(f"<math>{mathml(expr, n)}</math>")


def names_mathml(derived: Derived, n) -> dict[str, Markup]:
    """Every name the page's tables show (worked example, parameters), as the equations write it."""
    cell = derived.cell
    keys = [i.name for i in cell.inputs] + [s.previous for s in cell.states] + [name for name, _ in cell.equations]
    keys += [p.name for p in cell.parameters]
    return {key: inline(sympy.Symbol(key), n) for key in keys}


def parameters_mathml(derived: Derived, n) -> dict[str, dict[str, Markup]]:
    """Each parameter's shape (n × m) and number of entries (n², or n²/k for heads) in MathML, in the sizes."""
    out = {}
    for p in derived.cell.parameters:
        shape = " × ".join(f"<mi>{size}</mi>" for size in p.shape) if p.shape else "<mn>1</mn>"
        shape = shape.replace(" × ", "<mo>×</mo>")
        out[p.name] = {"shape": Markup(f"<math>{shape}</math>"), "count": count_mathml(derived, p.size(), n)}
    return out


def scan_mathml(derived: Derived, n) -> list[Markup]:
    """Each linear state's parallel form s_t = a_t ⊙ s_{t-1} + b_t, with a_t and b_t written out."""
    out = []
    for ls in ScanForm(derived).states:
        state, previous = sympy.Symbol(ls.state), sympy.Symbol(ls.previous)
        out.append(Markup(equation(state, ls.a * previous + ls.b, n)))
    for group in ScanForm(derived).groups:
        previous = [sympy.Symbol(p) for p in group.previous]
        for name, row, b in zip(group.states, group.a, group.b):
            out.append(Markup(equation(sympy.Symbol(name), sum((a * p for a, p in zip(row, previous)), b), n)))
    return out


def count_mathml(derived: Derived, formula: sympy.Expr, n) -> Markup:
    """A count formula in MathML, its symbols read as the cell's sizes (xLSTM's size n is n, never its state n_t)."""
    sizes = {s: sympy.Symbol(SIZE_PREFIX + s.name) for s in formula.free_symbols if s.name in derived.cell.spec.sizes}
    return Markup(f"<math>{mathml(formula.xreplace(sizes), n)}</math>")


def flow_math(derived: Derived, n, long: set[tuple[str, str]]) -> list[Markup]:
    """Each non-zero Jacobian block as MathML: Σ diag(a) M ... or, through a reduction, Jᵀ applied to δs_t; a block
    in `long` (row, col), as the write-up, is said to be too long to print."""
    from ..derive.flow import V, Flow
    from .flowview import applied_to

    out = []
    previous = {s.name: s.previous for s in derived.cell.states}
    for block in Flow(derived).blocks:
        if block.zero:
            continue
        if (block.row, block.col) in long:  # as the write-up: layernorm_lstm's block was 122,272 px wide
            out.append(Markup(f"<p>The block of <math><mi>∂</mi>{mathml(sympy.Symbol(block.row), n)}<mo>/</mo><mi>∂</mi>"
                              f"{mathml(sympy.Symbol(previous[block.col]), n)}</math> is too long to print here; "
                              f"<code>lstmsym flow {escape(derived.cell.name)}</code> prints it.</p>"))
            continue
        if block.chains is None:
            out.append(Markup(adjoint_form(block.row, previous[block.col], applied_to(block),
                                           block.adjoint.xreplace({V: applied_to(block)}), n)))
            continue
        chains = [[("diag", f.coef) if f.kind == "diag" else ("matrix", f.matrix, f.transposed) for f in chain]
                  for chain in block.chains]
        out.append(Markup(jacobian(block.row, previous[block.col], chains, n)))
    return out


def _query(convention: str):
    from ..derive.counts import CountQuery

    return CountQuery(convention)


def index_rows(cells: list[Derived]) -> list[dict[str, Any]]:
    rows = []
    for d in cells:
        sizes = d.cell.size_rules.reference_sizes()
        formula = factored(d.cell.parameter_count())
        scan = ScanForm(d)
        rows.append({"name": d.cell.name, "title": d.cell.title, "family": d.cell.family, "year": d.cell.year,
                     "formula": count_mathml(d, formula, notation(d)), "formula_text": formula_text(formula),
                     "total": evaluate(d.cell, formula, sizes),
                     "scan": ", ".join(scan.linear_names) + (" (all)" if scan.parallel and scan.states else "")})
    return rows


def index_pages(cells: list[Derived], plots: dict[str, bytes]) -> dict[str, str]:
    """index.html (by name), by-year.html, by-parameters.html: the same table in three orders (no JavaScript)."""
    rows = index_rows(cells)
    out = {}
    for key, (title, sort) in SORTS.items():
        out[PAGES[key]] = environment("html").get_template("site_index.html.j2").render(
            rows=sorted(rows, key=sort), sort=key, pages=PAGES, sorts=SORTS,
            plots={k: inline_svg(v) for k, v in plots.items()})
    return out


__all__ = ["cell_page", "file_links", "equations_html", "gradient_sections", "index_pages", "inline_svg", "text"]
