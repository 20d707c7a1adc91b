"""The moderators' pages, rendered on the server: login, CSRF, escaping, highlighting, forms."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from service import accounts, create_app
from service.db import get_db_of
from service.highlight import highlight
from service.storage import (
    comments,
    login_addresses,
    login_failures,
    login_sessions,
    users,
    utcnow,
)
from service.text.arabic import normalize_for_model
from tests.queue.conftest import (
    BLOCKED,
    CLEAN,
    PASSWORD,
    ROLES,
    SUSPECT,
    Browser,
    QueueApi,
    both_backends,
)

XSS = '<script>alert("x")</script><img src=x onerror="alert(1)"> يا حمار'


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_login_sets_a_hardened_session_cookie(browser):
    response = browser.login("mona")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/queue")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_wrong_password_or_unknown_user_is_refused(browser):
    for name, password in [("mona", "wrong password"), ("nobody", "correct horse battery")]:
        response = browser.login(name, password)
        assert response.status_code == 401
        assert "غير صحيحة" in response.get_data(as_text=True)
    assert browser.get("/review/queue").status_code == 302


@both_backends
def test_a_name_is_refused_for_a_while_after_ten_failed_logins_from_one_address(queue_app,
                                                                                 browser):
    for attempt in range(10):
        assert browser.login("mona", f"guess number {attempt}").status_code == 401
    response = browser.post("/review/login", {"username": "mona", "password": PASSWORD})
    # ^ the right password, too late
    assert response.status_code == 429
    assert "محاولات فاشلة كثيرة" in response.get_data(as_text=True)
    assert Browser(queue_app.test_client()).login("adil").status_code == 302  # others log in
    # Fifteen minutes later the name may try again.
    with get_db_of(queue_app).transaction() as connection:
        connection.execute(update(login_failures).values(
            at=utcnow() - dt.timedelta(minutes=16)))
    assert browser.login("mona").status_code == 302
    # Failures older than the window are gone: only the last one recorded is left.
    assert browser.login("nobody", "a guess").status_code == 401
    with get_db_of(queue_app).reading() as connection:
        names = connection.execute(select(login_failures.c.name)).scalars().all()
    assert names == ["nobody"]


def browser_at(app, address: str, forwarded_for: str | None = None) -> Browser:
    """A browser whose requests come from ``address``, saying X-Forwarded-For if given."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if forwarded_for is not None:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Browser(client)


def stored_addresses(app) -> list[str]:
    with get_db_of(app).reading() as connection:
        return connection.execute(select(login_failures.c.address)
                                  .order_by(login_failures.c.id)).scalars().all()


def without_csrf_token(response) -> tuple[int, str]:
    """The status and page of an answer, less the session's own CSRF token."""
    page = response.get_data(as_text=True)
    return response.status_code, re.sub(r'name="csrf_token" value="[^"]*"', "", page)


@both_backends
def test_ten_failed_logins_refuse_the_name_to_that_address_only(queue_app):
    # A stranger failing on purpose locks out only themselves, for a real name or a made-up one.
    answers = {}
    for name, address in [("mona", "203.0.113.7"), ("nobody", "2001:db8::7")]:
        troll = browser_at(queue_app, address)
        answers[name] = [without_csrf_token(troll.login(name, f"guess {attempt}"))
                         for attempt in range(10)]
        answers[name].append(without_csrf_token(
            troll.post("/review/login", {"username": name, "password": PASSWORD})))
    # Known and unknown names get the same answers, counted the same way.
    assert answers["mona"] == answers["nobody"]
    assert [status for status, _ in answers["mona"]] == [401] * 10 + [429]
    assert "محاولات فاشلة كثيرة" in answers["mona"][-1][1]
    # The refused tries were not counted.
    assert stored_addresses(queue_app) == ["203.0.113.7"] * 10 + ["2001:db8::/64"] * 10
    # The moderator, elsewhere, logs in; the name is refused to the troll's address only.
    assert browser_at(queue_app, "198.51.100.2").login("mona").status_code == 302
    assert browser_at(queue_app, "2001:db8::7").login("mona").status_code == 302


def test_an_ipv6_client_counts_as_its_slash_64(queue_app):
    # One subscriber gets a /64: billions of addresses that must not be ten fresh starts each.
    for attempt in range(10):
        troll = browser_at(queue_app, f"2001:db8:aa:bb::{attempt + 1:x}")
        assert troll.login("mona", f"guess {attempt}").status_code == 401
    elsewhere_in_the_block = browser_at(queue_app, "2001:db8:aa:bb:ffff::1")
    response = elsewhere_in_the_block.post("/review/login",
                                           {"username": "mona", "password": PASSWORD})
    assert response.status_code == 429
    assert browser_at(queue_app, "2001:db8:aa:bc::1").login("mona").status_code == 302
    # An IPv4 client written as IPv6 (a dual-stack socket) is that IPv4 address.
    with get_db_of(queue_app).transaction() as connection:
        accounts.record_login_failure(connection, "adil", "::ffff:192.0.2.9")
    assert stored_addresses(queue_app)[-1] == "192.0.2.9"


@both_backends
def test_a_name_is_refused_everywhere_after_a_hundred_failures_from_many_addresses(queue_app):
    # A guesser spread over many addresses, nine tries each so no address reaches its own ten.
    addresses = [f"192.0.2.{n}" for n in range(1, 12)]
    with get_db_of(queue_app).transaction() as connection:
        for address in addresses:
            for _ in range(9):
                accounts.record_login_failure(connection, "mona", address)
        assert not accounts.login_refused(connection, "mona", "192.0.2.200")
    assert len(stored_addresses(queue_app)) == 99
    assert browser_at(queue_app, "192.0.2.100").login("mona", "guess 100").status_code == 401
    for address in ("192.0.2.101", *addresses):  # a new address, or one with nine failures
        response = browser_at(queue_app, address).post(
            "/review/login", {"username": "mona", "password": PASSWORD})
        assert response.status_code == 429, address
    assert len(stored_addresses(queue_app)) == 100
    assert browser_at(queue_app, "192.0.2.101").login("adil").status_code == 302  # others log in


