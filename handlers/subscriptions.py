"""Administrative-reform news by topic: subscribe, choose topics, unsubscribe."""

from __future__ import annotations

from bot.messages import Button, Reply
from handlers.context import Context
from handlers.intents import answers
from knowledge.nlu.understand import Understanding


def _current(ctx: Context) -> list[str]:
    user = ctx.store.user(ctx.channel, ctx.user)
    return list(user.topics) if user else []


def topics_menu(ctx: Context, intro_key: str = "subscribe.topics") -> Reply:
    chosen = set(_current(ctx))
    buttons = [Button(("✅ " if topic.id in chosen else "☐ ") + topic.label["vi"],
                      f"sub:{topic.id}") for topic in ctx.topics.news]
    if chosen:
        buttons.append(Button(ctx.t("unsubscribe.all_button"), "unsub:all"))
    return Reply(ctx.t(intro_key), tuple(buttons))


def subscribe(ctx: Context) -> list[Reply]:
    """Offers the news topics; nothing is subscribed until the citizen presses one, since a
    message that reads like a wish for news ("tin tức về đất đai") may not be one."""
    return [topics_menu(ctx, "subscribe_intro")]


def toggle(ctx: Context, topic_id: str) -> list[Reply]:
    """Switches a topic on or off and says what the citizen now receives."""
    if ctx.topics.news_topic(topic_id) is None:
        return [Reply(ctx.t("button.unknown"))]
    topics = _current(ctx)
    topics = [t for t in topics if t != topic_id] if topic_id in topics else [*topics, topic_id]
    ctx.store.set_topics(ctx.channel, ctx.user, topics)
    labels = [topic.label["vi"] for topic in ctx.topics.news if topic.id in topics]
    chosen = (ctx.t("subscribe.chosen", topics=", ".join(labels)) if labels
              else ctx.t("subscribe.chosen_none"))
    menu = topics_menu(ctx)
    return [Reply(f"{chosen}\n{menu.text}", menu.buttons)]


def unsubscribe(ctx: Context) -> list[Reply]:
    if not _current(ctx):
        return [Reply(ctx.t("unsubscribe.none"))]
    ctx.store.set_topics(ctx.channel, ctx.user, [])
    return [Reply(ctx.t("unsubscribe_intro"),
                  (Button(ctx.t("subscribe.again_button"), "menu:news"),))]


@answers("subscribe")
def subscribe_turn(ctx: Context, understanding: Understanding) -> list[Reply]:
    return subscribe(ctx)


@answers("unsubscribe")
def unsubscribe_turn(ctx: Context, understanding: Understanding) -> list[Reply]:
    return unsubscribe(ctx)
