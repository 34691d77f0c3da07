"""A message read against the procedure the conversation is about.

After an answer, citizens go on as they would with a clerk: a part of the same procedure
("mất bao lâu"), a case of it ("thế còn người nước ngoài?"), or a question of their own. The
understanding of the message alone (knowledge/nlu/understand.py) is kept for a question of its own;
otherwise the reading moves to the conversation's procedure or its sibling, and says which
procedure it rests on (`context`). The words that tell these apart are in intents.yaml
(`follow_ups`) and are read by knowledge/nlu/follow_up.py.

Example:
    reader = ConversationReader(knowledge)
    reader.read(understander.understand("mất bao lâu"), Topic("1.004194", "overview"))
"""

from __future__ import annotations

from dataclasses import replace

from bot.vocabulary import OVERVIEW
from knowledge.base import Knowledge
from knowledge.nlu.aspects import AspectMatch
from knowledge.nlu.normalize import NormalizedText, folded_words
from knowledge.nlu.ranking import RankedProcedure
from knowledge.nlu.understand import OUT_OF_SCOPE, PROCEDURE, Topic, Understanding

# A message that is no sure question of its own is read with the conversation's procedure when
# the record they point to says this share of the words it adds.
BESIDE_TOPIC_SHARE = 0.5

# Words a follow-up that asks a part may add and still be about the conversation's procedure.
SHORT_ASIDE = 2

# Readings a follow-up may get on its own that the conversation's procedure may override ("còn
# nếu bị mất sổ thì sao" is no question about online services after a land certificate).
READ_WITH_A_TOPIC = frozenset({"procedure", "out_of_scope", "online_help", "contact", "help",
                               "smalltalk"})


class ConversationReader:
    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    def read(self, understanding: Understanding, topic: Topic | None) -> Understanding:
        """The message read against the procedure the conversation is about (see
        knowledge/nlu/follow_up.py): the same procedure for a bare aspect, its sibling for a bare
        case, and the message's own reading for a question of its own."""
        if topic is None or topic.code not in self.knowledge.procedures:
            return understanding
        if not (understanding.aspect_only or understanding.intent in READ_WITH_A_TOPIC):
            return understanding
        normalized = self.knowledge.normalizer.normalize(understanding.text)
        aspect = self.knowledge.aspects.detect(list(normalized.folded))
        asked = aspect.aspect if aspect else None
        if understanding.aspect_only:
            return self._on_topic(understanding, topic.code, asked, topic)
        said = self.knowledge.follow_ups.words(normalized, aspect, topic_code=topic.code)
        sure = understanding.procedure is not None
        if sure and said.qualifiers and asked is None and self._same_field(
                understanding.procedure.code, topic.code):
            # A case told in full ("nếu phải đăng ký lại kết hôn vì sổ ở xã cũng mất thì
            # sao") that names its procedure: the part asked before still holds.
            return self._on_topic(understanding, understanding.procedure.code, topic.aspect,
                                  topic)
        if said.qualifiers and not (said.others and sure):
            # A case of the procedure ("thế còn người nước ngoài?"), or one told at length
            # ("nếu phải đăng ký lại vì sổ gốc cũng mất") whose other words the sibling says.
            sibling = self.knowledge.follow_ups.sibling(topic.code, said.qualifiers)
            if sibling is not None and self._tells(sibling, said.others, stray=1):
                return self._on_topic(understanding, sibling, asked or topic.aspect, topic)
        if not said.others and not said.qualifiers and asked is not None:
            return self._on_topic(understanding, topic.code, asked, topic)
        if said.others and not sure and (asked is not None
                                         or understanding.intent in (PROCEDURE, OUT_OF_SCOPE)):
            beside = self._beside_topic(normalized, aspect, topic, said.others)
            if beside is not None:
                return self._on_topic(understanding, beside, asked or topic.aspect, topic)
            if asked is not None and len(said.others) <= SHORT_ASIDE:
                # A part asked with a word or two the names do not say ("xong thì được nhận
                # giấy tờ gì, có biên bản không"): still this procedure, not a new question.
                return self._on_topic(understanding, topic.code, asked, topic)
        return understanding

    def _same_field(self, code: str, other: str) -> bool:
        procedures = self.knowledge.procedures
        return procedures[code].get("field") == procedures[other].get("field")

    def _beside_topic(self, normalized: NormalizedText, aspect: AspectMatch | None,
                      topic: Topic, others: tuple[str, ...]) -> str | None:
        """For a message that is no sure question of its own: the record of the topic's field
        that the topic's name and the message, read together, point to, if it says most of
        what the message adds ("đăng ký tàu cá" then "tàu mua từ nước ngoài, đăng ký tạm thời
        thì sao")."""
        record = self.knowledge.procedures[topic.code]
        name = self.knowledge.normalizer.normalize(record["name"])
        tokens = list(name.tokens) + list(
            aspect.without_cue(list(normalized.tokens)) if aspect else normalized.tokens)
        query = self.knowledge.query_builder.build(tokens, False)
        field = record.get("field")
        for candidate in self.knowledge.index.search(query, limit=10):
            if self.knowledge.procedures[candidate.code].get("field") == field:
                # With a part asked ("thế hồ sơ gồm những gì"), one stray word is no
                # question of its own.
                stray = 1 if aspect is not None else 0
                return candidate.code if self._tells(candidate.code, others, stray) else None
        return None

    def _tells(self, code: str, others: tuple[str, ...], stray: int = 0) -> bool:
        """Whether the record's name says what the message adds to the conversation: most of
        it by rarity (beside a case the message names, `stray` words more are no question
        of their own)."""
        if len(others) <= stray:
            return True
        words = set(folded_words(self.knowledge.procedures[code]["name"]))
        idf = self.knowledge.index.idf
        return sum(idf(w) for w in others if w in words) >= \
            BESIDE_TOPIC_SHARE * sum(idf(w) for w in others)

    def _on_topic(self, understanding: Understanding, code: str, aspect: str | None,
                  topic: Topic) -> Understanding:
        record = self.knowledge.procedures[code]
        chosen = RankedProcedure.certain(code, record["name"])
        # Still unsure which the citizen meant: the others offered stay within reach.
        others = tuple(RankedProcedure.certain(other, self.knowledge.procedures[other]["name"])
                       for other in topic.alternatives
                       if other != code and other in self.knowledge.procedures)
        return replace(understanding, intent=PROCEDURE, procedure=chosen, alternatives=others,
                       ranked=(chosen, *others), aspect=aspect or OVERVIEW, context=topic.code,
                       not_in_data=False)

