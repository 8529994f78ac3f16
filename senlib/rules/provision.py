"""Provision (the "do" of assess-plan-do-review): each intervention's staff time and cost, each pupil's share, impact.

Layers, as for the review rules: stg_* (the store as it stood on the as-of date), prov_interventions (cost a year
of each intervention, by the rule provision_cost), prov_places (each pupil's place with its share of the cost, its
gain and attendance), prov_pupils (per pupil: hours a week now, cost this school year), prov_flags (the provision
rules of the policy, each a SELECT whose WHERE is its registry condition). Where hours or costs are not recorded
they are NULL (not tracked), never £0. An intervention covering several areas is one row: it counts once in totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pandas as pd

from senlib import access
from senlib.access import Viewer
from senlib.core.names import STAFF_ROLES
from senlib.rules.expr import SCHOOL_YEAR_START
from senlib.rules.facts import year_group
from senlib.rules.policy import default_policy
from senlib.rules.query import CTE, Scope, rule_order, run, with_ctes
from senlib.rules.registry import costing, provision_flags
from senlib.rules.sentences import compile_sentence, lit, money_text
from senlib.rules.staging import staging
from senlib.rules.tracking import rule_tracks
from senlib.store.role_costs import DEFAULT_HOURLY_COST

YEAR_START = SCHOOL_YEAR_START
YEAR_END = f"CAST({SCHOOL_YEAR_START} + INTERVAL 1 YEAR - INTERVAL 1 DAY AS DATE)"


def _keys(setting: str, la: str) -> str:
    """SQL select items: the policy layer a row reads (its setting's overrides, its council's)."""
    return (f"if(list_contains(CAST($ov_settings AS VARCHAR[]), {setting}), {setting}, '') AS setting_key, "
            f"if(list_contains(CAST($ov_las AS VARCHAR[]), {la}), {la}, '') AS la_key")


def _tracked(scope: Scope, setting: str) -> tuple[str, str]:
    """(select item, join): the setting's tracked fields (NULL: every field; rules.tracking)."""
    if not scope.tracking:
        return "CAST(NULL AS VARCHAR[]) AS tracked", ""
    return "tr.tracked", f"LEFT JOIN stg_tracked tr ON tr.setting = {setting}"


