"""Evaluation materials (材料审核, issue 19): evidence files with versions and review.

Rules kept here:
- A material is missing until a version is uploaded; an upload makes it submitted; the office
  accepts it or returns it with a reason; a new version after a return (or after acceptance)
  makes it submitted again.
- Files are checked by content, not by their name: PDF, JPEG, PNG, Word (.docx) and Excel
  (.xlsx) only (a .docx/.xlsx must be a zip holding word/document.xml or xl/workbook.xml), at
  most MAX_MATERIAL_BYTES. The stored name is made from the content's hash (never from the
  user's file name, which is kept only for display); files live under the photo folder's
  "materials" folder. A refused upload leaves no row and no file.
- For the readiness estimate a material counts as accepted at time t when its latest review
  on or before t accepted it.
- Subdistrict staff upload only for their own subdistrict's materials; district-level ones
  (no subdistrict) and every review are the office's.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime
from pathlib import Path, PurePath

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, audit, require
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError
from civdata.core.live import mark_changed
from civdata.io.photos import photo_dir

MAX_MATERIAL_BYTES = 20 * 1024 * 1024
KINDS = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
OVERVIEW_COLUMNS = ["material_id", "content_code", "title", "responsible_unit", "subdistrict_id",
                    "deadline", "status", "version", "submitted_at", "reviewed_at", "reason",
                    "overdue", "content_zh", "content_en", "display_name"]


def sniff_material(data: bytes) -> str | None:
    """Return pdf, jpg, png, docx or xlsx from the file's content, else None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def validate_material(data: bytes, max_bytes: int = MAX_MATERIAL_BYTES) -> str:
    """Return the file's kind after checking size and content; raise CivDataError otherwise."""
    if not data:
        raise CivDataError("material_empty")
    if len(data) > max_bytes:
        raise CivDataError("material_too_large", size_mb=f"{len(data) / 1048576:.1f}",
                           limit_mb=f"{max_bytes / 1048576:.0f}")
    kind = sniff_material(data)
    if kind is None:
        raise CivDataError("material_type")
    return kind


def material_dir(folder: Path | None = None) -> Path:
    """Return the folder material files are stored in."""
    return photo_dir(folder) / "materials"


def material_name(data: bytes, kind: str) -> str:
    """Return the stored name of a file: its content hash under a two-letter folder."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest[:2]}/{digest[:32]}.{kind}"


def store_material(data: bytes, folder: Path | None = None) -> tuple[str, str, bool]:
    """Check and store a file; return (stored name, kind, whether the file is new)."""
    kind = validate_material(data)
    name = material_name(data, kind)
    target = material_dir(folder) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        return name, kind, False
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    return name, kind, True


def material_path(name: str, folder: Path | None = None) -> Path:
    """Return the file of a stored material (refusing names that leave the folder)."""
    root = material_dir(folder).resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise CivDataError("invalid_value", field="material", detail=name)
    return path


def _display_name(filename: str) -> str:
    """Return the user's file name without any folder, for display only."""
    base = PurePath((filename or "").replace("\\", "/")).name.strip()
    return (base or "file")[:160]


def _material(session: Session, material_id: int) -> m.EvalMaterial:
    """Return a material or raise not_found."""
    row = session.get(m.EvalMaterial, material_id, populate_existing=True)
    if row is None:
        raise CivDataError("not_found", what=f"material {material_id}")
    return row


def add_material(session: Session, actor: Actor, *, content_code: str, title: str,
                 responsible_unit: str, deadline: datetime, subdistrict_id: int | None = None,
                 task_id: int | None = None) -> int:
    """Require evidence for a materials content of the current edition (office); return its id."""
    require(actor, "evaluation.manage")
    content_id = session.scalar(
        select(m.EvalContent.id).join(m.EvalEdition, m.EvalEdition.id == m.EvalContent.edition_id)
        .where(m.EvalEdition.is_current.is_(True), m.EvalContent.code == content_code))
    if content_id is None:
        raise CivDataError("not_found", what=f"content {content_code}")
    name = (title or "").strip()
    unit = (responsible_unit or "").strip()
    if not name or not unit or len(name) > 160 or len(unit) > 96:
        raise CivDataError("required_field", field="title / responsible unit",
                           field_zh="材料名称 / 责任单位")
    row = m.EvalMaterial(content_id=content_id, task_id=task_id, title=name,
                         responsible_unit=unit, subdistrict_id=subdistrict_id,
                         deadline=deadline, status="missing", version=0)
    session.add(row)
    session.flush()
    audit(session, actor, "material.add", "eval_material", row.id, None,
          {"content": content_code, "title": name, "deadline": deadline,
           "subdistrict_id": subdistrict_id})
    mark_changed(session, "evaluation")
    session.flush()
    return row.id


def upload_material_version(session: Session, actor: Actor, material_id: int, filename: str,
                            data: bytes, folder: Path | None = None) -> int:
    """Store a new version of a material's file (submitted for review); return its number."""
    material = _material(session, material_id)
    require(actor, "material.upload", material)
    name, kind, is_new = store_material(data, folder)
    try:
        version = int(material.version or 0) + 1
        now = now_local()
        session.add(m.EvalMaterialVersion(
            material_id=material.id, version=version, stored_name=name, file_kind=kind,
            display_name=_display_name(filename), size_bytes=len(data), uploaded_at=now,
            uploaded_by=actor.username))
        old = {"status": material.status, "version": material.version}
        material.version = version
        material.status = "submitted"
        audit(session, actor, "material.upload", "eval_material", material.id, old,
              {"status": "submitted", "version": version, "file": name, "kind": kind,
               "size": len(data)})
        mark_changed(session, "evaluation")
        session.flush()
    except BaseException:
        if is_new:
            material_path(name, folder).unlink(missing_ok=True)
        raise
    return version


