"""The vector operators' reference forms on NumPy arrays (one sequence, unit shapes): what the interpreter
(verify.interpret) evaluates each entry of the operator table with. Written out with loops and tensordot, so they
run on arrays of SymPy objects as well as on floats."""

from __future__ import annotations

import numpy as np


def conv2d(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Same-padded cross-correlation of x (C, H, W) with kernel (F, C, k, k), written out (works on objects)."""
    f, c, k, _ = kernel.shape
    p = k // 2
    _, h, w = x.shape
    padded = np.zeros((c, h + 2 * p, w + 2 * p), dtype=x.dtype)
    padded[:, p:p + h, p:p + w] = x
    out = np.empty((f, h, w), dtype=np.result_type(x, kernel))
    for i in range(h):
        for j in range(w):
            window = padded[:, i:i + k, j:j + k]
            out[:, i, j] = np.tensordot(kernel, window, axes=([1, 2, 3], [0, 1, 2]))
    return out


def conv2d_weight(d: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """The gradient of conv2d(x, K) with respect to K: d (F, H, W), x (C, H, W)."""
    p = k // 2
    c, h, w = x.shape
    padded = np.zeros((c, h + 2 * p, w + 2 * p), dtype=x.dtype)
    padded[:, p:p + h, p:p + w] = x
    out = np.empty((d.shape[0], c, k, k), dtype=np.result_type(d, x))
    for i in range(k):
        for j in range(k):
            out[:, :, i, j] = np.tensordot(d, padded[:, i:i + h, j:j + w], axes=([1, 2], [1, 2]))
    return out


def conv2d_transpose(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The adjoint of conv2d(., kernel) applied to x: the convolution with the flipped, channel-swapped kernel."""
    return conv2d(x, np.flip(kernel, (-2, -1)).swapaxes(0, 1))


def diagonal_blocks(full: np.ndarray, k: int) -> np.ndarray:
    """The k diagonal blocks of a matrix, stacked (blocks, rows, cols): a block-diagonal parameter's gradient."""
    r, c = full.shape[0] // k, full.shape[1] // k
    return np.stack([full[b * r:(b + 1) * r, b * c:(b + 1) * c] for b in range(k)])


def sum_trailing(value: np.ndarray, k: int) -> np.ndarray:
    """The sum over the trailing k axes."""
    return np.sum(value, axis=tuple(range(value.ndim - k, value.ndim)))
