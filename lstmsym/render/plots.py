"""Comparison plots for the gallery (parameters, FLOPs per step, BPTT memory against hidden size), drawn with
matplotlib as deterministic SVG and PDF. matplotlib is an optional extra; the core never imports it."""

from __future__ import annotations

import hashlib
import io
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..derive.compare import measure
from ..derive.counts import CountQuery
from ..derive.derived import Derived
from ..model.sizes import at_sizes
from . import tools

HIDDEN = [16, 32, 64, 128, 256, 512, 1024, 2048]
FAMILY_COLORS = {"lstm": "#c0392b", "gru": "#2471a3", "rnn": "#239b56", "other": "#7d3c98"}
HIGHLIGHT = ("rnn", "lstm", "gru_reset_after")
KINDS = {
    "parameters": ("Parameters (one layer)", "parameters"),
    "flops": ("Matrix-product FLOPs per step, forward + backward", "FLOPs per step and sequence"),
    "memory": ("BPTT cache per step (elements per sequence)", "elements per step"),
}
HINT = "matplotlib is not installed: pip install matplotlib (or pip install -e '.[gallery]')"


def matplotlib_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


@lru_cache(maxsize=None)
def series(derived: Derived, kind: str) -> tuple[float, ...]:
    """The measure for each hidden size n, every other size scaled from its reference value as n is."""
    expr = measure(derived, kind, CountQuery())
    reference = derived.cell.size_rules.reference_sizes()
    values = []
    for n in HIDDEN:
        sizes = {s: max(1, round(v * n / reference.get("n", 256))) if s != "n" else n for s, v in reference.items()}
        sizes.update({s: n for s in ("m",) if s in sizes})
        values.append(float(at_sizes(expr, sizes)))
    return tuple(values)


def _save(fig, formats: str | tuple[str, ...], digest: str = "") -> bytes | dict[str, bytes]:
    """The figure in each format, drawn once and written as each (a single format: its bytes); with `digest`, each
    file carries it (tools.STAMPED: an SVG as dot's do, a PDF in its Info's Keywords)."""
    import matplotlib.pyplot as plt

    out = {}
    for fmt in (formats,) if isinstance(formats, str) else formats:
        buffer = io.BytesIO()
        metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"CreationDate": None, "ModDate": None}
        if digest and fmt == "pdf":
            metadata["Keywords"] = f"{tools.PICTURE_KEY} {digest}"
        fig.savefig(buffer, format=fmt, metadata=metadata)
        out[fmt] = tools.stamp(buffer.getvalue(), fmt, digest) if digest and fmt == "svg" else buffer.getvalue()
    plt.close(fig)
    return out[formats] if isinstance(formats, str) else out


RC = {"svg.hashsalt": "lstmsym", "svg.fonttype": "none", "font.size": 9, "pdf.compression": 6, "path.simplify": False,
      # every label at 8 pt or more, so that a plot scaled to the page keeps its text at 6 pt or more
      "xtick.labelsize": 9, "ytick.labelsize": 9, "legend.fontsize": 8, "legend.title_fontsize": 8}


#: This module's code: a cell's flow plot carries a digest of it, of matplotlib's version and of the plotted data.
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def flow_digest(name: str, family: str, flow: dict[str, Any]) -> str:
    """The digest a cell's flow plot carries (`build --check` takes a committed plot that carries it)."""
    from importlib.metadata import version

    data = json.dumps([name, family, flow], sort_keys=True)
    return hashlib.sha256(f"{_CODE}\0{version('matplotlib')}\0{data}".encode()).hexdigest()[:32]


def flow_figure(name: str, family: str, flow: dict[str, Any], fmt: str | tuple[str, ...]) -> bytes | dict[str, bytes]:
    """One cell's gradient-survival profile: the median norm against T, the quartiles shaded; in one format, or
    several drawn from one figure. Each file carries flow_digest."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    color = FAMILY_COLORS.get(family, "#555555")
    with matplotlib.rc_context(RC):
        fig, ax = plt.subplots(figsize=(4.6, 2.9))
        ax.fill_between(flow["steps"], _floor(flow["low"]), _floor(flow["high"]), color=color, alpha=0.2, linewidth=0,
                        label="25 % to 75 %")
        ax.plot(flow["steps"], _floor(flow["median"]), color=color, linewidth=1.8, marker="o", markersize=3, label="median")
        _flow_axes(ax, f"{name}: gradient surviving T steps")
        ax.legend(loc="lower left", fontsize=8)
        fig.tight_layout()
        return _save(fig, fmt, flow_digest(name, family, flow))


def flow_comparison(rows: list[tuple[str, str, dict[str, Any]]], fmt: str) -> bytes:
    """Every cell's median profile on one plot, the classic cells drawn thick and named."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7.0, 4.4))
        ends: list[tuple[str, float, float]] = []
        for name, family, flow in rows:
            highlight = name in HIGHLIGHT + ("mingru",)
            ax.plot(flow["steps"], _floor(flow["median"]), color=FAMILY_COLORS.get(family, "#555555"),
                    linewidth=2.2 if highlight else 0.8, alpha=1.0 if highlight else 0.45, zorder=3 if highlight else 2)
            if highlight:
                ends.append((name, flow["steps"][-1], _floor(flow["median"])[-1]))
        _name_ends(ax, ends)
        for family, color in FAMILY_COLORS.items():
            ax.plot([], [], color=color, label=family)
        _flow_axes(ax, "Gradient surviving T steps, every cell (median)")
        ax.set_xlim(1, 200 * 2.2)
        ax.legend(title="family", loc="lower left", fontsize=8)
        fig.tight_layout()
        return _save(fig, fmt)


