"""The built-in cells, as spec files (data, no code)."""
