"""`python -m bot staff ...`: staff accounts, managed on the server.

Examples:
    python -m bot staff add lan.nguyen --name "Nguyễn Thị Lan" --role officer \\
        --agency "UBND phường An Bình"            # asks for the password twice
    python -m bot staff list
    python -m bot staff passwd lan.nguyen
    python -m bot staff unlock lan.nguyen
    python -m bot staff disable lan.nguyen
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.staff.accounts import ROLES, AccountError, Accounts
from bot.staff.audit import AuditLog
from bot.staff.passwords import MIN_LENGTH, WeakPasswordError

DB_OPTION = click.option("--db", envvar="BOT_DB", type=click.Path(dir_okay=False,
                         path_type=Path), default=Path("var/bot.db"), show_default=True,
                         show_envvar=True, help="The SQLite database.")
PASSWORD_OPTION = click.option(
    "--password", envvar="STAFF_PASSWORD", prompt=True, hide_input=True,
    confirmation_prompt=True, help=f"At least {MIN_LENGTH} characters (asked if not given).")


def _accounts(db: Path) -> tuple[Accounts, AuditLog]:
    from bot.storage import Store

    store = Store(db)
    return Accounts(store), AuditLog(store)


@click.group()
def staff() -> None:
    """Manage the accounts of the officers who use the staff pages (/staff)."""


@staff.command()
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The officer's full name.")
@click.option("--role", type=click.Choice(ROLES), default="officer", show_default=True,
              help="viewer reads; officer also works petitions; admin also manages accounts.")
@click.option("--agency", help="The agency the officer works for.")
@PASSWORD_OPTION
@DB_OPTION
def add(username: str, display_name: str, role: str, agency: str | None, password: str,
        db: Path) -> None:
    """Create a staff account.

    Example: python -m bot staff add lan.nguyen --name "Nguyễn Thị Lan" --role officer
    """
    accounts, audit = _accounts(db)
    try:
        account = accounts.add(username, display_name, role, password, agency)
    except (AccountError, WeakPasswordError) as error:
        raise click.ClickException(str(error)) from error
    audit.record(None, "account.add", target=account.username,
                 details={"role": role, "by": "command line"})
    click.echo(f"created {account.username} ({account.role})")


@staff.command(name="list")
@DB_OPTION
def list_accounts(db: Path) -> None:
    """List the staff accounts."""
    accounts, _ = _accounts(db)
    for account in accounts.all():
        state = "active" if account.active else "disabled"
        click.echo(f"{account.username}\t{account.role}\t{state}\t{account.display_name}\t"
                   f"{account.agency or ''}")


@staff.command()
@click.argument("username")
@PASSWORD_OPTION
@DB_OPTION
def passwd(username: str, password: str, db: Path) -> None:
    """Set a new password (ends the account's open sessions, lifts a lock)."""
    _change(db, username, "account.password", lambda a: a.set_password(username, password))


@staff.command()
@click.argument("username")
@DB_OPTION
def unlock(username: str, db: Path) -> None:
    """Lift the lock after too many failed log-ins."""
    _change(db, username, "account.unlock", lambda a: a.unlock(username))


@staff.command()
@click.argument("username")
@DB_OPTION
def disable(username: str, db: Path) -> None:
    """Stop an account from logging in (ends its open sessions)."""
    _change(db, username, "account.disable", lambda a: a.set_active(username, False))


@staff.command()
@click.argument("username")
@DB_OPTION
def enable(username: str, db: Path) -> None:
    """Let a disabled account log in again."""
    _change(db, username, "account.enable", lambda a: a.set_active(username, True))


def _change(db: Path, username: str, action: str, change) -> None:
    accounts, audit = _accounts(db)
    try:
        change(accounts)
    except (AccountError, WeakPasswordError) as error:
        raise click.ClickException(str(error)) from error
    audit.record(None, action, target=username.strip().lower(),
                 details={"by": "command line"})
    click.echo(f"{action.split('.')[1]}: {username}")
