"""One JSON convention: every command's --json validates against its schema in lstmsym/schemas (jsonschema)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import ROOT

SCHEMAS = ROOT / "lstmsym" / "schemas"


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.json").read_text())


@pytest.mark.parametrize("name, argv", [
    ("cell", ["show", "lstm"]),
    ("cell", ["show", "tests/specs/construct_matrix_state.toml"]),
    ("list", ["list", "-m", "10", "-n", "20"]),
    ("params", ["params", "lstm", "-m", "10", "-n", "20", "--convention", "pytorch", "--num-layers", "2", "--bidirectional"]),
    ("params", ["params", "tests/specs/construct_heads.toml"]),
    ("compare", ["compare", "lstm", "gru", "rnn", "-m", "4", "-n", "5"]),
    ("grad", ["grad", "gru"]),
    ("verify", ["verify", "rnn"]),
    ("check", ["check", "lstm", "--wrt", "c_prev", "--formula", "d_c_in * f"]),
    ("cost", ["cost", "lstm", "-m", "3", "-n", "4", "--batch", "2", "--steps", "5"]),
    ("cost", ["cost", "lstm"]),
    ("flow", ["flow", "lstm", "--steps", "20", "--seeds", "1"]),
    ("equiv", ["equiv", "peephole", "lstm"]),
    ("equiv", ["equiv", "mgu", "gru"]),
    ("flow", ["flow", "tests/specs/construct_matrix_state.toml", "--steps", "5", "--seeds", "1"]),
])
def test_every_json_output_validates(name, argv, cli):
    code, out, err = cli(*[str(ROOT / a) if a.startswith("tests/") else a for a in argv], "--json")
    assert code in (0, 1), err
    data = json.loads(out)
    jsonschema.Draft202012Validator(schema(name)).validate(data)
    assert list(data)[0] == "schema" and data["schema"] == f"lstmsym.{name}/1"
    assert out.endswith("\n") and "\\u" not in out


def test_gallery_cell_json_validates():
    for path in sorted((ROOT / "output").glob("*/cell.json")):
        jsonschema.Draft202012Validator(schema("cell")).validate(json.loads(path.read_text()))


def test_schemas_are_valid_and_documented():
    doc = (ROOT / "docs" / "json.md").read_text()
    for path in SCHEMAS.glob("*.json"):
        jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))
        assert f"lstmsym.{path.stem}/1" in doc


def test_format_json_is_an_alias(cli):
    assert cli("show", "rnn", "--format", "json")[1] == cli("show", "rnn", "--json")[1]
