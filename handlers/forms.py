"""Multi-step forms (a petition, a rating): one question at a time, with back and cancel.

A form is a list of steps. Its progress lives in the store's session row (flow, step, data),
so a restart or a second worker continues where the citizen was. Each step asks one thing,
offers its choices as buttons, accepts free text where it makes sense, and says plainly what
was wrong with an answer it cannot take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.messages import Button, Reply
from handlers.context import Context

BACK = "flow:back"
CANCEL = "flow:cancel"
SKIP = "flow:skip"
CHOICE_PREFIX = "flow:choice:"


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


def choice(value: str) -> str:
    return f"{CHOICE_PREFIX}{value}"


@dataclass(frozen=True)
class Form:
    name: str
    steps: tuple[Step, ...]
    # Called with the collected answers when the last step is done; returns the replies.
    finish: Callable[[Context, dict], list[Reply]]
    cancelled_key: str = "form.cancelled"
    step_names: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "step_names", tuple(step.name for step in self.steps))

    def start(self, ctx: Context, data: dict | None = None) -> list[Reply]:
        data = dict(data or {})
        data["_history"] = []
        return self._go_to(ctx, self._next_applicable(ctx, data, 0), data)

    def on_text(self, ctx: Context, text: str) -> list[Reply]:
        step = self._current(ctx)
        command = ctx.topics.command(text)
        if command == "cancel":
            return self.cancel(ctx)
        if command == "back":
            return self.back(ctx)
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
        if payload.startswith(CHOICE_PREFIX):
            offered = {b.payload for b in step.choices(ctx, ctx.session.data)}
            if payload in offered:
                return self._take(ctx, step, payload.removeprefix(CHOICE_PREFIX))
        # A button from an earlier step or message: ask the current question again.
        return [self._prompt(ctx, step, ctx.session.data, error=ctx.t("button.unknown"))]

    def cancel(self, ctx: Context) -> list[Reply]:
        ctx.store.clear_session(ctx.channel, ctx.user)
        return [Reply(ctx.t(self.cancelled_key), (Button(ctx.t("menu.button"), "menu"),))]

    def back(self, ctx: Context) -> list[Reply]:
        data = dict(ctx.session.data)
        history = list(data.get("_history", []))
        if not history:
            return [self._prompt(ctx, self._current(ctx), data)]
        previous = history.pop()
        data["_history"] = history
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
        data["_history"] = [*data.get("_history", []), step.name]
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
        if data.get("_history"):
            buttons.append(Button(ctx.t("form.back"), BACK))
        buttons.append(Button(ctx.t("form.cancel"), CANCEL))
        return Reply(text, tuple(buttons))
