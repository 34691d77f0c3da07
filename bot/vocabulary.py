"""The fixed lists every part of the bot shares, declared once: intents, aspects of a
procedure, petition statuses, channels, rating subjects, the time zone, and the one `fold()`
by which words are compared.

Each value has the Vietnamese label staff and reports show and, where citizens see it, the
key of its text in knowledge/locales/texts.yaml. tests/bot/test_vocabulary.py fails when a
value lacks its label, its text or (for intents) its handler and its examples.

    from bot.vocabulary import ASPECTS, PETITION_STATUSES, VIETNAM, fold
    ASPECTS.values            # ("documents", "fee", ...)
    PETITION_STATUSES.label("waiting")   # "Chờ người dân bổ sung"
    fold("Quý Đông")          # "qui dong"

This module imports nothing from the project, so that any module may use it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta, timezone

# Vietnam keeps one time all year (UTC+7, no daylight saving): the calendar citizens and
# officers read dates in, and the year in petition codes.
VIETNAM = timezone(timedelta(hours=7), "ICT")


@dataclass(frozen=True)
class Term:
    value: str
    label: str
    # The citizen-facing text of this value (knowledge/locales/texts.yaml), if citizens see it.
    text_key: str | None = None


class Terms:
    """An ordered, closed list of values with their labels."""

    def __init__(self, *terms: Term) -> None:
        self._terms = {term.value: term for term in terms}
        self.values: tuple[str, ...] = tuple(self._terms)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __contains__(self, value: object) -> bool:
        return value in self._terms

    def __len__(self) -> int:
        return len(self.values)

    def terms(self) -> tuple[Term, ...]:
        return tuple(self._terms.values())

    def label(self, value: str) -> str:
        """The label of `value`; an unknown value (old data) shows as itself."""
        term = self._terms.get(value)
        return term.label if term else value

    def labels(self) -> dict[str, str]:
        return {value: term.label for value, term in self._terms.items()}

    def text_key(self, value: str) -> str:
        """The text key of a known value that has one (KeyError otherwise: a programming
        error, caught by the tests)."""
        key = self._terms[value].text_key
        if key is None:
            raise KeyError(f"{value!r} has no citizen-facing text")
        return key


# What a message asks for (knowledge/nlu/understand.py). Each intent has examples in
# knowledge/yaml/intents.yaml and a handler registered in handlers/__init__.py.
PROCEDURE = "procedure"
OUT_OF_SCOPE = "out_of_scope"
INTENTS = Terms(
    Term(PROCEDURE, "Thủ tục (chưa rõ lĩnh vực)", "procedure.which"),
    Term("contact", "Liên hệ, địa chỉ cơ quan", "contact.intro"),
    Term("online_help", "Hướng dẫn dịch vụ công trực tuyến", "online_help.menu"),
    Term("complaint", "Phản ánh, kiến nghị", "complaint_intro"),
    Term("feedback", "Đánh giá, góp ý", "feedback_intro"),
    Term("status", "Tra cứu tình trạng phản ánh", "status.list_intro"),
    Term("subscribe", "Đăng ký nhận tin", "subscribe_intro"),
    Term("unsubscribe", "Hủy nhận tin", "unsubscribe_intro"),
    Term("smalltalk", "Trò chuyện", "smalltalk_hello"),
    Term("help", "Hướng dẫn sử dụng", "help"),
    Term(OUT_OF_SCOPE, "Ngoài phạm vi", "out_of_scope"),
)

# Which part of a procedure a question asks about (knowledge/nlu/aspects.py); OVERVIEW is the
# whole answer, asked when no part is.
OVERVIEW = "overview"
ASPECTS = Terms(
    Term("documents", "Thành phần hồ sơ", "aspect.documents"),
    Term("fee", "Phí, lệ phí", "aspect.fee"),
    Term("duration", "Thời hạn giải quyết", "aspect.duration"),
    Term("where", "Nơi nộp hồ sơ", "aspect.where"),
    Term("online", "Nộp trực tuyến", "aspect.online"),
    Term("steps", "Trình tự thực hiện", "aspect.steps"),
    Term("result", "Kết quả", "aspect.result"),
    Term("conditions", "Điều kiện", "aspect.conditions"),
)

# A petition's life (bot/staff/petitions.py); the open ones are still the agency's to answer.
OPEN_PETITION_STATUSES = ("new", "in_progress", "waiting")
PETITION_STATUSES = Terms(
    Term("new", "Mới tiếp nhận", "petition.status.new"),
    Term("in_progress", "Đang xử lý", "petition.status.in_progress"),
    Term("waiting", "Chờ người dân bổ sung", "petition.status.waiting"),
    Term("answered", "Đã trả lời", "petition.status.answered"),
    Term("closed", "Đã đóng", "petition.status.closed"),
    Term("transferred", "Đã chuyển cơ quan có thẩm quyền", "petition.status.transferred"),
    Term("duplicate", "Trùng phản ánh khác", "petition.status.duplicate"),
)

# Where citizens write from. The label is how staff pages and reports name the channel.
CHANNELS = Terms(
    Term("web", "Trang web"),
    Term("telegram", "Telegram"),
    Term("zalo", "Zalo"),
)

# Officers' roles, each able to do what the one before can (bot/staff/accounts.py).
STAFF_ROLES = Terms(
    Term("viewer", "Xem phản ánh và báo cáo"),
    Term("officer", "Cán bộ xử lý"),
    Term("admin", "Quản trị viên"),
)

# What a rating is of: the citizen chooses the first three in the rating form; "petition" is
# asked when their petition closes (handlers/petition_rating.py).
RATING_SUBJECTS = Terms(
    Term("visit", "Lần đến làm thủ tục", "rating.subject.visit"),
    Term("procedure", "Việc giải quyết hồ sơ", "rating.subject.procedure"),
    Term("bot", "Trợ lý ảo", "rating.subject.bot"),
    Term("petition", "Việc xử lý phản ánh", "petition.rate.thanks"),
)
RATING_FORM_SUBJECTS = ("visit", "procedure", "bot")


# A final "y" after a consonant is written "i" as often ("kỹ"/"kĩ", "quý"/"quí"): both fold
# to "i", so that either spelling finds the other.
FINAL_Y_RE = re.compile(r"\b(ch|gh|kh|ng|nh|ph|qu|th|tr|[bcdghklmnprstvx])y(?=[sfrxj]?\b)")


def fold(text: str) -> str:
    """The form in which words are compared: lower case, no diacritics, đ -> d, a final
    'y' after a consonant as 'i' ("Quý Đông" -> "qui dong"). Callers that fold the same
    words again and again (knowledge/nlu/normalize.py) cache it."""
    lowered = text.lower()
    if not lowered.isascii():
        decomposed = unicodedata.normalize("NFD", lowered.replace("đ", "d"))
        lowered = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return FINAL_Y_RE.sub(r"\1i", lowered)
