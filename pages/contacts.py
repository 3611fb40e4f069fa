"""Contacts (office): where messages go per subdistrict and unit; the outbox and its failures."""

import streamlit as st

from ui import contacts as contacts_ui
from ui import forms, readers
from ui.auth_gate import require_page
from ui.i18n import t

actor = require_page(__file__)
st.title(t("contacts.title"))
st.caption(t("contacts.what"))
forms.show_flash()
rows = contacts_ui.contact_rows(actor)
st.subheader(t("contacts.list"))
if rows.empty:
    st.info(t("contacts.none"))
else:
    contacts_ui.contacts_table(rows)
subdistricts = readers.subdistricts(readers.data_version())
contacts_ui.save_form(actor, subdistricts)
if not rows.empty:
    contacts_ui.remove_form(actor, rows)
counts, failed = contacts_ui.outbox(actor)
contacts_ui.outbox_section(counts, failed, subdistricts)
