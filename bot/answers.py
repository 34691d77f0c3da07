"""The JSON form of a turn, as `python -m bot ask --json` prints it."""

from __future__ import annotations

from bot.dialogue import Turn
from knowledge.nlu.ranking import RankedProcedure


def _procedure(item: RankedProcedure | None) -> dict | None:
    return None if item is None else {"code": item.code, "name": item.name}


def turn_to_dict(turn: Turn) -> dict:
    understanding = turn.understanding
    text = "\n\n".join(reply.text for reply in turn.replies)
    if understanding is None:
        return {"intent": None, "procedure": None, "aspect": None, "alternatives": [],
                "context": None, "not_in_data": False,
                "text": text, "replies": [r.to_dict() for r in turn.replies]}
    return {
        "question": understanding.text,
        "intent": understanding.intent,
        "procedure": _procedure(understanding.procedure),
        "aspect": understanding.aspect,
        "alternatives": [_procedure(alt) for alt in understanding.alternatives],
        # The procedure code this turn took from the conversation (a follow-up), or null.
        "context": understanding.context,
        "not_in_data": understanding.not_in_data,
        "text": text,
        "replies": [reply.to_dict() for reply in turn.replies],
    }
