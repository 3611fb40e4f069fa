"""Exports: any table as CSV or XLSX with formula injection neutralised, and problems in the
Open311 GeoReport v2 shape (JSON and CSV) for other city systems."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civdata.core import models as m

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DISTRICT_UTC_OFFSET = "+08:00"
OPEN311_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                  "lat", "long", "media_url"]


# a line start (the text's start, or just after a CR or LF) followed by a formula start
_FORMULA_AT_LINE_START = re.compile(
    r"(?:^|(?<=[\r\n]))(?=[" + re.escape("".join(FORMULA_STARTS)) + "])")
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML 1.0 has no such character


def neutralise(value: object) -> object:
    """Return value with an apostrophe before every line of it that a spreadsheet would run as a
    formula (a reader that splits a cell at a bare CR or LF must not find a formula either)."""
    if isinstance(value, str):
        return _FORMULA_AT_LINE_START.sub("'", value)
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of frame whose text cells (and column names) cannot start a formula."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Return frame as UTF-8 CSV with a byte-order mark (so Excel reads Chinese), neutralised.

    Rows end in CRLF (RFC 4180), so the csv writer quotes every field holding a CR, an LF, a
    comma or a quote: a cell with a line break inside stays one cell.
    """
    return neutralised(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """Return frame as an .xlsx workbook of one sheet, neutralised (no cell is a formula)."""
    from openpyxl import Workbook

    clean = neutralised(frame)
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31] or "data")
    ws.append([_excel_value(str(c)) for c in clean.columns])
    for row in clean.itertuples(index=False):
        ws.append([_excel_value(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _excel_value(value: object) -> object:
    """Return a cell value openpyxl can store (missing as blank, numpy scalars as Python, control
    characters XML cannot hold as U+FFFD)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    if isinstance(value, (list, dict, tuple)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return _XLSX_ILLEGAL.sub("\ufffd", value)  # openpyxl refuses control characters
    return value


def _iso(at: datetime | None) -> str | None:
    """Return a naive district time as ISO 8601 with the district's UTC offset."""
    if at is None or pd.isna(at):
        return None
    return pd.Timestamp(at).strftime("%Y-%m-%dT%H:%M:%S") + DISTRICT_UTC_OFFSET


def open311_problems(session: Session, subdistrict_id: int | None = None,
                     lang: str = "zh", limit: int | None = None) -> pd.DataFrame:
    """Return problems as Open311 GeoReport v2 service requests (one row each, newest first)."""
    name_class = m.ProblemClass.name_zh if lang == "zh" else m.ProblemClass.name_en
    name_sub = m.Subdistrict.name_zh if lang == "zh" else m.Subdistrict.name_en
    name_site = m.Site.name_zh if lang == "zh" else m.Site.name_en
    updated = func.coalesce(m.Problem.closed_at, m.Problem.assigned_at, m.Problem.discovered_at)
    query = (select(m.Problem.code, m.Problem.status, name_class, m.ProblemClass.code,
                    m.Problem.description, m.Problem.responsible_unit,
                    m.Problem.discovered_at, updated, m.Problem.deadline, name_sub, name_site,
                    m.Site.code, m.Problem.lat, m.Problem.lon, m.Problem.photo_before)
             .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
             .join(m.Subdistrict, m.Subdistrict.id == m.Problem.subdistrict_id)
             .outerjoin(m.Site, m.Site.id == m.Problem.site_id)
             .order_by(m.Problem.discovered_at.desc(), m.Problem.id.desc()))
    if subdistrict_id is not None:
        query = query.where(m.Problem.subdistrict_id == subdistrict_id)
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    records = [{
        "service_request_id": code, "status": "closed" if status == "closed" else "open",
        "status_notes": status, "service_name": cls_name, "service_code": cls_code,
        "description": desc, "agency_responsible": unit, "service_notice": None,
        "requested_datetime": _iso(found), "updated_datetime": _iso(upd),
        "expected_datetime": _iso(deadline),
        "address": f"{sub_name}{' · ' + site_name if site_name else ''}",
        "address_id": site_code, "zipcode": None, "lat": lat, "long": lon,
        "media_url": photo,
    } for (code, status, cls_name, cls_code, desc, unit, found, upd, deadline, sub_name,
           site_name, site_code, lat, lon, photo) in rows]
    return pd.DataFrame(records, columns=OPEN311_FIELDS)


def open311_json(requests: pd.DataFrame) -> bytes:
    """Return service requests as a GeoReport v2 JSON array (UTF-8; missing fields as null)."""
    records = requests.astype(object).where(requests.notna(), None).to_dict("records")
    return json.dumps(records, ensure_ascii=False, indent=1).encode("utf-8")


def open311_csv(requests: pd.DataFrame) -> bytes:
    """Return service requests as CSV with the GeoReport v2 field names (neutralised)."""
    return csv_bytes(requests)


def problem_request_count(session: Session, subdistrict_id: int | None = None) -> int:
    """Return how many problems an Open311 export (of one subdistrict or all) holds."""
    query = select(func.count(m.Problem.id))
    if subdistrict_id is not None:
        query = query.where(m.Problem.subdistrict_id == subdistrict_id)
    return int(session.scalar(query) or 0)