@both_backends
def test_a_name_refused_everywhere_still_opens_where_its_moderator_logged_in_lately(queue_app):
    def moderator_at(address):
        return browser_at(queue_app, address).post(
            "/review/login", {"username": "mona", "password": PASSWORD})

    assert moderator_at("198.51.100.2").status_code == 302  # her desk
    assert moderator_at("2001:db8:5:6::1").status_code == 302  # her phone, its /64 remembered
    with get_db_of(queue_app).transaction() as connection:
        for attempt in range(100):  # a hundred addresses with one guess each
            accounts.record_login_failure(connection, "mona", f"203.0.113.{attempt}")
        assert accounts.login_refused(connection, "mona", "192.0.2.1")
        assert not accounts.login_refused(connection, "mona", "198.51.100.2")
    assert moderator_at("192.0.2.1").status_code == 429  # a new address is refused
    assert moderator_at("198.51.100.2").status_code == 302
    assert moderator_at("2001:db8:5:6::99").status_code == 302
    # Someone guessing from her desk's address still meets that address's own ten.
    office = browser_at(queue_app, "198.51.100.2")
    answers = [office.post("/review/login", {"username": "mona", "password": f"guess {n}"})
               for n in range(11)]
    assert [answer.status_code for answer in answers] == [401] * 10 + [429]
    assert moderator_at("198.51.100.2").status_code == 429
    # An address she has not logged in from for thirty days is a new one again.
    with get_db_of(queue_app).transaction() as connection:
        connection.execute(update(login_addresses).values(
            last_at=utcnow() - accounts.KNOWN_ADDRESS_WINDOW - dt.timedelta(minutes=1)))
    assert moderator_at("2001:db8:5:6::99").status_code == 429
    # Another account's address is not hers.
    assert browser_at(queue_app, "198.51.100.77").login("adil").status_code == 302
    assert moderator_at("198.51.100.77").status_code == 429


@both_backends
def test_logins_remember_each_address_once_and_forget_it_after_thirty_days(queue_app):
    for address in ("198.51.100.2", "198.51.100.2", "::ffff:198.51.100.2", "2001:db8:5:6::1"):
        assert browser_at(queue_app, address).login("mona").status_code == 302
    with get_db_of(queue_app).transaction() as connection:
        rows = connection.execute(select(login_addresses.c.address)).scalars().all()
        assert sorted(rows) == ["198.51.100.2", "2001:db8:5:6::/64"]
        connection.execute(update(login_addresses).values(
            last_at=utcnow() - accounts.KNOWN_ADDRESS_WINDOW))
    assert browser_at(queue_app, "192.0.2.9").login("adil").status_code == 302
    with get_db_of(queue_app).reading() as connection:
        assert connection.execute(select(login_addresses.c.address)).scalars().all() == [
            "192.0.2.9"]


def test_an_address_is_stored_at_most_45_characters_long(queue_app):
    with get_db_of(queue_app).transaction() as connection:
        accounts.record_login_failure(connection, "mona", "x" * 60)
        accounts.record_login_failure(connection, "mona", None)
        assert not accounts.login_refused(connection, "mona", "x" * 60)
    assert stored_addresses(queue_app) == ["x" * 45, ""]


@both_backends
def test_behind_one_proxy_the_forwarded_address_is_the_one_counted(queue_config, request):
    queue_config["PROXY_COUNT"] = 1
    app = request.getfixturevalue("queue_app")
    proxy = "10.0.0.5"  # nginx: every request arrives from it
    # A client may send its own X-Forwarded-For; the proxy appends the address it saw, and only
    # that last entry is trusted.
    troll = browser_at(app, proxy, forwarded_for="198.51.100.2, 203.0.113.7")
    for attempt in range(10):
        assert troll.login("mona", f"guess {attempt}").status_code == 401
    response = troll.post("/review/login", {"username": "mona", "password": PASSWORD})
    assert response.status_code == 429
    assert stored_addresses(app) == ["203.0.113.7"] * 10
    moderator = browser_at(app, proxy, forwarded_for="198.51.100.2")
    assert moderator.login("mona").status_code == 302


def test_without_a_proxy_count_x_forwarded_for_is_ignored(queue_app):
    assert queue_app.config["PROXY_COUNT"] == 0
    troll = browser_at(queue_app, "203.0.113.7")
    for attempt in range(10):
        # A new made-up address each time changes nothing: the connection's address counts.
        troll.client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{attempt}"
        assert troll.login("mona", f"guess {attempt}").status_code == 401
    response = troll.post("/review/login", {"username": "mona", "password": PASSWORD})
    assert response.status_code == 429
    assert stored_addresses(queue_app) == ["203.0.113.7"] * 10


def test_login_needs_the_csrf_token(browser):
    response = browser.post("/review/login", {"username": "mona", "password": PASSWORD},
                            csrf=False)
    assert response.status_code == 400
    assert browser.get("/review/queue").status_code == 302


def test_login_redirects_only_inside_the_workspace(browser):
    response = browser.post("/review/login", {"username": "mona", "password": PASSWORD,
                                              "next": "https://evil.example/review/"})
    assert response.headers["Location"] == "/review/queue"
    browser.post("/review/logout")
    response = browser.post("/review/login", {"username": "mona", "password": PASSWORD,
                                              "next": "/review/settings"})
    assert response.headers["Location"] == "/review/settings"


def test_queue_page_shows_counts_highlights_and_scores(site, moderator_browser):
    site.submit("c-1", SUSPECT, author_id="u9", author_name="Karim", article_title="الماء",
                article_url="https://news.example/a/1")
    site.submit("c-0", BLOCKED, author_id="u9")
    page = html(moderator_browser.get("/review/queue"))
    assert '<html lang="ar" dir="rtl">' in page
    assert re.search(r'data-status="pending">\s*في الانتظار <span class="count">1</span>', page)
    assert re.search(r'data-status="rejected">\s*مرفوضة <span class="count">1</span>', page)
    mark = '<mark class="kw kw-suspect" data-rule="insult" title="insult/suspect: مكلخ">مكلخ</mark>'
    assert mark in page
    assert 'href="https://news.example/a/1"' in page and "Karim" in page
    assert "2 تعليق، 1 مرفوض" in page  # the author's history on the card
    assert page.count("<meter") == 3 and 'name="csrf_token"' in page


