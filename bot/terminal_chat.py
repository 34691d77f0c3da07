"""A chat in the terminal, for trying the bot without any channel."""

from __future__ import annotations

import click

from bot.dialogue import Dialogue, Turn
from bot.messages import Incoming


def _show(turn: Turn) -> list[str]:
    """Prints the replies; returns the button payloads in the order they were numbered."""
    payloads: list[str] = []
    for reply in turn.replies:
        click.echo(click.style(reply.text, fg="cyan"))
        for link in reply.links:
            click.echo(f"  🔗 {link.label}: {link.url}")
        for button in reply.buttons:
            payloads.append(button.payload)
            click.echo(f"  [{len(payloads)}] {button.label}")
    return payloads


def run_terminal_chat(dialogue: Dialogue) -> None:
    click.echo("Gõ câu hỏi (hoặc số của một nút); 'q' để thoát.")
    payloads: list[str] = []
    while True:
        try:
            line = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if line.lower() in {"q", "quit", "exit", "thoat", "thoát"}:
            return
        if not line:
            continue
        if line.isdigit() and 1 <= int(line) <= len(payloads):
            payloads = _show(dialogue.turn(Incoming("terminal", "local",
                                                    button=payloads[int(line) - 1])))
        else:
            payloads = _show(dialogue.turn(Incoming("terminal", "local", text=line)))
