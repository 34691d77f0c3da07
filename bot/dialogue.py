"""The dialogue core: a message or a button press in, replies out, for any channel.

Order of precedence for a message: guards (empty, too long, flood), then things that work
anywhere (a ticket code, "xóa dữ liệu của tôi", "menu"), then the form in progress if there is
one, then what the message means (knowledge/nlu/understand.py) and that intent's handler. Session
state and everything acknowledged to the citizen live in the store, committed before the reply
is returned.
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.messages import Button, Incoming, Reply
from bot.storage import Store
from handlers import (
    contacts,
    documents,
    menu,
    online_help,
    petition_rating,
    privacy,
    procedures,
    status,
    subscriptions,
)
from handlers.context import Context
from handlers.forms import ASK_PENDING, DROP_TO_MENU, Form
from handlers.intents import handler_for
from handlers.petition_form import PETITION
from handlers.procedure_turns import helpful_question, remember_topic, vietnam_day
from handlers.rating_form import RATING
from knowledge.base import Knowledge
from knowledge.handkept.topics import Topics, load_topics
from knowledge.nlu.conversation import ConversationReader
from knowledge.nlu.live_overrides import OverridesWatcher
from knowledge.nlu.understand import PROCEDURE, Topic, Understander, Understanding

FORMS: dict[str, Form] = {form.name: form for form in (PETITION, RATING)}
# An answer id in a "was this helpful?" button: a plain number of sane size, nothing else.
_ANSWER_ID_RE = re.compile(r"[0-9]{1,12}")
# Requests from one user are handled one at a time; users share a fixed set of locks.
LOCK_STRIPES = 64


@dataclass(frozen=True)
class Turn:
    understanding: Understanding | None
    replies: list[Reply]


# Asked in the middle of a form, these are answered and the form paused (with a procedure
# question that names a procedure).
QUESTIONS_BESIDE_A_FORM = frozenset({"contact", "online_help", "status", "help"})


class FloodGuard:
    """At most `limit` messages per `seconds` from one user (in this process)."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def allow(self, key: tuple[str, str]) -> bool:
        now = self.clock()
        seen = self._seen[key]
        while seen and now - seen[0] > self.seconds:
            seen.popleft()
        if len(seen) >= self.limit:
            return False
        seen.append(now)
        return True


