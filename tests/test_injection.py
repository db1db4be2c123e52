"""Text from a spec never escapes into the LaTeX, Markdown or DOT it is written into."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import CELLS, need
from conftest import derived_cell
from lstmsym.base.errors import SpecError
from lstmsym.model.loading import load_cell
from lstmsym.printing.escape import dot_string, html_text, latex_text, markdown_text

HOSTILE = r"\input{/etc/passwd} \write18{touch /tmp/lstmsym-pwned} \catcode`\^^M=13 } % # $ & _ ^ ~ <script>x</script> \"q\" {bad"


def hostile_spec(tmp_path):
    text = (CELLS / "rnn.toml").read_text()
    text = text.replace('name = "rnn"', 'name = "evil"')
    text = text.replace('title = "Elman recurrent network"', f"title = '''{HOSTILE}'''")
    text = text.replace('source = "', f"source = '''{HOSTILE}''' \nignored = \"")
    text = text.replace('ignored = "', 'notes = "')
    text = text.replace('authors = "Jeffrey L. Elman"', f"authors = '''{HOSTILE}'''")
    text = text.replace('h = "The new hidden state', f"h = '''{HOSTILE}''' \n#\"")
    path = tmp_path / "evil.toml"
    path.write_text(text)
    return path


@pytest.mark.dot
@pytest.mark.tex
def test_hostile_text_is_escaped_and_compiles(tmp_path):
    need("dot"), need("latexmk")
    spec = hostile_spec(tmp_path)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "lstmsym.cli", "build", str(spec), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    tex = (out / "evil" / "evil.tex").read_text()
    assert r"\input{/etc/passwd}" not in tex and r"\write18{" not in tex and r"\catcode" not in tex
    assert r"\textbackslash\allowbreak{}input\{\slash{}etc\slash{}passwd\}" in tex
    assert (out / "evil" / "evil.pdf").read_bytes().startswith(b"%PDF")
    assert not os.path.exists("/tmp/lstmsym-pwned")
    log = _compile_and_read_log(tmp_path, tex, out / "evil")
    assert "/etc/passwd" not in log.replace(r"\input\{/etc/passwd\}", "")
    readme = (out / "evil" / "README.md").read_text()
    assert "<script>" not in readme and r"\<script\>" in readme and r"\$" in readme
    page = (out / "site" / "evil.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    bib = (out / "references.bib").read_text()
    assert bib.count("{") == bib.count("}")


def _compile_and_read_log(tmp_path, tex, folder) -> str:
    from lstmsym.render.figures import diagram_dot
    from lstmsym.render.tools import render_dot

    work = tmp_path / "tex"
    work.mkdir()
    (work / "doc.tex").write_text(tex)
    d = derived_cell(str(tmp_path / "evil.toml"))
    for kind in ("cell", "backward"):
        (work / f"{kind}.pdf").write_bytes(render_dot(diagram_dot(d, kind), "pdf"))
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "doc.tex"], cwd=work, capture_output=True, timeout=120)
    return (work / "doc.log").read_text(errors="replace")


@pytest.mark.parametrize("bad", ['W}', 'W"', "W<b>", "W\nx", "W_{t}", "W-1"])
def test_names_are_identifiers(bad, tmp_path):
    import json

    text = (CELLS / "rnn.toml").read_text().replace('W = "input-to-hidden weights"', f"{json.dumps(bad)} = \"x\"")
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match="is not a valid name"):
        load_cell(path)


@pytest.mark.parametrize("escape, text, expected", [
    (latex_text, r"50% of $x_1$ & {y}", r"50\% of \$x\_1\$ \& \{y\}"),
    (latex_text, "a\\b~^#/", r"a\textbackslash\allowbreak{}b\textasciitilde{}\^{}\#\slash{}"),
    (markdown_text, "*a* _b_ [c](d) <e> $f$ |g|", r"\*a\* \_b\_ \[c\](d) \<e\> \$f\$ \|g\|"),
    (html_text, '<b>"x" & \'y\'', "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;"),
    (dot_string, 'a"b\\c\nd', '"a\\"b\\\\c\\nd"'),
])
def test_escapers(escape, text, expected):
    assert escape(text) == expected