def test_a_screen_reader_can_tell_the_cards_scores_tabs_and_terms_apart(site, moderator_browser,
                                                                          admin_browser):
    site.submit("c-1", SUSPECT, author_name="Karim")
    page = html(moderator_browser.get("/review/queue", lang="fr"))
    assert '<h1 class="visually-hidden">' in page  # a page heading, for heading navigation
    assert re.search(r'class="tab current" aria-current="page" data-status="pending"', page)
    card = re.search(r'<article [^>]*id="c-c-1"[^>]*>', page).group(0)
    assert 'aria-label="Commentaire de Karim"' in card
    # Twenty "Sélectionner" boxes and "Détails" links, each described by its comment's text.
    assert 'aria-label="Sélectionner" aria-describedby="text-c-1"' in page
    assert re.search(r'class="open" href="[^"]+" aria-describedby="text-c-1"', page)
    assert '<meter min="0" max="1" value="' in page and 'aria-label="Insulte"' in page
    assert '<span class="visually-hidden">(au-dessus du seuil)</span>' in page  # not red alone
    assert "مكلخ (Insulte · Suspect)" in page  # the level in words, not by colour only
    assert 'aria-keyshortcuts="a">Approuver <kbd aria-hidden="true">a</kbd>' in page
    assert 'class="lang" href="' in page and 'hreflang="ar" lang="ar">' in page
    assert 'role="dialog" aria-modal="true"' in page
    keywords = html(admin_browser.get("/review/keywords"))
    assert "<th></th>" not in keywords
    assert 'aria-label="إخفاء: مكلخ"' in keywords
    settings = html(admin_browser.get("/review/settings"))
    assert '<pre class="metrics" dir="ltr" tabindex="0"' in settings  # scrolls by keyboard too


def test_french_is_the_second_language(site, moderator_browser):
    site.submit("c-1", SUSPECT)
    page = html(moderator_browser.get("/review/queue", lang="fr"))
    assert '<html lang="fr" dir="ltr">' in page and "En attente" in page and "Approuver" in page
    page = html(moderator_browser.get("/review/queue"))  # the choice sticks to the session
    assert 'lang="fr"' in page
    assert 'lang="ar"' in html(moderator_browser.get("/review/queue", lang="ar"))


@pytest.mark.parametrize("lang, heading, insult, allowed", [
    ("ar", "ما تمنعه القواعد", "تهديده أو الدعاء عليه بالموت", "مسموح: الحديث عن الدين"),
    ("fr", "Ce que les règles interdisent", "la menacer, lui souhaiter la mort",
     "Permis : parler de religion"),
])
def test_the_queue_says_what_each_rule_forbids_and_what_is_allowed(site, moderator_browser, lang,
                                                                   heading, insult, allowed):
    site.submit("c-1", SUSPECT)
    page = html(moderator_browser.get("/review/queue", lang=lang))
    guide = re.search(r'<details class="rules-guide">(.*?)</details>', page, re.S).group(1)
    assert f"<summary>{heading}</summary>" in guide
    assert guide.count("<dt>") == 3 and insult in guide and allowed in guide
    # The card's rule names carry the same words.
    assert re.search(rf'<span title="[^"]*{insult}[^"]*">', page)


def test_switching_language_keeps_the_filters(site, moderator_browser, browser):
    page = html(moderator_browser.get("/review/queue", status="all", rule="insult", q="مكلخ"))
    assert 'class="lang" href="/review/queue?status=all&amp;rule=insult&amp;q=' in page
    assert "&amp;lang=fr" in page
    page = html(browser.get("/review/login", next="/review/queue?status=rejected"))
    assert 'href="/review/login?next=%2Freview%2Fqueue%3Fstatus%3Drejected&amp;lang=fr"' in page


def test_the_queue_page_filters_by_who_decided(site, moderator_browser, moderator):
    site.submit("c-1", CLEAN)
    site.submit("c-2", "مقال مزيان 2")
    moderator.decide("c-2", "approve")
    page = html(moderator_browser.get("/review/queue", status="published", decided_by="system",
                                      sort="score"))
    assert 'data-id="c-1"' in page and 'data-id="c-2"' not in page
    assert '<option value="system" selected>قرار الخدمة وحدها</option>' in page
    assert re.search(r'data-status="published">\s*منشورة <span class="count">1</span>', page)
    page = html(moderator_browser.get("/review/queue", status="published", decided_by="person",
                                      lang="fr"))
    assert 'data-id="c-2"' in page and 'data-id="c-1"' not in page
    assert '<option value="person" selected>Décidés par un modérateur</option>' in page


def test_names_from_the_site_are_isolated_from_the_text_around_them(site, moderator_browser):
    site.submit("c-1", SUSPECT, author_name="Ali\u202e", article_title="\u202bمقال")
    page = html(moderator_browser.get("/review/queue"))
    assert "<bdi>Ali\u202e</bdi>" in page and "<bdi>\u202bمقال</bdi>" in page


def test_comment_text_is_always_escaped(site, moderator_browser):
    site.submit("c-1", XSS, author_name='<b onmouseover="x()">Bad</b>', article_title="<i>t</i>")
    for url, params in (("/review/queue", {"status": "all"}), ("/review/comments/c-1", {})):
        page = html(moderator_browser.get(url, **params))
        for raw in ("<script>alert", "<img src=x", "<b onmouseover"):
            assert raw not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
        assert "&lt;b onmouseover=" in page and "&lt;i&gt;t&lt;/i&gt;" in page


def test_pages_carry_a_strict_content_security_policy(moderator_browser):
    response = moderator_browser.get("/review/queue")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_highlight_escapes_every_piece_and_marks_the_offsets():
    text = '<b>x</b> يا حمار & "q"'
    start = text.index("حمار")
    out = str(highlight(text, [{"rule": "insult", "level": "block", "term": '"><script>',
                                "start": start, "end": start + 4}]))
    assert out.startswith("&lt;b&gt;x&lt;/b&gt; يا <mark class=\"kw kw-block\"")
    assert 'title="insult/block: &#34;&gt;&lt;script&gt;">حمار</mark>' in out
    assert out.endswith(" &amp; &#34;q&#34;")


def test_highlight_merges_overlaps_and_ignores_bad_offsets():
    text = "ولد الحرام"
    out = str(highlight(text, [
        {"rule": "insult", "level": "suspect", "term": "ولد", "start": 0, "end": 3},
        {"rule": "insult", "level": "block", "term": "ولد الحرام", "start": 0, "end": 10},
        {"rule": "religion", "level": "block", "term": "x", "start": 5, "end": 99},
        {"rule": "religion", "level": "block", "term": "x", "start": "0", "end": 2}]))
    assert out.count("<mark") == 1 and 'class="kw kw-block"' in out
    assert out.endswith("ولد الحرام</mark>")


