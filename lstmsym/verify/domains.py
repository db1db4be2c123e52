"""Inputs drawn from their declared domains (lstmsym.spec.domains): exactly from the domain for the examples
the documents show (a mask is 0 or 1), and from the domain's hull for the gradient checks (a mask anywhere in
[0, 1]), so every entry of a gradient is checked at a generic point rather than where a mask zeroes it."""

from __future__ import annotations

import numpy as np

from ..spec.domains import Domain

#: Positive inputs stay this far from 0 (a time gap of 0 sits on the kinks of mod and relu).
POSITIVE_FLOOR = 0.1
#: The mean of a drawn count.
COUNT_MEAN = 2.0


def draw(domain: Domain, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values from the domain itself."""
    kind = domain.kind
    if kind == "binary":
        return rng.integers(0, 2, size=shape).astype(float)
    if kind == "count":
        return rng.poisson(COUNT_MEAN, size=shape).astype(float)
    return hull(domain, rng, shape)


def hull(domain: Domain, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values from the smallest interval holding the domain (continuous, so derivatives are generic)."""
    kind = domain.kind
    if kind in ("binary", "unit_interval"):
        return rng.uniform(0.0, 1.0, size=shape)
    if kind == "interval":
        return rng.uniform(domain.low, domain.high, size=shape)
    if kind == "positive":
        return np.abs(rng.normal(size=shape)) + POSITIVE_FLOOR
    if kind == "nonnegative":
        return np.abs(rng.normal(size=shape))
    if kind == "count":
        return np.abs(rng.normal(0.0, COUNT_MEAN, size=shape))
    return rng.normal(size=shape)
