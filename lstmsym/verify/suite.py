"""The one verification suite: the symbolic check at the spec's verify sizes, finite differences at random
sizes that obey the size rules, and PyTorch autograd where it is installed. `verify`, the verification
record and the gallery build all run this function."""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base.errors import DomainError
from ..derive.derived import Derived
from ..derive.frameworks import mapping
from .numeric import TOLERANCE as FD_TOL
from .readback_compare import printed_check
from .numeric import finite_difference_check
from .symbolic import TOLERANCE as SYM_TOL
from .symbolic import symbolic_check

SYMBOLIC_STEPS = 2
FD_STEPS = 3
FD_SEEDS = (0, 1)
TORCH_SEEDS = (0, 1)
DOMAIN_TRIES = 6


@dataclass(frozen=True)
class Broken:
    """A check that could not run to the end: the derived code or statements do not even evaluate."""

    sizes: dict
    steps: int
    reason: str
    ok: bool = False
    max_error: float = float("inf")
    checked: int = 0


def reason(results) -> dict[str, str]:
    """Why a check failed, for the row ({} when every run passed): the exception of a run that could not finish,
    else the largest error and the entry it is at."""
    for result in results:
        if isinstance(result, Broken):
            return {"reason": result.reason}
    failed = [r for r in results if not r.ok]
    if not failed:
        return {}
    worst = max(failed, key=lambda r: r.max_error)
    at = getattr(worst, "where", "") or getattr(worst, "worst", "")
    return {"reason": f"relative error {worst.max_error:.1e}" + (f" at {at}" if at else "") + f" at sizes {worst.sizes}"}


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def within_domain(check, derived: Derived, seed: int, **kwargs):
    """Run a check at `seed`, moving to the next seed when a sampled point leaves a function's domain;
    a DomainError explaining the domain when no point of DOMAIN_TRIES stays inside."""
    last: Exception | None = None
    for attempt in range(DOMAIN_TRIES):
        try:
            with np.errstate(all="raise"):
                return check(derived, seed=seed + 1000 * attempt, **kwargs)
        except (DomainError, FloatingPointError) as exc:
            last = exc
        except Exception as exc:  # the generated code or statements do not even run: a failed check, not a crash
            return Broken({}, kwargs.get("steps", 0), f"{type(exc).__name__}: {exc}")
    from ..model.functions import FUNCTIONS

    calls = [n for n, i in FUNCTIONS.items() if i.positive_argument or i.nonzero_second]
    restricted = sorted({f"{n} ({FUNCTIONS[n].domain})" for n in calls})
    spec = derived.cell.spec
    equation = next((eq for eq in spec.equations if any(f"{n}(" in eq.text for n in calls) or "**" in eq.text), None)
    where = f"{spec.where('equations', equation.name)}: " if equation is not None else ""
    raise DomainError(f"{where}cell '{derived.cell.name}': every sampled point left a function's domain ({last}); functions with a "
                      f"restricted domain are {', '.join(restricted)}, and x ** y with a variable exponent (a positive base x): keep their arguments inside it, e.g. log(softplus(a)) "
                      f"or sqrt(a ** 2 + eps)") from None


def run_suite(derived: Derived, steps: int = FD_STEPS, seed: int = 0, use_torch: bool | None = None) -> dict[str, Any]:
    """Every check of one cell; 'ok' is False if any check fails."""
    started = time.perf_counter()
    sym = within_domain(symbolic_check, derived, seed, steps=min(steps, SYMBOLIC_STEPS))
    fds = [within_domain(finite_difference_check, derived, seed + k, steps=steps) for k in FD_SEEDS]
    row: dict[str, Any] = {
        "cell": derived.cell.name,
        "symbolic": {"ok": sym.ok, "max_error": sym.max_error, "entries": sym.checked, "sizes": sym.sizes,
                     "steps": sym.steps, "tolerance": f"{float(SYM_TOL):.0e}", **reason([sym])},
        "finite_differences": {"ok": all(r.ok for r in fds), "max_error": max(r.max_error for r in fds),
                               "entries": sum(r.checked for r in fds), "sizes": [r.sizes for r in fds], "steps": steps,
                               "tolerance": f"{FD_TOL:.0e}", **reason(fds)},
        "autograd": None,
        "pytorch": None,
        "printed": printed_check(derived),
    }
    with_torch = use_torch if use_torch is not None else torch_available()
    if with_torch:
        from .torch_spec import TOLERANCE as SPEC_TOL
        from .torch_spec import spec_torch_check

        checks = [within_domain(spec_torch_check, derived, seed + k, steps=steps) for k in TORCH_SEEDS]
        row["autograd"] = {"max_error": max(r.max_error for r in checks), "ok": all(r.ok for r in checks),
                           "tolerance": f"{SPEC_TOL:.0e}", "sizes": [r.sizes for r in checks], **reason(checks)}
    if with_torch and mapping(derived.cell, "pytorch") is not None:
        from .torch_nn import TOLERANCE as TORCH_TOL
        from .torch_nn import torch_check

        results = [torch_check(derived, seed=seed + k, steps=max(steps, 2)) for k in TORCH_SEEDS]
        row["pytorch"] = {"module": results[0].module, "max_error": max(r.max_error for r in results),
                          "ok": all(r.ok for r in results), "tolerance": f"{TORCH_TOL:.0e}"}
    row["ok"] = all(part["ok"] for part in (row["symbolic"], row["finite_differences"], row["autograd"], row["pytorch"], row["printed"]) if part)
    row["seconds"] = round(time.perf_counter() - started, 2)
    return row