def provision_ctes(scope: Scope) -> list[CTE]:
    """CTEs stg_role_defaults, stg_provisions, stg_places, prov_interventions, prov_places, prov_pupils."""
    cost = costing()
    defaults = ", ".join(f"({lit(role)}, {float(value)!r})" for role, value in DEFAULT_HOURLY_COST.items())
    tracked_i = _tracked(scope, "pr.setting")
    tracked_p = _tracked(scope, "pl.setting")
    return [
        ("stg_role_defaults", f"SELECT * FROM (VALUES {defaults}) AS t(role, hourly_cost)"),
        ("stg_provisions", f"""
        -- interventions started by the as-of date (or with no start recorded), with their setting's council
        SELECT pr.setting, pr.provision_id, pr.name,
               list_filter(list_transform(string_split(coalesce(pr.areas, ''), ';'), lambda a: trim(a)),
                           lambda a: a <> '') AS areas,
               pr.kind, pr.delivered_by, pr.group_size, pr.sessions_per_week, pr.minutes_per_session,
               pr.weeks_per_year, pr.hourly_cost AS own_hourly_cost, pr.fixed_cost, pr.start_date, pr.end_date,
               pr.measure, pr.expected_gain, st.local_authority AS setting_la, {tracked_i[0]}
        FROM provisions pr LEFT JOIN settings st ON st.setting = pr.setting {tracked_i[1]}
        WHERE coalesce(pr.start_date <= $as_of, TRUE) AND {scope.only('pr')}"""),
        ("stg_places", f"""
        -- pupils' places started by the as-of date; scores dated later were not known yet
        SELECT hash(pl.setting, pl.pupil_id) AS pk, pl.setting, pl.pupil_id, pl.provision_id, pl.start_date,
               pl.end_date,
               if(coalesce(pl.entry_date <= $as_of, TRUE), pl.entry_score, NULL) AS entry_score, pl.entry_date,
               if(coalesce(pl.exit_date <= $as_of, TRUE), pl.exit_score, NULL) AS exit_score,
               if(pl.exit_date <= $as_of, pl.exit_date, NULL) AS exit_date,
               pl.sessions_attended, pl.sessions_planned, {tracked_p[0]}
        FROM pupil_provisions pl {tracked_p[1]}
        WHERE coalesce(pl.start_date <= $as_of, TRUE) AND {scope.only('pl')}"""),
        ("prov_priced", f"""
        -- rule provision_cost: the hourly cost is the intervention's own, else the setting's for the role, else the
        -- product's default for the role
        SELECT pr.*, {_keys('pr.setting', 'pr.setting_la')},
               pr.sessions_per_week * pr.minutes_per_session / 60.0 AS hours_week,
               coalesce(pr.own_hourly_cost, rc.hourly_cost, d.hourly_cost) AS hourly,
               CASE WHEN pr.own_hourly_cost IS NOT NULL THEN 'provision' WHEN rc.hourly_cost IS NOT NULL THEN 'setting'
                    WHEN d.hourly_cost IS NOT NULL THEN 'default' END AS hourly_source
        FROM stg_provisions pr
        LEFT JOIN role_costs rc ON rc.setting = pr.setting AND rc.role = pr.delivered_by
        LEFT JOIN stg_role_defaults d ON d.role = pr.delivered_by"""),
        ("prov_weeks", f"""
        SELECT i.*, {cost.weeks} AS weeks
        FROM prov_priced i JOIN stg_policy pol ON pol.setting_key = i.setting_key AND pol.la_key = i.la_key"""),
        ("prov_staff", f"""
        SELECT i.*, {cost.staff} AS staff_cost FROM prov_weeks i"""),
        ("prov_cost", f"""
        SELECT i.*, {cost.cost} AS cost_year,
               coalesce(i.end_date >= $as_of, TRUE) AS running,
               coalesce(i.start_date <= {YEAR_END}, TRUE) AND coalesce(i.end_date >= {YEAR_START}, TRUE) AS in_year
        FROM prov_staff i"""),
        ("prov_place_days", f"""
        -- each place with the days it covers this school year (an open end: to the end of the year, as planned)
        SELECT pl.*, i.name, i.areas, i.kind, i.delivered_by, i.hours_week, i.cost_year, i.measure, i.expected_gain,
               i.setting_key, if(list_contains(CAST($ov_las AS VARCHAR[]), coalesce(p.local_authority, p.setting_la)),
                                 coalesce(p.local_authority, p.setting_la), '') AS la_key,
               p.first_name, p.last_name, {year_group('p')} AS year_group, p.sen_status, p.primary_need,
               if(coalesce(pl.end_date, i.end_date) <= $as_of, coalesce(pl.end_date, i.end_date), NULL) AS ended_on,
               coalesce(pl.end_date >= $as_of, TRUE) AND i.running AS current,
               greatest(coalesce(pl.start_date, i.start_date, {YEAR_START}), {YEAR_START}) AS year_from,
               least(coalesce(pl.end_date, i.end_date, {YEAR_END}), {YEAR_END}) AS year_to,
               greatest(datediff('day', year_from, year_to) + 1, 0) AS days_this_year,
               sum(days_this_year) OVER (PARTITION BY pl.setting, pl.provision_id) AS days_all,
               pl.exit_score - pl.entry_score AS gain,
               pl.sessions_attended / nullif(pl.sessions_planned, 0) AS attendance
        FROM stg_places pl
        JOIN prov_cost i ON i.setting = pl.setting AND i.provision_id = pl.provision_id
        JOIN stg_pupils p ON p.pk = pl.pk"""),
        ("prov_places", f"""
        -- rule provision_cost: each place's share of the intervention's cost a year, split by days between its pupils
        SELECT pl.*, {cost.share} AS share_year FROM prov_place_days pl"""),
        ("prov_place_stats", """
        -- per intervention, over its places: pupils now and this school year, entry and exit, median gain, attendance
        -- (aggregated before the join: grouping by every column of the intervention took longer than the rest)
        SELECT setting, provision_id,
               count(DISTINCT pk) FILTER (WHERE current) AS pupils_now,
               count(DISTINCT pk) FILTER (WHERE days_this_year > 0) AS pupils_year,
               count(*) FILTER (WHERE gain IS NOT NULL) AS pupils_scored,
               avg(entry_score) FILTER (WHERE gain IS NOT NULL) AS mean_entry,
               avg(exit_score) FILTER (WHERE gain IS NOT NULL) AS mean_exit,
               median(gain) AS median_gain,
               sum(sessions_attended) FILTER (WHERE sessions_planned > 0) AS sessions_attended,
               sum(sessions_planned) FILTER (WHERE sessions_planned > 0) AS sessions_planned,
               list(DISTINCT year_group ORDER BY year_group) FILTER (WHERE current AND year_group IS NOT NULL)
                   AS year_groups
        FROM prov_places GROUP BY setting, provision_id"""),
        ("prov_interventions", """
        SELECT i.*, coalesce(a.pupils_now, 0) AS pupils_now, coalesce(a.pupils_year, 0) AS pupils_year,
               coalesce(a.pupils_scored, 0) AS pupils_scored, a.mean_entry, a.mean_exit, a.median_gain,
               a.sessions_attended, a.sessions_planned, a.year_groups
        FROM prov_cost i LEFT JOIN prov_place_stats a ON a.setting = i.setting AND a.provision_id = i.provision_id"""),
        ("prov_pupils", f"""
        -- per pupil on roll: places now, hours a week of provision now, cost this school year
        SELECT p.pk, p.setting, p.pupil_id, p.first_name, p.last_name, {year_group('p')} AS year_group, p.sen_status,
               p.primary_need, p.date_identified, coalesce(p.leaving_date <= $as_of, FALSE) AS has_left,
               {_keys('p.setting', 'coalesce(p.local_authority, p.setting_la)')}, p.tracked,
               p.setting IN (SELECT DISTINCT setting FROM pupil_provisions) AS setting_records_provision,
               coalesce(a.places_now, 0) AS places_now, a.hours_week, a.cost_year, a.cost_complete,
               a.interventions_text, a.last_provision, a.last_provision_end
        FROM stg_pupils p LEFT JOIN (
            SELECT pk, count(*) FILTER (WHERE current) AS places_now,
                   sum(hours_week) FILTER (WHERE current) AS hours_week,
                   sum(share_year) FILTER (WHERE days_this_year > 0) AS cost_year,
                   coalesce(bool_and(share_year IS NOT NULL) FILTER (WHERE days_this_year > 0), TRUE) AS cost_complete,
                   string_agg(name || coalesce(' ' || {money_text('share_year')}, ''), ', ' ORDER BY share_year DESC)
                       FILTER (WHERE days_this_year > 0) AS interventions_text,
                   arg_max(name, ended_on) FILTER (WHERE ended_on IS NOT NULL) AS last_provision,
                   max(ended_on) AS last_provision_end
            FROM prov_places GROUP BY pk) a ON a.pk = p.pk"""),
    ]


