"""Multi-step forms (a petition, a rating): one question at a time, with back and cancel.

A form is a list of steps. Its progress lives in the store's session row (flow, step, data),
so a restart or a second worker continues where the citizen was. Each step asks one thing,
offers its choices as buttons, accepts free text where it makes sense, and says plainly what
was wrong with an answer it cannot take.

A citizen may change their mind half-way: a message that is clearly something else (the
dialogue decides, bot/dialogue.py) pauses the form — the draft is kept, the message answered,
and "continue" or "drop" offered; a prose answer that reads as a question is confirmed before
it is taken; "menu" asks before the draft is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from bot.messages import Button, Reply
from handlers.context import Context

BACK = "flow:back"
CANCEL = "flow:cancel"
SKIP = "flow:skip"
CHOICE_PREFIX = "flow:choice:"
# A paused form: back to it, or drop the draft (and, from the "menu?" question, go to the menu).
RESUME = "flow:resume"
DROP = "flow:drop"
DROP_TO_MENU = "flow:drop_menu"
# A prose answer that reads as a question: take it as the answer, or answer it as a question.
KEEP_PENDING = "flow:keep"
ASK_PENDING = "flow:ask"
# Keys of the session data that are the form's own bookkeeping, not the citizen's answers.
HISTORY = "_history"
PAUSED = "_paused"
PENDING = "_pending"


class Invalid(ValueError):
    """An answer a step cannot take; the message is a text key and its values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Step:
    name: str
    prompt: Callable[[Context, dict], str]
    # Turns what the citizen typed (or the choice pressed) into the value kept; raises Invalid.
    accept: Callable[[Context, str], object]
    choices: Callable[[Context, dict], Sequence[Button]] = lambda ctx, data: ()
    optional: bool = False
    # Whether the citizen may type an answer, or must press one of the choices.
    free_text: bool = True
    # A step that does not apply (e.g. attachments on a channel without files) is passed over.
    applies: Callable[[Context, dict], bool] = lambda ctx, data: True
    # The answer is the citizen's own words (a petition's content, a comment): one that reads
    # as a question is confirmed before it is taken.
    prose: bool = False
    # A yes/no step the citizen may refuse ("không"): the form ends with this text.
    declined_key: str | None = None


def choice(value: str) -> str:
    return f"{CHOICE_PREFIX}{value}"


