"""The docs-writer integrations, each used as a user would: a small Sphinx project built by sphinx-build -W, a
small MkDocs project built by mkdocs build --strict, and a cell shown through IPython's own display formatter.
The diagrams are checked against an independent reading of the DOT source (tests/dot_reader.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import markdown
from IPython.core.formatters import DisplayFormatter

import lstmsym
from conftest import ROOT
from dot_reader import parse_dot
from lstmsym.markdown import LstmsymExtension

#: A spec of the user's own, read from a path (the Sphinx source folder's or the MkDocs project's).
MINE = '''name = "mine"
parameters = ["W", "U", "b"]
[sizes]
m = "input size"
n = "hidden size"
[input]
x = "m"
[state.h]
size = "n"
[equations]
h = "tanh(W @ x + U @ h_prev + b)"
'''
#: LSTM's forget gate and cell state as lstmsym's LaTeX printer writes them (the write-up's rows).
FORGET = r"f_{t} &= \sigma\left(W_{f} x_{t} + U_{f} h_{t-1} + b_{f}\right) \\"
CELL_STATE = r"c_{t} &= f_{t} \odot c_{t-1} + i_{t} \odot g_{t} \\"
#: A backward row: the cell state's adjoint handed to step t-1.
D_C_PREV = r"\delta c_{t-1} &= \delta c_{t} \odot f_{t}"
MINE_ROW = r"h_{t} &= \tanh\left(W x_{t} + U h_{t-1} + b\right)"
#: 4(nm + n² + n) at m = 10, n = 20: Keras' LSTM count (the paper convention), see FACTS.
LSTM_TOTAL = "2,480"


def readme_block(language: str) -> str:
    """The README's example for one integration (a fenced block of that language in "In your documentation")."""
    section = (ROOT / "README.md").read_text().split("## In your documentation", 1)[1].split("\n## ", 1)[0]
    fence = "````" if language == "markdown" else "```"
    return re.search(rf"^{fence}{language}\n(.*?)^{fence}$", section, re.S | re.M).group(1)


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """A tool run from the project's folder, importing this checkout's lstmsym."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])), NO_COLOR="1")
    env.pop("FORCE_COLOR", None)  # CI may force colour; messages are read back as plain text
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def diagram_nodes(html: str) -> list[str]:
    """The node names of every inline SVG diagram in a page, in order (dot writes each as <g class="node"><title>)."""
    return [unescape(t) for t in re.findall(r'<g id="node\d+" class="node">\s*<title>([^<]*)</title>', html)]


def dot_nodes(cell: str) -> list[str]:
    return sorted(parse_dot(lstmsym.cell(cell).dot()).nodes)


def sphinx_project(tmp_path: Path, body: str) -> Path:
    src = tmp_path / "src"
    (src / "specs").mkdir(parents=True)
    (src / "conf.py").write_text('project = "cells"\nextensions = ["lstmsym.sphinx"]\n')
    (src / "specs" / "mine.toml").write_text(MINE)
    (src / "index.rst").write_text("Cells\n=====\n\n" + body)
    return src


def test_sphinx_directive_places_equations_gradient_parameters_and_diagram(tmp_path):
    src = sphinx_project(tmp_path, """.. lstmsym:: lstm
   :show: equations, gradient, parameters, diagram
   :hidden-size: 20
   :input-size: 10

.. lstmsym:: specs/mine.toml

""" + readme_block("rst"))
    result = run(["sphinx", "--no-color", "-W", "-b", "html", "-q", str(src), str(tmp_path / "out")], tmp_path)
    assert result.returncode == 0, result.stderr
    page = unescape((tmp_path / "out" / "index.html").read_text())
    for row in (FORGET, CELL_STATE, D_C_PREV, MINE_ROW):
        assert row in page, row
    assert page.count('class="math notranslate nohighlight"') >= 3  # Sphinx's math blocks, not raw text
    assert f"<p>{LSTM_TOTAL}</p>" in page
    assert "input weights of f" in page
    assert sorted(diagram_nodes(page)) == sorted(dot_nodes("lstm") * 2)  # the directive above and the README's


def test_the_readme_shows_each_integration_in_three_lines():
    blocks = {language: readme_block(language) for language in ("rst", "markdown", "python")}
    assert all(len(block.strip().splitlines()) <= 3 for block in blocks.values())
    html = markdown.markdown(blocks["markdown"], extensions=["lstmsym.markdown"])
    assert "<msub><mi>f</mi><mi>t</mi></msub>" in html and sorted(diagram_nodes(html)) == dot_nodes("lstm")
    scope: dict = {"lstmsym": lstmsym}
    exec(compile(blocks["python"], "README.md", "exec"), scope)
    shown = scope["lstm"].show("gradient", "gradient-diagram")
    assert D_C_PREV in shown._repr_latex_()


def test_sphinx_bad_names_and_options_fail_with_one_line_naming_the_choices(tmp_path):
    src = sphinx_project(tmp_path, """.. lstmsym:: lstn