def _flag_select(rule_id: str) -> str:
    """SQL: one rule's flags, with the setting, pupil (NULL for an intervention), provision and sentence."""
    rule = default_policy().rules[rule_id]
    entry = provision_flags()[rule_id]
    alias = {"place": "pl", "pupil": "pu", "intervention": "i"}[entry.about]
    reason = compile_sentence(rule.say["flag"], entry.words, rule, where=f"{rule_id}.say.flag")
    pupil = "NULL::VARCHAR" if alias == "i" else f"{alias}.pupil_id"
    provision = "NULL::VARCHAR" if alias == "pu" else f"{alias}.provision_id"
    return f"""
        SELECT {alias}.setting, {pupil} AS pupil_id, {provision} AS provision_id, '{rule_id}' AS rule_id,
               {rule_order(rule_id)} AS rule_order, {reason} AS reason, {lit(rule.source)} AS source
        FROM {entry.reads}
        WHERE ({entry.when}) AND {rule_tracks(rule_id, alias)}"""


def flag_ctes(scope: Scope) -> list[CTE]:
    """CTE prov_flags: one row per provision flag raised."""
    return [("prov_flags", "\nUNION ALL\n".join(_flag_select(r) for r in provision_flags()))]


def _statement(scope: Scope, final: str) -> str:
    return with_ctes([*staging(scope), *provision_ctes(scope), *flag_ctes(scope)], final)


