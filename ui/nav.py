"""The pages of the app and which roles are offered each."""

from __future__ import annotations

from dataclasses import dataclass

from civdata.core.config import PROJECT_ROOT

EVERYONE = frozenset({"leader", "office", "subdistrict", "market", "admin"})


@dataclass(frozen=True)
class PageSpec:
    """A page: its file, URL path, title key, icon and the roles that see it."""

    file: str
    url_path: str
    title_key: str
    icon: str
    roles: frozenset[str]


PAGES = [
    PageSpec("pages/overview.py", "overview", "nav.overview", ":material/dashboard:", EVERYONE),
    PageSpec("pages/map.py", "map", "nav.map", ":material/map:", EVERYONE),
    PageSpec("pages/problems.py", "problems", "nav.problems", ":material/report:", EVERYONE),
    PageSpec("pages/renovation.py", "renovation", "nav.renovation", ":material/construction:",
             EVERYONE),
    PageSpec("pages/markets.py", "markets", "nav.markets", ":material/storefront:", EVERYONE),
    PageSpec("pages/volunteers.py", "volunteers", "nav.volunteers",
             ":material/volunteer_activism:", EVERYONE),
    PageSpec("pages/weekly.py", "weekly", "nav.weekly", ":material/event_note:", EVERYONE),
    PageSpec("pages/daily.py", "daily", "nav.daily", ":material/today:",
             frozenset({"leader", "office", "subdistrict"})),  # issue 21
    PageSpec("pages/monthly.py", "monthly", "nav.monthly", ":material/leaderboard:",
             frozenset({"leader", "office", "subdistrict"})),  # issue 21
    PageSpec("pages/readiness.py", "readiness", "nav.readiness", ":material/fact_check:",
             frozenset({"leader", "office", "subdistrict"})),
    PageSpec("pages/data.py", "data", "nav.data", ":material/upload_file:",
             frozenset({"office", "subdistrict", "market"})),
    PageSpec("pages/audit.py", "audit", "nav.audit", ":material/history:",
             frozenset({"office", "admin"})),
    PageSpec("pages/users.py", "users", "nav.users", ":material/group:", frozenset({"admin"})),
    PageSpec("pages/contacts.py", "contacts", "nav.contacts", ":material/notifications:",
             frozenset({"office"})),  # issue 21: message contacts and the outbox
    PageSpec("pages/report.py", "report", "nav.report", ":material/photo_camera:",
             frozenset({"office", "subdistrict", "market"})),  # issue 20: the phone page
    PageSpec("pages/moderation.py", "moderation", "nav.moderation", ":material/inbox:",
             frozenset({"office"})),  # issue 20: public reports and hotline orders
]
# Served without sign-in, and the only page a signed-out visitor can open besides the login
# form (issue 20): the citizens' report page. Never offered in the signed-in menu.
PUBLIC_PAGES = [
    PageSpec("pages/public.py", "public", "nav.public", ":material/add_a_photo:", frozenset()),
]


def pages_for(role: str) -> list[PageSpec]:
    """Return the pages offered to role, in menu order."""
    return [p for p in PAGES if role in p.roles]


def page_path(spec: PageSpec) -> str:
    """Return the absolute path of a page file."""
    return str(PROJECT_ROOT / spec.file)


def spec_for_file(page_file: str) -> PageSpec | None:
    """Return the spec of a page file (absolute or relative to the project), or None."""
    wanted = (PROJECT_ROOT / page_file).resolve()
    return next((p for p in PAGES if (PROJECT_ROOT / p.file).resolve() == wanted), None)


def spec_for_path(url_path: str) -> PageSpec | None:
    """Return the spec whose URL path is url_path, or None."""
    return next((p for p in PAGES if p.url_path == url_path), None)
