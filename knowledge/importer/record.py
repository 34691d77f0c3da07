"""Turn one raw national-database record into the project's procedure record.

Every parsed part keeps the source text next to it ("raw") and says whether it
was read with confidence ("ok").  Code that talks to citizens must only state
values whose "ok" is true and point to ``source_url`` otherwise.

The field parsers are the other modules of ``knowledge.importer``; this module only assembles.
"""

from __future__ import annotations

from collections.abc import Mapping

from knowledge.importer.common import clean, split_commas
from knowledge.importer.documents import parse_documents
from knowledge.importer.legal import parse_legal_basis
from knowledge.importer.modes import parse_fee, parse_modes, parse_time
from knowledge.importer.results import parse_results
from knowledge.importer.steps import parse_steps

__all__ = [
    "KNOWN_LEVELS",
    "parse_agencies",
    "parse_conditions",
    "parse_documents",
    "parse_fee",
    "parse_legal_basis",
    "parse_levels",
    "parse_modes",
    "parse_record",
    "parse_results",
    "parse_steps",
    "parse_time",
    "unparsed_record",
]

# The levels of government the portal lists in ``cap_thuc_hien``.
KNOWN_LEVELS = ("Cấp bộ", "Cấp tỉnh", "Cấp xã", "Cơ quan khác")

# Source field for each agency role.
AGENCY_FIELDS = {
    "competent": "co_quan_co_tham_quyen",
    "executing": "co_quan_thuc_hien",
    "delegated": "co_quan_duoc_uy_quyen",
    "cooperating": "co_quan_phoi_hop",
    "submit_address": "dia_chi_tiep_nhan",
}


def parse_record(raw: Mapping[str, object]) -> dict:
    """Parse one raw record (all values strings) into the structured record."""
    return {
        **identity(raw),
        "levels": parse_levels(raw.get("cap_thuc_hien")),
        "agencies": parse_agencies(raw),
        "modes": parse_modes(raw.get("cach_thuc_thuc_hien")),
        "documents": parse_documents(raw.get("thanh_phan_ho_so")),
        "steps": parse_steps(raw.get("trinh_tu_thuc_hien")),
        "results": parse_results(raw.get("ket_qua_xu_ly")),
        "conditions": parse_conditions(raw.get("yeu_cau_dieu_kien")),
        "legal_basis": parse_legal_basis(raw.get("can_cu_phap_ly")),
        "related": clean(raw.get("thu_tuc_lien_quan")),
    }


def identity(raw: Mapping[str, object]) -> dict:
    """The plain fields copied as they are (empty / "no info" -> None)."""
    return {
        "code": clean(raw.get("ma_thu_tuc")),
        "name": clean(raw.get("ten_thu_tuc")),
        "source_url": clean(raw.get("detail_url")),
        "decision": clean(raw.get("so_quyet_dinh")),
        "kind": clean(raw.get("loai_thu_tuc")),
        "field": clean(raw.get("linh_vuc")),
        "ministry": clean(raw.get("ministry_folder")),
        "audience": clean(raw.get("doi_tuong_thuc_hien")),
    }


def parse_levels(text: object) -> list[str]:
    """"Cấp bộ, Cấp tỉnh" -> ["Cấp bộ", "Cấp tỉnh"]."""
    return split_commas(text)


def parse_agencies(raw: Mapping[str, object]) -> dict:
    """The agencies by role; each is the source text or None."""
    return {role: clean(raw.get(field)) for role, field in AGENCY_FIELDS.items()}


def parse_conditions(text: object) -> dict | None:
    """Conditions are free text: kept whole, or None when there are none listed."""
    raw = clean(text)
    return None if raw is None else {"raw": raw}


def unparsed_record(raw: object, error: str) -> dict:
    """The record to keep when parsing failed: source text kept, nothing trusted."""
    source = raw if isinstance(raw, Mapping) else {}

    def text(field: str) -> str | None:
        return clean(source.get(field))

    def failed(field: str, items_key: str = "items") -> dict:
        return {"raw": text(field), "ok": False, items_key: []}

    return {
        "code": text("ma_thu_tuc"),
        "name": text("ten_thu_tuc"),
        "source_url": text("detail_url"),
        "decision": text("so_quyet_dinh"),
        "kind": text("loai_thu_tuc"),
        "field": text("linh_vuc"),
        "ministry": text("ministry_folder"),
        "audience": text("doi_tuong_thuc_hien"),
        "levels": [],
        "agencies": {role: text(field) for role, field in AGENCY_FIELDS.items()},
        "modes": failed("cach_thuc_thuc_hien"),
        "documents": failed("thanh_phan_ho_so", "groups"),
        "steps": failed("trinh_tu_thuc_hien"),
        "results": failed("ket_qua_xu_ly"),
        "conditions": parse_conditions(source.get("yeu_cau_dieu_kien")),
        "legal_basis": failed("can_cu_phap_ly"),
        "related": text("thu_tuc_lien_quan"),
        "parse_error": error,
    }
