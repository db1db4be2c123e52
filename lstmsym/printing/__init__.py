"""Stage 4, printing: notation tables and SymPy printer subclasses (text, LaTeX, HTML labels, NumPy code)."""
