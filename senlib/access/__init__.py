"""Who may see what: roles from the sign-in configuration, and the viewer every query checks.

SEN records are special category personal data, so access is least privilege and is decided
here, in plain functions the UI and the command line share (the UI never decides on its own):

- `resolve_role(email, roles)` maps a signed-in email to `senco`, `leader` or `governor` using
  the `[roles]` table of `.streamlit/secrets.toml` (lists of emails or `@domain` entries). A user
  in several roles gets the most powerful one (senco > leader > governor); in none, no access.
- `allowed_settings(email, settings_access)` limits a user in a trust to some settings.
- `Viewer` carries role, email and settings into senlib queries, which call `require_staff`,
  `require_senco` or `setting_clause` so that a page reached by a typed URL still shows nothing
  the role may not see.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from senlib.core.errors import SenlibError

SENCO, LEADER, GOVERNOR = "senco", "leader", "governor"
ROLES: tuple[str, ...] = (SENCO, LEADER, GOVERNOR)  # in precedence order: the first that matches wins
STAFF: tuple[str, ...] = (SENCO, LEADER)
ROLE_LABELS: dict[str, str] = {SENCO: "SENCo", LEADER: "Senior leader", GOVERNOR: "Governor"}


class AccessDenied(SenlibError):
    """The viewer's role (or settings) does not allow this; pages show the message, never the data."""


class AccessConfigError(SenlibError):
    """The `[roles]` or `[settings_access]` configuration is malformed; fail closed and say how to fix it."""


@dataclass(frozen=True)
class Viewer:
    """The person a query runs for: role, email (None in local mode) and the settings they may see.

    `settings` is None for every setting; a frozenset limits the viewer to those settings.
    """

    role: str
    email: str | None = None
    settings: frozenset[str] | None = None
    local: bool = False
    login: str | None = None  # who the command line runs as (OS login name or --user), for the audit log

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise AccessConfigError(f"'{self.role}' is not a role.", fix=f"Use one of: {', '.join(ROLES)}.")

    @property
    def name(self) -> str:
        """Who to write in the audit log."""
        return self.email or self.login or "local SENCo"

    @property
    def label(self) -> str:
        """Role as a person reads it, e.g. 'Senior leader'."""
        return ROLE_LABELS[self.role]

    @property
    def is_staff(self) -> bool:
        """SENCos and senior leaders may see pupil-level records."""
        return self.role in STAFF

    @property
    def can_write(self) -> bool:
        """Only SENCos upload, undo, change rules and restore."""
        return self.role == SENCO

    def may_see_setting(self, setting: str | None) -> bool:
        """True when this viewer may see records of `setting`."""
        return self.settings is None or setting in self.settings


def local_viewer(login: str | None = None) -> Viewer:
    """The single SENCo of local mode (no sign-in configured, app bound to loopback), or of the command line
    (`login`: who the audit log names)."""
    return Viewer(role=SENCO, email=None, settings=None, local=True, login=login)


TRUSTED = Viewer(role=SENCO, email=None, settings=None, local=True, login="senlib")
"""The product's own code, said out loud: the command line (run by someone who can open the database file anyway,
who is named in the audit log by their own Context) and the internals of a report that aggregates before anything
is shown (the governors' report reads pupil rows for the counts it publishes). Never a page's viewer."""


def normalise_email(email: str | None) -> str | None:
    """Lower-cased and trimmed, or None when there is nothing usable."""
    if not email or not isinstance(email, str):
        return None
    text = email.strip().lower()
    if text.count("@") != 1 or text.startswith("@") or text.endswith("@") or any(c.isspace() for c in text):
        return None
    return text


