"""The pages people live in, measured in Chromium: each role's home after signing in, the gradebook
of a real cohort (60 officers) on a 1366 px office screen, every officer page on a 360 px phone (a
certificate's pages too), and the institute report with its chart and the trainer's reminders page
on an office screen and a phone, in English (left to right) and Arabic (right to left). Every page
is checked with axe-core."""
from __future__ import annotations

import pytest

from tests.browser.conftest import (
    BIG_COHORT,
    BIG_SIZE,
    BIG_TRAINER,
    CERTIFIED,
    COHORT,
    EXTRA_MODULE,
    EXTRA_QUIZ,
    SWEEP,
    TRAINER,
)
from tests.browser.test_journeys import LESSON, PATHWAY_LESSON, TERMINOLOGY_LESSON, user_id

pytestmark = pytest.mark.slow

OFFICE = {"width": 1366, "height": 768}
PHONE = {"width": 360, "height": 740}
LOCALES = {"en": "en-GB", "ar": "ar-EG"}

OVERFLOW = """() => ({document: document.documentElement.scrollWidth, viewport: innerWidth,
  wider: [...document.querySelectorAll('body *')].filter((e) => { const r = e.getBoundingClientRect();
    return r.width && (r.right > innerWidth + 1 || r.left < -1) && !e.closest('.skip-link, .visually-hidden'); })
    .slice(0, 5).map((e) => `${e.tagName}.${e.className}: ${(e.innerText || '').slice(0, 60)}`)})"""


def in_language(ui, page, lang: str) -> None:
    """The interface in ``lang`` (the header's language button, as an officer switches)."""
    if page.evaluate("document.documentElement.lang") != lang:
        with page.expect_navigation():
            page.click(f"button[name=lang][value={lang}]")
        ui.axe(page)
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
        lang, "rtl" if lang == "ar" else "ltr"]


def signed_in(ui, username: str, lang: str, size: dict):
    """A page of ``size`` for ``username``, signed in and switched to ``lang`` (each page checked by axe)."""
    page = ui.new_page(locale=LOCALES[lang])
    page.set_viewport_size(size)
    ui.sign_in(page, username)
    ui.axe(page)
    in_language(ui, page, lang)
    return page


def fits(page) -> None:
    sizes = page.evaluate(OVERFLOW)
    assert sizes["document"] <= sizes["viewport"], (page.url, sizes)


