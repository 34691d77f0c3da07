"""`python -m bot staff ...` manages accounts on the server."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.staff.accounts import Accounts
from bot.storage import Store

PASSWORD = "mật khẩu thử nghiệm"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, ["staff", *args], input=input)


def test_add_asks_for_the_password_twice_and_creates_the_account(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    result = run("add", "lan.nguyen", "--name", "Nguyễn Thị Lan", "--role", "officer",
                 "--agency", "UBND phường An Bình", "--db", str(db),
                 input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    with Store(db) as store:
        accounts = Accounts(store)
        account = accounts.get("lan.nguyen")
        assert account.role == "officer" and account.agency == "UBND phường An Bình"
        assert accounts.authenticate("lan.nguyen", PASSWORD).reason == "ok"
    listed = run("list", "--db", str(db))
    assert "lan.nguyen\tofficer\tactive\tNguyễn Thị Lan" in listed.output


def test_add_refuses_a_short_password_and_a_taken_name_clearly(tmp_path: Path) -> None:
    db = str(tmp_path / "bot.db")
    short = run("add", "lan", "--name", "Lan", "--password", "ngắn", "--db", db)
    assert short.exit_code == 1 and "at least 10 characters" in short.output

    assert run("add", "lan", "--name", "Lan", "--password", PASSWORD, "--db", db).exit_code == 0
    again = run("add", "lan", "--name", "Lan", "--password", PASSWORD, "--db", db)
    assert again.exit_code == 1 and "already an account" in again.output


def test_disable_unlock_and_passwd_change_the_account(tmp_path: Path) -> None:
    db = str(tmp_path / "bot.db")
    run("add", "lan", "--name", "Lan", "--password", PASSWORD, "--db", db)

    assert run("disable", "lan", "--db", db).exit_code == 0
    with Store(db) as store:
        assert not Accounts(store).get("lan").active
    assert run("enable", "lan", "--db", db).exit_code == 0
    assert run("passwd", "lan", "--password", "một mật khẩu mới", "--db", db).exit_code == 0
    with Store(db) as store:
        assert Accounts(store).authenticate("lan", "một mật khẩu mới").reason == "ok"
    missing = run("unlock", "nobody", "--db", db)
    assert missing.exit_code == 1 and "no account" in missing.output