def test_highlight_wraps_a_reasons_passage_around_the_keyword_marks_inside_it():
    text = "<i>x</i> هاد السيد حمار وكذاب. والباقي كلام عادي"
    word, sentence = text.index("حمار"), text.index("هاد")
    out = str(highlight(text, [
        {"rule": "insult", "level": "block", "term": "حمار", "start": word, "end": word + 4}],
        [{"rule": "insult", "source": "keyword", "verdict": "reject", "detail": "no offsets"},
         {"rule": "insult", "source": "model", "start": sentence, "end": text.index(".") + 1},
         {"rule": "religion", "source": "model", "start": word, "end": word + 2},  # overlaps
         {"rule": "insult", "source": "model", "start": 3, "end": 999}],  # outside the text
        '"passage"'))
    assert out.startswith("&lt;i&gt;x&lt;/i&gt; <span class=\"passage\" "
                          'data-rule="insult religion" title="&#34;passage&#34;">هاد السيد <mark')
    assert out.count("<span") == 1 and out.count("<mark") == 1
    assert 'حمار</mark> وكذاب.</span> والباقي كلام عادي' in out


def test_highlight_splits_a_keyword_mark_at_a_passages_edge_so_the_html_nests():
    text = "ولد الحرام هنا"
    out = str(highlight(text, [{"rule": "insult", "level": "block", "term": "ولد الحرام",
                                "start": 0, "end": 10}],
                        [{"rule": "insult", "start": 4, "end": 14}]))
    assert out.startswith('<mark class="kw kw-block" data-rule="insult" title="insult/block: '
                          'ولد الحرام">ولد </mark>'
                          '<span class="passage" data-rule="insult" title=""><mark class="kw')
    assert out.endswith(">الحرام</mark> هنا</span>")


