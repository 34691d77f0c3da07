"""Command line: `python -m bot COMMAND`.

Examples:
    python -m bot ask "lam can cuoc o dau"
    python -m bot ask --json "khai sinh mất bao lâu"
    printf 'tam tru online\\nxin so do\\n' | python -m bot ask --jsonl
    python -m bot eval ../shared/eval/dev-questions.yaml
    python -m bot chat
    python -m bot serve --port 8080
    python -m bot kb import ../shared/data/national-procedures.jsonl.gz
    python -m bot kb check
    python -m bot staff add lan.nguyen --name "Nguyễn Thị Lan" --role officer
    python -m bot report --period 2026-Q1 --xlsx bao-cao-quy-1.xlsx
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from bot.broadcast.cli import broadcast
from bot.config import Settings
from bot.report_cli import report
from bot.staff.cli import staff
from knowledge.handkept.model import KNOWLEDGE_DIR, KnowledgeError


def _load_dialogue():
    """The dialogue over the committed knowledge, or a clear message and exit 2 if invalid."""
    from bot.dialogue import offline_dialogue
    from knowledge.base import Knowledge

    try:
        return offline_dialogue(Knowledge.load())
    except KnowledgeError as error:
        raise click.ClickException(f"the knowledge files are invalid:\n{error}") from error
    except FileNotFoundError as error:
        raise click.ClickException(
            f"{error.filename} is missing: run `python -m bot kb import PATH` first") from error


@click.group()
def main() -> None:
    """A chatbot that guides citizens through Vietnamese administrative procedures."""


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--jsonl", is_flag=True,
              help="Read one message a line on stdin, an empty line starting a new citizen; "
                   "print JSON lines.")
def ask(question: str | None, as_json: bool, jsonl: bool) -> None:
    """Print the answer a citizen would get to QUESTION.

    Example: python -m bot ask "dang ky tam tru het bao nhieu tien"
    """
    from bot.answers import turn_to_dict

    dialogue = _load_dialogue()
    if jsonl:
        # The lines are one citizen's messages, read in turn as a conversation; an empty
        # line starts the next citizen.
        citizen = 1
        for line in sys.stdin:
            text = line.rstrip("\n")
            if not text.strip():
                citizen += 1
                continue
            turn = dialogue.ask(text, user=f"cli-{citizen}")
            click.echo(json.dumps(turn_to_dict(turn), ensure_ascii=False))
        return
    if question is None:
        raise click.UsageError("give a QUESTION, or --jsonl to read questions from stdin")
    turn = dialogue.ask(question)
    if as_json:
        click.echo(json.dumps(turn_to_dict(turn), ensure_ascii=False, indent=2))
        return
    for reply in turn.replies:
        click.echo(reply.text)
        for link in reply.links:
            click.echo(f"🔗 {link.label}: {link.url}")
        for number, button in enumerate(reply.buttons, 1):
            click.echo(f"  [{number}] {button.label}")
        click.echo()


@main.command(name="eval")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--misses", is_flag=True, help="Also list the questions answered wrongly.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate_command(path: Path, misses: bool, as_json: bool) -> None:
    """Score the bot on a question file in the format of shared/eval/dev-questions.yaml;
    conversations in it (items with `turns`) are played through the dialogue, a citizen each.

    Example: python -m bot eval ../shared/eval/dev-questions.yaml --misses
    """
    from bot.evaluation import evaluate, evaluate_conversations, load_eval_file

    dialogue = _load_dialogue()
    try:
        loaded = load_eval_file(path)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    question_report = conversation_report = None
    if loaded.questions or not loaded.conversations:
        question_report = evaluate(loaded.questions, dialogue.understander.understand)
    if loaded.conversations:
        citizens = iter(range(1, 1_000_000_000))

        def new_citizen():
            user = f"eval-{next(citizens)}"
            return lambda text: dialogue.ask(text, user=user).understanding

        conversation_report = evaluate_conversations(loaded.conversations, new_citizen)
    reports = [r for r in (question_report, conversation_report) if r is not None]
    if as_json:
        data = question_report.to_dict() if question_report else {}
        if conversation_report:
            data["conversations"] = conversation_report.to_dict()
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo("\n\n".join(report.table() for report in reports))
    if misses:
        for report in reports:
            click.echo("\nMisses (as written):")
            for line in report.groups["as written"].misses:
                click.echo(f"  {line}")


@main.command()
def chat() -> None:
    """Chat with the bot in the terminal; type a button's number to press it, 'q' to quit."""
    from bot.terminal_chat import run_terminal_chat

    run_terminal_chat(_load_dialogue())


