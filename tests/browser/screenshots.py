#!/usr/bin/env python3
"""Screenshots of Marsa's main pages, in English (left to right) and Arabic (right to left).

    .venv/bin/python tests/browser/screenshots.py [--out docs/screenshots]

Starts Marsa on the browser tests' data (tests/browser/conftest.py: a fresh database, the real
course, a cohort with results, a cohort of sixty officers, two certified officers), signs in as an
officer and a trainer in each language, and saves, in Debian's Chromium:

* {en,ar}-{dashboard,lesson,attempt,result,gradebook,items}.png: 1280x800;
* gradebook-{en,ar}-1366.png: the sixty officers' gradebook on a 1366x768 office screen;
* report-{en,ar}-desktop.png (1366 px wide) and report-{en,ar}-360.png (a 360 px phone): the
  institute report of that cohort, as its trainer sees it, the whole page;
* certificate-pdf-{en,ar}.png: the first page of a certified officer's certificate PDF, downloaded
  from Marsa and drawn by poppler's pdftoppm (``apt-get install poppler-utils``) at 110 dpi.

Each is reduced to a palette (256 colours, fewer if needed) to stay under 150 KB (250 KB for a
whole page).
"""
from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.browser.conftest import (  # noqa: E402
    BIG_COHORT,
    BIG_TRAINER,
    CERTIFIED,
    COHORT,
    EXTRA_QUIZ,
    PASSWORD,
    SWEEP,
    VIEWPORT,
    launch_chromium,
    running_server,
)

LESSON = "/modules/terminology/lessons/term-why-words"
MAX_BYTES = 150_000
#: A whole page (the report on a phone is several screens long).
MAX_PAGE_BYTES = 250_000
OFFICE = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}


def small_png(png: bytes, limit: int = MAX_BYTES) -> bytes:
    """The screenshot as a palette PNG (text and flat colours survive 256 colours well)."""
    from PIL import Image
    image = Image.open(io.BytesIO(png)).convert("RGB")
    for colours in (256, 128, 64, 32):
        out = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, format="PNG", optimize=True)
        if out.tell() < limit:
            break
    return out.getvalue()


def pdf_page_png(pdf: bytes, dpi: int = 110) -> bytes:
    """The PDF's first page as a PNG, drawn by pdftoppm (poppler-utils)."""
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm is missing: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "page.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(source),
                        str(Path(folder) / "page")], check=True, timeout=60)
        return (Path(folder) / "page.png").read_bytes()


def write(target: Path, data: bytes) -> int:
    target.write_bytes(data)
    print(f"{target.relative_to(REPO) if target.is_relative_to(REPO) else target}: {len(data):,} bytes")
    return len(data)


def sign_in(browser, server, username: str, locale: str, viewport: dict = VIEWPORT, lang: str | None = None):
    """A signed-in page; with ``lang``, switched to that language (the header's button) if the
    account reads Marsa in another."""
    context = browser.new_context(base_url=server.url, viewport=viewport, locale=locale, device_scale_factor=1)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    if lang and page.evaluate("document.documentElement.lang") != lang:
        with page.expect_navigation():
            page.click(f"button[name=lang][value={lang}]")
    return context, page


def ids(server, username: str) -> dict:
    from sqlalchemy import text
    engine = server.engine()
    with engine.connect() as connection:
        attempts = connection.execute(text(
            "SELECT a.id, a.submitted_at FROM attempts a JOIN users u ON u.id = a.user_id "
            "JOIN quizzes q ON q.id = a.quiz_id WHERE u.username = :u AND q.key = :q ORDER BY a.id"),
            {"u": username, "q": EXTRA_QUIZ}).all()
        cohort = connection.execute(text("SELECT id FROM cohorts WHERE name = :n"), {"n": COHORT}).scalar_one()
    engine.dispose()
    return {"done": attempts[0][0], "open": attempts[1][0], "cohort": cohort}


def take(page, path: str, target: Path, wait_for: str | None = None, full_page: bool = False) -> int:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    if wait_for:
        page.wait_for_selector(wait_for)
    return write(target, small_png(page.screenshot(full_page=full_page), MAX_PAGE_BYTES if full_page else MAX_BYTES))


def certificate_pdf(page, server, username: str) -> bytes:
    """The certificate PDF of ``username``, downloaded by its officer (``page`` is signed in as them)."""
    from sqlalchemy import text
    engine = server.engine()
    with engine.connect() as connection:
        code = connection.execute(text("SELECT c.code FROM certificates c JOIN users u ON u.id = c.user_id "
                                       "WHERE u.username = :u"), {"u": username}).scalar_one()
    engine.dispose()
    response = page.request.get(f"/certificates/{code}.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf", response.status
    return response.body()


def big_cohort(server) -> int:
    from sqlalchemy import text
    engine = server.engine()
    with engine.connect() as connection:
        cohort = connection.execute(text("SELECT id FROM cohorts WHERE name = :n"), {"n": BIG_COHORT}).scalar_one()
    engine.dispose()
    return cohort


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright
    sizes = []
    with running_server() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        for lang, locale in (("en", "en-GB"), ("ar", "ar-EG")):
            known = ids(server, SWEEP[lang]["officer"])
            context, page = sign_in(browser, server, SWEEP[lang]["officer"], locale)
            sizes.append(take(page, "/", args.out / f"{lang}-dashboard.png"))
            sizes.append(take(page, LESSON, args.out / f"{lang}-lesson.png"))
            sizes.append(take(page, f"/attempts/{known['open']}", args.out / f"{lang}-attempt.png"))
            sizes.append(take(page, f"/attempts/{known['done']}/result", args.out / f"{lang}-result.png"))
            context.close()
            context, page = sign_in(browser, server, SWEEP[lang]["trainer"], locale)
            sizes.append(take(page, f"/trainer/cohorts/{known['cohort']}", args.out / f"{lang}-gradebook.png"))
            sizes.append(take(page, f"/trainer/cohorts/{known['cohort']}/items?quiz=terminology-quiz",
                              args.out / f"{lang}-items.png", wait_for="canvas[data-drawn='true']"))
            context.close()
            # The sixty officers' gradebook and their institute report, as their trainer sees them.
            context, page = sign_in(browser, server, BIG_TRAINER, locale, OFFICE, lang)
            big = big_cohort(server)
            sizes.append(take(page, f"/trainer/cohorts/{big}", args.out / f"gradebook-{lang}-1366.png"))
            sizes.append(take(page, "/reports/institute", args.out / f"report-{lang}-desktop.png", full_page=True))
            page.set_viewport_size(PHONE)
            sizes.append(take(page, "/reports/institute", args.out / f"report-{lang}-360.png", full_page=True))
            context.close()
            # A certificate, as its officer downloads it (Arabic first for an officer who reads Arabic).
            context, page = sign_in(browser, server, CERTIFIED[lang][0], locale)
            sizes.append(write(args.out / f"certificate-pdf-{lang}.png",
                               small_png(pdf_page_png(certificate_pdf(page, server, CERTIFIED[lang][0])))))
            context.close()
        browser.close()
    too_big = [size for size in sizes if size >= MAX_PAGE_BYTES]
    return 1 if too_big else 0


if __name__ == "__main__":
    sys.exit(main())
