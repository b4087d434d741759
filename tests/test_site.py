"""The course website: built from the stored notebooks, then read in a real browser.

``scripts/build_site.py`` (Sphinx + MyST-NB, nothing executed, nothing fetched)
builds the site once per session into a temporary folder; headless Debian
Chromium (Playwright driving ``/usr/bin/chromium``; no browser download) then
opens the pages over ``file://`` with every non-file request aborted (the site
must not need the network; MathJax from its CDN is the one thing that then
stays unloaded, and formulas show as TeX). It asserts that

- the build exits 0 and prints its time and size,
- the index links every notebook in ``notebooks/``,
- every notebook has its page, titled with the notebook's first heading,
- every ``<img>`` on every page has loaded (``naturalWidth > 0``), but for the Colab badges, from
  another host, which cannot load offline,
- no page shows a "Traceback".

Without Sphinx/MyST-NB, Playwright or ``/usr/bin/chromium`` it is skipped, except
in CI (``CI`` set), where it fails. Leave it out with ``-m "not browser"``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS  # one Chromium set-up for every browser test

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
BUILD = ROOT / "scripts" / "build_site.py"
BUILD_TIMEOUT = 180.0  # s; the build takes about 5 s on 2 cores

pytestmark = pytest.mark.browser

# In the page: every image's state and the visible text.
JS_PAGE = """() => ({
    images: Array.from(document.images).map(img => ({
        src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth})),
    text: document.body.innerText,
    h1: Array.from(document.querySelectorAll('h1')).map(h => h.textContent),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
})"""


def _need(module: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is missing; CI must run the site test ({what})")
        pytest.skip(f"{module} not installed ({what})")


def _title(path: Path) -> str:
    """The notebook's first heading, ``NN · Title``."""
    source = json.loads(path.read_text("utf-8"))["cells"][0]["source"]
    first = "".join(source) if isinstance(source, list) else source
    return re.search(r"^#\s+(.+?)\s*$", first, flags=re.M).group(1)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """Build the site once into a temporary folder; return its HTML folder."""
    _need("sphinx", 'pip install -e ".[test]"')
    _need("myst_nb", 'pip install -e ".[test]"')
    out = tmp_path_factory.mktemp("site") / "html"
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    print(proc.stdout + proc.stderr)
    assert proc.returncode == 0, f"build_site.py failed:\n{proc.stdout}\n{proc.stderr}"
    assert re.search(r"site built in [\d.]+ s: .* [\d.]+ MB", proc.stdout), proc.stdout
    return out


@pytest.fixture(scope="module")
def chromium() -> str:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; CI must run the browser test")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    _need("playwright", "pip install playwright")
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def browser(chromium, tmp_path_factory):
    """A headless Chromium with an empty profile that may only read file:// URLs."""
    from playwright.sync_api import sync_playwright

    user_data = tmp_path_factory.mktemp("chromium-profile-site")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(user_data),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1000},
        )
        blocked: list[str] = []

        def offline(route):
            if route.request.url.startswith("file:"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", offline)
        context.blocked = blocked
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def pages(site, browser) -> dict[str, dict]:
    """Every page of the site (index and notebooks), loaded: path -> state."""
    found = {}
    page = browser.new_page()
    page.set_default_timeout(30_000)
    try:
        for path in [site / "index.html", *sorted((site / "notebooks").glob("*.html"))]:
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function("() => Array.from(document.images).every(img => img.complete)")
            state = page.evaluate(JS_PAGE)
            state["title"] = page.title()
            found[str(path.relative_to(site))] = state
    finally:
        page.close()
    return found


def test_index_links_every_notebook(pages, site):
    index = pages["index.html"]
    for path in NOTEBOOKS:
        target = (site / "notebooks" / f"{path.stem}.html").as_uri()
        assert target in index["links"], f"the index does not link {path.name}"
        assert _title(path) in index["text"], f"the index does not name {_title(path)!r}"
    assert len(NOTEBOOKS) >= 12


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_a_titled_page(pages, path):
    key = f"notebooks/{path.stem}.html"
    assert key in pages, f"no page for {path.name}"
    title = _title(path)
    assert title in pages[key]["title"], (title, pages[key]["title"])
    assert any(title in h for h in pages[key]["h1"]), (title, pages[key]["h1"])


COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def test_every_image_loaded_and_no_traceback(pages, browser):
    broken, tracebacks, images = [], [], 0
    for key, state in pages.items():
        images += len(state["images"])
        for img in state["images"]:
            if not img["src"].startswith("file:"):
                # the one image from another host: it cannot load offline, where requests
                # off file:// are aborted; the badge is a link to Colab and says so in its alt
                assert img["src"] == COLAB_BADGE, f"{key}: an image from another host: {img['src']}"
            elif img["width"] <= 0:
                broken.append(f"{key}: {img['src'][-80:]}")
        if "Traceback" in state["text"]:
            tracebacks.append(key)
    assert not broken, f"images that did not load: {broken}"
    assert not tracebacks, f"pages showing a Traceback: {tracebacks}"
    print("requests aborted (not file://):", sorted(set(browser.blocked)))
    # every explorer is stored with a PNG, so every notebook page has a figure
    for key, state in pages.items():
        if key.startswith("notebooks/"):
            assert state["images"], f"{key} has no image"
    print(f"{len(pages)} pages, {images} images, all loaded")
