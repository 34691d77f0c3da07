"""PTB's requests over aiohttp (bot/channels/telegram_http.py), against small local servers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram_http import AiohttpRequest


async def _echo(request: web.Request) -> web.Response:
    """Answers with what it was sent: method, content type and the body as it read it."""
    if request.content_type == "multipart/form-data":
        parts = {}
        async for part in await request.multipart():
            content = await part.read()
            parts[part.name] = {"filename": part.filename, "content_type":
                                part.headers.get("Content-Type"),
                                "content": content.decode("utf-8", "replace")}
        body = parts
    else:
        body = (await request.read()).decode("utf-8")
    return web.json_response({"method": request.method, "content_type": request.content_type,
                              "user_agent": request.headers.get("User-Agent"), "body": body})


async def _never_answers(request: web.Request) -> web.Response:
    await asyncio.sleep(3)
    return web.Response()


@pytest_asyncio.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/echo", _echo)
    app.router.add_route("*", "/slow", _never_answers)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest_asyncio.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(connection_pool_size=2, read_timeout=0.5)
    await request.initialize()
    yield request
    await request.shutdown()


def _data(**parameters) -> RequestData:
    return RequestData([RequestParameter.from_input(name, value)
                        for name, value in parameters.items()])


@pytest.mark.asyncio
async def test_parameters_go_as_one_utf8_json_body(server, request_) -> None:
    keyboard = {"inline_keyboard": [[{"text": "Phí, lệ phí", "callback_data": "proc:1:fee"}]]}

    status, content = await request_.do_request(
        f"{server}/echo", "POST", _data(chat_id=42, text="Lệ phí đăng ký tạm trú",
                                        reply_markup=keyboard))

    echoed = json.loads(content)
    assert status == 200
    assert echoed["content_type"] == "application/json"
    assert json.loads(echoed["body"]) == {"chat_id": 42, "text": "Lệ phí đăng ký tạm trú",
                                          "reply_markup": keyboard}
    assert "Lệ phí" in echoed["body"]  # not \u-escaped: half the bytes for Vietnamese
    assert echoed["user_agent"].startswith("python-telegram-bot")


@pytest.mark.asyncio
async def test_files_go_as_multipart_form_data(server, request_) -> None:
    document = InputFile(b"%PDF-1.4 don", filename="don-phan-anh.pdf")

    status, content = await request_.do_request(f"{server}/echo", "POST",
                                                _data(chat_id=42, document=document))

    echoed = json.loads(content)
    assert status == 200 and echoed["content_type"] == "multipart/form-data"
    assert echoed["body"]["chat_id"]["content"] == "42"
    assert echoed["body"]["document"] == {"filename": "don-phan-anh.pdf",
                                          "content_type": "application/pdf",
                                          "content": "%PDF-1.4 don"}


@pytest.mark.asyncio
async def test_a_get_without_parameters_is_sent_bare(server, request_) -> None:
    status, content = await request_.do_request(f"{server}/echo", "GET")

    assert status == 200 and json.loads(content)["method"] == "GET"


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_server_that_does_not_answer_in_time_is_a_time_out(server, request_) -> None:
    with pytest.raises(TimedOut):
        await request_.do_request(f"{server}/slow", "POST", _data(chat_id=1))


@pytest.mark.slow
@pytest.mark.asyncio
async def test_a_timeout_given_for_one_call_wins_over_the_default(server) -> None:
    request = AiohttpRequest(read_timeout=30)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await asyncio.wait_for(request.do_request(f"{server}/slow", "POST",
                                                      read_timeout=0.3), timeout=5)
    finally:
        await request.shutdown()


@pytest.mark.asyncio
async def test_a_server_that_is_not_there_is_a_network_error(request_) -> None:
    with pytest.raises(NetworkError, match="aiohttp"):
        await request_.do_request("http://127.0.0.1:9/bot1/getMe", "POST")


@pytest.mark.asyncio
async def test_it_must_be_initialized_and_can_be_reopened(server) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request(f"{server}/echo", "GET")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # twice is harmless, as PTB may do on the way out
    await request.initialize()
    try:
        assert (await request.do_request(f"{server}/echo", "GET"))[0] == 200
    finally:
        await request.shutdown()
