"""A staff site over a fresh database, and officers to log in with."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from bot.citizen_messages import CitizenMessenger
from bot.config import Settings
from bot.staff import passwords
from bot.staff.app import staff_mount
from bot.staff.petition_pages import petition_routes
from bot.staff.petitions import PetitionDesk
from bot.staff.site import StaffSite
from bot.storage import Store
from knowledge.base import Knowledge
from tests.bot.staff.petition_support import NOW, Calendar
from tests.support.senders import Sender

PASSWORD = "mật khẩu thử nghiệm"
# scrypt's real cost (16 MB, ~40 ms a hash) is checked by test_auth; elsewhere the staff
# tests hash and verify hundreds of times, at a cost that keeps them quick.
TEST_SCRYPT_N = 2**10
_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def quick_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "real_password_cost" not in request.keywords:
        monkeypatch.setattr(passwords, "N", TEST_SCRYPT_N)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "bot.db") as store:
        yield store


@pytest.fixture
def site(store: Store) -> StaffSite:
    site = StaffSite(store, replace(Settings.from_env({}), db_path=Path(store.path)),
                     login_delay_base=0)
    site.accounts.add("admin", "Quản trị viên", "admin", PASSWORD)
    site.accounts.add("lan", "Nguyễn Thị Lan", "officer", PASSWORD, agency="UBND phường An Bình")
    site.accounts.add("minh", "Trần Văn Minh", "viewer", PASSWORD)
    return site


@pytest.fixture
def client(site: StaffSite) -> TestClient:
    return TestClient(Starlette(routes=[staff_mount(site)]))


def csrf_of(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD):
    token = csrf_of(client.get("/staff/login").text)
    return client.post("/staff/login", data={"username": username, "password": password,
                                             "csrf_token": token}, follow_redirects=False)


def csrf(client: TestClient, page: str = "/staff/accounts") -> str:
    """The CSRF token of the logged-in session, read from any page with a form."""
    return csrf_of(client.get(page).text)


@pytest.fixture
def senders() -> dict[str, Sender]:
    """Telegram and Zalo senders that deliver; the web chat needs none (its page fetches)."""
    return {"telegram": Sender(), "zalo": Sender()}


@pytest.fixture
def desk(store: Store, knowledge: Knowledge, senders: dict[str, Sender]) -> PetitionDesk:
    """The petition desk on Wednesday 25/11/2026, weekends off."""
    messenger = CitizenMessenger(store, senders, clock=lambda: NOW)
    return PetitionDesk(store, knowledge, messenger, Calendar(), clock=lambda: NOW)


@pytest.fixture
def desk_client(site: StaffSite, desk: PetitionDesk) -> TestClient:
    """The staff site with the petition pages over `desk`."""
    return TestClient(Starlette(routes=[staff_mount(
        site, functools.partial(petition_routes, desk=desk))]))
