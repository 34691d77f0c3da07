"""A petition (phản ánh, kiến nghị): consent, content, optional details, who to answer, confirm.

It ends with a ticket code (PA-2026-000123), committed to the store before the citizen is told
it, and the date by which the agency answers, counted in working days.
"""

from __future__ import annotations

import re

from bot.messages import Button, Reply
from bot.vocabulary import PROCEDURE, VIETNAM
from bot.working_days import default_calendar
from handlers.context import Context
from handlers.forms import Form, Invalid, Step, choice
from handlers.intents import answers
from knowledge.nlu.understand import Understander, Understanding

MIN_CONTENT_CHARS = 15
MAX_SHORT_FIELD_CHARS = 200
MAX_NAME_CHARS = 80
# Channels that can carry files; the web chat cannot yet, so it is not asked for them there.
ATTACHMENT_CHANNELS = frozenset({"telegram", "zalo"})
ATTACHMENT_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5

_MOBILE_RE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
_NAME_RE = re.compile(r"^[^\W\d_]+(?:[ .'-][^\W\d_]+)*$")


def normalize_mobile(text: str) -> str | None:
    """'0912 345 678', '+84 912.345.678' -> '0912345678'; None if not a Vietnamese mobile."""
    digits = re.sub(r"[\s.\-()]", "", text)
    match = _MOBILE_RE.match(digits)
    return f"0{match.group(1)}" if match else None


def _accept_consent(ctx: Context, answer: str) -> bool:
    command = ctx.topics.command(answer)
    if answer == "yes" or command == "yes":
        return True
    raise Invalid("petition.consent_needed")


def _accept_content(ctx: Context, answer: str) -> str:
    if len(answer) < MIN_CONTENT_CHARS:
        raise Invalid("petition.content_too_short", min=MIN_CONTENT_CHARS)
    return answer


def _accept_short(ctx: Context, answer: str) -> str:
    if len(answer) > MAX_SHORT_FIELD_CHARS:
        raise Invalid("form.too_long", max=MAX_SHORT_FIELD_CHARS)
    return answer


def _accept_attachments(ctx: Context, answer: str) -> list[dict]:
    files = ctx.incoming.extras.get("attachments") or []
    if not files:
        raise Invalid("petition.attachment_expected")
    if len(files) > MAX_ATTACHMENTS:
        raise Invalid("petition.attachment_too_many", max=MAX_ATTACHMENTS)
    for item in files:
        if item.get("mime") not in ATTACHMENT_TYPES:
            raise Invalid("petition.attachment_type")
        if int(item.get("size") or 0) > MAX_ATTACHMENT_BYTES:
            raise Invalid("petition.attachment_size", mb=MAX_ATTACHMENT_BYTES // (1024 * 1024))
    return [dict(item) for item in files]


def _accept_name(ctx: Context, answer: str) -> str:
    name = " ".join(answer.split())
    if not 2 <= len(name) <= MAX_NAME_CHARS or not _NAME_RE.match(name):
        raise Invalid("petition.name_invalid")
    return name


def _accept_contact(ctx: Context, answer: str) -> dict:
    mobile = normalize_mobile(answer)
    if mobile:
        return {"phone": mobile, "email": None}
    if _EMAIL_RE.match(answer) and len(answer) <= MAX_SHORT_FIELD_CHARS:
        return {"phone": None, "email": answer}
    raise Invalid("petition.contact_invalid")


def _accept_send(ctx: Context, answer: str) -> bool:
    if answer == "send" or ctx.topics.command(answer) == "yes":
        return True
    raise Invalid("form.press_a_button")


def _summary(ctx: Context, data: dict) -> str:
    none = ctx.t("petition.none")
    contact = data.get("contact") or {}
    return ctx.t(
        "petition.summary",
        content=data.get("content", ""),
        agency=data.get("agency") or none,
        place=data.get("place") or none,
        procedure=data.get("procedure") or none,
        attachments=len(data.get("attachments") or []),
        name=data.get("name", ""),
        contact=contact.get("phone") or contact.get("email") or "",
    )


def _finish(ctx: Context, data: dict) -> list[Reply]:
    today = ctx.now.astimezone(VIETNAM).date()
    due = default_calendar().add_working_days(today, ctx.settings.petition_answer_working_days)
    contact = data["contact"]
    petition = ctx.store.create_petition(
        ctx.channel, ctx.user,
        content=data["content"], name=data["name"], phone=contact["phone"],
        email=contact["email"], agency=data.get("agency"), place=data.get("place"),
        procedure_code=_procedure_code(ctx, data.get("procedure")),
        attachments=data.get("attachments") or [], due_date=due, now=ctx.now)
    ctx.store.set_consent(ctx.channel, ctx.user, now=ctx.now)
    text = ctx.t("petition.sent", code=petition.code, due=due.strftime("%d/%m/%Y"))
    return [Reply(text, (Button(ctx.t("menu.mine"), "menu:mine"),
                         Button(ctx.t("menu.button"), "menu")))]


def _procedure_code(ctx: Context, text: str | None) -> str | None:
    """The procedure the citizen named, if the bot recognises it surely."""
    if not text:
        return None
    understanding = Understander(ctx.knowledge).understand(text)
    if understanding.intent == PROCEDURE and understanding.procedure is not None:
        return understanding.procedure.code
    return None


def _text(key: str):
    return lambda ctx, data: ctx.t(key)


PETITION = Form(
    name="petition",
    steps=(
        Step("consent", _text("petition.privacy"), _accept_consent,
             choices=lambda ctx, data: (Button(ctx.t("petition.agree"), choice("yes")),),
             free_text=True, declined_key="petition.consent_declined"),
        Step("content", _text("petition.ask_content"), _accept_content, prose=True),
        Step("agency", _text("petition.ask_agency"), _accept_short, optional=True, prose=True),
        Step("place", _text("petition.ask_place"), _accept_short, optional=True, prose=True),
        Step("procedure", _text("petition.ask_procedure"), _accept_short, optional=True,
             prose=True),
        Step("attachments", _text("petition.ask_attachments"), _accept_attachments,
             optional=True, applies=lambda ctx, data: ctx.channel in ATTACHMENT_CHANNELS),
        Step("name", _text("petition.ask_name"), _accept_name),
        Step("contact", _text("petition.ask_contact"), _accept_contact),
        Step("confirm", _summary, _accept_send,
             choices=lambda ctx, data: (Button(ctx.t("petition.send"), choice("send")),)),
    ),
    finish=_finish,
    cancelled_key="petition.cancelled",
    label_key="form.name.petition",
)


@answers("complaint")
def start(ctx: Context, understanding: Understanding) -> list[Reply]:
    return [Reply(ctx.t("complaint_intro")), *PETITION.start(ctx)]
