"""Read a finished document back: every displayed formula of a write-up (LaTeX align* rows, with their
continuation lines and the names given to long matrices) and of a site page (MathML), matched to the derived
quantity its left-hand side names and compared with it.

readback.py checks what the printers write; this module checks what the templates made of it (line breaks,
spread sums, aliases such as \\mathcal{A}_1), as a reader of the page would see it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy

from ..derive.derived import Derived
from .readback import Names, ReadError, read_formula
from .readback_compare import Canon, equal, mathml_parts, plain

ALIGN = re.compile(r"\\begin\{align\*?\}(.*?)\\end\{align\*?\}", re.S)
MATH = re.compile(r'<math display="block">(.*?)</math>', re.S)
ALIAS = re.compile(r"\\mathcal\{[A-Z]\}_\{\d+\}")
RELATION = re.compile(r"^\s*(=|\\mathrel\{\+\}=)\s*")
SUM_OVER_STEPS = re.compile(r"^\\sum_\{[a-z]=1\}\^\{T\}\s*")
TOTAL = r"\frac{\partial \mathcal{L}}{\partial "


@dataclass
class DocumentReport:
    """Displayed formulas read, those compared with a derived quantity, those of kinds the reader leaves alone
    (Jacobian blocks), and the ones that failed."""

    read: int = 0
    compared: int = 0
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _rows(block: str) -> list[tuple[str, str]]:
    """An align* body as (lhs, rhs) rows, continuation lines (an empty lhs) joined to the row above."""
    rows: list[list[str]] = []
    for line in re.split(r"\\\\\s*(?:\n|$)", block.strip()):
        if not line.strip():
            continue
        lhs, _, rhs = line.partition("&")
        rhs = rhs.strip()
        if not lhs.strip() and rows:
            rows[-1][1] += " " + re.sub(r"^\\quad\s*", "", rhs)
        else:
            rows.append([lhs.strip(), rhs])
    return [(lhs, rhs) for lhs, rhs in rows]


def tex_formulas(text: str) -> list[tuple[str, str, str]]:
    """(lhs, relation, rhs) of every align* row of a LaTeX document, with the aliases of long matrices put back."""
    rows = [row for block in ALIGN.findall(text) for row in _rows(block)]
    aliases = {}
    for lhs, rhs in rows:
        if ALIAS.fullmatch(lhs):
            aliases[lhs] = rf"\left({RELATION.sub('', rhs)}\right)"
    out = []
    for lhs, rhs in rows:
        if lhs in aliases:
            continue
        match = RELATION.match(rhs)
        relation = match.group(1) if match else "?"
        body = RELATION.sub("", rhs)
        for name, value in aliases.items():
            body = body.replace(name, value)
        out.append((lhs, relation, body))
    return out


def html_formulas(text: str) -> list[tuple[str, str, str]]:
    """(lhs, relation, rhs) of every displayed MathML equation of a page."""
    parts = (mathml_parts(f'<math display="block">{body}</math>') for body in MATH.findall(text))
    return [p for p in parts if p is not None]


SCAN = re.compile(r"^(?P<form>.*?),\s*\\qquad\s*a_t\s*=\s*(?P<a>.*?),\s*\\quad\s*b_t\s*=\s*(?P<b>.*)$")


def scan_form(rhs: str) -> str:
    """'a_t ⊙ s_{t-1} + b_t, with a_t = A, b_t = B' (a state's parallel-scan form) as the one expression it states."""
    match = SCAN.match(rhs)
    if not match:
        return rhs
    form = match.group("form").replace("a_t", rf"\left({match.group('a')}\right)")
    return form.replace("b_t", rf"\left({match.group('b')}\right)")


class DocumentReader:
    """Matches displayed formulas to the derived quantities they define."""

    def __init__(self, derived: Derived, time: str) -> None:
        self.derived = derived
        self.names = Names.of(derived.cell, time)
        self.canon = Canon(derived.cell)
        cell, back = derived.cell, derived.backward
        defined: dict[str, sympy.Expr] = {key: expr for key, expr in cell.equations}
        defined |= {st.target: st.expr for st in back.statements}
        defined |= {rec.incoming: rec.expr for rec in derived.bptt.recurrences}
        #: each defined quantity as the reader writes its left-hand side (δ(sum(u)) for an adjoint of an expression)
        self.defined = [(plain(self.canon(sympy.Symbol(key))), key, expr) for key, expr in defined.items()]

    def check(self, formulas: list[tuple[str, str, str]], notation: str) -> DocumentReport:
        report = DocumentReport()
        for lhs, relation, rhs in formulas:
            report.read += 1
            try:
                self._one(lhs, rhs, notation, report)
            except (ReadError, TypeError, ValueError) as exc:
                report.problems.append(f"{lhs} {relation} {rhs}: {exc}")
        return report

    def _one(self, lhs: str, rhs: str, notation: str, report: DocumentReport) -> None:
        if notation == "latex":
            rhs = scan_form(rhs)
        block = None if notation == "latex" and lhs.startswith(TOTAL) else jacobian_sides(tokens_of(lhs, notation))
        if block is not None:
            self.jacobian(*block, tokens_of(rhs, notation))
            report.compared += 1
            return
        if notation == "latex" and lhs.startswith(TOTAL):
            lhs = r"\delta " + lhs[len(TOTAL):-1]
            rhs = SUM_OVER_STEPS.sub("", rhs)
        target = read_formula(lhs, self.names, notation)
        found = [(key, expr) for written, key, expr in self.defined if written == plain(target)]
        if not found:
            raise ReadError(f"{lhs} names nothing the cell defines ({target})")
        report.compared += 1
        key, expr = found[0]
        if not equal(read_formula(rhs, self.names, notation), self.canon(expr), self.names):
            raise ReadError(f"reads back to something else than {key}")

    def jacobian(self, row_tokens: list, col_tokens: list, applied_tokens: list | None, rhs: list) -> None:
        """∂s_t/∂r_{t-1} = Σ chains of diag(a) and matrices (or its adjoint form (∂s_t/∂r_{t-1})ᵀ δs_t = ...): Jᵀ
        applied to δs_t must be what the derived backward hands from s_t's adjoint to r_{t-1}."""
        from ..derive.flow import V, Flow
        from .readback import Parser

        row = Parser(row_tokens, self.names).whole()
        col = Parser(col_tokens, self.names).whole()
        previous = {s.previous: s.name for s in self.derived.cell.states}
        if not row.is_Symbol or not col.is_Symbol or col.name not in previous:
            raise ReadError(f"not a state-to-state Jacobian: d{row}/d{col}")
        block = Flow(self.derived).block(row.name, previous[col.name])
        applied = sympy.Symbol(f"d:{row.name}")
        if applied_tokens is not None:
            if Parser(applied_tokens, self.names).whole() != applied:
                raise ReadError(f"the block is applied to {applied_tokens}, not the adjoint of {row.name}")
            read = Parser(rhs, self.names).whole()
        else:
            read = sympy.Add(*[apply_transposed(chain, applied, self.names) for chain in chain_factors(rhs, self.names)])
        if not equal(read, self.canon(block.adjoint.xreplace({V: applied})), self.names):
            raise ReadError(f"the Jacobian block reads back to something else than the derived one ({block.row}, {block.col})")


def tokens_of(text: str, notation: str) -> list[tuple]:
    from .readback_tokens import read_latex, read_mathml

    return read_latex(text) if notation == "latex" else read_mathml(text)


PARTIAL = ("partial", [])
TRANSPOSE = ("sup", [("name", "⊤", (), ())])


def jacobian_sides(tokens: list[tuple]) -> tuple[list, list, list | None] | None:
    """(row, column, what it is applied to or None) when tokens read ∂row/∂column or (∂row/∂column)ᵀ applied."""
    applied = None
    if len(tokens) > 4 and tokens[0] == ("lp",) and tokens[2] == ("rp",) and tokens[3] == TRANSPOSE:
        tokens, applied = tokens[1:2], tokens[4:]
    if len(tokens) != 1 or tokens[0][0] != "frac":
        return None
    top, bottom = tokens[0][1], tokens[0][2]
    if top[:1] != [PARTIAL] or bottom[:1] != [PARTIAL] or top[1:2] == [("name", "ℓ", (), ())] or top[1:2] == [("name", "L", (), ())]:
        return None
    return top[1:], bottom[1:], applied


def chain_factors(tokens: list[tuple], names: Names) -> list[list[sympy.Expr]]:
    """A Jacobian block's chains, each a list of factors in order: diag(a) as DIAG(a), a matrix as itself."""
    from .readback import Parser

    chains: list[list[sympy.Expr]] = [[]]
    parser = Parser(tokens, names)
    while parser.peek() is not None:
        token = parser.peek()
        if token == ("op", "+"):
            parser.take()
            chains.append([])
        elif token == ("func", "diag"):
            parser.take()
            chains[-1].append(DIAG(parser.bracket()))
        else:
            chains[-1].append(parser.postfix(parser.atom()))
    return chains


DIAG = sympy.Function("diag")


def apply_transposed(chain: list[sympy.Expr], v: sympy.Expr, names: Names) -> sympy.Expr:
    """(F_1 F_2 ... F_k)ᵀ v = F_kᵀ ... F_1ᵀ v, one factor at a time."""
    from ..model.vector_ops import MatVec, Transposed

    out = v
    for factor in chain:  # F1ᵀ is applied first, Fkᵀ last
        if isinstance(factor, sympy.Function) and factor.func == DIAG:
            out = factor.args[0] * out
        elif isinstance(factor, Transposed):
            out = MatVec(factor.args[0], out)
        elif factor == 1 or (factor.is_Symbol and factor.name == "I"):
            continue
        else:
            out = MatVec(Transposed(factor), out)
    return out


def read_documents(derived: Derived) -> dict[str, DocumentReport]:
    """The write-up (LaTeX) and the site page (MathML) of a cell, rendered in memory and read back."""
    from ..render.documents import writeup_tex
    from ..render.site import cell_page

    return read_texts(derived, writeup_tex(derived, None, figures=False), cell_page(derived, None, {}, {}))


def read_texts(derived: Derived, tex: str, page: str) -> dict[str, DocumentReport]:
    """A write-up's LaTeX and a site page's HTML, read back to the cell (a built gallery's files, or rendered)."""
    from ..render.facts import notation

    reader = DocumentReader(derived, notation(derived).time_letter)
    return {"latex": reader.check(tex_formulas(tex), "latex"), "mathml": reader.check(html_formulas(page), "mathml")}
