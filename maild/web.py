"""The survey endpoint over HTTP: aiohttp serves the path of survey.public_url on survey.listen.

aiohttp parses the requests (headers, url-encoded and multipart forms) and caps their size, so no
HTTP is parsed by hand here; steps.survey.SurveyDesk decides every answer. Pages give nothing of
the server away: no version header, no traceback (aiohttp shows none outside its debug mode).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime
from typing import Callable
from urllib.parse import urlsplit

from aiohttp import web

from .config import SurveyConfig
from .errors import MaildError
from .steps.survey import Page, SurveyDesk

log = logging.getLogger(__name__)

MAX_FORM = 8 * 1024  # bytes of form data; more: 413
STOP_CHECK = 0.2  # seconds between looks at the stop flag


def survey_app(desk: SurveyDesk, path: str, now: Callable[[], datetime]) -> web.Application:
    app = web.Application(client_max_size=MAX_FORM)

    async def show(request: web.Request) -> web.Response:
        return _response(desk.show(request.query.get("token", ""), request.query.get("rating", ""), now()))

    async def answer(request: web.Request) -> web.Response:
        form = await request.post()  # over MAX_FORM: aiohttp answers 413
        token = str(form.get("token") or request.query.get("token", ""))
        return _response(desk.answer(token, str(form.get("rating", "")), str(form.get("suggestions", "")), now()))

    async def plain_server_header(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["Server"] = "maild"

    app.router.add_get(path, show)
    app.router.add_post(path, answer)
    app.on_response_prepare.append(plain_server_header)
    return app


def _response(page: Page) -> web.Response:
    return web.Response(status=page.status, text=page.html, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def serve(desk: SurveyDesk, survey: SurveyConfig, now: Callable[[], datetime], stop: threading.Event) -> None:
    """Answer on survey.listen until `stop` is set."""
    asyncio.run(_serve(desk, survey, now, stop))


async def _serve(desk: SurveyDesk, survey: SurveyConfig, now: Callable[[], datetime], stop: threading.Event) -> None:
    path = urlsplit(survey.public_url or "").path or "/"
    runner = web.AppRunner(survey_app(desk, path, now), access_log=None)
    await runner.setup()
    host, port = survey.address
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise MaildError(f"survey.listen: cannot listen on {survey.listen}: {exc.strerror or exc}") from exc
    log.info("survey endpoint on http://%s%s (survey.public_url %s)", survey.listen, path, survey.public_url)
    try:
        while not stop.is_set():
            await asyncio.sleep(STOP_CHECK)
    finally:
        await runner.cleanup()
