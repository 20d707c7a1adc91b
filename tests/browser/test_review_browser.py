"""A moderator's session in a real Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against the service under gunicorn, with a local webhook receiver checking every signature."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from service.accounts import create_user
from service.db import upgrade
from tests.queue.conftest import KEYWORD_FILES, KEYWORDS_ONLY, SITE_KEY, SUSPECT
from tests.queue.helpers import WebhookReceiver
from tests.servers import Gunicorn, http, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = os.environ.get("MODERATION_TEST_CHROMIUM", "/usr/bin/chromium")
# The flags that work in a sandboxed CI container (no GPU, no network beyond loopback).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECRET = "browser-test-webhook-secret"
SITE = {"Authorization": f"Bearer {SITE_KEY}"}
XSS = ('<script>window.__xss = 1; alert("xss")</script>'
       '<img src=x onerror="window.__xss = 2; alert(1)"> هاد الشي مكلخ')


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("MODERATION_TEST_REQUIRE_REAL"):
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}: run the suite with `make test`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def serving(tmp_path: Path, model_dir: Path, thresholds: dict):
    """The service under gunicorn on a fresh SQLite database, a moderator, and a live receiver."""
    keywords = tmp_path / "keywords"
    keywords.mkdir()
    for name, content in KEYWORD_FILES.items():
        (keywords / name).write_text(content, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        create_user(connection, "mona", "moderator", "correct horse battery")
        create_user(connection, "adil", "admin", "correct horse battery")
    engine.dispose()
    receiver = WebhookReceiver(SECRET).start()
    server = Gunicorn({
        "MODERATION_DATABASE_URL": url, "MODERATION_MODEL_DIR": str(model_dir),
        "MODERATION_KEYWORD_DIR": str(keywords), "MODERATION_API_KEYS": json.dumps([SITE_KEY]),
        "MODERATION_SECRET_KEY": "browser-test-secret-key-0123456789",
        "MODERATION_THRESHOLDS": json.dumps(thresholds),
        "MODERATION_WEBHOOK_URL": receiver.url, "MODERATION_WEBHOOK_SECRET": SECRET,
        "MODERATION_OUTBOX_POLL_SECONDS": "0.2",
    }, workers=2, log_path=tmp_path / "gunicorn.log").start()
    try:
        yield server, receiver
    finally:
        server.stop()
        receiver.stop()


@pytest.fixture
def served(tmp_path, model_dir):
    """Keyword lists alone decide, and three comments wait in the queue."""
    with serving(tmp_path, model_dir, KEYWORDS_ONLY) as (server, receiver):
        for comment_id, text in [("c-1", SUSPECT), ("c-2", "الوزير مكلخ وصافي"), ("c-xss", XSS)]:
            status, body = http("POST", server.base + "/v1/comments", {
                "id": comment_id, "text": text, "article_id": "a1", "author_id": "u1",
                "article_title": "مقال"}, SITE)
            assert status == 201 and body["status"] == "pending"
        yield server, receiver


def test_moderator_works_the_queue_with_the_keyboard(chromium, served):
    server, receiver = served
    context = chromium.new_context(locale="ar-MA")
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_default_timeout(15_000)

    page.goto(server.base + "/review/login")
    page.fill("input[name=username]", "mona")
    page.fill("input[name=password]", "correct horse battery")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/review/queue")
    assert page.locator("html").get_attribute("dir") == "rtl"

    # The held comment, its matched term highlighted exactly where it was written.
    first = page.locator("article.card").first
    assert first.get_attribute("data-id") == "c-1"
    mark = first.locator("p.text mark.kw-suspect")
    assert mark.is_visible() and mark.inner_text() == "مكلخ"
    assert first.locator("p.text").inner_text() == SUSPECT

    # ? opens the help, Escape closes it.
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden()

    # While the help is open (it holds the focus), shortcuts other than ? and Escape do nothing.
    page.keyboard.press("?")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == "help-close"
    assert page.evaluate("document.querySelector('article.card.active').dataset.id") == "c-1"
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.dataset.id") == "c-1"

    # j/k move between cards; a approves the active one.
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.id") == "c-2"
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.dataset.id") == "c-1"
    # The same keys with an Arabic keyboard layout: J types ت, K types ن, Shift+/ types ؟.
    arabic_key = ("(k) => document.activeElement.dispatchEvent(new KeyboardEvent('keydown', "
                  "{key: k[0], code: k[1], shiftKey: k[2], bubbles: true}))")
    page.evaluate(arabic_key, ["ت", "KeyJ", False])
    assert page.evaluate("document.activeElement.dataset.id") == "c-2"
    page.evaluate(arabic_key, ["ن", "KeyK", False])
    assert page.evaluate("document.activeElement.dataset.id") == "c-1"
    page.evaluate(arabic_key, ["؟", "Slash", True])
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    with page.expect_navigation():
        page.keyboard.press("a")
    assert page.locator("article.card").first.get_attribute("data-id") == "c-2"

    # r rejects the next one, with the rule the system flagged already ticked.
    with page.expect_navigation():
        page.keyboard.press("r")
    cards = page.locator("article.card")
    assert cards.count() == 1 and cards.first.get_attribute("data-id") == "c-xss"

    # The hostile comment shows as text and runs nothing.
    text = cards.first.locator("p.text")
    assert text.inner_text() == XSS
    assert text.locator("img, script").count() == 0
    assert page.evaluate("window.__xss") is None
    assert dialogs == []

    wait_until(lambda: len(receiver.events()) >= 2, 15, 0.1, "both decisions at the receiver")
    events = {e["id"]: e for e in receiver.events()}
    assert all(d.valid for d in receiver.deliveries)
    assert events["c-1"]["status"] == "published" and events["c-1"]["decided_by"] == "mona"
    assert events["c-2"]["status"] == "rejected" and events["c-2"]["rules"] == ["insult"]
    context.close()


# Long comments: folded in the queue, whole on the detail page and without JavaScript.
ARABIC_LINE = ("هذا المقال يتحدث عن ميزانية المدينة والطرق الجديدة في الحي، "
               "ونتمنى أن تستمر الأشغال بسرعة.")
FRENCH_LINE = ("Le conseil municipal a voté le budget des routes du quartier "
               "et les travaux reprendront.")
# The two matches come last, far below the fold.
LONG_MATCH_BELOW = "\n".join([ARABIC_LINE] * 30) + "\nوالله هاد الوزير مكلخ، والمستشار مكلخ حتى هو"
# The match is on the first line, in sight; the text is French, left to right (dir=auto).
LONG_MATCH_ON_TOP = "Franchement, ce ministre est مكلخ ! " + " ".join([FRENCH_LINE] * 30)
# A block term below the fold: rejected by the system, so it is in the "rejected" tab.
LONG_BLOCK_BELOW = "\n".join([ARABIC_LINE] * 30) + "\nسير تقود يا حمار"
LONG_TEXT_CHECK = ("(el) => ({clamped: el.classList.contains('clamped'), "
                   "hidden: el.scrollHeight - el.clientHeight, height: el.clientHeight, "
                   "lineHeight: parseFloat(getComputedStyle(el).lineHeight)})")
# True when the text's last <mark> starts below the bottom of the text's visible box.
LAST_MARK_BELOW_FOLD = ("(el) => { const marks = el.querySelectorAll('mark'); "
                        "const last = marks[marks.length - 1].getBoundingClientRect(); "
                        "return last.top >= el.getBoundingClientRect().bottom - 1; }")


@pytest.fixture
def long_comments(served):
    """The served queue plus two long held comments, after the three short ones, and a long
    rejected one."""
    server, _ = served
    for comment_id, text, expected in [("c-long", LONG_MATCH_BELOW, "pending"),
                                       ("c-long-top", LONG_MATCH_ON_TOP, "pending"),
                                       ("c-long-block", LONG_BLOCK_BELOW, "rejected")]:
        assert len(text) <= 5000
        status, body = http("POST", server.base + "/v1/comments", {
            "id": comment_id, "text": text, "article_id": "a1", "author_id": "u2"}, SITE)
        assert status == 201 and body["status"] == expected
    return server


def assert_whole(text) -> None:
    """The text is not folded: all of its 31 lines take room on the page."""
    check = text.evaluate(LONG_TEXT_CHECK)
    assert not check["clamped"] and check["hidden"] == 0
    assert check["height"] > 20 * check["lineHeight"]


def log_in(page, base: str, user: str = "mona") -> None:
    page.goto(base + "/review/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "correct horse battery")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/review/queue")


def logged_in_page(chromium, base: str, user: str = "mona", **context_options):
    """A new browser context in Moroccan Arabic and its page, logged in as ``user``."""
    context = chromium.new_context(locale="ar-MA", **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, base, user)
    return context, page


def test_long_comment_folds_and_unfolds_without_hiding_matches(chromium, long_comments):
    server = long_comments
    context, page = logged_in_page(chromium, server.base)

    # Short comments: no fold, no button.
    for comment_id in ("c-1", "c-2", "c-xss"):
        card = page.locator(f"#c-{comment_id}")
        assert card.locator("p.text").evaluate(LONG_TEXT_CHECK)["clamped"] is False
        assert card.locator("button.text-toggle").is_hidden()

    # A long comment is folded to a few lines, with a button saying so.
    card = page.locator("#c-c-long")
    text, button = card.locator("p.text"), card.locator("button.text-toggle")
    folded = text.evaluate(LONG_TEXT_CHECK)
    assert folded["clamped"] and folded["height"] <= 8 * folded["lineHeight"]
    assert folded["hidden"] > 10 * folded["lineHeight"]
    assert button.is_visible() and button.inner_text() == "عرض النص كاملا"
    assert button.get_attribute("aria-expanded") == "false"
    assert button.get_attribute("aria-controls") == "text-c-long"
    # Its two matches lie below the fold: the card says so next to the button.
    assert text.evaluate(LAST_MARK_BELOW_FOLD)
    note = card.locator(".hidden-marks")
    assert note.is_visible() and note.inner_text() == "كلمات مميزة في الجزء المخفي: 2"
    # The text itself is still all there, escaped, for copy and for screen readers.
    assert text.inner_text() == LONG_MATCH_BELOW

    # Show all: the whole text, the matches in sight, the note gone.
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert button.inner_text() == "عرض أقل"
    unfolded = text.evaluate(LONG_TEXT_CHECK)
    assert not unfolded["clamped"] and unfolded["hidden"] == 0
    assert not text.evaluate(LAST_MARK_BELOW_FOLD)
    assert note.is_hidden()

    # A long comment whose match is in sight is folded too, with no note.
    top = page.locator("#c-c-long-top")
    assert top.locator("p.text").evaluate(LONG_TEXT_CHECK)["clamped"]
    assert top.locator("button.text-toggle").is_visible()
    assert top.locator(".hidden-marks").is_hidden()
    assert top.locator("p.text").evaluate("(el) => getComputedStyle(el).direction") == "ltr"

    # The shortcuts still work with the focus on the button, and act from its card.
    assert page.evaluate("document.activeElement.classList.contains('text-toggle')")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.id") == "c-long-top"
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.dataset.id") == "c-long"
    # The button works from the keyboard: Enter folds, Space unfolds.
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "false"
    assert text.evaluate(LONG_TEXT_CHECK)["clamped"]
    assert note.is_visible()
    page.keyboard.press(" ")
    assert button.get_attribute("aria-expanded") == "true"
    # ? still opens the help from the button, and a approves the button's card.
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("a")
    ids = [card.get_attribute("data-id") for card in page.locator("article.card").all()]
    assert "c-long" not in ids and "c-long-top" in ids

    # In French, the same fold with French words, on a left-to-right page.
    page.goto(server.base + "/review/queue?lang=fr")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("#c-c-long-top button.text-toggle").inner_text() == "Afficher tout"
    # A hidden block term is signalled in red (the .block class), in French.
    page.goto(server.base + "/review/queue?status=rejected")
    note = page.locator("#c-c-long-block .hidden-marks")
    assert note.inner_text() == "Termes surlignés dans la partie masquée : 1"
    assert "block" in note.get_attribute("class").split()
    context.close()


def test_long_comment_is_whole_without_javascript_and_on_its_page(chromium, long_comments):
    server = long_comments
    context, page = logged_in_page(chromium, server.base, java_script_enabled=False)
    # Without JavaScript nothing is folded and no dead button shows.
    card = page.locator("#c-c-long")
    assert_whole(card.locator("p.text"))
    assert card.locator("button.text-toggle").is_hidden()
    assert card.locator("p.text mark").count() == 2
    context.close()

    # The detail page always shows the whole text, with JavaScript.
    context, page = logged_in_page(chromium, server.base)
    page.goto(server.base + "/review/comments/c-long")
    text = page.locator("article.card p.text")
    assert_whole(text)
    assert page.locator("button.text-toggle").count() == 0
    assert text.inner_text() == LONG_MATCH_BELOW
    assert not text.evaluate(LAST_MARK_BELOW_FOLD)
    context.close()


# A long comment held by the model for one sentence at its end, far below the fold.
REASONABLE_LINE = ("الحكومة خاصها تراجع الأسعار ديال الخضرة فالأسواق لأن المواطن ما بقاش قادر "
                   "يشري حتى الطماطم والبصل، والأجور باقية فبلاصتها من عشر سنين.")
INSULTING_LINE = "هاد السيد كذاب ومنافق ومكلخ وما عندو حتى معقول."


def test_the_passage_a_long_comment_was_held_for_is_marked_and_never_hidden_silently(
        chromium, tmp_path, model_dir):
    # Every insult score holds its comment, so the model's reason is where its score peaks.
    thresholds = dict(KEYWORDS_ONLY, insult={"suspect": 0.0, "review": 0.0, "reject": 0.9999})
    text = "\n".join([REASONABLE_LINE] * 12 + [INSULTING_LINE])
    with serving(tmp_path, model_dir, thresholds) as (server, _):
        status, body = http("POST", server.base + "/v1/comments", {
            "id": "c-passage", "text": text, "article_id": "a1", "author_id": "u3"}, SITE)
        assert status == 201 and body["status"] == "pending"
        assert [match["term"] for match in body["matches"]] == ["مكلخ"]
        context, page = logged_in_page(chromium, server.base)
        card = page.locator("#c-c-passage")
        passage = card.locator("p.text span.passage")
        assert passage.count() == 1 and passage.inner_text() == INSULTING_LINE
        assert passage.get_attribute("data-rule") == "insult"
        assert passage.get_attribute("title") == "المقطع الذي نال الدرجة"
        assert passage.locator("mark.kw-suspect").inner_text() == "ومكلخ"  # nested in it
        # Folded, the passage is below the fold, and the line beside the button says so.
        text_box, note = card.locator("p.text"), card.locator(".hidden-marks")
        assert text_box.evaluate(LONG_TEXT_CHECK)["clamped"]
        assert note.is_visible() and note.inner_text() == (
            "كلمات مميزة في الجزء المخفي: 1 · المقطع الذي نال الدرجة في الجزء المخفي")
        assert "block" not in note.get_attribute("class").split()
        assert text_box.inner_text() == text
        card.locator("button.text-toggle").click()
        assert passage.is_visible() and note.is_hidden()
        # In French, the same note in French.
        page.goto(server.base + "/review/queue?lang=fr")
        note = page.locator("#c-c-passage .hidden-marks")
        assert note.inner_text() == ("Termes surlignés dans la partie masquée : 1 · "
                                     "Le passage qui a reçu ce score est dans la partie masquée")
        context.close()


def test_admin_adds_a_denial_and_hides_a_file_one_on_the_keywords_page(chromium, served):
    server, _ = served
    context, page = logged_in_page(chromium, server.base, user="adil")
    page.goto(server.base + "/review/keywords")
    statuses = iter(range(1000))

    def status_of(text: str) -> str:
        status, body = http("POST", server.base + "/v1/comments", {
            "id": f"k-{next(statuses)}", "text": text, "article_id": "a1", "author_id": "u3"},
            SITE)
        assert status == 201
        return body["status"]

    # A denial the admin adds: an insult read from a template after it is only held.
    page.select_option("select[name=level]", "denial")
    page.fill("input[name=term]", "ما بغيتش نقول")
    with page.expect_navigation():
        page.click("form.keyword-form button[type=submit]")
    assert page.locator(".overrides td", has_text="ما بغيتش نقول").count() == 1
    # Two workers: the one that did not take the change follows within LISTS_REFRESH_SECONDS.
    wait_until(lambda: status_of("ما بغيتش نقول الوزير قرد") == "pending", 10, 0.2,
               "the added denial in every worker")

    # The file's denial, hidden from its row: the same insult after it is rejected again.
    # Hiding is for the whole site, so the page asks first; cancelled, nothing is hidden.
    assert status_of("ما غاديش نقول الوزير قرد") == "pending"
    row = page.locator("table.file-entries tr", has_text="ما غاديش نقول")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.locator("button[type=submit]").click()
    assert asked == ["إخفاء «ما غاديش نقول» من القائمة الأساسية؟ لن تُطابق في أي تعليق جديد."]
    assert page.locator(".overrides td", has_text="ما غاديش نقول").count() == 0
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert page.locator(".overrides td", has_text="ما غاديش نقول").count() == 1
    wait_until(lambda: status_of("ما غاديش نقول الوزير قرد") == "rejected", 10, 0.2,
               "the hidden denial in every worker")
    # Its row says it is hidden and offers the override's delete, asked about too.
    row = page.locator("table.file-entries tr", has_text="ما غاديش نقول")
    assert row.locator(".term-state").inner_text() == "مخفي"
    assert row.locator("button[type=submit]").inner_text() == "حذف التعديل"
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert page.locator(".overrides td", has_text="ما غاديش نقول").count() == 0
    context.close()


def test_moderator_checks_what_the_service_published_on_its_own(chromium, served):
    # The published comments no person has decided, highest score first: where a moderator
    # looks for the service's misses (docs/queue.md).
    server, _ = served
    for comment_id in ("p-1", "p-2"):
        status, body = http("POST", server.base + "/v1/comments", {
            "id": comment_id, "text": f"مقال مزيان، شكرا {comment_id}", "article_id": "a1",
            "author_id": "u4"}, SITE)
        assert status == 201 and body["status"] == "published"
    context, page = logged_in_page(chromium, server.base)
    with page.expect_navigation():
        page.locator("article.card[data-id=c-1] form.approve-form button").click()

    with page.expect_navigation():
        page.click("a.tab[data-status=published]")
    assert page.locator("article.card").count() == 3
    page.select_option("select[name=decided_by]", "system")
    page.select_option("select[name=sort]", "score")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    ids = [card.get_attribute("data-id") for card in page.locator("article.card").all()]
    assert sorted(ids) == ["p-1", "p-2"]
    assert page.locator("select[name=decided_by]").input_value() == "system"

    # A miss found: rejected for insult, it leaves the list, and the filters stay.
    card = page.locator("article.card[data-id=p-2]")
    card.locator("form.reject-form input[value=insult]").check()
    with page.expect_navigation():
        card.locator("form.reject-form button").click()
    ids = [card.get_attribute("data-id") for card in page.locator("article.card").all()]
    assert ids == ["p-1"]
    assert page.locator("select[name=decided_by]").input_value() == "system"
    assert page.locator("select[name=sort]").input_value() == "score"
    status, body = http("GET", server.base + "/v1/comments/p-2", None, SITE)
    assert status == 200 and body["status"] == "rejected" and body["rules"] == ["insult"]
    assert body["decided_by"] == "mona"
    context.close()


# What the site may send at its longest, in one unbroken word: a 158-character author name, a
# 500-character article title, a 200-character author id.
LONG_NAME = "Mohamed_" + "x" * 150
LONG_TITLE = "Titre" + "y" * 495
LONG_AUTHOR_ID = "u" * 200
# The page is no wider than the screen, and nothing in it (a card's text, its buttons, the top
# bar's links and logout button, a table's frame) reaches past either edge of it.
OUT_OF_SIGHT = """() => {
  const width = window.innerWidth;
  const outside = [];
  if (document.documentElement.scrollWidth > width) {
    outside.push("page " + document.documentElement.scrollWidth + " > " + width);
  }
  const watched = "article.card p.text, article.card .actions button, .topbar > *, .topbar nav a,"
                + " .table-scroll, .filters, .keyword-form, h1, h2";
  for (const element of document.querySelectorAll(watched)) {
    const box = element.getBoundingClientRect();
    if (box.width && (box.left < -0.5 || box.right > width + 0.5)) {
      outside.push((element.closest("[id]") || {}).id + " " + element.tagName + "."
                   + element.className + " " + Math.round(box.left) + ".." + Math.round(box.right));
    }
  }
  return outside;
}"""


@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)])
def test_long_names_and_every_page_fit_the_screen_in_both_languages(chromium, served, width,
                                                                     height):
    server, _ = served
    for comment_id, extra in [("c-long-name", {"author_name": LONG_NAME, "author_id": "u7"}),
                              ("c-long-title", {"article_title": LONG_TITLE,
                                                "author_id": LONG_AUTHOR_ID})]:
        status, body = http("POST", server.base + "/v1/comments", {
            "id": comment_id, "text": SUSPECT, "article_id": "a1", **extra}, SITE)
        assert status == 201, body
    # The admin: the keywords and settings forms too.
    context, page = logged_in_page(chromium, server.base, user="adil",
                                   viewport={"width": width, "height": height})
    if width < 1000:  # a long term in the lists, added once
        page.goto(server.base + "/review/keywords")
        page.fill("input[name=term]", "z" * 200)
        with page.expect_navigation():
            page.click("form.keyword-form button[type=submit]")
    for lang in ("ar", "fr"):
        for path in ("/review/queue?status=all", "/review/comments/c-long-name",
                     "/review/comments/c-long-title", "/review/keywords", "/review/settings"):
            page.goto(f"{server.base}{path}{'&' if '?' in path else '?'}lang={lang}")
            assert page.evaluate(OUT_OF_SIGHT) == [], (lang, path)
            # The language switch, the name and the logout button are on the screen.
            for control in ("a.lang", ".topbar .who", ".topbar button"):
                assert page.locator(control).is_visible()
        # Every card's text is there to read, not just its buttons.
        page.goto(f"{server.base}/review/queue?status=all")
        assert page.locator("article.card").count() == 5
        for text in page.locator("article.card p.text").all():
            box = text.bounding_box()
            assert box["width"] > 100 and box["x"] >= 0 and box["x"] + box["width"] <= width
        name = page.locator("#c-c-long-name .author bdi")
        assert name.inner_text() == LONG_NAME and name.bounding_box()["width"] <= width
    context.close()


def test_what_each_rule_forbids_is_one_click_away_on_a_phone(chromium, served):
    server, _ = served
    context, page = logged_in_page(chromium, server.base, viewport={"width": 390, "height": 844})
    guide = page.locator("details.rules-guide")
    scope = guide.locator("dd").first
    assert scope.is_hidden()  # folded: the queue comes first
    guide.locator("summary").click()
    assert scope.is_visible() and "تهديده" in scope.inner_text()
    assert "مسموح" in guide.locator("p.allowed").inner_text()
    box = guide.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # the text wraps, no side-scrolling
    # The same words on each card's rule name, for a pointer resting on it.
    title = page.locator("article.card .scores span[title]").first.get_attribute("title")
    assert title == scope.inner_text()
    context.close()


def test_after_a_decision_the_queue_comes_back_to_the_next_card(chromium, served):
    server, _ = served
    for comment_id in ("c-3", "c-4"):
        status, _ = http("POST", server.base + "/v1/comments", {
            "id": comment_id, "text": SUSPECT, "article_id": "a1", "author_id": "u1"}, SITE)
        assert status == 201
    context, page = logged_in_page(chromium, server.base, viewport={"width": 1366, "height": 500})

    def active() -> str:
        return page.evaluate("document.querySelector('article.card.active').dataset.id")

    ids = [card.get_attribute("data-id") for card in page.locator("article.card").all()]
    assert ids == ["c-1", "c-2", "c-xss", "c-3", "c-4"]
    # Three cards skipped, the fourth approved: the page comes back at the fifth.
    for _ in range(3):
        page.keyboard.press("j")
    assert active() == "c-3"
    with page.expect_navigation():
        page.keyboard.press("a")
    assert page.url.endswith("/review/queue#c-c-4")
    assert active() == "c-4" and page.evaluate("document.activeElement.dataset.id") == "c-4"
    assert page.locator("#c-c-4").is_visible()
    # The last card decided: back at the one before it, never at the first.
    with page.expect_navigation():
        page.keyboard.press("a")
    assert active() == "c-xss"
    ids = [card.get_attribute("data-id") for card in page.locator("article.card").all()]
    assert ids == ["c-1", "c-2", "c-xss"]
    # A decision with the mouse comes back the same way.
    with page.expect_navigation():
        page.locator("#c-c-1 form.approve-form button").click()
    assert active() == "c-2"
    context.close()


def test_a_letter_typed_away_from_the_cards_decides_nothing(chromium, served):
    # Found by an accessibility review: "a" on the language link approved the active card.
    server, _ = served
    context, page = logged_in_page(chromium, server.base)
    first = page.locator("article.card").first
    assert first.get_attribute("aria-current") == "true"  # which card the letters act on
    page.locator("header.topbar a.lang").focus()
    for key in ("a", "r", "x"):
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    assert page.url.endswith("/review/queue") and not first.locator("input[name=ids]").is_checked()
    # j still moves, and brings the letters back to the cards.
    page.keyboard.press("j")
    second = page.locator("article.card").nth(1)
    assert second.get_attribute("aria-current") == "true" and first.get_attribute(
        "aria-current") is None
    # The help dialog takes the focus when it opens and gives it back when it closes.
    page.keyboard.press("?")
    assert page.evaluate("document.activeElement.id") == "help-close"
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.dataset.id") == second.get_attribute("data-id")
    context.close()


def test_site_wide_changes_are_asked_about_first(chromium, served):
    server, _ = served
    context = chromium.new_context(locale="ar-MA")
    page = context.new_page()
    page.set_default_timeout(15_000)
    asked = []

    def answer(accept: bool):
        def handle(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        page.once("dialog", handle)

    log_in(page, server.base)
    # Rejecting a selection: cancelled, nothing changes; approving one is not asked about.
    page.locator("#c-c-1 input[name=ids]").check()
    answer(False)
    page.click("form.bulk button.reject")
    assert asked == ["رفض كل التعليقات المحددة؟"]
    assert page.url.endswith("/review/queue") and page.locator("article.card").count() == 3
    with page.expect_navigation():
        page.click("form.bulk button.approve")
    assert asked == ["رفض كل التعليقات المحددة؟"]
    assert page.locator("article.card").count() == 2
    context.close()
