"""Graphviz HTML-like labels for names and expressions: h<SUB>t-1</SUB>, σ, ⊙, Uᵀ (escaped in one place)."""

from __future__ import annotations

import sympy
from sympy.printing.str import StrPrinter

from .escape import html_text
from .functions import BY_CLASS, ElementwiseBase
from .notation import ACCENTS, ADJOINT_PREFIX, INCOMING_SUFFIX, Notation
from .ordering import factor_key, print_sum

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "zeta": "ζ", "eta": "η", "theta": "θ",
    "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ",
    "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
COMBINING = {"tilde": "\u0303", "hat": "\u0302", "bar": "\u0304", "dot": "\u0307", "check": "\u030c"}
FUNCTION_GLYPHS = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "exp": "exp", "log": "log", "sqrt": "√",
                   "softplus": "softplus", "hard_sigmoid": "σ<SUB>hard</SUB>", "max": "max", "min": "min", "step": "step"}

assert set(COMBINING) == set(ACCENTS)


def name_html(name: str, time: str | None = None) -> str:
    """'h_tilde' at time 't' -> 'h̃<SUB>t</SUB>'; 'W_f' -> 'W<SUB>f</SUB>'; 'alpha' -> 'α'."""
    parts = name.split("_")
    main = GREEK.get(parts[0], html_text(parts[0]))
    subs = []
    for part in parts[1:]:
        if part in COMBINING:
            main += COMBINING[part]
        else:
            subs.append(GREEK.get(part, html_text(part)))
    if time:
        subs.append(time)
    return main + (f"<SUB>{','.join(subs)}</SUB>" if subs else "")


class HtmlPrinter(StrPrinter):
    """Expressions as Graphviz HTML: f ⊙ c<SUB>t-1</SUB>, U<SUB>i</SUB><SUP>T</SUP> δī<SUB>t</SUB>."""

    _default_settings = dict(StrPrinter._default_settings, notation=None)

    @property
    def notation(self) -> Notation:
        return self._settings["notation"]

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        name = expr.name
        if "@" in name:
            matrix, vector = name.split("@")
            return f"{self._print_Symbol(sympy.Symbol(matrix))}{self._print_Symbol(sympy.Symbol(vector))}"
        if name.startswith(ADJOINT_PREFIX):
            base = name[len(ADJOINT_PREFIX):]
            if base.endswith(INCOMING_SUFFIX):
                return "δ" + self._print_Symbol(sympy.Symbol(base[: -len(INCOMING_SUFFIX)])) + "<SUP>in</SUP>"
            return "δ" + self._print_Symbol(sympy.Symbol(base))
        node = next((n for n in self.notation.cell.nodes if n.name == name and n.origin == "argument"), None)
        if node is not None:
            return "(" + self._print(self.notation.cell._display[name]) + ")"
        glyph = self.notation.glyph(name) if name in self.notation.cell.shapes else None
        if glyph is not None and glyph.time == "prev":
            state = next(s.name for s in self.notation.cell.states if s.previous == name)
            return name_html(state, "t-1")
        return name_html(name, "t" if glyph is not None and glyph.time == "step" else None)

    def _print_Add(self, expr: sympy.Expr, order: str | None = None) -> str:
        return print_sum(self, expr, keep_order=False, minus=" − ")

    def _print_Mul(self, expr: sympy.Expr) -> str:
        coeff, factors = expr.as_coeff_mul()
        if coeff.is_negative:
            return "−" + self._print_Mul(sympy.Mul(-coeff, *factors, evaluate=False))
        factors = sorted(factors, key=lambda f: factor_key(self.notation, f))
        parts = [] if coeff == 1 else [self._print(coeff)]
        for f in factors:
            text = self._print(f)
            parts.append(f"({text})" if f.is_Add else text)
        return " ⊙ ".join(parts)

    def _print_Pow(self, expr: sympy.Expr, rational: bool = False) -> str:
        base = self._print(expr.base)
        base = f"({base})" if expr.base.is_Add or expr.base.is_Mul else base
        if expr.exp == -1:
            return f"1/{base}"
        return f"{base}<SUP>{self._print(expr.exp)}</SUP>"

    def _print_Rational(self, expr: sympy.Rational) -> str:
        return f"{expr.p}/{expr.q}" if expr.q != 1 else str(expr.p)

    def _print_ElementwiseBase(self, expr: ElementwiseBase) -> str:
        glyph = FUNCTION_GLYPHS[BY_CLASS[type(expr)].name]
        return f"{glyph}({', '.join(self._print(a) for a in expr.args)})"

    def _print_MatTVec(self, expr: sympy.Expr) -> str:
        inner = self._print(expr.args[1])
        return f"{self._print(expr.args[0])}<SUP>T</SUP>" + (f"({inner})" if expr.args[1].is_Add or expr.args[1].is_Mul else inner)

    def _print_SumUnits(self, expr: sympy.Expr) -> str:
        return f"Σ({self._print(expr.args[0])})"


def html(expr: sympy.Expr, notation: Notation) -> str:
    return HtmlPrinter(dict(notation=notation)).doprint(expr)
