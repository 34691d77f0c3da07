"""A satisfaction rating from 1 to 5 about a visit or a procedure, with an optional comment."""

from __future__ import annotations

from bot.messages import Button, Reply
from bot.vocabulary import RATING_FORM_SUBJECTS, RATING_SUBJECTS
from handlers.context import Context
from handlers.forms import Form, Invalid, Step, choice
from handlers.intents import answers
from knowledge.nlu.understand import Understanding

SUBJECTS = RATING_FORM_SUBJECTS
SCORES = (5, 4, 3, 2, 1)
MAX_COMMENT_CHARS = 1000


def _accept_subject(ctx: Context, answer: str) -> str:
    if answer in SUBJECTS:
        return answer
    raise Invalid("form.press_a_button")


def _accept_score(ctx: Context, answer: str) -> int:
    if answer in {str(score) for score in SCORES}:
        return int(answer)
    raise Invalid("rating.score_invalid")


def _accept_comment(ctx: Context, answer: str) -> str:
    if len(answer) > MAX_COMMENT_CHARS:
        raise Invalid("form.too_long", max=MAX_COMMENT_CHARS)
    return answer


def _finish(ctx: Context, data: dict) -> list[Reply]:
    ctx.store.add_rating(ctx.channel, ctx.user, data["subject"], data["score"],
                         comment=data.get("comment"), procedure_code=data.get("procedure_code"),
                         now=ctx.now)
    key = "rating.thanks_low" if data["score"] <= 2 else "rating.thanks"
    buttons = [Button(ctx.t("menu.button"), "menu")]
    if data["score"] <= 2:
        buttons.insert(0, Button(ctx.t("menu.petition"), "menu:petition"))
    return [Reply(ctx.t(key), tuple(buttons))]


RATING = Form(
    name="rating",
    steps=(
        Step("subject", lambda ctx, data: ctx.t("rating.ask_subject"), _accept_subject,
             choices=lambda ctx, data: tuple(Button(ctx.t(RATING_SUBJECTS.text_key(s)), choice(s))
                                             for s in SUBJECTS),
             free_text=False),
        Step("score", lambda ctx, data: ctx.t("rating.ask_score"), _accept_score,
             choices=lambda ctx, data: tuple(
                 Button(f"{s} – {ctx.t(f'rating.score.{s}')}", choice(str(s))) for s in SCORES)),
        Step("comment", lambda ctx, data: ctx.t("rating.ask_comment"), _accept_comment,
             optional=True, prose=True),
    ),
    finish=_finish,
    cancelled_key="rating.cancelled",
    label_key="form.name.rating",
)


@answers("feedback")
def start(ctx: Context, understanding: Understanding) -> list[Reply]:
    return [Reply(ctx.t("feedback_intro")), *RATING.start(ctx)]
