"""Stage 6, verification: the symbolic, finite-difference and PyTorch checks of the derived statements,
the suite and record that run them, and `check` for hand-derived formulas."""