def test_trainers_and_administrators_land_on_their_home(ui, server):
    trainer = ui.new_page()
    ui.sign_in(trainer, TRAINER)
    assert trainer.url == server.url + "/trainer/"
    ui.axe(trainer)
    assert trainer.inner_text("h1") == "My cohorts"
    with trainer.expect_navigation():
        trainer.click("nav[aria-label='Main'] >> text=My course")  # the learner view stays one click away
    ui.axe(trainer)
    assert trainer.url == server.url + "/"

    admin = ui.new_page()
    ui.sign_in(admin, SWEEP["en"]["admin"])
    assert admin.url == server.url + "/admin/"
    ui.axe(admin)
    assert admin.inner_text("h1") == "Institute overview"
    assert int(admin.inner_text("dl.overview-counts a[href$='role=officer']")) >= BIG_SIZE

    # A page asked for before signing in still wins.
    asked = ui.new_page()
    ui.goto(asked, "/attempts")  # the sign-in page, with next=/attempts
    asked.fill("#username", BIG_TRAINER)
    asked.fill("#password", "harbour-lights-2026")
    with asked.expect_navigation():
        asked.click("main form button[type=submit]")
    assert asked.url == server.url + "/attempts"
    ui.axe(asked)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_gradebook_of_sixty_officers_fits_an_office_screen(ui, server, lang):
    page = signed_in(ui, BIG_TRAINER, lang, OFFICE)
    # The home names what needs attention in the cohort: its overdue officers first.
    card = page.locator(".cohort-card", has_text=BIG_COHORT)
    overdue = card.locator(".attention-overdue a").first
    with page.expect_navigation():
        overdue.click()
    ui.axe(page)
    assert "status=overdue" in page.url
    ui.goto(page, page.url.split("?")[0])

    table = page.locator("table.gradebook")
    modules = table.locator("thead th[scope=col]").count() - 1
    assert modules >= 6
    assert table.locator("tbody th[scope=row]").count() == 50  # the first page of 60
    assert table.locator("caption").inner_text().startswith(
        "Gradebook" if lang == "en" else "سجل الدرجات")
    fits(page)
    scroll = page.evaluate("""() => { const box = document.querySelector('.gradebook-scroll');
        return [box.scrollWidth, box.clientWidth]; }""")
    assert scroll[0] <= scroll[1], f"the table scrolls sideways at 1366 px: {scroll}"
    # The filters on one line, each label beside its field.
    boxes = page.eval_on_selector_all("form.filters > *", """(els) => els.map((e) => {
        const r = e.getBoundingClientRect(); return [r.top, r.bottom]; })""")
    assert max(top for top, _ in boxes) < min(bottom for _, bottom in boxes), f"the filters wrap: {boxes}"
    pairs = page.eval_on_selector_all("form.filters .filter", """(els) => els.map((e) => {
        const [l, f] = [e.querySelector('label').getBoundingClientRect(), e.querySelector('input, select').getBoundingClientRect()];
        return Math.abs((l.top + l.bottom) / 2 - (f.top + f.bottom) / 2); })""")
    assert max(pairs) < 4, pairs

    # On a narrower screen the table scrolls in its own box: the names column and the header stay.
    page.set_viewport_size({"width": 480, "height": 600})
    moved = page.evaluate("""(rtl) => { const box = document.querySelector('.gradebook-scroll');
        box.scrollLeft = rtl ? -box.scrollWidth : box.scrollWidth; box.scrollTop = 400;
        const frame = box.getBoundingClientRect();
        const name = document.querySelector('.gradebook tbody tr:nth-child(8) th').getBoundingClientRect();
        const head = document.querySelector('.gradebook thead th:last-child').getBoundingClientRect();
        const inside = (r) => r.left >= frame.left - 1 && r.right <= frame.right + 1;
        return {scrolled: Math.abs(box.scrollLeft), nameInside: inside(name), nameTop: name.top,
                headTop: head.top, frameTop: frame.top, frameBottom: frame.bottom}; }""", lang == "ar")
    assert moved["scrolled"] > 50, moved
    assert moved["nameInside"] and moved["frameTop"] <= moved["nameTop"] <= moved["frameBottom"], moved
    assert abs(moved["headTop"] - moved["frameTop"]) < 3, moved
    fits(page)
    page.set_viewport_size(OFFICE)
    ui.axe(page)
    # Keyboard: the table's box is one Tab stop, so its content can be scrolled with the arrow keys.
    assert page.get_attribute(".gradebook-scroll", "tabindex") == "0"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_officer_page_fits_a_360_px_phone(ui, server, lang):
    page = ui.new_page(locale=LOCALES[lang])
    page.set_viewport_size(PHONE)
    account = SWEEP[lang]["officer"]
    ui.sign_in(page, account)
    fits(page)
    ui.axe(page)
    in_language(ui, page, lang)
    me = user_id(server, account)
    mine = server.query("SELECT id, submitted_at FROM attempts WHERE user_id = :u ORDER BY id", u=me)
    done, still_open = mine[0]["id"], mine[1]["id"]
    for path in ("/", f"/modules/{EXTRA_MODULE}", LESSON, "/modules/terminology", TERMINOLOGY_LESSON,
                 f"/quizzes/{EXTRA_QUIZ}", f"/attempts/{still_open}", f"/attempts/{still_open}/submit",
                 f"/attempts/{done}/result", "/attempts", "/certificate", "/password", PATHWAY_LESSON,
                 "/quizzes/terminology-quiz", "/me", "/offline"):
        ui.goto(page, path)
        fits(page)

    # My attempts: each attempt's link (Resume, or the result) is on the screen.
    ui.goto(page, "/attempts")
    for link in page.locator("table.attempts-table tbody td:last-child a").all():
        box = link.bounding_box()
        assert box and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], box

    # The result page offers the next step at its top and at its end.
    ui.goto(page, f"/attempts/{done}/result")
    steps = page.locator("nav.next-steps")
    assert steps.count() == 2
    last = page.evaluate("document.querySelector('main').lastElementChild.matches('nav.next-steps')")
    assert last, "the result page does not end with the next step"
    hrefs = steps.first.locator("a").evaluate_all("(links) => links.map((a) => a.getAttribute('href'))")
    assert f"/modules/{EXTRA_MODULE}" in hrefs, hrefs

    # A matching question with long descriptions: every choice readable in full, on a phone.
    ui.goto(page, "/quizzes/terminology-quiz")
    with page.expect_navigation():
        page.click("form[action$='/quizzes/terminology-quiz/start'] button[type=submit]")
    ui.axe(page)
    fits(page)
    bank = page.locator("ul.match-bank").first
    assert bank.count() == 1, "no list of the matching choices in full"
    options = bank.locator("xpath=..").locator("select").first.locator("option")
    assert bank.locator("li").count() == options.count() - 1  # every choice but "— choose —"
    for item in bank.locator("li").all():
        shown = item.evaluate("(li) => [li.scrollWidth, li.clientWidth, li.getBoundingClientRect().right]")
        assert shown[0] <= shown[1] and shown[2] <= PHONE["width"], shown
        letter = item.locator(".match-letter").inner_text()
        assert any(o.startswith(letter + " · ") for o in options.all_inner_texts())


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_certificate_and_its_pages_fit_a_360_px_phone(ui, server, lang):
    """The officer pages only a certified officer sees: the certificate earned, its printable page,
    its digital credential and its public verification page."""
    page = signed_in(ui, CERTIFIED[lang][0], lang, PHONE)
    code = server.query("SELECT c.code FROM certificates c JOIN users u ON u.id = c.user_id WHERE u.username = :u",
                        u=CERTIFIED[lang][0])[0]["code"]
    for path in ("/", "/certificate", f"/certificates/{code}", f"/certificates/{code}/credential",
                 f"/verify/{code}"):
        ui.goto(page, path)
        fits(page)
    ui.goto(page, "/certificate")
    assert page.locator(f"main a[href='/certificates/{code}']").count() >= 1


