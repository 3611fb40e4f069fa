"""The data page's parts: templates, the upload with its row-by-row check, and exports."""

from __future__ import annotations

import hashlib
import logging

import pandas as pd
import streamlit as st

from civdata.core.auth import Actor, can
from civdata.core.errors import CivDataError
from civdata.io import exports, importers
from ui import forms, readers
from ui.downloads import download_table
from ui.i18n import current_lang, t

PREVIEW_KEY = "data_preview"
IMPORTED_KEY = "data_imported"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATUM_CHOICES = (None, *importers.DATUMS)  # None: not stated, WGS-84 with a GCJ-02/BD-09 check
LOG = logging.getLogger(__name__)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def template_bytes(version: tuple[str, int], kind: str) -> bytes:
    """Return the .xlsx template of kind (cached)."""
    with readers.session() as s:
        return importers.template_xlsx(s, kind)


@st.cache_data(ttl=readers.READ_TTL_S, show_spinner=False)
def open311_count(version: tuple[str, int], subdistrict_id: int | None) -> int:
    """Return how many problems the Open311 export holds (cached)."""
    with readers.session() as s:
        return exports.problem_request_count(s, subdistrict_id)


def open311_file(subdistrict_id: int | None, lang: str, fmt: str) -> bytes:
    """Return the Open311 export as JSON or CSV bytes (built only when downloaded)."""
    with readers.session() as s:
        requests = exports.open311_problems(s, subdistrict_id, lang)
    return exports.open311_json(requests) if fmt == "json" else exports.open311_csv(requests)


def column_names(kind: str) -> list[importers.Column]:
    """Return the columns of kind's files."""
    with readers.session() as s:
        return importers.columns_for(s, kind)


def _attempt(session, actor: Actor, kind: str, name: str, payload: bytes,
             datum: str | None, only_valid: bool, dry_run: bool) -> importers.ImportResult:
    """Return what an import (or its dry run) did in session; raise a CivDataError (also for
    an unexpected failure: a file must never crash the page)."""
    try:
        return importers.import_file(session, actor, kind, name, payload, datum=datum,
                                     only_valid=only_valid, dry_run=dry_run)
    except CivDataError:
        raise
    except Exception as exc:
        LOG.exception("import of %s failed", name)
        raise CivDataError("import_unreadable", name=name, detail=type(exc).__name__) from exc


def check_upload(actor: Actor, kind: str, name: str, payload: bytes, datum: str | None,
                 only_valid: bool) -> importers.ImportResult | CivDataError:
    """Return the dry run of an uploaded file (nothing written), or the error refusing it."""
    with readers.session() as s:
        try:
            return _attempt(s, actor, kind, name, payload, datum, only_valid, dry_run=True)
        except CivDataError as err:
            return err


def import_upload(session, actor: Actor, kind: str, name: str, payload: bytes,
                  datum: str | None, only_valid: bool) -> importers.ImportResult:
    """Import an uploaded file in session's one transaction (the importer commits); return
    what it wrote, or raise the refusal (nothing written)."""
    outcome = _attempt(session, actor, kind, name, payload, datum, only_valid, dry_run=False)
    if not outcome.committed:
        raise outcome.refusal()
    return outcome


def templates_section(version: tuple[str, int]) -> None:
    """Draw one template download button per kind of record."""
    st.subheader(t("data.templates"))
    st.caption(t("data.templates_help"))
    cols = st.columns(len(importers.KINDS))
    for col, kind in zip(cols, importers.KINDS, strict=True):
        with col:
            st.download_button(
                t("data.template_button", kind=t(f"data.kind.{kind}")),
                data=lambda k=kind: template_bytes(version, k), file_name=f"template_{kind}.xlsx",
                mime=XLSX_MIME, key=f"template_{kind}", on_click="ignore",
                icon=":material/table_view:")


def issues_table(result: importers.ImportResult, kind: str) -> pd.DataFrame:
    """Return the issues of a checked file with translated headers."""
    frame = importers.issues_frame(result.issues, column_names(kind), current_lang())
    return frame.rename(columns={"row": t("data.col.row"), "column": t("data.col.column"),
                                 "message": t("data.col.message")})


def _file_key(upload, kind: str) -> str:
    """Return a key naming this file's content and name for this kind of record."""
    return f"{hashlib.sha256(upload.getvalue()).hexdigest()[:16]}|{upload.name}|{kind}"


def _preview(actor: Actor, kind: str, upload, file_key: str, datum: str,
             only_valid: bool, version: tuple[str, int]) -> object:
    """Return the dry run of the upload, computed once per file, settings and data version."""
    fp = f"{file_key}|{datum}|{only_valid}|{version}"
    cached = st.session_state.get(PREVIEW_KEY)
    if not cached or cached[0] != fp:
        cached = (fp, check_upload(actor, kind, upload.name, upload.getvalue(), datum,
                                   only_valid))
        st.session_state[PREVIEW_KEY] = cached
    return cached[1]


