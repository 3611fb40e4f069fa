"""Stored text drawn as text: escape what Streamlit's Markdown would interpret."""

from __future__ import annotations

import re
import string

# CommonMark lets a backslash escape every ASCII punctuation character; Streamlit's extras
# (:color[...] directives, :material/…: icons, $LaTeX$) are made of such characters too.
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def escape_md(value: object) -> str:
    """Return stored (user-entered) text escaped for any Markdown-rendering element, so that
    st.markdown, captions, titles, alerts, metric and widget labels show it literally; a
    link or an image in it stays text and is never fetched."""
    text = "" if value is None else str(value)
    return _PUNCTUATION.sub(r"\\\1", text).replace("\n", "  \n")