@main.command()
@click.option("--host", envvar="BOT_HOST", default="127.0.0.1", show_default=True,
              show_envvar=True, help="Address to listen on.")
@click.option("--port", envvar="BOT_PORT", type=click.IntRange(0, 65535), default=8080,
              show_default=True, show_envvar=True, help="Port to listen on.")
@click.option("--db", envvar="BOT_DB", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("var/bot.db"), show_default=True, show_envvar=True,
              help="The SQLite database.")
@click.option("--workers", envvar="BOT_WORKERS", type=click.IntRange(1, 64), default=1,
              show_default=True, show_envvar=True,
              help="Processes serving requests; they share the database (WAL).")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log every request.")
def serve(host: str, port: int, db: Path, workers: int, access_log: bool) -> None:
    """Serve the web chat at / and its JSON API at POST /api/chat.

    The knowledge is loaded before the server listens, so the first citizen does not wait.

    Example: python -m bot serve --port 8080 --db var/bot.db
    """
    import uvicorn

    from bot.server import build_dialogue, served_app

    try:
        dialogue = build_dialogue(db)
    except KnowledgeError as error:
        click.echo(f"the knowledge files are invalid:\n{error}", err=True)
        sys.exit(2)
    except FileNotFoundError as error:
        click.echo(f"{error.filename} is missing: run `python -m bot kb import PATH` first",
                   err=True)
        sys.exit(2)
    except ValueError as error:  # a malformed setting in the environment, named
        click.echo(str(error), err=True)
        sys.exit(2)
    from bot.channel_plan import check_channels, plan_channels

    settings = replace(Settings.from_env(), db_path=db)
    problems = check_channels(settings, workers)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(2)
    plan = plan_channels(settings, workers)
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"Web chat at http://{shown_host}:{port}/ (Ctrl+C to stop)")
    if plan.telegram:
        click.echo("Telegram: " + ("webhook " + plan.telegram_webhook_url
                                   if plan.telegram_webhook_url else "polling"))
    if plan.zalo:
        click.echo("Zalo OA: webhook on /webhooks/zalo")
    options = dict(host=host, port=port, log_level="info", access_log=access_log)
    click.echo(f"Staff pages at http://{shown_host}:{port}/staff/ (accounts: "
               "python -m bot staff add)")
    if workers == 1:
        uvicorn.run(served_app(dialogue, settings), **options)
        return
    # Each worker process builds its own app from the environment; the check above has
    # already shown that the knowledge and settings are valid.
    os.environ["BOT_DB"] = str(db)
    uvicorn.run("bot.server:app_from_environment", factory=True, workers=workers, **options)


@main.group()
def kb() -> None:
    """Import and check the knowledge files."""


@kb.command(name="import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the records (default: knowledge/data/procedures.jsonl.gz).")
def kb_import(source: Path, dest: Path | None) -> None:
    """Turn the national procedure records into the project's knowledge file.

    Example: python -m bot kb import ../shared/data/national-procedures.jsonl.gz
    """
    from knowledge.catalog import DEFAULT_PROCEDURES_PATH
    from knowledge.importer.run import import_records

    try:
        report = import_records(source, dest or DEFAULT_PROCEDURES_PATH)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(report.format())


@kb.command(name="check")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=KNOWLEDGE_DIR, help="The knowledge folder to check.")
def kb_check(root: Path) -> None:
    """Validate the hand-kept YAML against its schema; list every problem with file and line.

    Example: python -m bot kb check
    """
    from knowledge.catalog import DEFAULT_PROCEDURES_PATH
    from knowledge.handkept.check import check_knowledge

    problems = [str(problem) for problem in check_knowledge(root)]
    if root == KNOWLEDGE_DIR and not DEFAULT_PROCEDURES_PATH.exists():
        problems.append(f"{DEFAULT_PROCEDURES_PATH}: missing; run `python -m bot kb import`")
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in the knowledge files")
    click.echo("knowledge OK")


main.add_command(staff)
main.add_command(report)
main.add_command(broadcast)

