"""The usual administrative procedures of a school's one-stop desk (editable per school).

Checked against the rules of 2026 (docs/procedures.md gives the sources and what could not be
verified): public tuition is free from school year 2025–2026 (Resolution 217/2025/QH15), so a
public school has no tuition-exemption procedure left, only the support for learning costs;
the amended Education Law (passed 10/12/2025, in force 1/1/2026) ends the lower-secondary
diploma — a new graduate's completion is confirmed in the school record — so the diploma
procedures serve the diplomas issued before 2026.
"""

from survey_app.audit import audit
from survey_app.dossiers.models import Procedure
from survey_app.extensions import db
from survey_app.schools import School

# code, Vietnamese name, English name, working days, online level
USUAL_PROCEDURES = (
    (
        "CHUYEN-TRUONG",
        "Chuyển trường đối với học sinh trung học cơ sở",
        "Transfer of a lower-secondary student",
        3,
        3,
    ),
    (
        "BAN-SAO-VB",
        "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc (bằng cấp trước năm 2026)",
        "Certified copy of a diploma from the master register (issued before 2026)",
        1,
        4,
    ),
    (
        "CHINH-SUA-VB",
        "Chỉnh sửa nội dung văn bằng, chứng chỉ (bằng cấp trước năm 2026)",
        "Correction of a diploma or certificate (issued before 2026)",
        5,
        3,
    ),
    (
        "XAC-NHAN-HS",
        "Cấp giấy xác nhận học sinh đang học tại trường",
        "Certificate of current enrolment",
        1,
        4,
    ),
    (
        "HO-TRO-CPHT",
        "Xét, duyệt hỗ trợ chi phí học tập",
        "Support for learning costs",
        10,
        3,
    ),
    (
        "TIEP-NHAN-HS",
        "Tiếp nhận học sinh từ nước ngoài về nước",
        "Admission of a student returning from abroad",
        5,
        None,
    ),
    ("XIN-HOC-LAI", "Xin học lại tại trường", "Re-admission", 3, None),
    ("HO-SO-HOC-BA", "Cấp lại học bạ, hồ sơ học sinh", "Re-issue of a school record", 5, 3),
)


def seed_procedures(school) -> list[Procedure]:
    """Add the usual procedures to a new school (the caller commits)."""
    rows = [
        Procedure(
            school=school,
            code=code,
            name=name,
            name_en=name_en,
            working_days=days,
            online_level=level,
        )
        for code, name, name_en, days, level in USUAL_PROCEDURES
    ]
    db.session.add_all(rows)
    return rows


def create_school(code: str, name: str, address: str | None = None) -> School:
    """A school with the usual procedures, for `flask schools create` and the office's page
    (the caller checked the code is free, and commits)."""
    school = School(code=code.strip(), name=name.strip(), address=address or None)
    db.session.add(school)
    db.session.flush()
    seed_procedures(school)
    audit("create", "school", school.id, school_id=school.id)
    return school
