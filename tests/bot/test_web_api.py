"""The web chat's HTTP surface (bot/channels/web.py, served by bot/server.py), driven through
Starlette's TestClient and httpx.

Questions and button presses go through the real dialogue built by `bot.server.build_dialogue`
(with the session's already-loaded knowledge); the checks on validation, concurrency and
escaping use small stand-in dialogues so that they do not depend on what the bot answers.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import warnings
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package for its TestClient and warns when it falls
    # back to httpx, which the project depends on and which works the same here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from bot import server
from bot.channels import web
from bot.cli import main
from bot.messages import Button, Incoming, Link, Reply
from knowledge.base import Knowledge
from knowledge.handkept.model import KnowledgeError
from knowledge.handkept.schema import Problem

TEMPORARY_RESIDENCE_QUESTION = "đăng ký tạm trú cần giấy tờ gì"
SCRIPT = "<script>alert(1)</script>"


class Echo:
    """Answers every message with what it received, and keeps what it received."""

    def __init__(self) -> None:
        self.received: list[Incoming] = []

    def handle(self, incoming: Incoming) -> list[Reply]:
        self.received.append(incoming)
        said = incoming.text if incoming.text is not None else f"[{incoming.button}]"
        return [Reply(said, (Button("Có", "yes"),), (Link("Nguồn", "https://example.org/"),))]


class OneAtATime(Echo):
    """Echo that notes how many of one user's messages it ever handled at the same time."""

    def __init__(self) -> None:
        super().__init__()
        self.active: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}
        self.guard = threading.Lock()

    def handle(self, incoming: Incoming) -> list[Reply]:
        with self.guard:
            self.active[incoming.user] = self.active.get(incoming.user, 0) + 1
            self.most_at_once[incoming.user] = max(self.most_at_once.get(incoming.user, 0),
                                                   self.active[incoming.user])
        time.sleep(0.005)  # room for a second turn of the same user to start, were it allowed
        with self.guard:
            self.active[incoming.user] -= 1
        return super().handle(incoming)


class Broken:
    def handle(self, incoming: Incoming) -> list[Reply]:
        raise RuntimeError("a bug in a handler")