class Dialogue:
    """`overrides_path`: the officers' knowledge overrides (knowledge/handkept/overrides.py),
    followed while the bot runs: a change is used from the next message on. None: the
    committed knowledge only."""

    def __init__(self, knowledge: Knowledge, store: Store, settings: Settings | None = None,
                 topics: Topics | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 overrides_path: Path | str | None = None) -> None:
        self.knowledge = knowledge
        self.store = store
        self.settings = settings or Settings.from_env({})
        self.topics = topics or load_topics(knowledge.procedures.keys())
        self.understander = Understander(knowledge)
        self.conversation = ConversationReader(knowledge)
        self.clock = clock
        self.flood = FloodGuard(self.settings.flood_messages, self.settings.flood_seconds)
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]
        # Button payloads by their prefix ("proc:...", "menu:..."), built once.
        self._buttons = self._button_handlers()
        self.overrides = (OverridesWatcher(overrides_path, knowledge)
                          if overrides_path is not None else None)
        self.refresh_overrides()

    def refresh_overrides(self) -> bool:
        """Takes up the officers' overrides if their file changed since the last message
        (otherwise this is one os.stat); True when the knowledge changed."""
        if self.overrides is None:
            return False
        overlay = self.overrides.refresh()
        if overlay is None:
            return False
        # The knowledge first: an understanding from the new understander must find the FAQ
        # entries it names in the knowledge the handlers are given.
        self.knowledge = overlay.knowledge
        self.understander = self.understander.rebuilt(overlay.knowledge, overlay.matcher)
        self.conversation = ConversationReader(overlay.knowledge)
        return True

    def handle(self, incoming: Incoming) -> list[Reply]:
        """The replies to one message or button press from any channel."""
        return self.turn(incoming).replies

    def turn(self, incoming: Incoming) -> Turn:
        self.refresh_overrides()
        lock = self._locks[hash((incoming.channel, incoming.user)) % LOCK_STRIPES]
        with lock:
            return self._turn(incoming)

    def _t(self, key: str, **values: object) -> str:
        return self.knowledge.handkept.text(key, **values)

    def _turn(self, incoming: Incoming) -> Turn:
        refusal = self._refusal(incoming)
        if refusal is not None:
            return Turn(None, [Reply(refusal)])
        now = self.clock()
        self.store.touch_user(incoming.channel, incoming.user, now=now)
        ctx = Context(incoming, self.store, self.knowledge, self.topics, self.settings,
                      self.store.session(incoming.channel, incoming.user), now)
        if incoming.button is not None:
            understanding, replies = None, self._on_button(ctx, incoming.button)
        else:
            understanding, replies = self._on_text(ctx, incoming.text or "")
        self._log(ctx, understanding, replies)
        return Turn(understanding, replies)

    def _refusal(self, incoming: Incoming) -> str | None:
        """A polite reply for a message that cannot be taken, or None."""
        if incoming.button is None and not incoming.extras.get("attachments"):
            text = (incoming.text or "").strip()
            if len(text) > self.settings.max_message_chars:
                return self._t("input.too_long", max=self.settings.max_message_chars)
            if not any(ch.isalnum() for ch in text):
                return self._t("input.empty")
        if not self.flood.allow((incoming.channel, incoming.user)):
            return self._t("input.flood")
        return None

    def _log(self, ctx: Context, understanding: Understanding | None,
             replies: list[Reply]) -> None:
        incoming = ctx.incoming
        if incoming.button == privacy.CONFIRM:
            return  # the citizen's data was just deleted: nothing of theirs is written again
        said = incoming.text if incoming.button is None else f"[button] {incoming.button}"
        procedure = understanding.procedure.code if understanding and understanding.procedure \
            else None
        self.store.log_message(ctx.channel, ctx.user, "in", said or "",
                               intent=understanding.intent if understanding else None,
                               procedure_code=procedure, now=ctx.now)
        for reply in replies:
            self.store.log_message(ctx.channel, ctx.user, "out", reply.text, now=ctx.now)

    # --- messages -------------------------------------------------------------------------

    def _on_text(self, ctx: Context, text: str) -> tuple[Understanding | None, list[Reply]]:
        form = FORMS.get(ctx.session.flow or "")
        # The form the citizen is filling in now (a paused one waits aside).
        active = form if form is not None and not form.is_paused(ctx) else None
        ticket = status.ticket_in(text)
        if ticket:
            return None, self._pausing(ctx, active, status.show_ticket(ctx, ticket))
        if self.topics.asks_to_delete_data(text):
            return None, privacy.ask(ctx)
        command = self.topics.command(text)
        if command == "menu":
            if form is not None:
                return None, form.confirm_leave(ctx)
            return None, menu.main_menu(ctx, greeting=text.strip().lower() in ("/start", "start"))
        if active is not None:
            return self._in_form(ctx, active, text, command)
        if form is not None and command in ("resume", "cancel"):
            return None, form.resume(ctx) if command == "resume" else form.cancel(ctx)
        if command == "cancel":
            return None, [Reply(self._t("form.nothing_to_cancel"),
                                (Button(self._t("menu.button"), "menu"),))]
        understanding = self._read(ctx, text)
        return understanding, self._for_intent(ctx, understanding)

    def _read(self, ctx: Context, text: str) -> Understanding:
        """What the message means, read against the conversation's procedure."""
        return self.conversation.read(self.understander.understand(text), self._topic(ctx))

    # --- a form in progress ----------------------------------------------------------------

    def _in_form(self, ctx: Context, form: Form, text: str,
                 command: str | None) -> tuple[Understanding | None, list[Reply]]:
        """The message as the form's answer, unless it is clearly something else: then it
        is answered and the form paused, or, where the form takes the citizen's own words,
        the citizen is asked which they meant."""
        other = self._something_else(ctx, text) if command is None else None
        if other is None:
            return None, form.on_text(ctx, text)
        if form.current_step(ctx).prose:
            return None, form.confirm_pending(ctx, text)
        return other, self._pausing(ctx, form, self._for_intent(ctx, other))

    def _something_else(self, ctx: Context, text: str) -> Understanding | None:
        """The reading of a message that asks about something the form is not: a procedure,
        a contact, online services, a petition's state."""
        normalized = self.knowledge.normalizer.normalize(text)
        if not self.knowledge.follow_ups.is_question(normalized):
            return None
        understanding = self._read(ctx, text)
        if understanding.intent in QUESTIONS_BESIDE_A_FORM:
            return understanding
        if understanding.intent == PROCEDURE and (understanding.procedure is not None
                                                  or understanding.needs_choice):
            return understanding
        return None

    def _pausing(self, ctx: Context, form: Form | None, replies: list[Reply]) -> list[Reply]:
        """The replies, then, if a form was in progress, the offer to go on with it."""
        if form is None:
            return replies
        return [*replies, form.pause(ctx)]

    def _topic(self, ctx: Context) -> Topic | None:
        """The procedure the conversation is about, unless it was left long enough ago."""
        since = ctx.now - timedelta(minutes=self.settings.topic_minutes)
        found = self.store.conversation_topic(ctx.channel, ctx.user, since=since)
        return Topic(found.procedure_code, found.aspect, found.alternatives) if found else None

    def _for_intent(self, ctx: Context, understanding: Understanding) -> list[Reply]:
        return handler_for(understanding.intent)(ctx, understanding)

    # --- buttons --------------------------------------------------------------------------

    def _on_button(self, ctx: Context, payload: str) -> list[Reply]:
        """A button press; a stale or forged payload gets a polite reply, never an error."""
        form = FORMS.get(ctx.session.flow or "")
        if payload.startswith("flow:"):
            if form is None:
                return [Reply(self._t("button.unknown"), (Button(self._t("menu.button"), "menu"),))]
            if payload == DROP_TO_MENU:
                self.store.clear_session(ctx.channel, ctx.user)
                return menu.main_menu(ctx)
            pending = form.pending(ctx)
            if payload == ASK_PENDING and pending:
                return self._pausing(ctx, form, self._for_intent(ctx, self._read(ctx, pending)))
            return form.on_button(ctx, payload)
        head, _, rest = payload.partition(":")
        handler = self._buttons.get(head)
        replies = handler(ctx, rest) if handler else None
        return replies or [Reply(self._t("button.unknown"))]

    def _button_handlers(self) -> dict[str, Callable[[Context, str], list[Reply] | None]]:
        return {
            # "rate:petition:<code>:<score>", under the notice that a petition was closed.
            "rate": petition_rating.rate,
            "menu": self._menu_button,
            "topic": menu.topic_procedures,
            "proc": self._procedure_button,
            # "docs:<code>:<case>:<start>": a case of the documents, or their next page.
            "docs": self._documents_button,
            "guide": lambda ctx, guide_id: _listed(online_help.guide_reply(self.knowledge,
                                                                           guide_id)),
            "helpful": self._helpful_button,
            "ticket": status.show_ticket,
            "sub": subscriptions.toggle,
            "unsub": lambda ctx, rest: subscriptions.unsubscribe(ctx) if rest == "all" else None,
            "privacy": self._privacy_button,
        }

    def _menu_button(self, ctx: Context, item: str) -> list[Reply] | None:
        if item == "":
            form = FORMS.get(ctx.session.flow or "")
            if form is not None:
                return form.confirm_leave(ctx)
            return menu.main_menu(ctx)
        if item in ("petition", "rate"):
            # A draft of the same form left aside is taken up again (Form.start).
            form = PETITION if item == "petition" else RATING
            return form.start(ctx)
        return {
            "topics": lambda: menu.topics_menu(ctx),
            "contacts": lambda: contacts.handle(
                self.understander.understand(self._t("menu.contacts")), self.knowledge),
            "online": lambda: [online_help.guide_menu(self.knowledge)],
            "mine": lambda: status.my_petitions(ctx),
            "news": lambda: [subscriptions.topics_menu(ctx, "subscribe.choose")],
        }.get(item, lambda: None)()

    def _procedure_button(self, ctx: Context, rest: str) -> list[Reply] | None:
        parsed = procedures.parse_aspect_payload(f"proc:{rest}")
        if parsed is None or parsed[0] not in self.knowledge.procedures:
            return None
        code, aspect = parsed
        record = self.knowledge.procedures[code]
        question = f"{record['name']} ({aspect})"
        remember_topic(ctx, code, aspect)
        return [procedures.answer(record, aspect, self._t, vietnam_day(ctx)),
                helpful_question(ctx, question, code, aspect)]

    def _documents_button(self, ctx: Context, rest: str) -> list[Reply] | None:
        parsed = documents.parse_payload(rest)
        if parsed is None or parsed[0] not in self.knowledge.procedures:
            return None
        code, case, start = parsed
        remember_topic(ctx, code, "documents")
        return _listed(procedures.documents_reply(self.knowledge.procedures[code], case, start,
                                                  self._t))

    def _helpful_button(self, ctx: Context, rest: str) -> list[Reply] | None:
        answer_id, _, verdict = rest.partition(":")
        if not _ANSWER_ID_RE.fullmatch(answer_id) or verdict not in ("yes", "no"):
            return None
        if not self.store.mark_answer(int(answer_id), ctx.channel, ctx.user, verdict == "yes"):
            return None
        if verdict == "yes":
            return [Reply(self._t("helpful.thanks"))]
        return [Reply(self._t("helpful.sorry"),
                      (Button(self._t("menu.petition"), "menu:petition"),
                       Button(self._t("menu.contacts"), "menu:contacts")))]

    def _privacy_button(self, ctx: Context, rest: str) -> list[Reply] | None:
        if rest == "delete":
            return privacy.delete(ctx)
        if rest == "keep":
            return privacy.keep(ctx)
        return None

    # --- upkeep ---------------------------------------------------------------------------

    def purge_expired(self) -> int:
        """Deletes messages older than the retention period (BOT_MESSAGE_RETENTION_DAYS)."""
        return self.store.purge_messages(self.settings.message_retention_days, now=self.clock())

    # --- without a channel ----------------------------------------------------------------

    def ask(self, text: str, user: str = "cli") -> Turn:
        """The answer to a message of `user` on the command line, as `python -m bot ask`
        prints it; one user's messages are one conversation."""
        return self.turn(Incoming("cli", user, text=text))


def _listed(reply: Reply | None) -> list[Reply] | None:
    return [reply] if reply is not None else None


def offline_dialogue(knowledge: Knowledge,
                     overrides_path: Path | str | None = None) -> Dialogue:
    """A dialogue over a throw-away in-memory store, without a flood limit: for the command
    line, the terminal chat and benchmarks, where one person asks many questions."""
    settings = replace(Settings.from_env({}), flood_messages=1_000_000_000)
    return Dialogue(knowledge, Store(":memory:"), settings, overrides_path=overrides_path)
