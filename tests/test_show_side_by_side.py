"""``ad.show(f, side_by_side=True)``: the original source beside the generated code, as
text, as HTML, and as a real browser draws that HTML (headless Chromium, when installed)."""

import html
import re
import shutil
import subprocess
import sys

import pytest

import adcompile as ad
from adcompile.backend.display import SideBySide
from tests.samples.lecture import f, least_squares

ORIGINAL = "def f(x, y):\n    return x ** 3 * (x + 3 * y)\n"


def _cells(rendered):
    """The text of each ``<td>`` of an HTML table, tags taken away and entities decoded."""
    cells = re.findall(r"<td[^>]*>(.*?)</td>", rendered, flags=re.DOTALL)
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def test_side_by_side_is_a_str_of_two_columns():
    shown = ad.show(f, wrt=("x", "y"), side_by_side=True)
    code = ad.show(f, wrt=("x", "y"))
    assert isinstance(shown, SideBySide) and isinstance(shown, str)
    assert shown.original == ORIGINAL and shown.generated == code
    lines = str(shown).splitlines()
    assert lines[0].split(" │ ") == ["f (original)".ljust(len(lines[0].split(" │ ")[0])),
                                     "generated"]
    # every row splits at the same column; the left column is the source, the right the code
    bar = lines[0].index("│")
    assert all(line[bar] == "│" for line in lines if len(line) > bar)
    left = "\n".join(line[:bar - 1].rstrip() for line in lines[2:]).strip()
    right = "\n".join(line[bar + 2:] for line in lines[2:]).strip()
    assert left == ORIGINAL.strip()
    assert right == code.strip()


def test_side_by_side_html_is_a_table_of_both_codes():
    shown = ad.show(least_squares, side_by_side=True)
    rendered = shown._repr_html_()
    assert rendered.startswith('<table class="adcompile-side-by-side">')
    assert len(re.findall(r"<td[ >]", rendered)) == 2 and len(re.findall(r"<th[ >]", rendered)) == 2
    original, generated = _cells(rendered)
    assert original == shown.original.strip() and "def least_squares(w, A, b):" in original
    assert generated == shown.generated.strip()
    assert generated.startswith("def grad_least_squares(w, A, b, *, out_bar=1.0):")
    markdown = shown._repr_markdown_()
    assert markdown.count("```python\n") == 2 and "**least_squares (original)**" in markdown


def test_side_by_side_html_without_pygments_is_escaped_pre(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygments", None)   # import pygments: ImportError
    rendered = ad.show(f, side_by_side=True)._repr_html_()
    assert rendered.count('<pre class="adcompile-code"><code>') == 2
    assert "x ** 3 * (x + 3 * y)" in rendered and "<span" not in rendered


def test_side_by_side_of_a_gradient_shows_the_function_it_was_made_from():
    shown = ad.show(ad.grad(f, wrt=("x", "y")), side_by_side=True)
    assert shown.original == ORIGINAL
    assert shown.generated.startswith("def grad_f(x, y, *, out_bar=1.0):")
    twice = ad.show(ad.grad(ad.grad(f)), side_by_side=True)
    assert twice.original == ad.grad(f).source   # the code differentiated again


def _dark_fraction(png, columns):
    """The fraction of the pixels in ``columns`` (a slice) of a PNG that are dark."""
    import matplotlib.image
    image = matplotlib.image.imread(png)[:, columns, :3]
    return float((image.mean(axis=2) < 0.35).mean())


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="headless Chromium is not installed (Debian package chromium)")
def test_side_by_side_html_in_a_browser_shows_both_codes(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib reads the screenshot")
    shown = ad.show(f, wrt=("x", "y"), side_by_side=True)
    page = tmp_path / "page.html"
    page.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
                    f'<body style="background:white;margin:8px">{shown._repr_html_()}'
                    f"</body></html>", encoding="utf-8")
    png = tmp_path / "shot.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
             "--window-size=1000,400", f"--screenshot={png}"]
    result = subprocess.run(["chromium", *flags, page.as_uri()], capture_output=True, check=False,
                            text=True, timeout=120)
    assert result.returncode == 0 and png.is_file(), result.stderr[-2000:]
    # the table's first column (the original, narrower) ends before x = 400 at this width;
    # the generated code starts after it: both halves hold text
    left, right = _dark_fraction(png, slice(0, 300)), _dark_fraction(png, slice(420, 1000))
    assert left > 0.002 and right > 0.002, (left, right)
    assert _dark_fraction(png, slice(None)) < 0.5   # text on a light page, not a black one