INTERVENTION_COLUMNS = ", ".join(f"i.{c}" for c in (
    "setting", "provision_id", "name", "areas", "kind", "delivered_by", "group_size", "sessions_per_week",
    "minutes_per_session", "hours_week", "weeks", "hourly", "hourly_source", "staff_cost", "fixed_cost", "cost_year",
    "start_date", "end_date", "running", "in_year", "measure", "expected_gain", "pupils_now", "pupils_year",
    "pupils_scored", "mean_entry", "mean_exit", "median_gain", "sessions_attended", "sessions_planned")) + """,
    i.sessions_attended / nullif(i.sessions_planned, 0) AS attendance,
    i.cost_year / nullif(i.pupils_year, 0) AS cost_per_pupil, coalesce(i.year_groups, []::VARCHAR[]) AS year_groups"""


def interventions(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *,
                  viewer: Viewer) -> pd.DataFrame:
    """Every intervention started by `as_of`, costed (rule provision_cost), with its pupils and impact.

    Columns: setting, provision_id, name, areas (list of area codes), kind, delivered_by, group_size,
    sessions_per_week, minutes_per_session, hours_week (staff hours a week: NULL not tracked), weeks (a school year),
    hourly (£ an hour of staff time) and hourly_source (provision / setting / default), staff_cost, fixed_cost,
    cost_year (NULL: not tracked), start_date, end_date, running (on `as_of`), in_year (runs this school year),
    measure, expected_gain, pupils_now, pupils_year, pupils_scored (entry and exit), mean_entry, mean_exit,
    median_gain, sessions_attended, sessions_planned, attendance (share), cost_per_pupil (cost a year ÷ pupils this
    school year), year_groups (of the pupils on it now); min_pupils (provision_low_impact's, in force for the
    setting: the pupils scored needed to judge it), low_impact (rule provision_low_impact) and its reason.
    Staff only (these rows lead to pupils); governors read views.governors' aggregates.
    """
    final = f"""
SELECT {INTERVENTION_COLUMNS}, pol.provision_low_impact__min_pupils AS min_pupils,
       f.rule_id IS NOT NULL AS low_impact, f.reason AS low_impact_reason
FROM prov_interventions i
JOIN stg_policy pol ON pol.setting_key = i.setting_key AND pol.la_key = i.la_key
LEFT JOIN prov_flags f ON f.rule_id = 'provision_low_impact' AND f.setting = i.setting AND f.provision_id = i.provision_id
ORDER BY i.setting, i.name, i.provision_id"""
    return run(cur, as_of, access.staff_scope(viewer, settings), lambda s: _statement(s, final))