#: The chart's drawing: every label inside the picture, and the bars' lengths.
CHART = """() => { const svg = document.querySelector('figure.report-chart svg'); const box = svg.getBoundingClientRect();
  const outside = [...svg.querySelectorAll('text')].filter((t) => { const r = t.getBoundingClientRect();
    return r.left < box.left - 1 || r.right > box.right + 1; }).map((t) => t.textContent);
  return {left: box.left, right: box.right, width: box.width, outside,
          bars: [...svg.querySelectorAll('rect')].map((r) => r.width.baseVal.value)}; }"""


def report_fits(page, width: int) -> dict:
    """The report page fits ``width``; its chart is drawn, inside the screen, labels included."""
    fits(page)
    chart = page.evaluate(CHART)
    assert chart["left"] >= -1 and chart["right"] <= width + 1, chart
    assert not chart["outside"], f"chart labels cut off: {chart}"
    assert max(chart["bars"]) > 0, chart
    return chart


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_institute_report_and_its_chart_on_an_office_screen_and_a_phone(ui, server, lang):
    # A trainer: the report of the cohort they train (sixty officers, none of them named).
    trainer = signed_in(ui, BIG_TRAINER, lang, OFFICE)
    ui.goto(trainer, "/reports/institute")
    assert trainer.inner_text("dl.facts div:first-child dd").strip() == str(BIG_SIZE)
    desktop = report_fits(trainer, OFFICE["width"])
    bars_rtl = trainer.evaluate("""() => [...document.querySelectorAll('figure.report-chart rect')]
        .filter((r) => r.width.baseVal.value > 0).map((r) => r.getBoundingClientRect())
        .map((r) => [Math.round(r.left), Math.round(r.right)])""")
    # The bars grow from the labels' side: the start of the line in English, its end in Arabic.
    ends = {right if lang == "ar" else left for left, right in bars_rtl}
    assert len(ends) == 1, bars_rtl
    tables = trainer.locator("table.report-table")
    assert tables.count() >= 2 and "Abdelrahman" not in trainer.inner_text("main")  # no officer named
    trainer.set_viewport_size(PHONE)
    ui.goto(trainer, "/reports/institute")
    phone = report_fits(trainer, PHONE["width"])
    assert phone["width"] < desktop["width"]  # the chart shrinks to the phone, it does not overflow
    for region in trainer.locator(".table-scroll").all():  # wide tables scroll in their own box
        assert region.evaluate("(e) => e.getBoundingClientRect().right") <= PHONE["width"] + 1

    # An administrator: all cohorts, then one, on a phone and an office screen.
    admin = ui.new_page(locale=LOCALES[lang])
    admin.set_viewport_size(PHONE)
    ui.sign_in(admin, SWEEP[lang]["admin"], check_login_page=False)
    ui.axe(admin)
    assert admin.evaluate("document.documentElement.lang") == lang
    cohort = server.query("SELECT id FROM cohorts WHERE name = :n", n=COHORT)[0]["id"]
    for size in (PHONE, OFFICE):
        admin.set_viewport_size(size)
        for path in ("/reports/institute", f"/reports/institute?cohort={cohort}"):
            ui.goto(admin, path)
            report_fits(admin, size["width"])


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_reminders_page_on_an_office_screen_and_a_phone(ui, server, lang):
    page = signed_in(ui, BIG_TRAINER, lang, PHONE)
    cohort = server.query("SELECT id FROM cohorts WHERE name = :n", n=BIG_COHORT)[0]["id"]
    ui.goto(page, f"/trainer/cohorts/{cohort}/reminders")
    fits(page)
    # The cohort's overdue officers reminded: the page then lists them (long names, on a phone).
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    ui.axe(page)
    fits(page)
    assert page.locator(".flash-success").count() >= 1
    listed = page.locator("main table tbody tr")
    assert listed.count() >= 10, listed.count()
    for size in (OFFICE, PHONE):
        page.set_viewport_size(size)
        ui.goto(page, f"/trainer/cohorts/{cohort}/reminders")
        fits(page)
        box = page.locator("main table").evaluate("(t) => t.closest('.table-scroll, main').getBoundingClientRect().right")
        assert box <= size["width"] + 1
    # A cohort with no one overdue: the button is there, switched off, and so said.
    quiet = server.query("SELECT id FROM cohorts WHERE name = :n", n=COHORT)[0]["id"]
    trainer = ui.new_page(locale=LOCALES[lang])
    trainer.set_viewport_size(PHONE)
    ui.sign_in(trainer, SWEEP[lang]["trainer"], check_login_page=False)
    ui.axe(trainer)
    ui.goto(trainer, f"/trainer/cohorts/{quiet}/reminders")
    fits(trainer)
    assert trainer.locator("main form button[type=submit]").is_disabled()
