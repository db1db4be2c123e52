"""Independent checks of the derived gradients: symbolic at small sizes, finite differences, PyTorch."""