@pytest.fixture(scope="module")
def real_client(knowledge: Knowledge, tmp_path_factory: pytest.TempPathFactory):
    """The app over the real dialogue, as `python -m bot serve` builds it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Knowledge, "load", classmethod(lambda cls, *args, **kwargs: knowledge))
        dialogue = server.build_dialogue(tmp_path_factory.mktemp("web") / "bot.db")
    with TestClient(server.create_app(dialogue)) as client:
        yield client


@pytest.fixture
def echo() -> Echo:
    return Echo()


@pytest.fixture
def client(echo: Echo):
    with TestClient(server.create_app(echo)) as client:
        yield client


def assert_reply_shape(reply: object) -> None:
    assert isinstance(reply, dict)
    assert set(reply) == {"text", "buttons", "links"}
    assert isinstance(reply["text"], str) and reply["text"]
    for button in reply["buttons"]:
        assert set(button) == {"label", "payload"}
        assert all(isinstance(value, str) and value for value in button.values())
    for link in reply["links"]:
        assert set(link) == {"label", "url"}
        assert all(isinstance(value, str) and value for value in link.values())


# --- the page, its assets and the embed script ----------------------------------------------

def test_the_page_is_served_as_html_with_the_security_headers(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="vi">' in response.text
    assert 'name="viewport"' in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "frame-ancestors" in policy, "portals must be allowed to frame the chat"
    assert "x-frame-options" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("path", "content_type"), [
    ("/static/chat.js", "javascript"),
    ("/static/chat.css", "text/css"),
    ("/embed.js", "text/javascript"),
])
def test_scripts_and_styles_are_served_with_their_content_type(client: TestClient, path: str,
                                                               content_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert content_type in response.headers["content-type"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_page_loads_nothing_from_other_hosts(client: TestClient) -> None:
    page = client.get("/").text
    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert references, "the page refers to its script and stylesheet"
    for reference in references:
        assert "//" not in reference, f"{reference} is not served by the bot"
        assert client.get(f"/{reference}").status_code == 200


@pytest.mark.parametrize("name", ["chat.js", "embed.js"])
def test_the_scripts_never_insert_html(name: str) -> None:
    # Every text reaches the page through textContent, so markup in a message stays inert.
    source = (web.STATIC_DIR / name).read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, f"{name} uses {sink}"


def test_an_unknown_static_file_is_not_found(client: TestClient) -> None:
    assert client.get("/static/nothing-here.js").status_code == 404


def test_healthz_says_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# --- questions and button presses -----------------------------------------------------------

def test_a_question_gets_replies_in_the_documented_shape(real_client: TestClient) -> None:
    response = real_client.post("/api/chat", json={"user": "citizen-1",
                                                   "text": TEMPORARY_RESIDENCE_QUESTION})
    assert response.status_code == 200, response.text
    data = response.json()
    assert set(data) == {"replies"}
    assert data["replies"]
    for reply in data["replies"]:
        assert_reply_shape(reply)
    assert "tạm trú" in data["replies"][0]["text"]
    assert data["replies"][0]["buttons"], "an answer offers the next questions as buttons"


def test_a_follow_up_through_the_api_answers_the_last_procedure(real_client: TestClient) -> None:
    def say(text: str) -> list[dict]:
        response = real_client.post("/api/chat", json={"user": "follow-up", "text": text})
        assert response.status_code == 200
        return response.json()["replies"]

    say("đăng ký tạm trú")
    [duration, *_] = say("mất bao lâu")
    assert "Mã thủ tục: 1.004194" in duration["text"]
    assert "Thời hạn giải quyết" in duration["text"]
    [which] = real_client.post("/api/chat", json={"user": "new-citizen",
                                                   "text": "mất bao lâu"}).json()["replies"]
    assert "thủ tục nào" in which["text"]


def test_a_button_press_gets_replies_in_the_documented_shape(real_client: TestClient) -> None:
    first = real_client.post("/api/chat", json={"user": "citizen-2",
                                                "text": TEMPORARY_RESIDENCE_QUESTION}).json()
    button = first["replies"][0]["buttons"][0]
    response = real_client.post("/api/chat", json={"user": "citizen-2",
                                                   "button": button["payload"]})
    assert response.status_code == 200, response.text
    replies = response.json()["replies"]
    assert replies
    for reply in replies:
        assert_reply_shape(reply)
    assert replies[0]["text"] != first["replies"][0]["text"]


def test_a_forged_button_payload_gets_a_polite_reply(real_client: TestClient) -> None:
    response = real_client.post("/api/chat", json={"user": "citizen-3", "button": "no:such"})
    assert response.status_code == 200
    for reply in response.json()["replies"]:
        assert_reply_shape(reply)


def test_messages_reach_the_dialogue_as_web_messages(client: TestClient, echo: Echo) -> None:
    client.post("/api/chat", json={"user": "A_b-9", "text": "xin chào"})
    client.post("/api/chat", json={"user": "A_b-9", "button": "proc:1.004194:fee"})
    assert echo.received == [Incoming("web", "A_b-9", text="xin chào"),
                             Incoming("web", "A_b-9", button="proc:1.004194:fee")]


def test_unknown_fields_are_ignored(client: TestClient, echo: Echo) -> None:
    response = client.post("/api/chat", json={"user": "u1", "text": "chào", "lang": "vi"})
    assert response.status_code == 200
    assert echo.received == [Incoming("web", "u1", text="chào")]


def test_markup_in_a_message_comes_back_as_plain_json_data(client: TestClient) -> None:
    response = client.post("/api/chat", json={"user": "u1", "text": f"hỏi {SCRIPT}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.json()["replies"][0]["text"] == f"hỏi {SCRIPT}", "neither escaped nor cut"


def test_markup_in_a_question_to_the_real_bot_is_answered(real_client: TestClient) -> None:
    response = real_client.post("/api/chat", json={"user": "citizen-4", "text": SCRIPT})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    for reply in response.json()["replies"]:
        assert_reply_shape(reply)


def test_a_failing_dialogue_gets_a_json_error_not_a_crash() -> None:
    with TestClient(server.create_app(Broken()), raise_server_exceptions=False) as client:
        response = client.post("/api/chat", json={"user": "u1", "text": "xin chào"})
    assert response.status_code == 500
    assert response.json()["error"]


# --- malformed requests ---------------------------------------------------------------------

OVER_SIZE = json.dumps({"user": "u1", "text": "x" * web.MAX_BODY_BYTES}).encode()

MALFORMED: dict[str, bytes] = {
    "not JSON": b"xin chao",
    "empty body": b"",
    "not UTF-8": b'{"user": "u1", "text": "\xff\xfe"}',
    "JSON array": json.dumps([{"user": "u1", "text": "chào"}]).encode(),
    "JSON string": json.dumps("chào").encode(),
    "JSON null": b"null",
    "deeply nested JSON": b"[" * 5000 + b"]" * 5000,
    "missing user": json.dumps({"text": "chào"}).encode(),
    "empty user": json.dumps({"user": "", "text": "chào"}).encode(),
    "user not a string": json.dumps({"user": 42, "text": "chào"}).encode(),
    "user with a space": json.dumps({"user": "a b", "text": "chào"}).encode(),
    "user with a slash": json.dumps({"user": "../etc", "text": "chào"}).encode(),
    "user with a non-ASCII letter": json.dumps({"user": "người", "text": "chào"}).encode(),
    "user of 65 characters": json.dumps({"user": "u" * 65, "text": "chào"}).encode(),
    "both text and button": json.dumps({"user": "u1", "text": "chào", "button": "x"}).encode(),
    "neither text nor button": json.dumps({"user": "u1"}).encode(),
    "text a number": json.dumps({"user": "u1", "text": 5}).encode(),
    "text a list": json.dumps({"user": "u1", "text": ["chào"]}).encode(),
    "button an object": json.dumps({"user": "u1", "button": {"payload": "x"}}).encode(),
    "text with a lone surrogate": b'{"user": "u1", "text": "xin \\ud800 chao"}',
    "button with a lone surrogate": b'{"user": "u1", "button": "\\udfff"}',
    "over-size body": OVER_SIZE,
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_request_gets_400_with_a_clear_error(client: TestClient, echo: Echo,
                                                         body: bytes) -> None:
    response = client.post("/api/chat", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert isinstance(error, str) and len(error) > 10
    assert echo.received == [], "nothing malformed reaches the dialogue"


@pytest.mark.parametrize(("body", "words"), [
    (b"[]", "JSON object"),
    (json.dumps({"user": "a b", "text": "x"}).encode(), '"user"'),
    (json.dumps({"user": "u1"}).encode(), 'exactly one of "text" and "button"'),
    (json.dumps({"user": "u1", "text": 5}).encode(), '"text" must be a string'),
    (OVER_SIZE, f"at most {web.MAX_BODY_BYTES} bytes"),
])
def test_the_error_says_what_to_fix(client: TestClient, body: bytes, words: str) -> None:
    assert words in client.post("/api/chat", content=body).json()["error"]


def test_an_over_size_body_without_a_declared_length_is_refused(client: TestClient,
                                                                echo: Echo) -> None:
    def chunks():  # sent chunked, so only counting what arrives can catch it
        for start in range(0, len(OVER_SIZE), 1024):
            yield OVER_SIZE[start:start + 1024]

    response = client.post("/api/chat", content=chunks())
    assert response.status_code == 400
    assert "bytes" in response.json()["error"]
    assert echo.received == []


def test_a_body_at_the_size_limit_is_accepted(client: TestClient) -> None:
    head = json.dumps({"user": "u1", "text": ""}).encode()
    body = json.dumps({"user": "u1", "text": "x" * (web.MAX_BODY_BYTES - len(head))}).encode()
    assert len(body) == web.MAX_BODY_BYTES
    assert client.post("/api/chat", content=body).status_code == 200


def test_a_too_long_question_gets_a_polite_reply_from_the_bot(real_client: TestClient) -> None:
    response = real_client.post("/api/chat", json={"user": "citizen-6", "text": "x" * 5000})
    assert response.status_code == 200
    replies = response.json()["replies"]
    assert len(replies) == 1
    assert_reply_shape(replies[0])


def test_other_methods_on_the_api_are_not_allowed(client: TestClient) -> None:
    assert client.get("/api/chat").status_code == 405


# --- one user's messages, one at a time -----------------------------------------------------

async def post_many(app, user: str, count: int) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
        return await asyncio.gather(*(
            client.post("/api/chat", json={"user": user, "text": f"câu hỏi {number}"})
            for number in range(count)))


@pytest.mark.asyncio
@pytest.mark.parametrize("threadpool", [False, True], ids=["direct", "threadpool"])
async def test_concurrent_messages_of_one_user_are_all_answered_one_at_a_time(
        threadpool: bool) -> None:
    dialogue = OneAtATime()
    app = server.create_app(dialogue, threadpool=threadpool)
    responses = await post_many(app, "same-user", 12)
    assert [response.status_code for response in responses] == [200] * 12
    answered = sorted(response.json()["replies"][0]["text"] for response in responses)
    assert answered == sorted(f"câu hỏi {number}" for number in range(12))
    assert dialogue.most_at_once == {"same-user": 1}
    assert len(app.state.user_locks) == 0, "idle users' locks are dropped"


@pytest.mark.asyncio
async def test_concurrent_questions_of_one_user_to_the_real_bot_are_all_answered(
        real_client: TestClient) -> None:
    responses = await post_many(real_client.app, "citizen-5", 8)
    assert [response.status_code for response in responses] == [200] * 8
    for response in responses:
        for reply in response.json()["replies"]:
            assert_reply_shape(reply)


# --- python -m bot serve ---------------------------------------------------------------------

@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict:
    """What `serve` hands to uvicorn, without listening."""
    import uvicorn

    calls: dict = {}

    def build_dialogue(db: Path) -> Echo:
        calls["db"] = db
        return Echo()

    monkeypatch.setattr(server, "build_dialogue", build_dialogue)
    monkeypatch.setattr(server, "served_app", lambda dialogue, settings: ("app", dialogue))
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.update(app=app, **options))
    for name in ("BOT_HOST", "BOT_PORT", "BOT_DB"):
        monkeypatch.delenv(name, raising=False)
    return calls


def test_serve_listens_on_localhost_8080_by_default(served: dict) -> None:
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"], served["db"]) == ("127.0.0.1", 8080,
                                                              Path("var/bot.db"))
    assert "http://127.0.0.1:8080/" in result.stdout


def test_serve_takes_its_defaults_from_the_environment(served: dict,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_HOST", "0.0.0.0")
    monkeypatch.setenv("BOT_PORT", "9000")
    monkeypatch.setenv("BOT_DB", "/srv/bot.db")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"], served["db"]) == ("0.0.0.0", 9000,
                                                              Path("/srv/bot.db"))


def test_serve_options_win_over_the_environment(served: dict,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_PORT", "9000")
    result = CliRunner().invoke(main, ["serve", "--port", "8123", "--db", "x.db"])
    assert result.exit_code == 0, result.output
    assert (served["port"], served["db"]) == (8123, Path("x.db"))


def test_serve_with_invalid_knowledge_names_the_problems_and_exits_2(
        monkeypatch: pytest.MonkeyPatch) -> None:
    problem = Problem("knowledge/yaml/faq.yaml", 12, "answer", "must not be empty")

    def invalid(db: Path):
        raise KnowledgeError([problem])

    monkeypatch.setattr(server, "build_dialogue", invalid)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert "knowledge/yaml/faq.yaml:12: answer: must not be empty" in result.stderr
    assert "Traceback" not in result.output