def review_material(session: Session, actor: Actor, material_id: int, *, accept: bool,
                    reason: str | None) -> None:
    """Accept a submitted material, or return it with a reason (office)."""
    require(actor, "material.review")
    material = _material(session, material_id)
    if material.status != "submitted":
        raise CivDataError("material_not_submitted", status=material.status)
    text = (reason or "").strip() or None
    if not accept and text is None:
        raise CivDataError("material_return_reason")
    if text is not None and len(text) > 2000:
        raise CivDataError("invalid_value", field="reason", detail="> 2000")
    now = now_local()
    session.add(m.EvalMaterialReview(material_id=material.id, version=material.version,
                                     accepted=bool(accept), reason=text, at=now,
                                     reviewer=actor.username))
    old = material.status
    material.status = "accepted" if accept else "returned"
    audit(session, actor, "material.review", "eval_material", material.id, {"status": old},
          {"status": material.status, "version": material.version, "reason": text})
    mark_changed(session, "evaluation")
    session.flush()


def materials_overview(session: Session, t: datetime, subdistrict_id: int | None = None
                       ) -> pd.DataFrame:
    """Return the current edition's materials with status, latest version, last upload and
    review (subdistrict: its own and the district-level ones)."""
    last_upload = (select(m.EvalMaterialVersion.material_id,
                          func.max(m.EvalMaterialVersion.uploaded_at).label("at"))
                   .group_by(m.EvalMaterialVersion.material_id).subquery())
    last_review_id = (select(m.EvalMaterialReview.material_id,
                             func.max(m.EvalMaterialReview.id).label("id"))
                      .group_by(m.EvalMaterialReview.material_id).subquery())
    review = m.EvalMaterialReview
    version = m.EvalMaterialVersion
    q = (select(m.EvalMaterial.id, m.EvalContent.code, m.EvalMaterial.title,
                m.EvalMaterial.responsible_unit, m.EvalMaterial.subdistrict_id,
                m.EvalMaterial.deadline, m.EvalMaterial.status, m.EvalMaterial.version,
                last_upload.c.at, review.at, review.reason, m.EvalContent.name_zh,
                m.EvalContent.name_en, version.display_name)
         .join(m.EvalContent, m.EvalContent.id == m.EvalMaterial.content_id)
         .join(m.EvalEdition, m.EvalEdition.id == m.EvalContent.edition_id)
         .outerjoin(last_upload, last_upload.c.material_id == m.EvalMaterial.id)
         .outerjoin(last_review_id, last_review_id.c.material_id == m.EvalMaterial.id)
         .outerjoin(review, review.id == last_review_id.c.id)
         .outerjoin(version, and_(version.material_id == m.EvalMaterial.id,
                                  version.version == m.EvalMaterial.version))
         .where(m.EvalEdition.is_current.is_(True)))
    if subdistrict_id is not None:
        q = q.where((m.EvalMaterial.subdistrict_id == subdistrict_id)
                    | m.EvalMaterial.subdistrict_id.is_(None))
    rows = session.execute(q.order_by(m.EvalMaterial.deadline, m.EvalMaterial.id)).all()
    frame = pd.DataFrame(rows, columns=["material_id", "content_code", "title",
                                        "responsible_unit", "subdistrict_id", "deadline",
                                        "status", "version", "submitted_at", "reviewed_at",
                                        "reason", "content_zh", "content_en", "display_name"])
    frame["subdistrict_id"] = frame["subdistrict_id"].astype("Int64")
    frame["reason"] = frame["reason"].where(frame["status"] == "returned", None)
    frame["overdue"] = (frame["status"] != "accepted") & (pd.to_datetime(frame["deadline"]) < t)
    return frame[OVERVIEW_COLUMNS]


def accepted_by_content(session: Session, t: datetime, subdistrict_id: int | None = None
                        ) -> pd.DataFrame:
    """Return per content id: materials required and accepted as of t (latest review on or
    before t accepted)."""
    last = (select(m.EvalMaterialReview.material_id,
                   func.max(m.EvalMaterialReview.id).label("id"))
            .where(m.EvalMaterialReview.at <= t)
            .group_by(m.EvalMaterialReview.material_id).subquery())
    q = (select(m.EvalMaterial.content_id, m.EvalMaterial.id,
                m.EvalMaterialReview.accepted)
         .outerjoin(last, last.c.material_id == m.EvalMaterial.id)
         .outerjoin(m.EvalMaterialReview, m.EvalMaterialReview.id == last.c.id))
    if subdistrict_id is not None:
        q = q.where((m.EvalMaterial.subdistrict_id == subdistrict_id)
                    | m.EvalMaterial.subdistrict_id.is_(None))
    frame = pd.DataFrame(session.execute(q).all(), columns=["content_id", "material_id",
                                                            "accepted"])
    frame["accepted"] = frame["accepted"].fillna(False).astype(bool)
    return frame.groupby("content_id").agg(required=("material_id", "size"),
                                           accepted=("accepted", "sum")).reset_index()
