#!/usr/bin/env python3
"""Screenshots of Marsa's main pages, in English (left to right) and Arabic (right to left).

    .venv/bin/python tests/browser/screenshots.py [--out docs/screenshots]

Starts Marsa on the browser tests' data (tests/browser/conftest.py: a fresh database, the real
course, a cohort with results), signs in as an officer and a trainer in each language, and saves
docs/screenshots/{en,ar}-{dashboard,lesson,attempt,result,gradebook,items}.png: 1280x800 in Debian's
Chromium, reduced to a 256-colour palette so that each file stays well under 150 KB.
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.browser.conftest import COHORT, EXTRA_QUIZ, PASSWORD, SWEEP, VIEWPORT, launch_chromium, running_server  # noqa: E402

LESSON = "/modules/terminology/lessons/term-why-words"
MAX_BYTES = 150_000


def small_png(png: bytes) -> bytes:
    """The screenshot as a palette PNG (text and flat colours survive 256 colours well)."""
    from PIL import Image
    image = Image.open(io.BytesIO(png)).convert("RGB")
    for colours in (256, 128, 64):
        out = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, format="PNG", optimize=True)
        if out.tell() < MAX_BYTES:
            break
    return out.getvalue()


def sign_in(browser, server, username: str, locale: str):
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT, locale=locale, device_scale_factor=1)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
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


def take(page, path: str, target: Path, wait_for: str | None = None) -> int:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    if wait_for:
        page.wait_for_selector(wait_for)
    data = small_png(page.screenshot(full_page=False))
    target.write_bytes(data)
    print(f"{target.relative_to(REPO) if target.is_relative_to(REPO) else target}: {len(data):,} bytes")
    return len(data)


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
        browser.close()
    too_big = [size for size in sizes if size >= MAX_BYTES]
    return 1 if too_big else 0


if __name__ == "__main__":
    sys.exit(main())
