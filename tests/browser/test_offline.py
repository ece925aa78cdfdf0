"""Offline, in Chromium with Playwright's offline mode, in English and Arabic: a lesson never opened
shows Marsa's own offline page listing the lessons kept on the device (not the browser's error
page), and "Mark as read" pressed offline is kept, shown as waiting, and sent when the connection
returns, dated when the officer pressed it (not when it arrived)."""
from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OFFLINE_READERS, PASSWORD
from tests.browser.test_journeys import cached_urls, user_id

pytestmark = pytest.mark.slow

MODULE = "/modules/terminology"
TEXTS = {
    "en": {"offline": "You are offline", "queued": "It will be sent when you are back online.",
           "sent": "You have read this lesson.", "mark": "Mark as read and continue", "lesson": "Lesson"},
    "ar": {"offline": "أنت غير متصل بالإنترنت", "queued": "سيُرسَل عند عودة الاتصال.",
           "sent": "قرأت هذا الدرس.", "mark": None, "lesson": "درس"},
}


def wait_until(condition, what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def reads(server, username: str, lesson_key: str) -> int:
    return len(server.query("""SELECT r.id FROM lesson_reads r JOIN lessons l ON l.id = r.lesson_id
                               WHERE r.user_id = :user AND l.key = :lesson""",
                            user=user_id(server, username), lesson=lesson_key))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_offline_page_and_mark_as_read_kept_for_later(ui, server, lang):
    username, _name = OFFLINE_READERS[lang]
    texts = TEXTS[lang]
    page = ui.new_page(locale="ar-EG" if lang == "ar" else "en-GB")
    ui.sign_in(page, username, PASSWORD)
    ui.axe(page)
    assert page.evaluate("document.documentElement.lang") == lang
    ui.goto(page, MODULE)
    lessons = page.eval_on_selector_all("main a[href*='/lessons/']", "(links) => links.map((a) => a.pathname)")
    opened, unopened = lessons[0], lessons[-1]
    lesson_key = opened.rsplit("/", 1)[1]
    ui.goto(page, opened)
    title = page.inner_text("article.lesson h1")
    wait_until(lambda: all(any(url.endswith(" " + path) for url in cached_urls(page))
                           for path in ("/offline", opened, MODULE)), f"kept: {cached_urls(page)}")

    with ui.offline(page.context):
        # A lesson never opened on this device: Marsa's offline page, in the officer's language.
        response = page.goto(unopened)
        assert response.headers.get("x-marsa-offline-page") == "1"
        expect(page.locator("main h1")).to_have_text(texts["offline"])
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") \
            == [lang, "rtl" if lang == "ar" else "ltr"]
        kept = page.locator("#offline-available a")
        expect(kept.first).to_be_visible()
        listed = kept.evaluate_all("(links) => links.map((a) => [new URL(a.href).pathname, a.textContent])")
        assert [opened, title] in listed and all(path != unopened for path, _ in listed), listed
        lesson_item = page.locator("#offline-available li", has=page.locator(f'a[href$="{opened}"]'))
        expect(lesson_item).to_contain_text(texts["lesson"])
        ui.axe(page)

        # The kept lesson, from the list; "Mark as read" is kept on the device and says so.
        page.click(f'#offline-available a[href$="{opened}"]')
        expect(page.locator("#offline-copy")).to_be_visible()
        if texts["mark"]:
            expect(page.locator("form[data-read-later] button")).to_have_text(texts["mark"])
        page.click("form[data-read-later] button")
        status = page.locator(".lesson-actions .read-later")
        expect(status).to_contain_text(texts["queued"])
        expect(page.locator("form[data-read-later]")).to_be_hidden()
        assert reads(server, username, lesson_key) == 0
        ui.axe(page)
        # Still waiting after a reload (the offline copy knows the mark is kept).
        page.reload()
        expect(page.locator(".lesson-actions .read-later")).to_contain_text(texts["queued"])
        kept = page.evaluate("Object.entries(localStorage).filter(([k]) => k.startsWith('marsa-read-later-'))"
                             ".map(([, v]) => JSON.parse(v))[0]")
        assert len(kept) == 1 and kept[0]["url"].endswith(opened + "/read"), kept
        pressed = datetime.fromisoformat(kept[0]["at"].replace("Z", "+00:00"))
        back_online = datetime.now(UTC)

    # Back online, on the same page: the mark is sent, and the page says the lesson is read.
    expect(page.locator(".lesson-actions .read-later")).to_have_text(texts["sent"], timeout=15_000)
    wait_until(lambda: reads(server, username, lesson_key) == 1, "the read mark reached the server")
    # Dated when "Mark as read" was pressed, offline, as the device told it (not on arrival).
    read_at = server.query("""SELECT r.read_at FROM lesson_reads r JOIN lessons l ON l.id = r.lesson_id
                              WHERE r.user_id = :user AND l.key = :lesson""",
                           user=user_id(server, username), lesson=lesson_key)[0]["read_at"]
    read_at = datetime.fromisoformat(read_at) if isinstance(read_at, str) else read_at  # SQLite: text
    read_at = read_at if read_at.tzinfo else read_at.replace(tzinfo=UTC)
    assert abs((read_at - pressed).total_seconds()) < 0.01 and read_at < back_online, (read_at, pressed, back_online)
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('marsa-read-later-'))") == []
    ui.goto(page, opened)
    expect(page.locator(".lesson-actions .badge-completed")).to_have_text(texts["sent"])
    ui.axe(page)


def test_mark_as_read_online_still_goes_on_to_the_next_lesson(ui, server):
    page = ui.new_page()
    ui.sign_in(page, OFFLINE_READERS["en"][0], PASSWORD)
    ui.axe(page)
    ui.goto(page, MODULE)
    lessons = page.eval_on_selector_all("main a[href*='/lessons/']", "(links) => links.map((a) => a.pathname)")
    ui.goto(page, lessons[1])
    with page.expect_navigation():
        page.click("form[data-read-later] button")
    assert page.url.endswith(lessons[2])
    ui.axe(page)
    assert reads(server, OFFLINE_READERS["en"][0], lessons[1].rsplit("/", 1)[1]) == 1
