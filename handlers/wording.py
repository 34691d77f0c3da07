"""Words fitted for a phone screen: text shortened at a word, amounts as Vietnamese write
them."""

from __future__ import annotations


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.-…") + "…"


def format_vnd(amount: float) -> str:
    """10000 -> '10.000 đồng', the way Vietnamese write amounts."""
    whole = int(round(amount))
    return f"{whole:,}".replace(",", ".") + " đồng"


# A sentence ends at ". " that is not an enumerator's ("a. ", "7. ", "(iii). ").
_MIN_SENTENCE = 30
_CONDITIONS = ("trường hợp ", "đối với ", "nếu ")
_SHOWN_AFTER_CASE = 60


def names_it_last(text: str, limit: int) -> bool:
    """Whether a paper's description that is too long for `limit` names the paper only after
    the cut: it opens with a chain of alternatives ("Bản sao từ sổ gốc hoặc bản sao có chứng
    thực hoặc … giấy tờ chứng minh …") or with a case whose "thì" comes later ("Trường hợp
    người chưa đủ 14 tuổi thì … nộp kèm bản sao …")."""
    shown = text[:limit]
    if shown.count(" hoặc ") >= 3:
        return True
    if not shown.lower().startswith(_CONDITIONS):
        return False
    # What the case asks for starts after "thì": named last unless enough of it is shown.
    then = shown.find(" thì ")
    return then == -1 or len(shown) - then < _SHOWN_AFTER_CASE


def shorten_document(text: str, limit: int) -> str:
    """A paper's description within `limit`: cut at the end, unless it names the paper last;
    then how its first sentence begins and how it ends, the middle marked "…"."""
    text = " ".join(text.split())
    if len(text) <= limit or not names_it_last(text, limit):
        return shorten(text, limit)
    return _keeping_end(text, limit)


def _keeping_end(text: str, limit: int, head: int = 50) -> str:
    at = text.find(". ", _MIN_SENTENCE)
    first = (text[:at] if at != -1 else text).rstrip(" .;")
    if len(first) <= limit:
        return first + "…"
    start = shorten(first, head).rstrip("…")
    room = limit - len(start) - 3
    end_words: list[str] = []
    for word in reversed(first.split()):
        if sum(len(w) + 1 for w in end_words) + len(word) > room:
            break
        end_words.insert(0, word)
    return f"{start} … {' '.join(end_words)}" if end_words else shorten(first, limit)