FLOOR = 1e-60
#: The least gap between two curve names at the right end of a log-scale plot, as a ratio (a third of a decade):
#: lstm's and gru_reset_after's names overlapped in the parameters plot.
NAME_GAP = 10 ** 0.35


SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def power_label(value: float, base: int = 10) -> str:
    """A log axis's tick as text, 10⁻⁶ or 2¹¹: matplotlib's default label is mathtext ($10^{-6}$), whose parsing
    was 60 % of drawing a plot (half a second a plot, 168 plots a build)."""
    exponent = round(math.log(value, base))
    return f"{base}{str(exponent).translate(SUPERSCRIPT)}" if math.isclose(value, base ** exponent) else ""


def _power_ticks(ax, x_base: int = 10) -> None:
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: power_label(v, x_base) if v > 0 else ""))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: power_label(v) if v > 0 else ""))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())


def spread(values: list[float], gap: float = NAME_GAP) -> list[float]:
    """Heights for names at these log-scale values, in the same order, any two at least `gap` apart as a ratio:
    names too close are pushed apart evenly, up and down, until none overlaps."""
    logs, step = [math.log10(v) for v in values], math.log10(gap)
    order = sorted(range(len(logs)), key=lambda k: logs[k])
    for _ in range(100):
        moved = False
        for low, high in zip(order, order[1:]):
            short = step - (logs[high] - logs[low])
            if short > 1e-9:
                logs[low] -= short / 2
                logs[high] += short / 2
                moved = True
        if not moved:
            break
    return [v if math.isclose(math.log10(v), at) else 10 ** at for v, at in zip(values, logs)]


def _name_ends(ax, ends: list[tuple[str, float, float]]) -> None:
    """Each named curve's name beside its last point, spread so no two overlap (a thin leader where moved)."""
    for (name, x, y), at in zip(ends, spread([y for _, _, y in ends])):
        ax.annotate(name, (x, y), xytext=(x * 1.06, at), textcoords="data", va="center", fontsize=8,
                    arrowprops=dict(arrowstyle="-", linewidth=0.4, color="#777777") if at != y else None)


def _floor(values: list[float]) -> list[float]:
    """Norms below 1e-60 drawn at 1e-60 (a log axis cannot show zero)."""
    return [max(v, FLOOR) for v in values]


def _flow_axes(ax, title: str) -> None:
    ax.set_xscale("log")
    ax.set_yscale("log")
    _power_ticks(ax)
    ax.set_xlabel("steps T")
    ax.set_ylabel(r"$\Vert (J_T \cdots J_1)^{\top} u \Vert$")  # mathtext, as the documents write it
    ax.set_title(title)
    ax.grid(True, which="major", linewidth=0.4, alpha=0.5)


def figure(cells: list[Derived], kind: str, fmt: str) -> bytes:
    """One comparison plot, as SVG or PDF bytes that do not change between runs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    title, ylabel = KINDS[kind]
    with matplotlib.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7.0, 4.4))
        ends: list[tuple[str, float, float]] = []
        for d in cells:
            cell = d.cell
            highlight = cell.name in HIGHLIGHT
            ax.plot(HIDDEN, series(d, kind), color=FAMILY_COLORS.get(cell.family, "#555555"),
                    linewidth=2.2 if highlight else 0.8, alpha=1.0 if highlight else 0.45, zorder=3 if highlight else 2)
            if highlight:
                ends.append((cell.name, HIDDEN[-1], series(d, kind)[-1]))
        _name_ends(ax, ends)
        for family, color in FAMILY_COLORS.items():
            ax.plot([], [], color=color, label=family)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        _power_ticks(ax, x_base=2)
        ax.set_xlabel("hidden size n (input size m = n, projection and context sizes n/2)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.set_xlim(HIDDEN[0], HIDDEN[-1] * 1.9)
        ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
        ax.legend(title="family", loc="upper left", fontsize=8)
        fig.tight_layout()
        return _save(fig, fmt)


def all_figures(cells: list[Derived], formats: tuple[str, ...] = ("svg", "pdf"),
                record: dict[str, Any] | None = None) -> dict[str, bytes]:
    """plots/<kind>.svg for the Markdown index, plots/<kind>.pdf for the handbook (only those asked for), and
    plots/flow.* from the profiles in the verification record."""
    out = {f"plots/{kind}.{fmt}": figure(cells, kind, fmt) for kind in KINDS for fmt in formats}
    rows = [(d.cell.name, d.cell.family, (record or {}).get(d.cell.name, {}).get("flow")) for d in cells]
    rows = [row for row in rows if row[2]]
    if rows:
        out.update({f"plots/flow.{fmt}": flow_comparison(rows, fmt) for fmt in formats})
    return out
