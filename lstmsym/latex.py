"""LaTeX for a cell's expressions: a SymPy LatexPrinter subclass driven by the cell's Notation."""

from __future__ import annotations

import sympy
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from .functions import BY_CLASS, ElementwiseBase
from .ir import Next
from .notation import ADJOINT_PREFIX, INCOMING_SUFFIX, Glyph, Notation
from .ordering import factor_key, print_sum

LOSS = r"\ell"
TOTAL_LOSS = r"\mathcal{L}"


def time_label(offset: int) -> str:
    """0 -> 't', -1 -> 't-1', 1 -> 't+1'."""
    return "t" if offset == 0 else f"t{offset:+d}"


class CellLatexPrinter(LatexPrinter):
    """Prints per-unit expressions as vector equations: odot between vectors, sigma, h_{t-1}, W^T."""

    printmethod = "_lstmsym_latex"
    _default_settings = dict(LatexPrinter._default_settings, notation=None, shift=0, bold=False, keep_order=False)

    @property
    def notation(self) -> Notation:
        return self._settings["notation"]

    # -- names -----------------------------------------------------------------
    def glyph_tex(self, glyph: Glyph, extra_sub: str = "") -> str:
        main = glyph.main
        if self._settings["bold"] and (glyph.vector or glyph.matrix):
            main = rf"\boldsymbol{{{main}}}" if main.startswith("\\") else rf"\mathbf{{{main}}}"
        subs = [s for s in (glyph.sub, extra_sub) if s]
        if glyph.time is not None:
            subs.append(time_label(self._settings["shift"] - (glyph.time == "prev")))
        return main + (f"_{{{','.join(subs)}}}" if subs else "")

    def name_tex(self, name: str) -> str:
        if name in self.notation.linear:
            matrix, vector = self.notation.linear[name]
            return f"{self.name_tex(matrix)} {self.name_tex(vector)}"
        if name.startswith(ADJOINT_PREFIX):
            base = name[len(ADJOINT_PREFIX):]
            if base.endswith(INCOMING_SUFFIX):
                return rf"\delta {self.name_tex(base[: -len(INCOMING_SUFFIX)])}^{{\mathrm{{in}}}}"
            return rf"\delta {self.name_tex(base)}"
        if name == "I":
            return "I"
        if name in self.notation.cell.shapes or name in self.notation.glyphs:
            auto = self._auto_node(name)
            return auto if auto is not None else self.glyph_tex(self.notation.glyph(name))
        return super()._print_Symbol(sympy.Symbol(name))

    def _auto_node(self, name: str) -> str | None:
        """Auto-named '@' arguments print as their expression in parentheses."""
        node = next((n for n in self.notation.cell.nodes if n.name == name), None)
        if node is not None and node.origin == "matrix":
            return rf"\left({self.matrix_tex(node.terms)}\right)"
        if node is not None and node.origin == "argument":
            keep = self._settings["keep_order"]
            self._settings["keep_order"] = True
            try:
                return rf"\left({self._print(self.notation.cell._display[name])}\right)"
            finally:
                self._settings["keep_order"] = keep
        return None

    def matrix_tex(self, terms) -> str:
        from .ir import Transposed

        expr = sympy.Add(*[t.coef * (Transposed(sympy.Symbol(t.source)) if t.transposed else sympy.Symbol(t.source)) for t in terms])
        return self._print(expr)

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        return self.name_tex(expr.name)

    # -- arithmetic --------------------------------------------------------------
    def _print_Add(self, expr: sympy.Expr, order: str | None = None) -> str:
        return print_sum(self, expr, keep_order=self._settings["keep_order"], minus=" - ")

    def _is_vector(self, expr: sympy.Expr) -> bool:
        return any(self.notation.is_vector(s.name) for s in expr.free_symbols)

    def _print_Mul(self, expr: sympy.Expr) -> str:
        coeff, factors = expr.as_coeff_mul()
        if coeff.is_negative and not self._settings["keep_order"]:
            return "- " + self._print_Mul(sympy.Mul(-coeff, *factors, evaluate=False))
        numer = [f for f in factors if not (f.is_Pow and f.exp.is_negative)]
        denom = [1 / f for f in factors if f.is_Pow and f.exp.is_negative]
        if denom:
            top = self._print_Mul(sympy.Mul(coeff, *numer)) if (numer or coeff != 1) else "1"
            return rf"\frac{{{top}}}{{{self._print(sympy.Mul(*denom))}}}"
        if not self._settings["keep_order"]:
            numer = sorted(numer, key=lambda f: factor_key(self.notation, f))
        parts: list[str] = [] if coeff == 1 else ["-" if coeff == -1 else self._print(coeff)]
        previous = None
        for factor in numer:
            inner = factor.args[0] if isinstance(factor, Next) else factor
            tex = self._print(factor)
            if inner.is_Add or (inner.is_Mul and self._settings["keep_order"] and len(inner.args) > 1 and previous is not None):
                tex = rf"\left({tex}\right)"
            if previous is not None and self._is_vector(previous) and self._is_vector(factor):
                parts.append(r"\odot")
            parts.append(tex)
            previous = factor
        return " ".join(parts).replace("- ", "-", 1) if parts[:1] == ["-"] else " ".join(parts)

    def _print_Pow(self, expr: sympy.Expr) -> str:
        if expr.exp.is_negative:
            return self._print_Mul(expr)
        if isinstance(expr.base, ElementwiseBase):
            return self._print_ElementwiseBase(expr.base, exp=self._print(expr.exp))
        base = self._print(expr.base)
        if not expr.base.is_Symbol:
            base = rf"\left({base}\right)"
        elif "_" in base or "^" in base:
            base = rf"\left({base}\right)" if "^" in base else base
        return f"{base}^{{{self._print(expr.exp)}}}"

    # -- functions ---------------------------------------------------------------
    def _print_ElementwiseBase(self, expr: ElementwiseBase, exp: str | None = None) -> str:
        info = BY_CLASS[type(expr)]
        args = ", ".join(self._print(a) for a in expr.args)
        if info.name == "step":
            return rf"[{args} > 0]" if exp is None else rf"[{args} > 0]^{{{exp}}}"
        if info.name == "sqrt":
            tex = rf"\sqrt{{{args}}}"
            return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"
        head = info.latex + (f"^{{{exp}}}" if exp is not None else "")
        return rf"{head}\left({args}\right)" if len(expr.args) > 1 or not expr.args[0].is_Symbol else rf"{head}({args})"

    def _matrix_times(self, expr: sympy.Expr, transpose: str) -> str:
        matrix, vector = expr.args
        inner = self._print(vector)
        if vector.is_Add or vector.is_Mul:
            inner = rf"\left({inner}\right)"
        return rf"{self._print(matrix)}{transpose} {inner}"

    def _print_MatVec(self, expr: sympy.Expr) -> str:
        return self._matrix_times(expr, "")

    def _print_MatTVec(self, expr: sympy.Expr) -> str:
        return self._matrix_times(expr, r"^{\top}")

    def _print_Outer(self, expr: sympy.Expr) -> str:
        left, right = expr.args
        inner = self._print(left)
        if left.is_Add or left.is_Mul:
            inner = rf"\left({inner}\right)"
        return rf"{inner}\, {self._print(right)}^{{\top}}"

    def _print_SumUnits(self, expr: sympy.Expr) -> str:
        return rf"\mathbf{{1}}^{{\top}}\left({self._print(expr.args[0])}\right)"

    def _print_Transposed(self, expr: sympy.Expr) -> str:
        inner = self._print(expr.args[0])
        return rf"{inner}^{{\top}}" if expr.args[0].is_Symbol and not inner.startswith(r"\delta") else rf"\left({inner}\right)^{{\top}}"

    def _print_Next(self, expr: sympy.Expr) -> str:
        self._settings["shift"] += 1
        try:
            return self._print(expr.args[0])
        finally:
            self._settings["shift"] -= 1

    def _print_LossGrad(self, expr: sympy.Expr) -> str:
        return rf"\frac{{\partial {LOSS}_{{{time_label(self._settings['shift'])}}}}}{{\partial {self._print(expr.args[0])}}}"


def latex(expr: sympy.Expr, notation: Notation, *, shift: int = 0, bold: bool = False, keep_order: bool = False) -> str:
    """LaTeX of a per-unit expression of the cell `notation` describes."""
    return CellLatexPrinter(dict(notation=notation, shift=shift, bold=bold, keep_order=keep_order)).doprint(expr)


__all__ = ["CellLatexPrinter", "latex", "time_label", "LOSS", "TOTAL_LOSS", "PRECEDENCE"]
