"""The survey's web endpoint over real HTTP: a link's GET records nothing, a POST records the
answer, and forged, expired or replayed links, wrong ratings and oversized forms are answered as
the customer and the supervisor would expect."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from maild.web import serve

from .test_cli import maild
from .test_survey import SUPERVISOR, resolved_ticket, survey_app  # noqa: F401 - a fixture


def survey_links(app, clock, dovecot, smtp_sink) -> tuple[str, dict[str, str]]:
    number = resolved_ticket(app, clock, dovecot, smtp_sink)
    clock.advance(timedelta(hours=2))
    app.once()
    [survey] = smtp_sink.messages
    smtp_sink.clear()
    text = survey.message.get_body(("plain",)).get_content()
    links = [line.split("：", 1)[1].strip() for line in text.splitlines() if "http://" in line]
    return number, {parse_qs(urlsplit(link).query)["rating"][0]: link for link in links}


@pytest.fixture
def endpoint(survey_app) -> Iterator[None]:  # noqa: F811
    app, clock = survey_app
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(app.survey_desk(), app.config.survey, clock.now, stop))
    thread.start()
    wait_for_port(app.config.survey.address)
    yield
    stop.set()
    thread.join(timeout=10)


def wait_for_port(address: tuple[str, int]) -> None:
    import socket

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(address, timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {address}")


def http(url: str, form: dict[str, str] | None = None, raw: bytes | None = None) -> tuple[int, str, dict]:
    data = raw if raw is not None else urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def shown_survey(state_dir, number: str):
    return json.loads(maild(state_dir / "maild.toml", "show", number, "--json").stdout)["survey"]


def test_opening_a_link_shows_the_form_with_its_rating_and_records_nothing(survey_app, endpoint, dovecot,  # noqa: F811
                                                                           smtp_sink, state_dir) -> None:
    app, clock = survey_app
    number, links = survey_links(app, clock, dovecot, smtp_sink)
    status, page, headers = http(links["basically-satisfied"])
    assert status == 200 and number in page
    assert 'value="basically-satisfied" checked' in page and "<textarea" in page and 'method="post"' in page
    assert "基本满意" in page  # the customer's language
    assert headers["Server"] == "maild"
    assert shown_survey(state_dir, number) is None


def test_posting_the_form_records_the_answer_and_a_second_replaces_it(survey_app, endpoint, dovecot,  # noqa: F811
                                                                      smtp_sink, state_dir) -> None:
    app, clock = survey_app
    number, links = survey_links(app, clock, dovecot, smtp_sink)
    status, page, _ = http(links["satisfied"], {"rating": "satisfied", "suggestions": "响应很快"})
    assert status == 200 and "感谢" in page
    answer = shown_survey(state_dir, number)
    assert (answer["rating"], answer["suggestions"], answer["surveyed_by"]) == ("satisfied", "响应很快", "maild")
    clock.advance(timedelta(days=1))
    status, _, _ = http(links["satisfied"], {"rating": "basically-satisfied", "suggestions": "希望更快"})
    assert status == 200  # the same link again, within its life: the answer changes
    answer = shown_survey(state_dir, number)
    assert (answer["rating"], answer["suggestions"]) == ("basically-satisfied", "希望更快")


def test_an_unsatisfied_answer_by_link_tells_the_supervisor(survey_app, endpoint, dovecot, smtp_sink) -> None:  # noqa: F811
    app, clock = survey_app
    number, links = survey_links(app, clock, dovecot, smtp_sink)
    assert http(links["unsatisfied"], {"rating": "unsatisfied", "suggestions": "没人回电话"})[0] == 200
    app.once()
    [told] = smtp_sink.messages
    assert told.message["To"].addresses[0].addr_spec == SUPERVISOR
    assert "没人回电话" in told.message.get_body(("plain",)).get_content()


def test_a_forged_link_is_refused_on_get_and_post_and_records_nothing(survey_app, endpoint, dovecot,  # noqa: F811
                                                                      smtp_sink, state_dir) -> None:
    app, clock = survey_app
    number, links = survey_links(app, clock, dovecot, smtp_sink)
    token = parse_qs(urlsplit(links["satisfied"]).query)["token"][0]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    url = f"{app.config.survey.public_url}?{urlencode({'token': forged})}"
    get, page, _ = http(url)
    post, _, _ = http(url, {"rating": "unsatisfied", "suggestions": "x"})
    assert (get, post) == (403, 403)
    assert number not in page and "Traceback" not in page
    assert http(app.config.survey.public_url)[0] == 403  # no token at all
    assert shown_survey(state_dir, number) is None


def test_an_expired_link_is_gone_on_get_and_post(survey_app, endpoint, dovecot, smtp_sink, state_dir) -> None:  # noqa: F811
    app, clock = survey_app
    number, links = survey_links(app, clock, dovecot, smtp_sink)
    clock.advance(timedelta(seconds=app.config.survey.token_ttl))
    assert http(links["satisfied"])[0] == 410
    assert http(links["satisfied"], {"rating": "satisfied"})[0] == 410
    assert shown_survey(state_dir, number) is None


def test_an_unknown_rating_is_a_bad_request(survey_app, endpoint, dovecot, smtp_sink, state_dir) -> None:  # noqa: F811
    app, clock = survey_app
    number, links = survey_links(app, clock, dovecot, smtp_sink)
    status, page, _ = http(links["satisfied"], {"rating": "delighted"})
    assert status == 400 and "Traceback" not in page
    assert shown_survey(state_dir, number) is None


def test_more_than_8_kb_of_form_is_refused(survey_app, endpoint, dovecot, smtp_sink, state_dir) -> None:  # noqa: F811
    app, clock = survey_app
    number, links = survey_links(app, clock, dovecot, smtp_sink)
    status, page, _ = http(links["satisfied"], {"rating": "satisfied", "suggestions": "长" * 4000})
    assert status == 413 and "Traceback" not in page
    assert shown_survey(state_dir, number) is None


def test_maild_serve_runs_the_endpoint_and_judges_expiry_at_now(survey_app, dovecot, smtp_sink,  # noqa: F811
                                                                  state_dir) -> None:
    app, clock = survey_app
    number, links = survey_links(app, clock, dovecot, smtp_sink)
    config = state_dir / "maild.toml"
    for now, expected in ((clock.now() + timedelta(days=13), 200), (clock.now() + timedelta(days=15), 410)):
        server = subprocess.Popen([sys.executable, "-m", "maild", "-c", str(config), "--now", now.isoformat(), "serve"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_port(app.config.survey.address)
            assert http(links["satisfied"])[0] == expected
        finally:
            server.terminate()
            assert server.wait(timeout=10) == 0
    assert shown_survey(state_dir, number) is None
