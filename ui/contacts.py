"""The contacts page's parts: the contacts table, the form that saves one, removal, and the
outbox view (counts and the messages that finally failed). Reads are not cached: few rows,
and a change must show at once."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from civdata.core.auth import Actor
from civdata.io.notify import contacts
from ui import forms, readers
from ui.i18n import current_lang, name_col, t


def contact_rows(actor: Actor) -> pd.DataFrame:
    """Return the contacts (masked) for the page."""
    with readers.session() as s:
        return contacts.contacts_table(s, actor, current_lang())


def outbox(actor: Actor) -> tuple[dict[str, int], pd.DataFrame]:
    """Return the outbox counts per state and the messages that finally failed."""
    with readers.session() as s:
        return contacts.outbox_counts(s, actor), contacts.failed_messages(s, actor)


def recipient_label(row: pd.Series) -> str:
    """Return a contact's recipient as the user reads it."""
    if row["scope"] == "subdistrict":
        return f"{t('contacts.scope.subdistrict')} · {row[name_col()]}"
    if row["scope"] == "unit":
        return f"{t('contacts.scope.unit')} · {row['unit']}"
    return t("contacts.scope.district")


def contacts_table(rows: pd.DataFrame) -> None:
    """Draw the contacts, addresses and secrets masked."""
    shown = pd.DataFrame({
        t("contacts.col.recipient"): [recipient_label(r) for _, r in rows.iterrows()],
        t("contacts.col.channel"): [t(f"contacts.channel.{c}") for c in rows["channel"]],
        t("contacts.col.address"): rows["address"],
        t("contacts.col.secret"): rows["secret"],
        t("contacts.col.lang"): rows["lang"],
        t("contacts.col.active"): rows["active"],
        t("contacts.col.updated_at"): rows["updated_at"],
        t("contacts.col.updated_by"): rows["updated_by"],
    })
    st.dataframe(shown, hide_index=True, width="stretch")


def save_form(actor: Actor, subdistricts: pd.DataFrame) -> None:
    """Draw the form that adds or changes a contact."""
    names = dict(zip(subdistricts["id"], subdistricts[name_col()], strict=True))
    with st.form("contact_save", clear_on_submit=True):
        st.subheader(t("contacts.add"))
        st.caption(t("contacts.add_help"))
        c1, c2, c3 = st.columns(3)
        scope = c1.selectbox(t("contacts.scope"), list(contacts.SCOPES), key="contact_scope",
                             format_func=lambda s: t(f"contacts.scope.{s}"))
        sub = c2.selectbox(t("contacts.scope.subdistrict"), list(names), key="contact_sub",
                           format_func=lambda i: names.get(i, "—"))
        unit = c3.text_input(t("contacts.unit"), key="contact_unit")
        c4, c5, c6 = st.columns([1, 3, 2])
        channel = c4.selectbox(t("contacts.channel"), list(contacts.CHANNELS),
                               key="contact_channel",
                               format_func=lambda c: t(f"contacts.channel.{c}"))
        address = c5.text_input(t("contacts.address"), key="contact_address")
        secret = c6.text_input(t("contacts.secret"), type="password", key="contact_secret")
        c7, c8 = st.columns(2)
        lang = c7.selectbox(t("contacts.lang"), ["zh", "en"], key="contact_lang",
                            format_func=lambda v: "中文" if v == "zh" else "English")
        active = c8.checkbox(t("contacts.active"), value=True, key="contact_active")
        if st.form_submit_button(t("contacts.save"), type="primary"):
            forms.submit(lambda s: contacts.save_contact(
                s, actor, scope=scope, channel=channel, address=address,
                subdistrict_id=int(sub) if scope == "subdistrict" and sub is not None else None,
                unit=unit if scope == "unit" else None, secret=secret, lang=lang,
                active=active), t("contacts.saved"))


def remove_form(actor: Actor, rows: pd.DataFrame) -> None:
    """Draw the form that removes a contact."""
    labels = {int(r["id"]): f"{recipient_label(r)} · {t(f'contacts.channel.{r.channel}')}"
              for _, r in rows.iterrows()}
    with st.form("contact_remove"):
        st.subheader(t("contacts.remove"))
        chosen = st.selectbox(t("contacts.col.recipient"), list(labels), key="contact_remove_id",
                              format_func=lambda i: labels[i])
        if st.form_submit_button(t("contacts.remove_button")):
            forms.submit(lambda s: contacts.remove_contact(s, actor, int(chosen)),
                         t("contacts.removed"))


def recipient_name(key: str, names: dict[int, str]) -> str:
    """Return an outbox recipient key ('district', 'subdistrict:3', 'unit:…') as a name."""
    scope, _, rest = key.partition(":")
    if scope == "subdistrict" and rest.isdigit():
        return f"{t('contacts.scope.subdistrict')} · {names.get(int(rest), rest)}"
    if scope == "unit":
        return f"{t('contacts.scope.unit')} · {rest}"
    return t("contacts.scope.district")


def outbox_section(counts: dict[str, int], failed: pd.DataFrame,
                   subdistricts: pd.DataFrame) -> None:
    """Draw the outbox counts and the messages that finally failed."""
    names = dict(zip(subdistricts["id"], subdistricts[name_col()], strict=True))
    st.subheader(t("contacts.outbox"))
    c1, c2, c3 = st.columns(3)
    c1.metric(t("contacts.outbox.pending"), counts["pending"] + counts["sending"])
    c2.metric(t("contacts.outbox.sent"), counts["sent"])
    c3.metric(t("contacts.outbox.failed"), counts["failed"])
    st.markdown(f"**{t('contacts.failed')}**")
    if failed.empty:
        st.info(t("contacts.failed_none"))
        return
    shown = pd.DataFrame({
        t("contacts.col.created_at"): failed["created_at"],
        t("contacts.col.kind"): [t(f"notify.kind.{k}") for k in failed["kind"]],
        t("contacts.col.recipient"): [recipient_name(r, names) for r in failed["recipient"]],
        t("contacts.col.channel"): [t(f"contacts.channel.{c}") for c in failed["channel"]],
        t("contacts.col.subject"): failed["subject"],
        t("contacts.col.attempts"): failed["attempts"],
        t("contacts.col.last_error"): failed["last_error"],
    })
    st.dataframe(shown, hide_index=True, width="stretch")
