"""The frameworks lstmsym maps cells to, in one list: a spec's mapping tables, `convert`'s layouts and the
documents' framework columns all read it."""

#: The framework a spec may give a mapping table for ([pytorch], [keras], ...), in the documents' order.
FRAMEWORKS = ("pytorch", "keras", "flax", "onnx")
