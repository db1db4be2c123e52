"""docs/python.md is run as written (doctest), and the notebook view degrades without dot."""

from __future__ import annotations

import doctest
import re

from conftest import ROOT, need


def test_python_guide_runs_as_written():
    """Every ```python block of docs/python.md, run in order as one doctest session."""
    need("dot")
    text = (ROOT / "docs" / "python.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    test = doctest.DocTestParser().get_doctest("\n".join(blocks), {}, "python.md", "docs/python.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries > 20


def test_notebook_view_without_dot(monkeypatch):
    import lstmsym
    from lstmsym.render import tools

    monkeypatch.setattr(tools, "dot_available", lambda: False)
    page = lstmsym.cell("gru")._repr_html_()
    assert "<math" in page and "<svg" not in page
