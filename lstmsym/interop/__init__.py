"""Weights in and out of PyTorch, Keras, Flax linen and ONNX, by each cell's layout tables."""

from .libraries import (from_flax, from_keras, from_onnx, from_torch, keras_weights, onnx_attributes, to_flax,
                        to_keras, to_onnx, to_torch)
from .stack import Stack

__all__ = ["Stack", "from_flax", "from_keras", "from_onnx", "from_torch", "keras_weights", "onnx_attributes",
           "to_flax", "to_keras", "to_onnx", "to_torch"]
