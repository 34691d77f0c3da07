"""The main menu, the help that leads to it, and the procedures of each topic."""

from __future__ import annotations

from bot.messages import Button, Reply
from bot.vocabulary import OVERVIEW
from handlers.context import Context
from handlers.intents import answers
from handlers.procedure_facts import shorten
from handlers.procedures import aspect_payload
from knowledge.nlu.understand import Understanding

MAIN_MENU = (
    ("menu.topics", "menu:topics"),
    ("menu.contacts", "menu:contacts"),
    ("menu.online", "menu:online"),
    ("menu.petition", "menu:petition"),
    ("menu.rate", "menu:rate"),
    ("menu.mine", "menu:mine"),
    ("menu.news", "menu:news"),
)


def main_menu(ctx: Context, greeting: bool = False) -> list[Reply]:
    text = ctx.t("greeting") if greeting else ctx.t("menu_title")
    return [Reply(text, tuple(Button(ctx.t(key), payload) for key, payload in MAIN_MENU))]


def topics_menu(ctx: Context) -> list[Reply]:
    buttons = tuple(Button(topic.label["vi"], f"topic:{topic.id}") for topic in ctx.topics.menu)
    return [Reply(ctx.t("menu.topics_intro"), buttons)]


def topic_procedures(ctx: Context, topic_id: str) -> list[Reply]:
    topic = ctx.topics.menu_topic(topic_id)
    if topic is None:
        return [Reply(ctx.t("button.unknown"))]
    buttons = tuple(
        Button(shorten(ctx.knowledge.procedures[code]["name"], 60), aspect_payload(code, OVERVIEW))
        for code in topic.procedures if code in ctx.knowledge.procedures)
    return [Reply(ctx.t("menu.topic_intro", topic=topic.label["vi"]),
                  (*buttons, Button(ctx.t("menu.back_topics"), "menu:topics")))]


@answers("help")
def help_turn(ctx: Context, understanding: Understanding) -> list[Reply]:
    return [Reply(ctx.t("help")), *main_menu(ctx)]
