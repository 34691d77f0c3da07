"""Everything the bot knows, loaded once and indexed for matching."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from knowledge.catalog import load_procedures
from knowledge.handkept.model import KNOWLEDGE_DIR, FaqEntry, HandKept, load_handkept
from knowledge.nlu.aspects import AspectDetector, AspectMatch
from knowledge.nlu.follow_up import FollowUpReader
from knowledge.nlu.intent_model import IntentModel
from knowledge.nlu.normalize import NormalizedText, Normalizer, folded_words
from knowledge.nlu.query import AliasTable, QueryBuilder, SpellCorrector, Stopwords
from knowledge.nlu.ranking import ProcedureIndex, RankingRules
from knowledge.nlu.similarity import ExampleIndex


@dataclass
class Knowledge:
    procedures: Mapping[str, dict]
    handkept: HandKept
    rules: RankingRules
    index: ProcedureIndex
    normalizer: Normalizer
    aliases: AliasTable
    query_builder: QueryBuilder
    aspects: AspectDetector
    intent_examples: ExampleIndex
    faq_examples: ExampleIndex
    guide_examples: ExampleIndex
    contact_examples: ExampleIndex
    intent_model: IntentModel
    follow_ups: FollowUpReader

    def name_words(self, name: str) -> list[str]:
        """content_words for official wording, which needs no repair and has no aspect cue."""
        stopwords = self.query_builder.stopwords
        return self.aliases.expand([w for w in folded_words(name)
                                    if not stopwords.is_stopword(w, None)])

    def content_words(self, text: str) -> list[str]:
        """The words of a message that can tell its intent: no stopwords, no aspect cue, and
        everyday phrases joined by their official meanings."""
        normalized = self.normalizer.normalize(text)
        return self.content_words_of(normalized, self.aspects.detect(list(normalized.folded)))

    def content_words_of(self, normalized: NormalizedText,
                         aspect: AspectMatch | None) -> list[str]:
        """content_words for a message already normalised, with its aspect cue found."""
        tokens = list(normalized.tokens)
        if aspect is not None:
            tokens = aspect.without_cue(tokens)
        stopwords = self.query_builder.stopwords
        words = [token.folded for token in tokens
                 if not stopwords.is_stopword(
                     token.folded, token.marked if normalized.has_diacritics else None)]
        return self.aliases.expand(words)

    @classmethod
    def load(cls, procedures_path: Path | None = None,
             root: Path = KNOWLEDGE_DIR) -> Knowledge:
        """Loads and indexes the knowledge; raises KnowledgeError if a YAML file is invalid."""
        handkept = load_handkept(root)
        records = load_procedures(procedures_path)
        return cls.build(records, handkept)

    @classmethod
    def build(cls, records: list[dict], handkept: HandKept) -> Knowledge:
        rules = RankingRules.load()
        index = ProcedureIndex(records, rules, _abbreviations_in_names(handkept))
        aliases = AliasTable(alias_pairs(handkept))
        shorthand = {item.short: item.means for item in handkept.abbreviations}
        vocabulary = _vocabulary(index, handkept)
        normalizer = Normalizer(vocabulary, shorthand, protected=index.vocabulary)
        query_builder = QueryBuilder(aliases, Stopwords(rules.stopwords, index.vocabulary),
                                     SpellCorrector(vocabulary))

        def words(text: str) -> list[str]:
            return list(normalizer.normalize(text).folded)

        procedures = {record["code"]: record for record in records}
        knowledge = cls(
            procedures=procedures,
            handkept=handkept, rules=rules, index=index, normalizer=normalizer,
            aliases=aliases, query_builder=query_builder,
            aspects=AspectDetector(handkept.aspect_cues),
            intent_examples=ExampleIndex(
                (name, example, words(example))
                for name, spec in handkept.intents.items() for example in spec.examples),
            faq_examples=faq_example_index(handkept.faq, normalizer),
            guide_examples=ExampleIndex(
                (guide.id, text, words(text))
                for guide in handkept.guides for text in (guide.title["vi"], *guide.keywords)),
            contact_examples=ExampleIndex(
                (contact.id, text, words(text))
                for contact in handkept.contacts
                for text in (contact.name["vi"], *contact.keywords)),
            intent_model=IntentModel({}),
            follow_ups=FollowUpReader(handkept.follow_ups, query_builder.stopwords, index,
                                      procedures),
        )
        knowledge.intent_model = _train_intent_model(knowledge, records)
        return knowledge


def alias_pairs(handkept: HandKept) -> list[tuple[str, str]]:
    """(everyday term, official wording) for every alias of aliases.yaml."""
    return [(term, alias.means) for alias in handkept.aliases for term in alias.terms]


def faq_example_index(faq: Iterable[FaqEntry], normalizer: Normalizer) -> ExampleIndex:
    """The FAQ entries' questions and examples, by entry id, for nearest-example matching."""
    return ExampleIndex((entry.id, text, list(normalizer.normalize(text).folded))
                        for entry in faq for text in (entry.question, *entry.examples))


def _abbreviations_in_names(handkept: HandKept) -> dict[str, str]:
    """One-word aliases that official names also use ("BHYT", "TNHH"): indexed both ways."""
    return {term: alias.means for alias in handkept.aliases for term in alias.terms
            if len(folded_words(term)) == 1 and len(folded_words(alias.means)) > 1}


def _train_intent_model(knowledge: Knowledge, records: list[dict]) -> IntentModel:
    """Intent examples, and for the procedure intent also every official name and the
    everyday words for them (aliases)."""
    training = {name: [knowledge.content_words(example) for example in spec.examples]
                for name, spec in knowledge.handkept.intents.items()}
    training.setdefault("procedure", [])
    training["procedure"] += [knowledge.name_words(record["name"]) for record in records]
    training["procedure"] += [knowledge.content_words(term)
                              for alias in knowledge.handkept.aliases for term in alias.terms]
    return IntentModel(training)


def _vocabulary(index: ProcedureIndex, handkept: HandKept) -> Counter[str]:
    """Every folded word the bot knows, with how common it is, for repairing typos."""
    vocabulary: Counter[str] = Counter(index.word_frequencies)
    texts: list[str] = []
    for alias in handkept.aliases:
        texts.extend(alias.terms)
        texts.append(alias.means)
    for spec in handkept.intents.values():
        texts.extend(spec.examples)
    for cues in handkept.aspect_cues.values():
        texts.extend(cues)
    for entry in handkept.faq:
        texts.extend((entry.question, *entry.examples))
    for guide in handkept.guides:
        texts.extend((guide.title["vi"], *guide.keywords))
    for contact in handkept.contacts:
        texts.extend((contact.name["vi"], *contact.keywords))
    for text in texts:
        for word in folded_words(text):
            vocabulary[word] += 1
    return vocabulary