.. lstmsym:: lstm
   :show: equations, gradiant

.. lstmsym:: lstm
   :hiden-size: 20
""")
    result = run(["sphinx", "--no-color", "-W", "-b", "html", "-q", str(src), str(tmp_path / "out")], tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "lstmsym:" in line]
    assert len(errors) == 3, result.stderr
    assert errors[0].startswith(f"{src / 'index.rst'}:4: ERROR: lstmsym: unknown cell 'lstn'; expected a spec file path or one of: ")
    assert "lstm, lstm_cifg" in errors[0] and errors[0].endswith("did you mean 'lstm'? [lstmsym]")
    assert errors[1] == (f"{src / 'index.rst'}:6: ERROR: lstmsym: unknown show item 'gradiant'; expected one of diagram, "
                         "equations, gradient, gradient-diagram, parameters; did you mean 'gradient'? [lstmsym]")
    assert errors[2] == (f"{src / 'index.rst'}:9: ERROR: lstmsym: unknown option ':hiden-size:'; expected one of hidden-size, "
                         "input-size, proj-size, show, sizes; did you mean 'hidden-size'? [lstmsym]")


def mkdocs_project(tmp_path: Path, page: str) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: cells\nmarkdown_extensions:\n  - lstmsym.markdown\n")
    (tmp_path / "mine.toml").write_text(MINE)
    (tmp_path / "docs" / "index.md").write_text(page)
    return tmp_path


def test_mkdocs_block_places_mathml_parameters_and_inline_svg(tmp_path):
    project = mkdocs_project(tmp_path, """# Cells

```lstmsym
cell: lstm
show: equations, parameters, gradient-diagram
hidden-size: 20
input-size: 10
```

Text after the block.

~~~lstmsym mine.toml
show: equations, gradient
~~~
""")
    result = run(["mkdocs", "build", "--strict"], project)
    assert result.returncode == 0, result.stderr
    page = (project / "site" / "index.html").read_text()
    forget = "<mrow><msub><mi>f</mi><mi>t</mi></msub><mo>=</mo><mrow><mi>&#963;</mi>"  # f_t = σ(...), MathML
    assert forget in page and "<msub><mi>c</mi><mi>t</mi></msub>" in page
    assert f"<td>{LSTM_TOTAL}</td>" in page
    assert "<p>Text after the block.</p>" in page
    assert sorted(diagram_nodes(page)) == sorted(parse_dot(lstmsym.cell("lstm").dot("backward")).nodes)
    assert "<msub><mi>h</mi><mi>t</mi></msub><mo>=</mo><mrow><mi>tanh</mi>" in page  # the spec file's cell
    assert "Adjoints handed to step t-1" in page


def test_mkdocs_strict_fails_on_an_unknown_cell_naming_the_choices(tmp_path):
    project = mkdocs_project(tmp_path, "```lstmsym\ncell: lstn\n```\n")
    result = run(["mkdocs", "build", "--strict"], project)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1 and "lstmsym: unknown cell 'lstn'; expected a spec file path or one of: " in warnings[0]
    assert warnings[0].endswith("did you mean 'lstm'?")
    assert "Aborted with 1 warnings in strict mode" in result.stdout + result.stderr


def test_markdown_latex_output_and_a_bad_key():
    md = markdown.Markdown(extensions=[LstmsymExtension(math="latex")])
    html = unescape(md.convert("```lstmsym\ncell: lstm\n```\n"))
    assert "\\[\\begin{aligned}\n" in html and FORGET in html and CELL_STATE in html
    bad = markdown.markdown("```lstmsym\ncell: lstm\nhiden-size: 4\n```\n", extensions=["lstmsym.markdown"])
    assert "unknown key &#x27;hiden-size&#x27; in an lstmsym block; expected one of cell, hidden-size" in bad


def test_ipython_display_of_a_cell_its_gradient_and_its_diagram():
    lstm = lstmsym.cell("lstm")
    data, _ = DisplayFormatter().format(lstm)
    assert {"text/plain", "text/html", "text/latex", "image/svg+xml"} <= set(data)
    assert data["text/latex"].startswith("$$\\begin{aligned}\n") and FORGET in data["text/latex"]
    assert sorted(diagram_nodes(data["image/svg+xml"])) == dot_nodes("lstm")
    back, _ = DisplayFormatter().format(lstm.show("gradient", "gradient-diagram"))
    assert D_C_PREV in back["text/latex"] and "Adjoints handed to step t-1" in back["text/html"]
    assert sorted(diagram_nodes(back["image/svg+xml"])) == sorted(parse_dot(lstm.dot("backward")).nodes)
    table, _ = DisplayFormatter().format(lstm.show("parameters", hidden_size=20, input_size=10))
    assert "text/latex" not in table and f"<td>{LSTM_TOTAL}</td>" in table["text/html"]
