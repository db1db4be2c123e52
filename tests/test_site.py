"""The HTML handbook in a real browser: headless Chromium (Debian's) driven by Playwright opens the index and
three cell pages; MathML must have a rendered size, SVGs must be visible, the console must stay quiet, every
link must resolve, and screenshots must be non-blank and of a stable size."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, need_module

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1000, "height": 800}


#: The handbook as committed: test_committed_gallery_is_current proves it is what a build writes today, so the browser
#: checks read it instead of building pages of their own (lstm's, gru's, rnn's and a test spec's were built here on
#: each worker: 16 s of setup twice).
COMMITTED = ROOT / "output" / "site"
PAGES = sorted(COMMITTED.glob("*.html"))


def test_every_link_resolves():
    assert {p.name for p in PAGES} >= {"index.html", "by-year.html", "by-parameters.html", "lstm.html", "convlstm.html"}
    for page in PAGES:
        for href in re.findall(r'href="([^"#]+)"', page.read_text()):
            assert (page.parent / href).resolve().exists(), (page.name, href)
        text = page.read_text()
        assert "<script" not in text and not re.search(r'(src|href|url)\(?="?https?://', text)


@pytest.mark.parametrize("page", ["index.html", "lstm.html", "gru.html", "convlstm.html"])
def test_page_in_chromium(page, tmp_path):
    playwright = need_module("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed (apt-get install chromium); scripts/setup.sh installs it")
    from PIL import Image

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport=VIEWPORT)
        errors: list[str] = []
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto((COMMITTED / page).as_uri())
        sizes = tab.evaluate("() => [...document.querySelectorAll('math')].map(m => { const r = m.getBoundingClientRect(); return [r.width, r.height]; })")
        assert sizes and all(w > 0 and h > 0 for w, h in sizes)
        svgs = tab.evaluate("() => [...document.querySelectorAll('svg')].map(s => { const r = s.getBoundingClientRect(); "
                            "return [r.width, r.height, getComputedStyle(s).visibility, getComputedStyle(s).display]; })")
        assert svgs and all(w > 50 and h > 50 and vis == "visible" and disp != "none" for w, h, vis, disp in svgs)
        shot = tmp_path / "page.png"
        tab.screenshot(path=str(shot))
        browser.close()
    assert errors == []
    image = Image.open(shot).convert("L")
    assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
    pixels = image.get_flattened_data() if hasattr(image, "get_flattened_data") else image.getdata()
    dark = sum(1 for v in pixels if v < 200)
    assert dark > 0.01 * image.size[0] * image.size[1]


SCRIPT_PAIRS = """() => { const t = [...document.querySelectorAll('svg text')]; const out = [];
  for (let k = 0; k + 1 < t.length; k++) {
    if (/^[a-zA-Zα-ω]$/.test(t[k].textContent.trim()) && /^t([−-]1)?$/.test(t[k + 1].textContent.trim())) {
      const a = t[k].getBoundingClientRect(), b = t[k + 1].getBoundingClientRect();
      out.push([a.height, a.bottom, b.height, b.bottom]); } }
  return out; }"""


def test_svg_subscripts_are_smaller_and_lower_in_chromium():
    """Graphviz's SVG gives a subscript its base's font size and a baseline-shift Chromium ignores, so h_{t-1} was
    drawn as ht-1 at full size on the baseline. Measured in the browser: every subscript is smaller than its base
    and sits lower."""
    playwright = need_module("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport=VIEWPORT)
        tab.goto((COMMITTED / "lstm.html").as_uri())
        pairs = tab.evaluate(SCRIPT_PAIRS)
        browser.close()
    assert len(pairs) >= 6
    for base_height, base_bottom, sub_height, sub_bottom in pairs:
        assert sub_height < 0.85 * base_height and sub_bottom > base_bottom + 1, pairs


OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"
#: How much of its own size each diagram is drawn at (its labels shrink with it).
SVG_SCALES = "() => [...document.querySelectorAll('figure svg')].map(s => s.getBoundingClientRect().width / s.viewBox.baseVal.width)"
SCROLLING_MATH = "() => [...document.querySelectorAll('math[display=block]')].filter(m => m.scrollWidth > m.clientWidth + 1).length"


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_overflows_at_phone_and_desktop_widths(width):
    """Every page of the handbook, at 390 px (a phone) and 1280 px: nothing wider than the window outside a scroll
    box (the index table and long equations overflowed at 390 px)."""
    playwright = need_module("playwright.sync_api")
    assert len(PAGES) > 70
    wide, scrolling, shrunk = [], [], []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": width, "height": 800})
        for page in PAGES:
            tab.goto(page.as_uri())
            scroll_width, window = tab.evaluate(OVERFLOW)
            if scroll_width > window:
                wide.append((page.name, scroll_width))
            if width == 1280 and tab.evaluate(SCROLLING_MATH):
                scrolling.append(page.name)
            if min(tab.evaluate(SVG_SCALES), default=1) < 0.6:
                shrunk.append(page.name)
        browser.close()
    assert not wide, wide
    # on a desktop a long equation is broken across lines (printing.mathml_lines), never a scroll box: 99 scrolled
    assert not scrolling, scrolling
    # a diagram keeps labels one can read (at least 0.6 of its size; lstm's was drawn at 0.29 on a phone, and on a
    # desktop 9 pages' diagrams were shrunk to fit the column, layernorm_lstm's to 0.39) and scrolls in its figure instead
    assert not shrunk, shrunk
