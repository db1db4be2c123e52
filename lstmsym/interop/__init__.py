"""Weights in and out of the frameworks' own modules, read from each spec's layout tables."""

from .torch_nn import from_torch, to_torch

__all__ = ["from_torch", "to_torch"]
