"""Every page of the app, once: file, title, icon, and which roles may open it.

app.py builds st.navigation from this list for the signed-in user's role, so a page a
role may not open is not even registered for that user (typing its URL finds nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from senlib.access import GOVERNOR, LEADER, ROLES, SENCO, STAFF

ALL_ROLES = ROLES
__all__ = ["ALL_ROLES", "AUDIT", "BACKUP", "CASELOAD", "COMPLIANCE", "ESCALATIONS", "GOVERNOR", "GOVERNORS", "IMPACT",
           "LEADER", "OVERVIEW", "PAGES", "PROGRESS", "PROVISION", "PUPIL", "RULES", "SENCO", "STAFF", "UPCOMING", "UPLOAD",
           "PageSpec", "pages_for"]


# Every page's identity, once: other modules link and switch to pages by these names.
OVERVIEW = "pages/overview.py"
CASELOAD = "pages/caseload.py"
UPCOMING = "pages/upcoming.py"
ESCALATIONS = "pages/escalations.py"
PUPIL = "pages/pupil.py"
PROGRESS = "pages/progress.py"
COMPLIANCE = "pages/compliance.py"
PROVISION = "pages/provision.py"
IMPACT = "pages/impact.py"
GOVERNORS = "pages/governors.py"
UPLOAD = "pages/upload.py"
RULES = "pages/rules.py"
AUDIT = "pages/audit.py"
BACKUP = "pages/backup.py"


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    roles: tuple[str, ...]
    section: str = "Caseload"


PAGES: list[PageSpec] = [
    PageSpec(OVERVIEW, "Overview", ":material/dashboard:", STAFF),
    PageSpec(CASELOAD, "Caseload", ":material/groups:", STAFF),
    PageSpec(UPCOMING, "Upcoming reviews", ":material/event_upcoming:", STAFF),
    PageSpec(ESCALATIONS, "Escalations", ":material/stairs:", STAFF),
    PageSpec(PUPIL, "Pupil", ":material/person:", STAFF),
    PageSpec(PROGRESS, "Progress", ":material/trending_up:", STAFF, section="Leadership"),
    PageSpec(COMPLIANCE, "Compliance", ":material/fact_check:", STAFF, section="Leadership"),
    PageSpec(PROVISION, "Provision map", ":material/grid_view:", STAFF, section="Leadership"),
    PageSpec(IMPACT, "Impact", ":material/bubble_chart:", STAFF, section="Leadership"),
    PageSpec(GOVERNORS, "Governors' report", ":material/summarize:", ALL_ROLES, section="Reports"),
    PageSpec(UPLOAD, "Upload trackers", ":material/upload_file:", (SENCO,), section="Administration"),
    PageSpec(RULES, "Rules", ":material/rule:", STAFF, section="Administration"),
    PageSpec(AUDIT, "Audit log", ":material/history:", (SENCO,), section="Administration"),
    PageSpec(BACKUP, "Backup and restore", ":material/backup:", (SENCO,), section="Administration"),
]


def pages_for(role: str) -> list[PageSpec]:
    """The pages a role may open, in menu order."""
    return [p for p in PAGES if role in p.roles]