def test_deciding_from_the_card(site, moderator_browser):
    site.submit("c-1", SUSPECT)
    response = moderator_browser.post("/review/comments/c-1/decision", {
        "decision": "reject", "rules": ["insult", "religion"], "expect_status": "pending",
        "next": "/review/queue?status=pending"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/review/queue?status=pending"
    record = site.get("/v1/comments/c-1")[1]
    assert record["status"] == "rejected" and record["rules"] == ["insult", "religion"]
    assert record["decided_by"] == "mona"
    assert "تم حفظ القرار" in html(moderator_browser.get("/review/queue"))


def test_a_form_without_the_csrf_token_changes_nothing(site, moderator_browser):
    site.submit("c-1", SUSPECT)
    for token in (None, "forged"):
        data = {"decision": "approve"} | ({"csrf_token": token} if token else {})
        response = moderator_browser.post("/review/comments/c-1/decision", data, csrf=False)
        assert response.status_code == 400
    assert site.get("/v1/comments/c-1")[1]["status"] == "pending"


def test_a_stale_card_gets_a_warning_not_an_overwrite(site, moderator_browser, admin):
    site.submit("c-1", SUSPECT)
    admin.decide("c-1", "approve")
    response = moderator_browser.post("/review/comments/c-1/decision",
                                      {"decision": "reject", "expect_status": "pending"})
    assert response.status_code == 302
    assert site.get("/v1/comments/c-1")[1]["status"] == "published"
    assert "قرر مشرف آخر في هذا التعليق للتو (adil: منشورة)" in html(
        moderator_browser.get("/review/queue"))


def test_bad_form_values_are_422(site, moderator_browser):
    site.submit("c-1", SUSPECT)
    for data in ({"decision": "delete"}, {"decision": "reject", "rules": ["spam"]},
                 {"decision": "reject", "expect_status": "gone"}):
        assert moderator_browser.post("/review/comments/c-1/decision", data).status_code == 422
    assert moderator_browser.post("/review/comments/none/decision",
                                  {"decision": "approve"}).status_code == 404


@both_backends
def test_a_nul_character_in_a_form_is_400_and_changes_nothing(site, moderator_browser, browser):
    site.submit("c-1", SUSPECT)
    response = moderator_browser.post("/review/comments/c-1/decision",
                                      {"decision": "approve", "note": "ok\x00"})
    assert response.status_code == 400
    assert site.get("/v1/comments/c-1")[1]["status"] == "pending"
    login = {"username": "mona\x00", "password": PASSWORD}
    assert browser.post("/review/login", login).status_code == 400


@pytest.mark.parametrize("target", ["/review/\r\nX: 1", "/review/queue\nSet-Cookie: x=1"])
def test_a_next_target_with_a_line_break_falls_back_to_the_queue(site, moderator_browser, target):
    site.submit("c-1", SUSPECT)
    response = moderator_browser.post("/review/comments/c-1/decision",
                                      {"decision": "approve", "next": target})
    assert response.status_code == 302 and response.location.endswith("/review/queue")
    assert site.get("/v1/comments/c-1")[1]["status"] == "published"


def test_bulk_select_decides_every_checked_comment(site, moderator_browser):
    for i in range(3):
        site.submit(f"c-{i}", SUSPECT)
    response = moderator_browser.post("/review/decisions",
                                      {"ids": ["c-0", "c-2"], "decision": "approve"})
    assert response.status_code == 302
    statuses = [site.get(f"/v1/comments/c-{i}")[1]["status"] for i in range(3)]
    assert statuses == ["published", "pending", "published"]
    assert "تم تطبيق القرار على 2" in html(moderator_browser.get("/review/queue"))
    moderator_browser.post("/review/decisions", {"decision": "approve"})
    assert "لم يتم تحديد" in html(moderator_browser.get("/review/queue"))


def seen_fields(page: str) -> dict[str, str]:
    """The statuses the queue page told the bulk form it showed, as a browser would send them."""
    return dict(re.findall(r'name="(seen:[^"]+)" value="([^"]+)" form="bulk-form"', page))


def test_bulk_decisions_leave_alone_what_another_moderator_decided(site, moderator_browser,
                                                                   admin):
    for i in range(3):
        site.submit(f"c-{i}", SUSPECT)
    seen = seen_fields(html(moderator_browser.get("/review/queue")))
    assert seen == {f"seen:c-{i}": "pending" for i in range(3)}
    admin.decide("c-1", "approve")  # while the moderator's page is open
    moderator_browser.post("/review/decisions", {"ids": ["c-0", "c-1"], "decision": "reject",
                                                 **seen})
    c0, c1 = (site.get(f"/v1/comments/c-{i}")[1] for i in (0, 1))
    assert (c1["status"], c1["decided_by"]) == ("published", "adil")
    # No rule boxes on the bulk form: the rejection is for the rules the service flagged.
    assert c0["status"] == "rejected" and c0["rules"] == c0["flags"] and c0["rules"]
    page = html(moderator_browser.get("/review/queue"))
    assert "تم تطبيق القرار على 1" in page and "1 تعليق قرر فيه مشرف آخر قبلك" in page


def test_bulk_repeat_of_your_own_decision_is_not_a_conflict(site, moderator_browser):
    site.submit("c-0", SUSPECT)
    seen = seen_fields(html(moderator_browser.get("/review/queue")))
    for _ in range(2):  # a double click
        moderator_browser.post("/review/decisions", {"ids": ["c-0"], "decision": "approve",
                                                     **seen})
    page = html(moderator_browser.get("/review/queue", status="all"))
    assert "قرر فيه مشرف آخر" not in page
    assert site.get("/v1/comments/c-0")[1]["status"] == "published"


def test_comment_page_shows_history_and_the_authors_earlier_comments(site, moderator,
                                                                     moderator_browser):
    site.submit("c-0", BLOCKED, author_id="u5")
    site.submit("c-1", SUSPECT, author_id="u5")
    moderator.decide("c-1", "reject", rules=["insult"], note="note <b>x</b>")
    page = html(moderator_browser.get("/review/comments/c-1"))
    assert "note &lt;b&gt;x&lt;/b&gt;" in page
    assert 'href="/review/comments/c-0"' in page
    assert "2 تعليق، 2 مرفوض" in page
    # Why it was held, in the page's language; the exact term and score stay as the API gives them.
    assert "إهانة: كلمة من القوائم → مراجعة" in page and "suspect term" in page


def history_rows(page: str) -> list[list[str]]:
    """The history table's cells, row by row, tags stripped, header first."""
    table = re.search(r'<table class="history">(.*?)</table>', page, re.S)
    assert table, page
    return [[re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)]


@pytest.mark.parametrize("lang, expected", [
    ("ar", [["الوقت", "من", "الإجراء", "الحالة", "القواعد", "ملاحظة"],
            ["النظام", "أحالته الخدمة على المراجعة", "في الانتظار", "إهانة"],
            ["mona (مشرف)", "رفض", "في الانتظار ← مرفوضة", "إهانة، مسّ بالدين"]]),
    ("fr", [["Date", "Par", "Action", "Statut", "Règles", "Note"],
            ["Système", "Mis en attente de revue par le service", "En attente", "Insulte"],
            ["mona (modérateur)", "Rejet", "En attente → Rejeté",
             "Insulte, Atteinte à la religion"]]),
])
def test_the_history_speaks_the_pages_language(site, moderator, moderator_browser, lang,
                                               expected):
    site.submit("c-1", SUSPECT)
    moderator.decide("c-1", "reject", rules=["insult", "religion"], note="<b>vu</b>")
    page = html(moderator_browser.get("/review/comments/c-1", lang=lang))
    header, by_system, by_moderator = history_rows(page)
    assert header == expected[0]
    assert by_system[1:5] == expected[1] and by_moderator[1:5] == expected[2]
    # Times read as the cards' do; the machine value stays in the datetime attribute.
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", by_moderator[0])
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">', page)
    # The service's note is the reasons' English detail; the moderator's is theirs, escaped.
    assert "suspect term" in by_system[5] and by_moderator[5] == "&lt;b&gt;vu&lt;/b&gt;"
    for machine_word in ("system.review", "decision.reject", "(system)", "(moderator)"):
        assert machine_word not in page
    # One comment's status is singular, on its badge too.
    assert ('class="status badge-rejected">' + {"ar": "مرفوضة", "fr": "Rejeté"}[lang]) in page


def test_a_reason_from_the_model_names_the_words_that_raised_its_score(queue_app, site, admin,
                                                                        moderator_browser):
    """Computed when the page is shown, not when the comment is scored (it costs about one more
    scoring), and only while the model that scored it is still in service."""
    assert admin.client.put("/v1/thresholds", headers=admin.headers,
                            json={"insult": {"review": 0.0}}).status_code == 200
    text = "هاد السيد كذاب ومنافق وما عندو حتى معقول"
    site.submit("c-1", text)
    page = html(moderator_browser.get("/review/comments/c-1"))
    assert "إهانة: درجة النموذج → مراجعة" in page
    words = re.search(r'الكلمات التي رفعت الدرجة: <bdi class="words">([^<]*)</bdi>', page)
    assert words, page
    named = words.group(1).split("، ")
    assert 1 <= len(named) <= 3 and set(named) <= set(normalize_for_model(text).split())
    with get_db_of(queue_app).transaction() as connection:  # as if scored before a promotion
        connection.execute(update(comments).values(model_version="20200101T000000Z-00000000"))
    page = html(moderator_browser.get("/review/comments/c-1"))
    assert "إهانة: درجة النموذج → مراجعة" in page and "الكلمات التي رفعت الدرجة" not in page


def test_a_long_comment_held_for_one_passage_shows_that_passage(site, admin, moderator_browser):
    """The moderator reads which sentences of a long comment the model held it for, escaped."""
    assert admin.client.put("/v1/thresholds", headers=admin.headers,
                            json={"insult": {"review": 0.0}}).status_code == 200
    reasonable = ("الحكومة خاصها تراجع الأسعار ديال الخضرة فالأسواق لأن المواطن ما بقاش قادر "
                  "يشري حتى الطماطم والبصل، والأجور باقية فبلاصتها من عشر سنين. ")
    insulting = "هاد السيد كذاب ومنافق وما عندو حتى معقول <b>x</b>."
    text = reasonable * 2 + insulting + " " + reasonable * 2
    assert site.submit("c-1", text)["status"] == "pending"
    page = html(moderator_browser.get("/review/comments/c-1"))
    assert "إهانة: درجة النموذج → مراجعة" in page and "passage score" in page
    quoted = re.search(r'<blockquote class="passage"[^>]*>([^<]*)</blockquote>', page)
    assert quoted and quoted.group(1) == insulting.replace("<", "&lt;").replace(">", "&gt;")
    words = re.search(r'الكلمات التي رفعت الدرجة: <bdi class="words">([^<]*)</bdi>', page)
    assert words and set(words.group(1).split("، ")) <= set(normalize_for_model(insulting).split())
    # The card marks the same passage in the comment's text, here and in the queue.
    escaped = insulting.replace("<", "&lt;").replace(">", "&gt;")
    marked_passage = r'<span class="passage" data-rule="insult" title="([^"]*)">([^<]*)</span>'
    for shown in (page, html(moderator_browser.get("/review/queue", status="pending"))):
        marked = re.search(marked_passage, shown)
        assert marked and marked.groups() == ("المقطع الذي نال الدرجة", escaped)


def test_keyword_page_forms_are_for_admins(admin_browser, moderator_browser, site):
    assert 'name="term"' not in html(moderator_browser.get("/review/keywords"))
    page = html(admin_browser.get("/review/keywords"))
    assert 'name="term"' in page and "مكلخ" in page and "مسموح (لكل القواعد" in page
    assert admin_browser.post("/review/keywords", {"rule": "insult", "level": "block",
                                                   "term": "بخوش"}).status_code == 302
    assert site.submit("c-1", "واحد بخوش")["status"] == "rejected"
    assert admin_browser.post("/review/keywords", {"rule": "insult", "level": "block",
                                                   "term": ""}).status_code == 422


def test_admins_see_and_hide_the_files_allow_list_and_denials(admin_browser, moderator_browser,
                                                              site):
    page = html(admin_browser.get("/review/keywords"))
    assert "نفي القول (لكل القواعد" in page  # the form's choice, saying it is for every rule
    for level, term in [("allow", "حمارة"), ("denial", "ما غاديش نقول")]:
        row = re.search(rf'<td dir="auto">{term}</td>.*?</tr>', page, re.S)
        assert row and f'name="level" value="{level}"' in row.group(0)
    assert "ما غاديش نقول" in html(moderator_browser.get("/review/keywords"))
    denied = "ما غاديش نقول الوزير قرد"
    assert site.submit("c-1", denied)["status"] == "pending"
    assert admin_browser.post("/review/keywords", {"rule": "*", "level": "denial",
                                                   "term": "ما غاديش نقول",
                                                   "action": "remove"}).status_code == 302
    assert site.submit("c-2", denied)["status"] == "rejected"
    # Filtered on a rule, the page shows that rule's entries only.
    filtered = html(admin_browser.get("/review/keywords", rule="insult"))
    assert "مكلخ" in filtered and "حمارة</td>" not in filtered


def test_settings_page_shows_the_model_and_lets_admins_set_thresholds(admin_browser,
                                                                      moderator_browser, admin):
    page = html(moderator_browser.get("/review/settings"))
    assert "نسخة النموذج" in page and 'name="insult.review"' not in page
    page = html(admin_browser.get("/review/settings"))
    assert 'name="insult.review"' in page
    assert admin_browser.post("/review/settings/thresholds",
                              {"insult.review": "0.4", "insult.reject": ""}).status_code == 302
    assert admin.get("/v1/thresholds")[1]["overrides"] == {"insult": {"review": 0.4}}
    for bad in ({"insult.review": "abc"}, {"religion.reject": "7"}):
        assert admin_browser.post("/review/settings/thresholds", bad).status_code == 422


def outcome_rows(page: str) -> dict[str, list[int]]:
    """The settings page's verdicts-against-decisions table: per verdict, its numbers."""
    return {verdict: [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)]
            for verdict, row in re.findall(r'<tr data-verdict="(\w+)">(.*?)</tr>', page, re.S)}


def test_settings_page_sets_the_services_verdicts_against_moderators_decisions(
        site, moderator, moderator_browser, queue_app):
    site.submit("approved", CLEAN)
    site.submit("missed", CLEAN + " 2")
    site.submit("held", SUSPECT)
    site.submit("held-confirmed", SUSPECT + " 2")
    site.submit("held-waiting", SUSPECT + " 3")
    site.submit("blocked", BLOCKED)
    site.submit("blocked-wrongly", BLOCKED + " 2")
    site.submit("last-month", SUSPECT + " 4")
    with get_db_of(queue_app).transaction() as connection:  # older than the page's week
        connection.execute(update(comments).where(comments.c.id == "last-month").values(
            received_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=8)))
    for comment_id, decision in [("missed", "reject"), ("held", "approve"),
                                 ("held-confirmed", "reject"), ("blocked-wrongly", "approve")]:
        assert moderator.decide(comment_id, decision)[0] == 200
    page = html(moderator_browser.get("/review/settings"))
    assert "تعليقات آخر 7 أيام" in page
    # received, still pending, the service's decision alone, published / rejected by a person
    assert outcome_rows(page) == {"approve": [2, 0, 1, 0, 1], "review": [3, 1, 0, 1, 1],
                                  "reject": [2, 0, 1, 1, 0]}
    assert "ما فات الخدمة (قبلته ورفضه مشرف): 1" in page
    assert "إنذارات خاطئة (أمسكته الخدمة ونشره مشرف): 2" in page
    french = html(moderator_browser.get("/review/settings", lang="fr"))
    assert "Fausses alertes (retenus par le service, puis publiés par un modérateur) : 2" in french


