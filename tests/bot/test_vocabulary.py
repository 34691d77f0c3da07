"""The shared vocabulary (bot/vocabulary.py) is complete: every value has its label and its
text, every intent a handler and examples, and the rest of the code agrees with it."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.storage import Store
from bot.storage.schema import migrate
from bot.vocabulary import (
    ASPECTS,
    CHANNELS,
    INTENTS,
    OPEN_PETITION_STATUSES,
    PETITION_STATUSES,
    RATING_FORM_SUBJECTS,
    RATING_SUBJECTS,
    Terms,
    fold,
)
from handlers.intents import answers, registered
from knowledge.handkept.model import KNOWLEDGE_DIR
from knowledge.handkept.schema import INTENTS_FILE, TEXTS_FILE

ALL = {"intents": INTENTS, "aspects": ASPECTS, "petition statuses": PETITION_STATUSES,
       "channels": CHANNELS, "rating subjects": RATING_SUBJECTS}
TEXTS = yaml.safe_load((KNOWLEDGE_DIR / TEXTS_FILE).read_text(encoding="utf-8"))["texts"]


@pytest.mark.parametrize("name", ALL)
def test_every_value_has_a_vietnamese_label(name: str) -> None:
    terms: Terms = ALL[name]
    assert len(terms) >= 3
    for term in terms.terms():
        assert term.label.strip(), f"{name}: {term.value} has no label"
        assert term.label != term.value, f"{name}: {term.value} is labelled with its code"
    labels = [term.label for term in terms.terms()]
    assert len(set(labels)) == len(labels), f"{name}: two values read the same"


@pytest.mark.parametrize("name", ["intents", "aspects", "petition statuses", "rating subjects"])
def test_every_value_citizens_see_has_its_text_in_both_languages(name: str) -> None:
    for term in ALL[name].terms():
        assert term.text_key is not None, f"{name}: {term.value} has no text key"
        assert set(TEXTS.get(term.text_key) or {}) >= {"vi", "en"}, \
            f"{name}: {term.value}'s text {term.text_key} is missing from {TEXTS_FILE}"


def test_every_intent_has_a_handler_and_examples() -> None:
    assert registered() == set(INTENTS)
    examples = yaml.safe_load((KNOWLEDGE_DIR / INTENTS_FILE).read_text(encoding="utf-8"))
    assert set(examples["intents"]) == set(INTENTS)


def test_a_handler_is_registered_once_and_only_for_a_known_intent() -> None:
    with pytest.raises(ValueError, match="not an intent"):
        answers("weather")
    with pytest.raises(ValueError, match="already has a handler"):
        answers("status")(lambda ctx, understanding: [])


def test_the_aspects_of_the_intents_file_are_the_vocabularys() -> None:
    examples = yaml.safe_load((KNOWLEDGE_DIR / INTENTS_FILE).read_text(encoding="utf-8"))
    assert set(examples["aspects"]) == set(ASPECTS)


def test_the_database_accepts_exactly_the_vocabularys_rating_subjects() -> None:
    store = Store(":memory:")
    migrate(store.db)
    [schema] = store.db.execute("SELECT sql FROM sqlite_master WHERE name = 'ratings'"
                                ).fetchone()
    allowed = re.search(r"subject IN \(([^)]*)\)", schema).group(1)
    assert {value.strip(" '") for value in allowed.split(",")} == set(RATING_SUBJECTS)
    assert set(OPEN_PETITION_STATUSES) < set(PETITION_STATUSES)
    assert set(RATING_FORM_SUBJECTS) < set(RATING_SUBJECTS)


def test_an_unknown_value_shows_as_itself() -> None:
    assert PETITION_STATUSES.label("waiting") == "Chờ người dân bổ sung"
    assert CHANNELS.label("viber") == "viber"


@pytest.mark.parametrize(("text", "folded"), [
    ("Quý Đông", "qui dong"), ("quí", "qui"), ("KỸ THUẬT", "ki thuat"), ("kĩ", "ki"),
    ("Đèn ĐƯỜNG", "den duong"), ("ha\u0300 no\u0323i", "ha noi"), ("yên", "yen"), ("ô tô", "o to"),
])
def test_one_fold_for_matching_searching_and_checking(text: str, folded: str) -> None:
    assert fold(text) == folded
    from bot.storage.petition_search import fold as search_fold
    from knowledge.handkept.schema import fold as checking_fold
    from knowledge.nlu.normalize import fold as matching_fold

    assert matching_fold(text) == search_fold(text) == folded
    assert checking_fold(f"  {text} ") == folded
