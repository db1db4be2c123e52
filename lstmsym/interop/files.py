"""Weight files: .npz archives of named float arrays, written byte for byte the same for the same weights.

Why .npz: NumPy is lstmsym's one dependency and reads it without pickle (allow_pickle=False); its keys are
any string, so torch.nn state-dict names, Keras and Flax paths and ONNX input names all fit; every framework
turns a NumPy array into its own tensor in one call. (safetensors would add a dependency for no gain here.)
A PyTorch state dict saved with torch.save (.pt/.pth) is also read, with torch.load(weights_only=True).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..base.errors import FileProblem
from ..base.writing import write_bytes_atomic

TORCH_SUFFIXES = (".pt", ".pth")


def read_weights(path: str | Path) -> dict[str, np.ndarray]:
    """Named arrays from an .npz archive (or a torch.save'd state dict)."""
    path = Path(path)
    if not path.is_file():
        raise FileProblem(f"{path}: no such file; expected an .npz archive of named arrays")
    if path.suffix in TORCH_SUFFIXES:
        return _read_torch(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: np.array(archive[key]) for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise FileProblem(f"{path}: not an .npz archive of arrays ({error}); expected a file written by numpy.savez") from None


def _read_torch(path: Path) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise FileProblem(f"{path}: reading a .pt file needs PyTorch; expected an .npz archive otherwise") from None
    try:
        loaded: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a bad file
        raise FileProblem(f"{path}: not a PyTorch state dict ({type(error).__name__}); expected torch.save(module.state_dict())") from None
    if not isinstance(loaded, dict):
        raise FileProblem(f"{path}: holds a {type(loaded).__name__}; expected a state dict (a dict of tensors)")
    return {k: v.detach().cpu().numpy() for k, v in loaded.items() if hasattr(v, "detach")}


def write_weights(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """An .npz archive, keys sorted and timestamps fixed, replacing `path` atomically."""
    if Path(path).suffix in TORCH_SUFFIXES:
        raise FileProblem(f"{path}: lstmsym writes .npz archives; expected a name ending in .npz "
                          "(torch.nn loads it with {k: torch.from_numpy(v) for k, v in numpy.load(f).items()})")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for key in sorted(arrays):
            data = io.BytesIO()
            np.lib.format.write_array(data, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0)), data.getvalue())
    write_bytes_atomic(path, buffer.getvalue())