def places(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *,
           viewer: Viewer) -> pd.DataFrame:
    """Every pupil's place on an intervention started by `as_of`, with its share of the cost and its flags.

    Columns: setting, pupil_id, first_name, last_name, year_group, sen_status, primary_need, provision_id, name,
    areas, kind, delivered_by, start_date, end_date, ended_on (NULL: not ended by `as_of`), current, hours_week,
    cost_year (the intervention's), days_this_year, share_year (£ this school year; NULL: not tracked),
    entry_score, entry_date, exit_score, exit_date, gain, measure, expected_gain, sessions_attended,
    sessions_planned, attendance; flags (rule ids: provision_no_exit, provision_attendance_low) and flag_reasons.
    """
    final = """
SELECT pl.setting, pl.pupil_id, pl.first_name, pl.last_name, pl.year_group, pl.sen_status, pl.primary_need,
       pl.provision_id, pl.name, pl.areas, pl.kind, pl.delivered_by, pl.start_date, pl.end_date, pl.ended_on,
       pl.current, pl.hours_week, pl.cost_year, pl.days_this_year, pl.share_year, pl.entry_score, pl.entry_date,
       pl.exit_score, pl.exit_date, pl.gain, pl.measure, pl.expected_gain, pl.sessions_attended, pl.sessions_planned,
       pl.attendance,
       coalesce(f.flags, []::VARCHAR[]) AS flags, coalesce(f.reasons, []::VARCHAR[]) AS flag_reasons
FROM prov_places pl
LEFT JOIN (SELECT setting, pupil_id, provision_id, list(rule_id ORDER BY rule_order) AS flags,
                  list(reason ORDER BY rule_order) AS reasons
           FROM prov_flags WHERE pupil_id IS NOT NULL AND provision_id IS NOT NULL GROUP BY ALL) f
  ON f.setting = pl.setting AND f.pupil_id = pl.pupil_id AND f.provision_id = pl.provision_id
ORDER BY pl.setting, pl.pupil_id, pl.start_date NULLS FIRST, pl.provision_id"""
    return run(cur, as_of, access.staff_scope(viewer, settings), lambda s: _statement(s, final))


def pupils(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *,
           viewer: Viewer) -> pd.DataFrame:
    """Per pupil in scope: provision now and its cost this school year, against the notional SEN budget's threshold.

    Columns: setting, pupil_id, first_name, last_name, year_group, sen_status, primary_need, has_left,
    setting_records_provision, places_now, hours_week (of provision now; NULL: none or not tracked), cost_year
    (£ this school year, the pupil's shares; NULL: none or not tracked), cost_complete (every share priced),
    threshold (provision_over_notional in force), over_threshold, flags and flag_reasons (provision_over_notional,
    register_without_provision).
    """
    final = """
SELECT pu.setting, pu.pupil_id, pu.first_name, pu.last_name, pu.year_group, pu.sen_status, pu.primary_need,
       pu.has_left, pu.setting_records_provision, pu.places_now, pu.hours_week, pu.cost_year, pu.cost_complete,
       pol.provision_over_notional__threshold AS threshold,
       coalesce(pu.cost_year > pol.provision_over_notional__threshold, FALSE) AS over_threshold,
       coalesce(f.flags, []::VARCHAR[]) AS flags, coalesce(f.reasons, []::VARCHAR[]) AS flag_reasons
FROM prov_pupils pu JOIN stg_policy pol ON pol.setting_key = pu.setting_key AND pol.la_key = pu.la_key
LEFT JOIN (SELECT setting, pupil_id, list(rule_id ORDER BY rule_order) AS flags, list(reason ORDER BY rule_order) AS reasons
           FROM prov_flags WHERE provision_id IS NULL AND pupil_id IS NOT NULL GROUP BY ALL) f
  ON f.setting = pu.setting AND f.pupil_id = pu.pupil_id
ORDER BY pu.setting, pu.pupil_id"""
    return run(cur, as_of, access.staff_scope(viewer, settings), lambda s: _statement(s, final))


def flags(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *,
          viewer: Viewer) -> pd.DataFrame:
    """Every provision flag raised on `as_of`, in policy order: setting, pupil_id (NULL: about an intervention),
    provision_id (NULL: about a pupil), rule_id, reason (sentence), source."""
    final = ("SELECT setting, pupil_id, provision_id, rule_id, reason, source FROM prov_flags "
             "ORDER BY setting, rule_order, pupil_id NULLS FIRST, provision_id NULLS FIRST")
    return run(cur, as_of, access.staff_scope(viewer, settings), lambda s: _statement(s, final))


def role_label(role: str | None) -> str:
    """'Teaching assistant' for 'teaching_assistant'."""
    return STAFF_ROLES.get(role or "", role or "Not recorded")