def thresholds_in_force(page: str) -> list[str]:
    """The "in force" column of the settings page: rule by rule, suspect, review, reject."""
    return re.findall(r'<span class="in-force"[^>]*>([^<]*)</span>', page)


@both_backends
def test_the_settings_page_shows_a_save_whichever_worker_serves_it(queue_config, queue_app,
                                                                     admin_browser):
    # A second app on the same database is another gunicorn worker, which would on its own
    # look for changes only once an hour.
    other = create_app({**queue_config, "LISTS_REFRESH_SECONDS": 3600})
    other_browser = Browser(other.test_client())
    assert other_browser.login("adil").status_code == 302
    assert thresholds_in_force(html(other_browser.get("/review/settings")))[:3] == [
        "0.000", "0.999", "1.000"]
    assert admin_browser.post("/review/settings/thresholds",
                              {"insult.review": "0.4", "insult.reject": "0.8"}).status_code == 302
    assert thresholds_in_force(html(other_browser.get("/review/settings")))[:3] == [
        "0.000", "0.400", "0.800"]
    # And the lists the other worker scores with follow at once, not in an hour.
    assert admin_browser.post("/review/keywords", {"rule": "insult", "level": "block",
                                                   "term": "بخوش"}).status_code == 302
    html(other_browser.get("/review/keywords"))
    site = QueueApi(other.test_client(), ROLES.site)
    assert site.submit("c-1", "واحد بخوش")["status"] == "rejected"
    get_db_of(other).dispose()


def test_logout_ends_the_session(moderator_browser):
    assert moderator_browser.post("/review/logout").status_code == 302
    assert moderator_browser.get("/review/queue").status_code == 302


@both_backends
def test_a_copied_cookie_stops_working_after_logout(moderator_browser):
    copied = moderator_browser.client.get_cookie("session").value
    assert moderator_browser.post("/review/logout").status_code == 302
    moderator_browser.client.set_cookie("session", copied)  # the cookie as it was, replayed
    response = moderator_browser.get("/review/queue")
    assert response.status_code == 302 and "/review/login" in response.location


