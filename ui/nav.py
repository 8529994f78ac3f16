"""Every page of the app, once: file, title, icon, and which roles may open it.

app.py builds st.navigation from this list for the signed-in user's role, so a page a
role may not open is not even registered for that user (typing its URL finds nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from senlib.access import GOVERNOR, LEADER, ROLES, SENCO, STAFF

ALL_ROLES = ROLES
__all__ = ["ALL_ROLES", "GOVERNOR", "LEADER", "PAGES", "SENCO", "STAFF", "PageSpec", "pages_for"]


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    roles: tuple[str, ...]
    section: str = "Caseload"


PAGES: list[PageSpec] = [
    PageSpec("pages/overview.py", "Overview", ":material/dashboard:", STAFF),
    PageSpec("pages/caseload.py", "Caseload", ":material/groups:", STAFF),
    PageSpec("pages/upcoming.py", "Upcoming reviews", ":material/event_upcoming:", STAFF),
    PageSpec("pages/escalations.py", "Escalations", ":material/stairs:", STAFF),
    PageSpec("pages/pupil.py", "Pupil", ":material/person:", STAFF),
    PageSpec("pages/progress.py", "Progress", ":material/trending_up:", STAFF, section="Leadership"),
    PageSpec("pages/compliance.py", "Compliance", ":material/fact_check:", STAFF, section="Leadership"),
    PageSpec("pages/governors.py", "Governors' report", ":material/summarize:", ALL_ROLES, section="Reports"),
    PageSpec("pages/upload.py", "Upload trackers", ":material/upload_file:", (SENCO,), section="Administration"),
    PageSpec("pages/rules.py", "Rules", ":material/rule:", STAFF, section="Administration"),
    PageSpec("pages/audit.py", "Audit log", ":material/history:", (SENCO,), section="Administration"),
    PageSpec("pages/backup.py", "Backup and restore", ":material/backup:", (SENCO,), section="Administration"),
]


def pages_for(role: str) -> list[PageSpec]:
    """The pages a role may open, in menu order."""
    return [p for p in PAGES if role in p.roles]
