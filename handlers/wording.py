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
