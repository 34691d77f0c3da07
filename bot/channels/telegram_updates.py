"""What a Telegram message means to the dialogue: commands, deep links, files.

Example:
    incoming_for_command("phananh", [], user="42")   # Incoming(button="menu:petition")
    incoming_for_command("start", ["proc_1_004222"], user="42")
                                                    # Incoming(button="proc:1.004222:overview")
    start_parameter("1.004222")                     # "proc_1_004222", for t.me/BOT?start=...

Commands map to what the dialogue already understands: a button payload where the main menu
has one (handlers/menu.py), otherwise a text such as "hủy". Telegram allows only A-Z, a-z,
0-9, "_" and "-" in a deep link's start parameter, so a procedure code's dots become "_".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from telegram import BotCommand, Message

from bot.messages import Incoming
from knowledge.nlu.aspects import ASPECTS, OVERVIEW

CHANNEL = "telegram"
PHOTO_MIME = "image/jpeg"  # Telegram re-encodes every photo it is sent as a JPEG


@dataclass(frozen=True)
class Command:
    name: str
    text: str | None = None
    button: str | None = None

    @property
    def description_key(self) -> str:
        """Its description in Telegram's command menu, in knowledge/locales/texts.yaml."""
        return f"telegram.command.{self.name}"


# In the order Telegram's command menu lists them.
COMMANDS: tuple[Command, ...] = (
    Command("start", text="/start"),
    Command("menu", text="menu"),
    Command("phananh", button="menu:petition"),
    Command("danhgia", button="menu:rate"),
    Command("theodoi", button="menu:news"),
    Command("help", text="/help"),
    Command("huy", text="hủy"),
)
COMMANDS_BY_NAME = {command.name: command for command in COMMANDS}

_PROCEDURE_START = re.compile(r"proc_(\d+)_(\d+)(?:_([a-z]+))?")


def bot_commands(text: Callable[[str], str]) -> list[BotCommand]:
    """The commands to register, described by `text` (e.g. HandKept.text)."""
    return [BotCommand(command.name, text(command.description_key)) for command in COMMANDS]


def start_parameter(code: str, aspect: str = OVERVIEW) -> str:
    """The deep-link start parameter that opens a procedure: https://t.me/BOT?start=..."""
    parameter = "proc_" + code.replace(".", "_")
    return parameter if aspect == OVERVIEW else f"{parameter}_{aspect}"


def payload_from_start_parameter(parameter: str) -> str | None:
    """The button payload a deep link stands for, or None if it names nothing known."""
    match = _PROCEDURE_START.fullmatch(parameter)
    if match:
        aspect = match.group(3) or OVERVIEW
        if aspect not in (*ASPECTS, OVERVIEW):
            return None
        return f"proc:{match.group(1)}.{match.group(2)}:{aspect}"
    command = COMMANDS_BY_NAME.get(parameter)
    return command.button if command else None


def incoming_for_command(name: str, args: list[str], user: str) -> Incoming:
    """The dialogue input for /name with its arguments (a deep link's parameter for /start)."""
    if name == "start" and args:
        payload = payload_from_start_parameter(args[0])
        if payload is not None:
            return Incoming(CHANNEL, user, button=payload)
    command = COMMANDS_BY_NAME.get(name)
    if command is None:
        return Incoming(CHANNEL, user, text=" ".join([f"/{name}", *args]))
    if command.button is not None:
        return Incoming(CHANNEL, user, button=command.button)
    return Incoming(CHANNEL, user, text=command.text)


def command_name(message: Message) -> str:
    """"start" for "/start@thutuc_bot proc_1_004222"."""
    first = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    return first.removeprefix("/").split("@", 1)[0].lower()


def attachments_of(message: Message) -> list[dict]:
    """The files of a message as the petition form keeps them; `ref` is Telegram's file_id,
    with which staff can fetch the file later (getFile)."""
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        return [{"name": f"anh_{photo.file_unique_id}.jpg", "mime": PHOTO_MIME,
                 "size": photo.file_size or 0, "ref": photo.file_id}]
    if message.document:
        document = message.document
        return [{"name": document.file_name or f"tep_{document.file_unique_id}",
                 "mime": document.mime_type or "application/octet-stream",
                 "size": document.file_size or 0, "ref": document.file_id}]
    return []


def incoming_for_other(message: Message, user: str) -> Incoming:
    """A message that is neither plain text nor a file: a shared contact gives its phone
    number (handy at the petition's contact step); anything else (a sticker, a voice note)
    reaches the dialogue as empty text and gets its polite "please type" reply."""
    if message.contact is not None:
        return Incoming(CHANNEL, user, text=message.contact.phone_number)
    return Incoming(CHANNEL, user, text=message.text or message.caption or "")