def upload_section(actor: Actor, version: tuple[str, int]) -> None:
    """Draw the upload: kind, datum, file, the row-by-row check and the import button."""
    st.subheader(t("data.import"))
    left, right = st.columns(2)
    kinds = [k for k in importers.KINDS if can(actor, importers.import_permission(k))]
    with left:
        kind = st.selectbox(t("data.kind"), kinds, key="import_kind",
                            index=kinds.index("problems") if "problems" in kinds else 0,
                            format_func=lambda k: t(f"data.kind.{k}"))
    with right:
        datum = st.selectbox(t("data.datum"), DATUM_CHOICES, key="import_datum",
                             format_func=lambda d: t(f"data.datum.{d or 'auto'}"))
    upload = st.file_uploader(t("data.file"), key="import_file")
    only_valid = st.checkbox(t("data.only_valid"), key="import_only_valid",
                             disabled=kind in importers.EVAL_KIND_PERMISSIONS,
                             help=t("data.all_or_nothing")
                             if kind in importers.EVAL_KIND_PERMISSIONS else None)
    only_valid = only_valid and kind not in importers.EVAL_KIND_PERMISSIONS
    just_imported = forms.show_flash()  # the outcome of the import before this rerun
    if upload is None:
        return
    file_key = _file_key(upload, kind)
    done = st.session_state.get(IMPORTED_KEY)
    if done and done[0] == file_key:
        if not just_imported:
            draw_outcome(done[1])
            st.info(t("data.already"))
        return
    result = _preview(actor, kind, upload, file_key, datum, only_valid, version)
    if isinstance(result, CivDataError):
        st.error(result.message(current_lang()))
        return
    c1, c2, c3 = st.columns(3)
    c1.metric(t("data.rows"), result.rows)
    c2.metric(t("data.valid_rows"), result.valid_rows)
    c3.metric(t("data.issue_count"), len(result.issues))
    note = result.already_note()
    if note is not None:
        st.info(note.message(current_lang()))
    if result.issues:
        if not only_valid:
            st.error(t("data.refused"))
        st.markdown(f"**{t('data.issues')}**")
        table = issues_table(result, kind)
        st.dataframe(table, hide_index=True, width="stretch", key="import_issues")
        download_table(table, f"issues_{kind}", key="import_issues")
    elif result.written:
        st.success(t("data.clean", rows=result.rows))
    with st.expander(t("data.preview")):
        st.dataframe(result.preview, hide_index=True, width="stretch")
    can_go = result.written > 0 and (only_valid or not result.issues) and not result.file_refused
    if st.button(t("data.go", n=result.written), type="primary", disabled=not can_go,
                 key="import_go"):
        st.session_state.pop(PREVIEW_KEY, None)
        forms.submit(lambda s: import_upload(s, actor, kind, upload.name, upload.getvalue(),
                                             datum, only_valid),
                     lambda outcome: _imported(file_key, outcome))


def _imported(file_key: str, outcome: importers.ImportResult) -> str:
    """Remember the file just imported (it is not offered again) and return the flash."""
    st.session_state[IMPORTED_KEY] = (file_key, outcome)
    return outcome_text(outcome)


def outcome_text(outcome: importers.ImportResult) -> str:
    """Return what a committed import wrote, in the user's language."""
    return t("data.done_already" if outcome.already else "data.done", written=outcome.written,
             created=outcome.created, updated=outcome.updated, already=outcome.already,
             skipped=outcome.bad_rows)


def draw_outcome(outcome: importers.ImportResult) -> None:
    """Show what an import of the file in the uploader wrote."""
    st.success(outcome_text(outcome))


def exports_section(version: tuple[str, int], subdistrict_id: int | None) -> None:
    """Draw the Open311 GeoReport v2 downloads of the problems (JSON and CSV)."""
    st.subheader(t("data.exports"))
    lang = current_lang()
    st.caption(t("data.exports_help", n=open311_count(version, subdistrict_id)))
    left, right, _ = st.columns([1, 1, 6])
    with left:
        st.download_button(t("data.open311_json"),
                           data=lambda: open311_file(subdistrict_id, lang, "json"),
                           file_name="problems_open311.json", mime="application/json",
                           key="open311_json", on_click="ignore", icon=":material/download:")
    with right:
        st.download_button(t("data.open311_csv"),
                           data=lambda: open311_file(subdistrict_id, lang, "csv"),
                           file_name="problems_open311.csv", mime="text/csv",
                           key="open311_csv", on_click="ignore", icon=":material/download:")
