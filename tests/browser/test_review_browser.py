"""A moderator's session in a real Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against the service under gunicorn, with a local webhook receiver checking every signature."""

from __future__ import annotations

import json
import os
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


@pytest.fixture
def served(tmp_path, model_dir):
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
    engine.dispose()
    receiver = WebhookReceiver(SECRET).start()
    server = Gunicorn({
        "MODERATION_DATABASE_URL": url, "MODERATION_MODEL_DIR": str(model_dir),
        "MODERATION_KEYWORD_DIR": str(keywords), "MODERATION_API_KEYS": json.dumps([SITE_KEY]),
        "MODERATION_SECRET_KEY": "browser-test-secret-key-0123456789",
        "MODERATION_THRESHOLDS": json.dumps(KEYWORDS_ONLY),
        "MODERATION_WEBHOOK_URL": receiver.url, "MODERATION_WEBHOOK_SECRET": SECRET,
        "MODERATION_OUTBOX_POLL_SECONDS": "0.2",
    }, workers=2, log_path=tmp_path / "gunicorn.log").start()
    for comment_id, text in [("c-1", SUSPECT), ("c-2", "الوزير مكلخ وصافي"), ("c-xss", XSS)]:
        status, body = http("POST", server.base + "/v1/comments", {
            "id": comment_id, "text": text, "article_id": "a1", "author_id": "u1",
            "article_title": "مقال"}, SITE)
        assert status == 201 and body["status"] == "pending"
    yield server, receiver
    server.stop()
    receiver.stop()


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

    # While the help is open, shortcuts other than ? and Escape do nothing.
    page.keyboard.press("?")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.id") == "c-1"
    page.keyboard.press("Escape")

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
