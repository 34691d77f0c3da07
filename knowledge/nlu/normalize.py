"""Vietnamese text normalisation for matching what citizens write against official wording.

Citizens write with and without diacritics, with the tone mark on either vowel ("hoà"/"hòa"),
with Telex leftovers when their keyboard did not convert ("ddawng kys"), with stretched letters
("đâuuu") and chat shorthand ("ko", "dc"). Every token is therefore kept in two forms:

* ``folded``: plain ASCII letters and digits ("đăng" -> "dang"), which is what matching uses,
  so that a question works the same with or without diacritics;
* ``marked``: the letters with their vowel marks but the tone moved to a trailing letter
  ("hòa" and "hoà" -> "hoaf"), so that tone placement style never matters and a question that
  does carry diacritics can use them to break ties ("bán" vs "bạn").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.vocabulary import FINAL_Y_RE
from bot.vocabulary import fold as vocabulary_fold

# Combining tone marks and the Telex letter that types each of them.
TONE_LETTERS = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_TONE_BY_LETTER = {letter: mark for mark, letter in TONE_LETTERS.items()}
# Marks that change the vowel itself (ă â ê ô ơ ư); they are part of the letter, not the tone.
_VOWEL_MARKS = {"\u0306", "\u0302", "\u031b"}

_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
# Letters only: "1000" and "1.004222" keep their digits.
_STRETCHED_RE = re.compile(r"([^\W\d_])\1{2,}")
_VIETNAMESE_LETTERS = set("ăâđêôơư")

# Telex: letter pairs that make one marked letter, and the tone keys.
_TELEX_PAIRS = (("dd", "đ"), ("aa", "â"), ("aw", "ă"), ("ee", "ê"), ("oo", "ô"), ("ow", "ơ"),
                ("uw", "ư"))
_VOWELS = set("aăâeêioôơuưy")


# "ký"/"kí", "lý"/"lí", "quý"/"quí": both spellings are correct after a consonant; one form.
# Words repeat a great deal across names and messages: their folded form is cached.
fold = lru_cache(maxsize=200_000)(vocabulary_fold)


@lru_cache(maxsize=200_000)
def mark_key(token: str) -> str:
    """The token with vowel marks kept and its tone as a trailing Telex letter."""
    decomposed = unicodedata.normalize("NFD", token.lower())
    tone = ""
    kept = []
    for ch in decomposed:
        if ch in TONE_LETTERS:
            tone = TONE_LETTERS[ch]
        elif not unicodedata.combining(ch) or ch in _VOWEL_MARKS:
            kept.append(ch)
    return FINAL_Y_RE.sub(r"\1i", unicodedata.normalize("NFC", "".join(kept))) + tone


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese mark (tone, vowel mark or đ)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "đ" in decomposed or any(unicodedata.combining(ch) for ch in decomposed)


def collapse_stretched(token: str) -> str:
    """'đâuuuu' -> 'đâu': no Vietnamese syllable has a letter three times in a row."""
    return _STRETCHED_RE.sub(r"\1", token)


def telex_decode(token: str) -> str | None:
    """Read an ASCII token as unconverted Telex ('ddawngs' -> 'đắng'); None if it is not Telex.

    Only tokens that show a Telex sign (a doubled letter pair, a 'w' or a trailing tone key
    after a vowel) are decoded; the caller decides whether the decoded word is a real one.
    """
    if not token.isascii() or not token.isalpha():
        return None
    word = token.lower()
    tone_mark = ""
    if len(word) > 2 and word[-1] in _TONE_BY_LETTER and any(ch in _VOWELS for ch in word[:-1]):
        tone_mark = _TONE_BY_LETTER[word[-1]]
        word = word[:-1]
    changed = bool(tone_mark)
    for pair, letter in _TELEX_PAIRS:
        if pair in word:
            word = word.replace(pair, letter)
            changed = True
    if not changed:
        return None
    if tone_mark:
        word = _place_tone(word, tone_mark)
    return unicodedata.normalize("NFC", word)


def _place_tone(word: str, tone_mark: str) -> str:
    """Put the tone on the vowel that carries it (modern rule, good enough for matching)."""
    positions = [i for i, ch in enumerate(word) if ch in _VOWELS]
    if not positions:
        return word
    marked = [i for i in positions if word[i] in "ăâêôơư"]
    if marked:
        target = marked[-1]
    elif len(positions) >= 2 and positions[-1] == len(word) - 1:
        target = positions[-2]
    else:
        target = positions[-1] if len(positions) >= 2 else positions[0]
    decomposed = unicodedata.normalize("NFD", word[target]) + tone_mark
    return word[:target] + unicodedata.normalize("NFC", decomposed) + word[target + 1:]


@dataclass(frozen=True)
class Token:
    """One word of a message in both matching forms."""

    folded: str
    marked: str


@dataclass(frozen=True)
class NormalizedText:
    """A message ready for matching."""

    original: str
    tokens: tuple[Token, ...]
    has_diacritics: bool

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(token.folded for token in self.tokens)

    @property
    def folded_text(self) -> str:
        return " ".join(self.folded)


class Normalizer:
    """Turns a message into tokens, undoing shorthand, stretched letters and Telex leftovers.

    ``vocabulary`` is the set of folded words the bot knows; it decides whether an unknown
    token is better read as Telex or with its stretched letters collapsed. ``shorthand`` maps a
    folded chat abbreviation to the words it stands for ("ko" -> "không").
    """

    def __init__(self, vocabulary: Iterable[str] = (),
                 shorthand: Mapping[str, str] | None = None,
                 protected: Iterable[str] = ()) -> None:
        self.vocabulary = frozenset(vocabulary)
        shorthand = shorthand or {}
        # Typed with diacritics, shorthand must match exactly ("hông" is "không", "hồng" is
        # not); typed without, only where the folded form is no word of the official names
        # ("hong" may be "hỏng"), which `protected` lists.
        self.marked_shorthand = {mark_key(short): words for short, words in shorthand.items()
                                 if has_diacritics(short)}
        self.folded_shorthand = {fold(short): words for short, words in shorthand.items()
                                 if fold(short) not in frozenset(protected)}

    def normalize(self, text: str) -> NormalizedText:
        # "Ð" (U+00D0, Icelandic eth) is a common look-alike of "Đ" in pasted text.
        text = unicodedata.normalize("NFC", text).replace("\u00d0", "Đ").replace("\u00f0", "đ")
        tokens: list[Token] = []
        for raw in _TOKEN_RE.findall(text.lower()):
            for word in self._repair(raw):
                tokens.append(Token(fold(word), mark_key(word)))
        return NormalizedText(text, tuple(tokens), has_diacritics(text))

    def _shorthand(self, raw: str) -> str | None:
        if has_diacritics(raw):
            return self.marked_shorthand.get(mark_key(raw))
        return self.folded_shorthand.get(raw)

    def _repair(self, raw: str) -> list[str]:
        """The word(s) a raw token most likely stands for."""
        expansion = self._shorthand(raw)
        if expansion is not None:
            return expansion.split()
        if fold(raw) in self.vocabulary or not self.vocabulary:
            return [raw]
        collapsed = collapse_stretched(raw)
        if collapsed != raw and fold(collapsed) in self.vocabulary:
            return [collapsed]
        expansion = self._shorthand(collapsed) if collapsed != raw else None
        if expansion is not None:
            return expansion.split()
        decoded = telex_decode(collapsed)
        if decoded and fold(decoded) in self.vocabulary:
            return [decoded]
        return [collapsed]


def folded_words(text: str) -> list[str]:
    """Folded words of a text without any repair: for indexing official wording."""
    return [fold(word) for word in _TOKEN_RE.findall(unicodedata.normalize("NFC", text))]


def marked_words(text: str) -> list[str]:
    """The same words as folded_words, with their diacritics kept (mark_key): for comparing
    official wording with a message typed with diacritics."""
    return [mark_key(word) for word in _TOKEN_RE.findall(unicodedata.normalize("NFC", text))]
