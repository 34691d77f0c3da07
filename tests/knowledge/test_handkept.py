"""Loading the hand-kept knowledge into typed objects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.handkept.model import (
    KNOWLEDGE_DIR,
    Contact,
    HandKept,
    KnowledgeError,
    Localized,
    Source,
    load_handkept,
)
from knowledge.handkept.schema import ASPECTS, HANDKEPT_FILES, INTENTS, MIN_INTENT_EXAMPLES

BROKEN = Path(__file__).parent / "fixtures" / "broken"


@pytest.fixture(scope="module")
def kb() -> HandKept:
    return load_handkept()


def make_contact(*, confirmed: bool, url: str) -> Contact:
    return Contact(
        id="x",
        name=Localized("Tổng đài", "Hotline"),
        scope="national",
        kind="hotline",
        phone="1800 1096",
        email="",
        url="",
        address="",
        hours="",
        note=None,
        purpose=("support",),
        keywords=("tổng đài",),
        source=Source(url, "", "2026-11-25" if url else ""),
        confirmed=confirmed,
    )


def test_real_knowledge_loads(kb: HandKept) -> None:
    assert kb.contacts and kb.guides and kb.faq and kb.aliases and kb.abbreviations
    assert set(kb.intents) == set(INTENTS)
    assert all(len(spec.examples) >= MIN_INTENT_EXAMPLES for spec in kb.intents.values())
    assert set(kb.aspect_cues) == set(ASPECTS)
    assert kb.intents["procedure"].name == "procedure"


def test_every_fact_has_a_source(kb: HandKept) -> None:
    for guide in kb.guides:
        assert guide.source.url.startswith("http"), guide.id
    for entry in kb.faq:
        assert entry.source.url.startswith("http"), entry.id
        assert len(entry.answer) <= 500


def test_text_formats_placeholders(kb: HandKept) -> None:
    assert kb.text("duration.working_days", amount="7") == "7 ngày làm việc"
    assert kb.text("duration.working_days", "en", amount="7") == "7 working days"
    assert "3" in kb.text("ask_which", count=3)
    assert kb.text("ask_which", "en", count=2).startswith("2 procedures")


def test_text_falls_back_to_vietnamese(kb: HandKept) -> None:
    assert kb.text("aspect.fee", "fr") == kb.text("aspect.fee") == "Phí, lệ phí"


def test_text_errors_name_the_key_and_placeholder(kb: HandKept) -> None:
    with pytest.raises(KeyError, match="no_such_text"):
        kb.text("no_such_text")
    with pytest.raises(KeyError, match="count"):
        kb.text("ask_which")


def test_unconfirmed_contacts_are_not_shown(kb: HandKept) -> None:
    shown = {c.id for c in kb.shown_contacts}
    for contact in kb.contacts:
        assert (contact.id in shown) == (contact.confirmed and bool(contact.source.url))
    templates = [c for c in kb.contacts if not c.confirmed]
    assert templates, "the templates for the deploying agency are unconfirmed"
    assert not any(c.is_shown for c in templates)
    hotline = kb.contact("dvcqg_hotline")
    assert hotline is not None and not hotline.is_shown


def test_is_shown_needs_confirmation_and_a_source_url() -> None:
    assert make_contact(confirmed=True, url="https://example.gov.vn").is_shown
    assert not make_contact(confirmed=False, url="https://example.gov.vn").is_shown
    assert not make_contact(confirmed=True, url="").is_shown


def test_shown_contacts_have_their_value(kb: HandKept) -> None:
    value_of = {"hotline": "phone", "email": "email", "web": "url", "office": "address"}
    for contact in kb.shown_contacts:
        assert getattr(contact, value_of[contact.kind]), contact.id


def test_broken_knowledge_raises_with_every_problem(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    for relative in HANDKEPT_FILES:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(KNOWLEDGE_DIR / relative, root / relative)
    shutil.copy(BROKEN / "faq.yaml", root / "yaml/faq.yaml")
    (root / "yaml/contacts.yaml").unlink()
    with pytest.raises(KnowledgeError) as raised:
        load_handkept(root)
    message = str(raised.value)
    assert len(raised.value.problems) == 3
    assert "knowledge/yaml/contacts.yaml:0: file is missing" in message
    assert "knowledge/yaml/faq.yaml:5: faq[0].answer:" in message
    assert "knowledge/yaml/faq.yaml:14: faq[1].source: missing" in message


def test_localized_reads_like_the_yaml_mapping(kb: HandKept) -> None:
    portal = kb.contact("dvcqg_portal")
    assert portal is not None
    assert portal.name["vi"] == portal.name.vi == "Cổng Dịch vụ công quốc gia"
    assert portal.name["en"] == portal.name.get("en") == "National Public Service Portal"
    with pytest.raises(KeyError):
        portal.name["fr"]