def _entries(value: object, where: str) -> list[str]:
    """A `[roles]` list (or a single string) as clean lower-case entries; malformed ones are refused."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise AccessConfigError(f"{where} must be a list of email addresses or @domain entries.",
                                fix=f'Write it like {where} = ["head@school.org", "@school.org"].')
    out: list[str] = []
    for item in value:
        text = str(item).strip().lower()
        if text.startswith("@"):
            domain = text[1:]
            if not domain or "@" in domain or "." not in domain or any(c.isspace() for c in domain):
                raise AccessConfigError(f"'{item}' in {where} is not a valid @domain entry.", fix='Write a domain as "@school.org".')
        elif normalise_email(text) is None:
            raise AccessConfigError(f"'{item}' in {where} is neither an email address nor an @domain entry.",
                                    fix='Write "name@school.org" for one person or "@school.org" for everyone at that domain.')
        out.append(text)
    return out


def _matches(email: str, entries: Iterable[str]) -> bool:
    """Exact email, or '@domain' matching the whole domain (not a look-alike ending in it)."""
    domain = "@" + email.rsplit("@", 1)[1]
    return any(e in (email, domain) for e in entries)


def check_roles_config(roles: Mapping[str, object] | None) -> dict[str, list[str]]:
    """The `[roles]` table validated and normalised; raises AccessConfigError on anything malformed."""
    roles = roles or {}
    if not isinstance(roles, Mapping):
        raise AccessConfigError("[roles] must be a table.", fix="See .streamlit/secrets.example.toml.")
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise AccessConfigError(f"[roles] has unknown role(s): {', '.join(unknown)}.", fix=f"Use only {', '.join(ROLES)}.")
    return {role: _entries(roles.get(role), f"[roles] {role}") for role in ROLES}


def resolve_role(email: str | None, roles: Mapping[str, object] | None) -> str | None:
    """The role of a signed-in email, or None. An exact email entry beats a domain entry;
    among equals the most powerful role wins (senco > leader > governor)."""
    address = normalise_email(email)
    if address is None:
        return None
    table = check_roles_config(roles)
    for role in ROLES:  # exact entries first: a named governor at the school's own domain stays a governor
        if address in table[role]:
            return role
    for role in ROLES:
        if _matches(address, table[role]):
            return role
    return None


def allowed_settings(email: str | None, settings_access: Mapping[str, object] | None) -> frozenset[str] | None:
    """The settings `email` may see: None for all, else a set. An exact email key beats an '@domain' key."""
    address = normalise_email(email)
    table = settings_access or {}
    if not isinstance(table, Mapping):
        raise AccessConfigError("[settings_access] must be a table of email = [settings].", fix="See .streamlit/secrets.example.toml.")
    keyed: dict[str, object] = {}
    for key, value in table.items():
        k = str(key).strip().lower()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, Iterable) or isinstance(value, Mapping):
            raise AccessConfigError(f"[settings_access] '{key}' must be a list of setting names.",
                                    fix=f'Write it like "{key}" = ["Oak Primary", "Ash Academy"].')
        keyed[k] = frozenset(str(v).strip() for v in value)
    if address is None:
        return frozenset()
    if address in keyed:
        return keyed[address]  # type: ignore[return-value]
    domain = "@" + address.rsplit("@", 1)[1]
    if domain in keyed:
        return keyed[domain]  # type: ignore[return-value]
    return None


def email_from_claims(claims: Mapping[str, object]) -> str | None:
    """The email to authorise from an OpenID Connect identity: `email`, else Entra ID's
    `preferred_username` when it is an address. An email the provider marks unverified is not used."""
    if claims.get("email_verified") is False or str(claims.get("email_verified", "")).lower() == "false":
        return None
    for claim in ("email", "preferred_username"):
        address = normalise_email(claims.get(claim))  # type: ignore[arg-type]
        if address:
            return address
    return None


def viewer_for(email: str | None, config: Mapping[str, object]) -> Viewer | None:
    """The Viewer for a signed-in email given the whole secrets mapping, or None when in no role."""
    role = resolve_role(email, config.get("roles"))  # type: ignore[arg-type]
    if role is None:
        return None
    return Viewer(role=role, email=normalise_email(email), settings=allowed_settings(email, config.get("settings_access")))  # type: ignore[arg-type]


def require_staff(viewer: Viewer | None) -> Viewer:
    """Gate for pupil-level data (names, ids, dates of birth): SENCos and senior leaders only."""
    if viewer is None or not viewer.is_staff:
        raise AccessDenied("Pupil records are only shown to the SENCo and senior leaders.",
                           fix="Governors see the governors' report; ask the SENCo if you need more.")
    return viewer


def require_senco(viewer: Viewer | None) -> Viewer:
    """Gate for changes (upload, undo, rule changes, restore) and the audit log: the SENCo only."""
    if viewer is None or viewer.role != SENCO:
        raise AccessDenied("Only the SENCo can do this.", fix="Ask the SENCo; senior leaders and governors have read-only access.")
    return viewer


def require_whole_database(viewer: Viewer | None) -> Viewer:
    """Gate for what spans every setting (backup, restore, the audit log): a SENCo limited to no settings."""
    viewer = require_senco(viewer)
    if viewer.settings is not None:
        raise AccessDenied("This covers every setting in the database, and your access is limited to some settings.",
                           fix="Ask a SENCo with access to every setting.")
    return viewer


def require_role(viewer: Viewer | None, *roles: str) -> Viewer:
    """Gate for anything open to a named set of roles (e.g. the governors' report: all three)."""
    if viewer is None or viewer.role not in roles:
        allowed = ", ".join(ROLE_LABELS[r] for r in roles)
        raise AccessDenied(f"This is only available to: {allowed}.")
    return viewer


def setting_clause(viewer: Viewer, column: str = "setting") -> tuple[str, list[str]]:
    """A SQL condition (and its parameters) limiting rows to the viewer's settings.

    Use it in every query a page runs: `where, params = setting_clause(viewer)` then
    `f"SELECT ... FROM pupils WHERE {where}"`. `column` must be a trusted identifier.
    """
    if viewer.settings is None:
        return "TRUE", []
    if not viewer.settings:
        return "FALSE", []
    names = sorted(viewer.settings)
    return f"{column} IN ({', '.join('?' for _ in names)})", names


def scope_frame(viewer: Viewer, frame: pd.DataFrame, column: str = "setting") -> pd.DataFrame:
    """`frame` limited to the viewer's settings (for results computed before scoping)."""
    if viewer.settings is None:
        return frame
    return frame[frame[column].isin(viewer.settings)]


def is_loopback(address: str | None) -> bool:
    """True when the server listens only on this machine. An unset address means every interface."""
    if not address:
        return False
    text = address.strip().strip("[]").lower()
    if text == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


SIGN_IN_HOWTO = (
    "To serve the dashboard to other computers, configure sign-in: add an [auth] section "
    "(redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url from your Microsoft Entra ID "
    "or Google Workspace app registration) and a [roles] section to .streamlit/secrets.toml — see "
    ".streamlit/secrets.example.toml and the README section 'Sign-in and roles'. Or run it on 127.0.0.1 "
    "(the default) for a single SENCo on this computer."
)


def local_mode_refusal(address: str | None) -> str | None:
    """Why local mode must not start on `address`, or None when it may (loopback only)."""
    if is_loopback(address):
        return None
    where = address or "every network interface"
    return f"The dashboard is set to listen on {where} but sign-in is not configured, so anyone on the network could open pupil records. {SIGN_IN_HOWTO}"


def settings_sql(settings: Sequence[str] | None, column: str = "setting") -> tuple[str, list]:
    """The one SQL spelling of a scope: ' AND <column> IN (...)' and its parameter, or nothing for every setting."""
    if settings is None:
        return "", []
    return f" AND {column} IN (SELECT unnest(?::VARCHAR[]))", [list(settings)]


def staff_scope(viewer: Viewer, settings: Sequence[str] | None = None) -> list[str] | None:
    """scope_for pupil-level data: SENCos and senior leaders only, narrowed to their settings."""
    return scope_for(viewer, settings, STAFF)


def scope_for(viewer: Viewer, settings: Sequence[str] | None, roles: Sequence[str]) -> list[str] | None:
    """The settings a viewer's query may read: `settings` (None: all) narrowed to the viewer's own.
    Raises AccessDenied for a role not in `roles`. An empty list means none at all (the rules read it so).

    A governor's report always covers every setting the governor may see: reports over different
    choices of settings could be subtracted from one another to recover a count one of them hides."""
    chosen = None if settings is None else list(settings)
    require_role(viewer, *roles)  # nobody said who is asking: refused (access fails closed)
    if viewer.role == GOVERNOR:
        chosen = None
    if viewer.settings is None:
        return chosen
    return sorted(viewer.settings) if chosen is None else [s for s in chosen if s in viewer.settings]
