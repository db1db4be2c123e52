"""Stage 1, the spec: TOML text to a checked Spec (syntax, parser, positions, inheritance, naming rules)."""

from .catalogue import builtin_names, builtin_paths, resolve
from .decls import Spec
from .files import load_spec, spec_from_text

__all__ = ["Spec", "builtin_names", "builtin_paths", "load_spec", "resolve", "spec_from_text"]