@both_backends
def test_ended_sessions_are_deleted_at_the_next_login(queue_app, moderator_browser, browser):
    assert moderator_browser.post("/review/logout").status_code == 302
    assert browser.login("mona").status_code == 302
    with get_db_of(queue_app).reading() as connection:
        rows = connection.execute(select(login_sessions.c.ended_at)).all()
    assert rows == [(None,)]  # only the session just opened


def remembered_logins(app) -> list[tuple[str, str]]:
    """(user name, address) of every address remembered for the cap over all addresses."""
    with get_db_of(app).reading() as connection:
        return sorted(connection.execute(
            select(users.c.name, login_addresses.c.address)
            .join(users, users.c.id == login_addresses.c.user_id)).all())


@both_backends
def test_a_new_password_ends_every_session_of_that_user(queue_app, moderator_browser,
                                                        admin_browser):
    assert [name for name, _ in remembered_logins(queue_app)] == ["adil", "mona"]
    result = queue_app.test_cli_runner().invoke(
        args=["users", "password", "mona"], env={"MODERATION_USER_PASSWORD": "another long one"})
    assert result.exit_code == 0, result.output
    assert moderator_browser.get("/review/queue").status_code == 302
    assert admin_browser.get("/review/queue").status_code == 200  # other users are untouched
    # Her addresses are forgotten too: one may be whoever learnt the old password.
    assert remembered_logins(queue_app) == [("adil", "127.0.0.1")]
    assert moderator_browser.login("mona", "another long one").status_code == 302
    assert moderator_browser.get("/review/queue").status_code == 200


