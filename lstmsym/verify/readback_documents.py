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
from ..model.vector_ops import LossGrad
from .readback import Canon, Names, ReadError, equal, plain, read_formula

ALIGN = re.compile(r"\\begin\{align\*?\}(.*?)\\end\{align\*?\}", re.S)
MATH = re.compile(r'<math display="block">(.*?)</math>', re.S)
ALIAS = re.compile(r"\\mathcal\{[A-Z]\}_\{\d+\}")
RELATION = re.compile(r"^\s*(=|\\mathrel\{\+\}=)\s*")
SUM_OVER_STEPS = re.compile(r"^\\sum_\{[a-z]=1\}\^\{T\}\s*")
TOTAL = r"\frac{\partial \mathcal{L}}{\partial "
JACOBIAN = re.compile(r"^(?P<adjoint>\\left\()?\\frac\{\\partial (?P<row>.+?)\}\{\\partial (?P<col>.+?)\}"
                      r"(?(adjoint)\\right\)\^\{\\top\} (?P<applied>.+))$")


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
    out = []
    for body in MATH.findall(text):
        inner = body.removeprefix("<mrow>").removesuffix("</mrow>")
        parts = re.split(r"<mo>(=|\+=)</mo>", inner, maxsplit=1)
        if len(parts) == 3:
            out.append((parts[0], parts[1], parts[2]))
    return out


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
        jacobian = JACOBIAN.match(lhs) if notation == "latex" and not lhs.startswith(TOTAL) else None
        if jacobian:
            self.jacobian(jacobian, rhs)
            report.compared += 1
            return
        if notation == "latex" and lhs.startswith(TOTAL):
            lhs = r"\delta " + lhs[len(TOTAL):-1]
            rhs = SUM_OVER_STEPS.sub("", rhs)
        try:
            target = read_formula(lhs, self.names, notation)
        except ReadError:
            report.skipped.append(lhs)
            return
        if isinstance(target, LossGrad) or target.is_Pow or target.is_Mul:
            report.skipped.append(lhs)  # a Jacobian block, dh_t/dh_{t-1}
            return
        found = [(key, expr) for written, key, expr in self.defined if written == plain(target)]
        if not found:
            raise ReadError(f"{lhs} names nothing the cell defines ({target})")
        report.compared += 1
        key, expr = found[0]
        if not equal(read_formula(rhs, self.names, notation), self.canon(expr), self.names):
            raise ReadError(f"reads back to something else than {key}")


    def jacobian(self, match: re.Match, rhs: str) -> None:
        """∂s_t/∂r_{t-1} = Σ chains of diag(a) and matrices (or its adjoint form Jᵀv = ...): Jᵀ applied to v must be
        what the derived backward hands from s_t's adjoint to r_{t-1} (the Flow's adjoint, v for s_t's adjoint)."""
        from ..derive.flow import V, Flow

        row = read_formula(match.group("row"), self.names)
        col = read_formula(match.group("col"), self.names)
        previous = {s.previous: s.name for s in self.derived.cell.states}
        if not row.is_Symbol or not col.is_Symbol or col.name not in previous:
            raise ReadError(f"not a state-to-state Jacobian: {match.group(0)}")
        block = Flow(self.derived).block(row.name, previous[col.name])
        applied = sympy.Symbol(f"d:{row.name}")
        if match.group("adjoint"):
            if read_formula(match.group("applied"), self.names) != applied:
                raise ReadError(f"the block is applied to {match.group('applied')}, not the adjoint of {row.name}")
            read = read_formula(rhs, self.names)
        else:
            read = sympy.Add(*[apply_transposed(chain, applied, self.names) for chain in chain_factors(rhs, self.names)])
        if not equal(read, self.canon(block.adjoint.xreplace({V: applied})), self.names):
            raise ReadError(f"the Jacobian block reads back to something else than the derived one ({block.row}, {block.col})")


def chain_factors(rhs: str, names: Names) -> list[list[sympy.Expr]]:
    """A Jacobian block's chains, each a list of factors in order: diag(a) as DIAG(a), a matrix as itself."""
    from .readback import Parser
    from .readback_tokens import read_latex

    tokens = read_latex(rhs)
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
    from ..render.facts import notation
    from ..render.site import cell_page

    reader = DocumentReader(derived, notation(derived).time_letter)
    tex = writeup_tex(derived, None, figures=False)
    page = cell_page(derived, None, {}, {})
    return {"latex": reader.check(tex_formulas(tex), "latex"), "mathml": reader.check(html_formulas(page), "mathml")}