@dataclass(frozen=True)
class Form:
    name: str
    steps: tuple[Step, ...]
    # Called with the collected answers when the last step is done; returns the replies.
    finish: Callable[[Context, dict], list[Reply]]
    cancelled_key: str = "form.cancelled"
    # What the citizen is filling in, as the texts about a paused draft name it.
    label_key: str = "form.name"
    step_names: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "step_names", tuple(step.name for step in self.steps))

    def start(self, ctx: Context, data: dict | None = None) -> list[Reply]:
        """The first question; a draft of this form the citizen paused is taken up instead."""
        if ctx.session.flow == self.name and self.is_paused(ctx):
            return self.resume(ctx)
        data = dict(data or {})
        data[HISTORY] = []
        return self._go_to(ctx, self._next_applicable(ctx, data, 0), data)

    def on_text(self, ctx: Context, text: str) -> list[Reply]:
        step = self._current(ctx)
        command = ctx.topics.command(text)
        if command == "cancel":
            return self.cancel(ctx)
        if command == "back":
            return self.back(ctx)
        if command == "resume":
            return [self._prompt(ctx, step, ctx.session.data)]
        if step.declined_key and ctx.topics.says_no(text):
            return self._declined(ctx, step)
        if command == "skip" and step.optional:
            return self._advance(ctx, step, None)
        if not step.free_text:
            return [self._prompt(ctx, step, ctx.session.data, error=ctx.t("form.press_a_button"))]
        return self._take(ctx, step, text)

    def on_button(self, ctx: Context, payload: str) -> list[Reply]:
        step = self._current(ctx)
        if payload == CANCEL:
            return self.cancel(ctx)
        if payload == BACK:
            return self.back(ctx)
        if payload == SKIP and step.optional:
            return self._advance(ctx, step, None)
        if payload == RESUME:
            return self.resume(ctx)
        if payload == DROP:
            return self.drop(ctx)
        if payload == KEEP_PENDING and ctx.session.data.get(PENDING):
            return self.take_pending(ctx)
        if payload.startswith(CHOICE_PREFIX):
            offered = {b.payload for b in step.choices(ctx, ctx.session.data)}
            if payload in offered:
                return self._take(ctx, step, payload.removeprefix(CHOICE_PREFIX))
        # A button from an earlier step or message: ask the current question again.
        return [self._prompt(ctx, step, ctx.session.data, error=ctx.t("button.unknown"))]

    def cancel(self, ctx: Context) -> list[Reply]:
        ctx.store.clear_session(ctx.channel, ctx.user)
        return [Reply(ctx.t(self.cancelled_key), (Button(ctx.t("menu.button"), "menu"),))]

    # --- changing one's mind ---------------------------------------------------------------

    def current_step(self, ctx: Context) -> Step:
        return self._current(ctx)

    def is_paused(self, ctx: Context) -> bool:
        return bool(ctx.session.data.get(PAUSED))

    def pause(self, ctx: Context) -> Reply:
        """Keeps the draft aside while the citizen asks something else; offers to go on."""
        data = _without(ctx.session.data, PENDING)
        data[PAUSED] = True
        ctx.store.save_session(ctx.channel, ctx.user, self.name, self._current(ctx).name, data)
        return Reply(ctx.t("form.paused", form=ctx.t(self.label_key)),
                     (Button(ctx.t("form.resume"), RESUME), Button(ctx.t("form.drop"), DROP)))

    def resume(self, ctx: Context) -> list[Reply]:
        data = _without(ctx.session.data, PAUSED, PENDING)
        step = self._current(ctx)
        ctx.store.save_session(ctx.channel, ctx.user, self.name, step.name, data)
        return [self._prompt(ctx, step, data)]

    def drop(self, ctx: Context) -> list[Reply]:
        ctx.store.clear_session(ctx.channel, ctx.user)
        return [Reply(ctx.t("form.dropped", form=ctx.t(self.label_key)),
                      (Button(ctx.t("menu.button"), "menu"),))]

    def confirm_leave(self, ctx: Context) -> list[Reply]:
        """"Menu" half-way: the draft is dropped only if the citizen says so."""
        return [Reply(ctx.t("form.leave_confirm", form=ctx.t(self.label_key)),
                      (Button(ctx.t("form.resume"), RESUME),
                       Button(ctx.t("form.drop_to_menu"), DROP_TO_MENU)))]

    def confirm_pending(self, ctx: Context, text: str) -> list[Reply]:
        """A prose answer that reads as a question: which one the citizen meant."""
        data = dict(ctx.session.data)
        data[PENDING] = text
        ctx.store.save_session(ctx.channel, ctx.user, self.name, self._current(ctx).name, data)
        return [Reply(ctx.t("form.answer_or_question", form=ctx.t(self.label_key)),
                      (Button(ctx.t("form.keep_answer"), KEEP_PENDING),
                       Button(ctx.t("form.ask_instead"), ASK_PENDING)))]

    def pending(self, ctx: Context) -> str | None:
        return ctx.session.data.get(PENDING)

    def take_pending(self, ctx: Context) -> list[Reply]:
        text = ctx.session.data[PENDING]
        data = _without(ctx.session.data, PENDING)
        ctx = replace(ctx, session=replace(ctx.session, data=data))
        return self._take(ctx, self._current(ctx), text)

    def _declined(self, ctx: Context, step: Step) -> list[Reply]:
        ctx.store.clear_session(ctx.channel, ctx.user)
        assert step.declined_key is not None
        return [Reply(ctx.t(step.declined_key), (Button(ctx.t("menu.button"), "menu"),))]

    def back(self, ctx: Context) -> list[Reply]:
        data = dict(ctx.session.data)
        history = list(data.get(HISTORY, []))
        if not history:
            return [self._prompt(ctx, self._current(ctx), data)]
        previous = history.pop()
        data[HISTORY] = history
        return self._go_to(ctx, self.step_names.index(previous), data)

    def _current(self, ctx: Context) -> Step:
        name = ctx.session.step
        return self.steps[self.step_names.index(name)] if name in self.step_names \
            else self.steps[0]

    def _take(self, ctx: Context, step: Step, answer: str) -> list[Reply]:
        try:
            value = step.accept(ctx, answer.strip())
        except Invalid as invalid:
            error = ctx.t(invalid.key, **invalid.values)
            return [self._prompt(ctx, step, ctx.session.data, error=error)]
        return self._advance(ctx, step, value)

    def _advance(self, ctx: Context, step: Step, value: object) -> list[Reply]:
        data = dict(ctx.session.data)
        data[step.name] = value
        data[HISTORY] = [*data.get(HISTORY, []), step.name]
        index = self._next_applicable(ctx, data, self.step_names.index(step.name) + 1)
        if index is None:
            ctx.store.clear_session(ctx.channel, ctx.user)
            return self.finish(ctx, {k: v for k, v in data.items() if not k.startswith("_")})
        return self._go_to(ctx, index, data)

    def _next_applicable(self, ctx: Context, data: dict, index: int) -> int | None:
        while index < len(self.steps):
            if self.steps[index].applies(ctx, data):
                return index
            index += 1
        return None

    def _go_to(self, ctx: Context, index: int | None, data: dict) -> list[Reply]:
        if index is None:
            ctx.store.clear_session(ctx.channel, ctx.user)
            return self.finish(ctx, {k: v for k, v in data.items() if not k.startswith("_")})
        step = self.steps[index]
        ctx.store.save_session(ctx.channel, ctx.user, self.name, step.name, data)
        return [self._prompt(ctx, step, data)]

    def _prompt(self, ctx: Context, step: Step, data: dict, error: str | None = None) -> Reply:
        text = step.prompt(ctx, data)
        if error:
            text = f"{error}\n{text}"
        buttons = list(step.choices(ctx, data))
        if step.optional:
            buttons.append(Button(ctx.t("form.skip"), SKIP))
        if data.get(HISTORY):
            buttons.append(Button(ctx.t("form.back"), BACK))
        buttons.append(Button(ctx.t("form.cancel"), CANCEL))
        return Reply(text, tuple(buttons))


def _without(data: dict, *keys: str) -> dict:
    return {key: value for key, value in data.items() if key not in keys}
