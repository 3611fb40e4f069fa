"""The moderation queue's parts (office): the pending reports and the decision form."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from civdata.core.auth import Actor
from civdata.domain import public_reports as pr
from ui import forms, readers
from ui.i18n import current_lang, t
from ui.plain import escape_md
from ui.problems import _thumbnail

DECISIONS = ("accept", "reject", "merge")


@readers.cached_by_domains("problems", show_spinner=False)
def queue(version: tuple) -> pd.DataFrame:
    """Return the pending reports, oldest first (cached by the problems domain)."""
    with readers.session() as s:
        return pr.pending_reports(s)


@readers.cached_by_domains("problems", show_spinner=False)
def nearby(version: tuple, lat: float, lon: float) -> pd.DataFrame:
    """Return the open problems within 100 m of a point (merge candidates)."""
    with readers.session() as s:
        return pr.open_problems_near(s, lat, lon)


def queue_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the queue as shown: translated headers, channel names; text stays as stored
    (st.dataframe shows cells as text, never as Markdown or HTML)."""
    lang = current_lang()
    return pd.DataFrame({
        t("moderation.col.code"): rows["code"],
        t("moderation.col.filed"): rows["submitted_at"].dt.strftime("%Y-%m-%d %H:%M"),
        t("moderation.col.channel"): [t(f"moderation.channel.{c}") for c in rows["channel"]],
        t("moderation.col.order"): rows["order_no"].fillna(""),
        t("moderation.col.class"): rows[f"class_{lang}"].fillna("—"),
        t("moderation.col.subdistrict"): rows[f"subdistrict_{lang}"].fillna("—"),
        t("moderation.col.description"): rows["description"],
        t("moderation.col.address"): rows["address"].fillna(""),
        t("moderation.col.phone"): rows["phone"].fillna(""),
    })


def _label(row: pd.Series) -> str:
    """Return a report's label in the picker (options are shown as plain text)."""
    return f"{row['code']} · {t('moderation.channel.' + row['channel'])} · " \
        f"{row['description'][:30]}"


def decision_form(actor: Actor, rows: pd.DataFrame) -> None:
    """Draw the decision on one pending report: accept, reject with a reason, or merge."""
    by_id = {int(r["id"]): r for _, r in rows.iterrows()}
    picked = st.selectbox(t("moderation.pick"), list(by_id), key="moderation_pick",
                          format_func=lambda i: _label(by_id[i]))
    row = by_id[picked]
    thumb = _thumbnail(row["photo"])
    if thumb:
        st.image(thumb, width=240)
    st.markdown(escape_md(row["description"]))
    decision = st.segmented_control(t("moderation.decision"), DECISIONS, default="accept",
                                    key="moderation_decision",
                                    format_func=lambda d: t(f"moderation.do.{d}")) or "accept"
    has_point = pd.notna(row["lat"])
    if has_point and decision == "merge":
        near = nearby(readers.data_version(), float(row["lat"]), float(row["lon"]))
        st.caption(t("moderation.nearby"))
        if near.empty:
            st.info(t("moderation.no_nearby"))
        else:
            st.dataframe(near[["code", f"class_{current_lang()}", "description", "distance_m"]]
                         .round({"distance_m": 0}), hide_index=True, width="stretch")
    cls = readers.problem_classes(readers.data_version())
    with st.form("moderation_form"):
        class_code = lat = lon = reason = problem_code = None
        if decision == "accept":
            codes = cls["code"].tolist()
            class_code = st.selectbox(
                t("moderation.class"), codes, key="moderation_class",
                index=codes.index(row["class_code"]) if row["class_code"] in codes else 0,
                format_func=lambda c: cls.loc[cls["code"] == c, f"name_{current_lang()}"].iloc[0])
            if not has_point:
                st.caption(t("moderation.needs_point"))
                c1, c2 = st.columns(2)
                lat = c1.number_input(t("moderation.lat"), value=41.7615, format="%.6f",
                                      key="moderation_lat")
                lon = c2.number_input(t("moderation.lon"), value=123.4268, format="%.6f",
                                      key="moderation_lon")
        elif decision == "reject":
            reason = st.text_area(t("moderation.reason"), key="moderation_reason",
                                  max_chars=pr.MAX_REASON)
        else:
            problem_code = st.text_input(t("moderation.problem_code"), key="moderation_problem")
        sent = st.form_submit_button(t("moderation.confirm"), type="primary")
    if not sent:
        return
    version, report_id, code = int(row["version"]), int(row["id"]), row["code"]
    clear = ("moderation_reason", "moderation_problem", "moderation_pick")
    if decision == "accept":
        forms.submit(lambda s: pr.accept_report(s, actor, report_id, expected_version=version,
                                                class_code=class_code, lat=lat, lon=lon),
                     lambda p: t("moderation.done.accept", code=code, problem=p.code),
                     clear=clear)
    elif decision == "reject":
        forms.submit(lambda s: pr.reject_report(s, actor, report_id, expected_version=version,
                                                reason=reason or ""),
                     t("moderation.done.reject", code=code), clear=clear)
    else:
        forms.submit(lambda s: pr.merge_report(s, actor, report_id, expected_version=version,
                                               problem_code=problem_code or ""),
                     lambda p: t("moderation.done.merge", code=code, problem=p.code),
                     clear=clear)