@both_backends
def test_revoked_tokens_stop_working_and_a_deactivated_account_is_locked_out(
        queue_app, queue_client, moderator_browser, browser):
    cli = queue_app.test_cli_runner()
    token = cli.invoke(args=["users", "token", "mona"]).output.strip()
    bearer = {"Authorization": f"Bearer {token}"}
    assert queue_client.get("/v1/queue", headers=bearer).status_code == 200
    result = cli.invoke(args=["users", "revoke-tokens", "mona"])
    assert result.exit_code == 0 and "revoked" in result.output
    assert queue_client.get("/v1/queue", headers=bearer).status_code == 401
    assert moderator_browser.get("/review/queue").status_code == 200  # sessions are not tokens

    token = cli.invoke(args=["users", "token", "mona"]).output.strip()
    assert cli.invoke(args=["users", "deactivate", "mona"]).exit_code == 0
    assert moderator_browser.get("/review/queue").status_code == 302
    assert queue_client.get("/v1/queue",
                            headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert browser.login("mona").status_code == 401
    assert remembered_logins(queue_app) == []
    assert "mona\tmoderator\tdeactivated" in cli.invoke(args=["users", "list"]).output
    assert cli.invoke(args=["users", "deactivate", "nobody"]).exit_code != 0


@pytest.mark.parametrize("url", ["/review/queue?status=nope", "/review/queue?cursor=zzz"])
def test_bad_query_gives_an_html_422(moderator_browser, url):
    response = moderator_browser.client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == 422 and response.mimetype == "text/html"


def test_an_error_page_speaks_the_moderators_language_and_leads_back(moderator_browser):
    response = moderator_browser.client.get("/review/queue?q=" + "x" * 201,
                                            headers={"Referer": "/review/queue?status=all"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and '<html lang="ar" dir="rtl">' in page
    assert "قيمة غير مقبولة" in page and "longer than 200 characters" in page
    assert 'href="/review/queue?status=all"' in page  # back where the moderator came from
    page = moderator_browser.get("/review/comments/nope", lang="fr").get_data(as_text=True)
    assert "Introuvable" in page and "Retour" in page


def test_a_form_sent_after_logging_out_elsewhere_leads_to_the_login_page(site, queue_app,
                                                                          moderator_browser):
    site.submit("c-1", SUSPECT)
    token = moderator_browser.csrf()
    other_tab = Browser(queue_app.test_client())
    other_tab.client.set_cookie("session", moderator_browser.client.get_cookie("session").value)
    other_tab.post("/review/logout")
    response = moderator_browser.post("/review/comments/c-1/decision",
                                      {"decision": "approve", "csrf_token": token})
    assert response.status_code == 302 and response.location.endswith("/review/login")
    assert "انتهت جلستك" in html(moderator_browser.get("/review/login"))
    assert site.get("/v1/comments/c-1")[1]["status"] == "pending"


def test_thresholds_accept_a_decimal_comma_and_arabic_digits(admin_browser, admin):
    admin_browser.post("/review/settings/thresholds",
                       {"insult.review": "0,45", "religion.review": "٠٫٧"})
    assert admin.get("/v1/thresholds")[1]["overrides"] == {
        "insult": {"review": 0.45}, "religion": {"review": 0.7}}


def test_the_role_is_named_in_the_pages_language(moderator_browser):
    assert "(مشرف)" in html(moderator_browser.get("/review/queue"))


def test_an_empty_queue_offers_no_bulk_buttons_and_times_say_utc(site, moderator_browser):
    page = html(moderator_browser.get("/review/queue"))
    assert 'id="bulk-form"' not in page
    site.submit("c-1", SUSPECT)
    page = html(moderator_browser.get("/review/queue"))
    assert 'id="bulk-form"' in page and re.search(r"\d\d:\d\d UTC</time>", page)


@pytest.mark.parametrize("lang, title, back", [
    (None, "غير موجود", "العودة إلى قائمة الانتظار"),
    ("fr", "Introuvable", "Retour à la file d'attente"),
])
def test_an_unknown_address_answers_in_the_sessions_language_with_a_way_back(
        moderator_browser, lang, title, back):
    if lang:
        html(moderator_browser.get("/review/queue", lang=lang))  # chosen once, for the session
    response = moderator_browser.get("/review/nope")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    direction = "ltr" if lang == "fr" else "rtl"
    assert f'<html lang="{lang or "ar"}" dir="{direction}">' in page
    assert f"<h1>{title}</h1>" in page
    assert f'<a href="/review/queue">{back.replace(chr(39), "&#39;")}</a>' in page
    # The server's own words, kept whole in their own direction (the full stop at their end).
    assert re.search(r'<span dir="auto">404 Not Found\. The requested URL was not found', page)
    # No route matched, so the pages' own hook never ran: the app's gives the same headers.
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["Cache-Control"] == "no-store"


def test_a_get_on_a_forms_address_is_a_translated_405_that_keeps_its_allow_header(
        moderator_browser):
    response = moderator_browser.get("/review/logout", lang="fr")
    page = response.get_data(as_text=True)
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert '<html lang="fr" dir="ltr">' in page
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "Cette adresse ne s&#39;ouvre pas de cette façon" in page
    assert 'href="/review/queue"' in page


def test_api_errors_stay_json_whatever_the_session(moderator_browser):
    html(moderator_browser.get("/review/queue", lang="fr"))
    response = moderator_browser.client.get("/v1/nope", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.get_json() == {
        "code": 404, "message": "Not Found",
        "description": "The requested URL was not found on the server. If you entered the URL "
                       "manually please check your spelling and try again."}


def test_a_refused_keyword_stays_in_the_form_with_the_reason_above_it(admin_browser):
    typed = {"rule": "religion", "level": "denial", "term": "واحدة", "note": "من <الموقع>"}
    response = admin_browser.post("/review/keywords", typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="flash flash-warning form-error">قيمة غير مقبولة:' in page
    assert "&#39;term&#39; cannot be used" in page
    assert '<option value="religion" selected>' in page
    assert '<option value="denial" selected>' in page
    assert 'value="واحدة"' in page and 'value="من &lt;الموقع&gt;"' in page
    # A duplicate: 409, on the same page.
    added = {"rule": "insult", "level": "block", "term": "بخوش"}
    assert admin_browser.post("/review/keywords", added).status_code == 302
    response = admin_browser.post("/review/keywords", added)
    assert response.status_code == 409
    assert "موجود من قبل" in response.get_data(as_text=True)
    assert 'value="بخوش"' in response.get_data(as_text=True)


def test_a_refused_threshold_stays_in_the_form_with_the_reason_above_it(admin_browser, admin):
    response = admin_browser.post("/review/settings/thresholds",
                                  {"insult.review": "abc", "religion.reject": "0,9"}, )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "insult.review: not a number" in page
    assert 'name="insult.review" inputmode="decimal" size="6"\n            value="abc"' in page
    assert 'value="0,9"' in page
    assert admin.get("/v1/thresholds")[1]["overrides"] == {}


def file_row(page: str, term: str) -> str:
    """The row of the base lists' table that shows ``term``."""
    files = page[page.index('<table class="file-entries">'):]
    row = re.search(rf'<tr[^>]*><td>[^<]*</td><td>[^<]*</td><td dir="auto">{term}</td>.*?</tr>',
                    files, re.S)
    assert row, term
    return row.group(0)


def test_a_hidden_base_term_says_so_and_offers_its_override_not_a_second_hide(admin_browser):
    page = html(admin_browser.get("/review/keywords"))
    row = file_row(page, "حمار")
    assert 'name="action" value="remove"' in row
    # The hide asks first (review.js reads data-confirm), naming the term.
    assert 'data-confirm="إخفاء «حمار» من القائمة الأساسية؟' in row
    assert admin_browser.post("/review/keywords", {"rule": "insult", "level": "block",
                                                   "term": "حمار",
                                                   "action": "remove"}).status_code == 302
    for lang, hidden in (("ar", "مخفي"), ("fr", "masqué")):
        row = file_row(html(admin_browser.get("/review/keywords", lang=lang)), "حمار")
        assert 'class="hidden-term"' in row and f'<span class="term-state">{hidden}</span>' in row
        assert 'value="remove"' not in row
        override_id = re.search(r'action="/review/keywords/(\d+)/delete"', row).group(1)
        assert "data-confirm=" in row
    assert admin_browser.post(f"/review/keywords/{override_id}/delete").status_code == 302
    assert 'value="remove"' in file_row(html(admin_browser.get("/review/keywords")), "حمار")


def test_the_keywords_page_filters_by_rule_from_its_own_control(admin_browser):
    page = html(admin_browser.get("/review/keywords", rule="religion"))
    control = re.search(r'<form method="get" action="/review/keywords" class="filters">.*?</form>',
                        page, re.S)
    assert control and '<option value="religion" selected>' in control.group(0)
    assert '<option value="*">' in control.group(0)
    assert "نعل دين" in page and "مكلخ" not in page
    page = html(admin_browser.get("/review/keywords", rule="*"))
    assert "حمارة" in page and "نعل دين" not in page


def test_bulk_reject_asks_first_and_the_controls_speak_the_pages_language(site,
                                                                         moderator_browser):
    site.submit("c-1", SUSPECT)
    page = html(moderator_browser.get("/review/queue", lang="fr"))
    assert re.search(r'value="reject" class="reject" data-confirm="Rejeter tous les commentaires '
                     r'sélectionnés \?"', page)
    assert 'name="q" maxlength="200"' in page  # MAX_SEARCH_CHARS: no 422 page for a long one
    assert '<select name="sort" aria-label="Tri">' in page
    assert 'aria-label="sort"' not in page
    assert 'class="status badge-pending">En attente' in page


def test_threshold_fields_are_labelled_in_the_pages_language(admin_browser):
    page = html(admin_browser.get("/review/settings", lang="fr"))
    assert 'aria-label="Insulte: Seuil de revue"' in page
    assert 'aria-label="insult review"' not in page


def login_target(response) -> str:
    """Where the login page a response sends to will lead after logging in."""
    location = urlsplit(response.location)
    assert response.status_code == 302 and location.path == "/review/login"
    return parse_qs(location.query)["next"][0]


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page(site, queue_app,
                                                                     moderator_browser):
    site.submit("c-1", SUSPECT)
    site.submit("c-2", SUSPECT)
    token = moderator_browser.csrf()
    other_tab = Browser(queue_app.test_client())
    other_tab.client.set_cookie("session", moderator_browser.client.get_cookie("session").value)
    other_tab.post("/review/logout")
    target = "/review/queue?status=pending&rule=insult#c-c-2"
    response = moderator_browser.post("/review/comments/c-1/decision",
                                      {"decision": "approve", "csrf_token": token,
                                       "next": target})
    assert response.status_code == 302
    assert login_target(response) == target
    response = moderator_browser.post("/review/login", {"username": "mona",
                                                        "password": PASSWORD, "next": target})
    assert response.location == target
    # A form without a next (the keywords page's) comes back to the page it was sent from.
    moderator_browser.post("/review/logout")
    response = moderator_browser.client.post(
        "/review/keywords", data={"term": "x", "csrf_token": moderator_browser.csrf()},
        headers={"Referer": "http://localhost/review/keywords?rule=insult"})
    assert login_target(response) == "/review/keywords?rule=insult"
