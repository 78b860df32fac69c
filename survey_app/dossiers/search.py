"""The register's search text: one folded string per dossier, so "khoi" finds "Khôi".

Folding happens here in Python, not in SQL: SQLite's lower() knows only ASCII and neither
engine strips Vietnamese diacritics the same way, so the folded text is stored on the row
(`Dossier.search_text`) and the query is folded by the same function.
"""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"\D")
SEPARATOR = " | "  # a query does not match across two fields


def fold(text: str | None) -> str:
    """Lowercase, without diacritics ("Đỗ Khôi" -> "do khoi"), single spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare).strip().lower()


def digits(text: str | None) -> str:
    return _NOT_DIGIT.sub("", text or "")


def search_text(
    *,
    code: str | None,
    short_code: str | None,
    student_name: str | None,
    student_class: str | None,
    applicant_name: str | None,
    applicant_phone: str | None,
) -> str:
    """What the register searches for one dossier (phone also as bare digits, the short code
    also in the two groups of four printed on the slip)."""
    parts = [code, short_code, student_name, student_class, applicant_name, applicant_phone]
    if short_code and len(short_code) == 8:
        parts.append(f"{short_code[:4]}-{short_code[4:]}")
    if applicant_phone:
        parts.append(digits(applicant_phone))
    return SEPARATOR.join(fold(p) for p in parts if p)


def search_text_of(dossier) -> str:
    """`search_text` for a Dossier (or a row dict of the bulk inserts)."""
    get = dossier.get if isinstance(dossier, dict) else lambda name: getattr(dossier, name)
    return search_text(
        code=get("code"),
        short_code=get("short_code"),
        student_name=get("student_name"),
        student_class=get("student_class"),
        applicant_name=get("applicant_name"),
        applicant_phone=get("applicant_phone"),
    )


def query_patterns(q: str) -> list[str]:
    """The folded forms of a typed query to look for: as typed, and a phone's bare digits."""
    folded = fold(q)
    patterns = [folded] if folded else []
    bare = digits(q)
    if len(bare) >= 4 and bare != folded and re.fullmatch(r"[\d\s.+-]+", q.strip()):
        patterns.append(bare)
    return patterns
