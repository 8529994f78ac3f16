"""Rules layer, cadence: when each plan's next review is due, its status, and the milestones before it.

sen_support_termly / msp_termly: no gap over N months since the last review (or the plan's start).
ehcp_annual: within 12 months of issue, then of the last review.
ehcp_under5: every 6 months while the child is under 5 on the date the review falls due, so a
    review missed before the 5th birthday stays missed, and from the birthday the annual clock runs.
ihcp_annual: at least every 12 months.
phase_transfer: in a transfer year, a review in that school year by 12 weeks before 15 February
    (31 March for post-16), if that is sooner than the plan's own cadence.
Where none of the clock's dates is recorded (no review held, no plan start, no date identified), the next
review date the tracker records is taken as the due date: the review in the diary, else the next date agreed
at the last review, else the last diary date before the as-of date that is not recorded as held.
Status: overdue after the due date; due_soon from the invitation window (invite_good_practice) up to it;
no_review_date when there is no date at all to work from (unknown is not overdue: the sentence says what to record).
Each rule's clock (its plan, the months between reviews, when it takes over) is its entry in registry.py.
"""

from __future__ import annotations

from senlib.core.names import PLAN_SHORT
from senlib.rules.expr import POLICY_JOIN, birthday, plus_months
from senlib.rules.policy import default_policy
from senlib.rules.query import CTE, Scope, plans_of
from senlib.rules.registry import binding_clocks, cadence_rule, cadences, every_months, lead_time
from senlib.rules.sentences import compile_sentence, count_text, date_text, lit
from senlib.rules.tracking import CLOCK_FIELD, HELD_REVIEW_FIELDS, NEXT_REVIEW_FIELDS, sql_list, tracks


def plan_label(col: str) -> str:
    """SQL: the short plan name used in sentences ('EHCP', 'SEN Support plan')."""
    whens = " ".join(f"WHEN '{k}' THEN {lit(v)}" for k, v in PLAN_SHORT.items())
    return f"(CASE {col} {whens} ELSE {col} END)"


def year_label(col: str) -> str:
    """SQL: 'Nursery 2', 'Reception', 'Year 6' from a year-group code."""
    return (f"(CASE WHEN {col} IN ('N1', 'N2') THEN 'Nursery ' || right({col}, 1) "
            f"WHEN {col} = 'R' THEN 'Reception' WHEN {col} IS NULL THEN NULL ELSE 'Year ' || {col} END)")


def ordinal(col: str) -> str:
    """SQL: 1st, 2nd, 3rd, 4th ... for small whole numbers."""
    return (f"(CAST({col} AS VARCHAR) || CASE WHEN {col} % 100 IN (11, 12, 13) THEN 'th' WHEN {col} % 10 = 1 THEN 'st' "
            f"WHEN {col} % 10 = 2 THEN 'nd' WHEN {col} % 10 = 3 THEN 'rd' ELSE 'th' END)")


def due_in(col: str) -> str:
    """SQL: 'today', 'tomorrow', 'in 12 days' for a due date on or after the as-of date."""
    return (f"(CASE WHEN {col} = $as_of THEN 'today' WHEN {col} - $as_of = 1 THEN 'tomorrow' "
            f"ELSE 'in ' || {count_text(f'({col} - $as_of)', 'days')} END)")


def since(alias: str = "c") -> str:
    """SQL: when the clock started, in words: 'last reviewed 3 Sep 2025' / 'issued 3 Sep 2025, not reviewed since'."""
    a = alias
    return f"""(CASE
        WHEN {a}.last_review IS NOT NULL THEN 'last reviewed ' || {date_text(f'{a}.last_review')}
        WHEN {a}.plan_start IS NULL THEN 'not reviewed, and no start date recorded'
        WHEN {a}.start_kind = 'issued' THEN 'issued ' || {date_text(f'{a}.plan_start')} || ', not reviewed since'
        WHEN {a}.start_kind = 'identified' THEN 'no plan recorded; on the SEN register since '
             || {date_text(f'{a}.plan_start')} || ', not reviewed since'
        ELSE 'started ' || {date_text(f'{a}.plan_start')} || ', not reviewed since' END)"""


def words() -> dict[str, str]:
    """Placeholders the cadence and milestone sentences use, as SQL over rule_milestones (computed once per plan,
    in CTE rule_words, so each sentence is short)."""
    a = "c"
    return {
        "plan": plan_label(f"{a}.plan_type"),
        "since": since(a),
        "due_date": date_text(f"{a}.due_date"),
        "plan_start": date_text(f"{a}.plan_start"),
        "overdue_by": count_text(f"{a}.days_overdue", "days"),
        "due_in": due_in(f"{a}.due_date"),
        "due_state": f"if({a}.status = 'overdue', {count_text(f'{a}.days_overdue', 'days')} || ' overdue', "
                     f"'due ' || {due_in(f'{a}.due_date')})",
        "birthday": f"{ordinal('pol.ehcp_under5__age_years')} || ' birthday ' || {date_text(f'{a}.young_birthday')}",
        "year_group": year_label(f"{a}.year_group"),
        "deadline": date_text(f"{a}.amend_by"),
        "last_review": date_text(f"{a}.last_review"),
        "as_of": date_text("$as_of"),
        "next_review": date_text(f"{a}.next_review"),
        "invite_by": date_text(f"{a}.invite_by"),
        "invite_statutory_by": date_text(f"{a}.invite_statutory_by"),
        "reports_by": date_text(f"{a}.reports_by"),
        "report_by": date_text(f"{a}.last_review + 7 * pol.report_after__weeks"),
        "decision_by": date_text(f"{a}.last_review + 7 * pol.la_decision__weeks"),
        "local_authority": f"coalesce({a}.policy_la, 'the council')",
    }


# Words every status sentence uses are worked out once per plan (rule_words); the others inside the sentence,
# so they are only worked out for the plans whose sentence uses them (a CASE computes only the branch taken).
SHARED_WORDS = ("plan", "since", "due_date")


def status_fields(alias: str = "c") -> dict[str, str]:
    """Placeholders a sentence about a plan may use, as SQL over rule_status (alias `alias`)."""
    return {name: f"{alias}.w_{name}" if name in SHARED_WORDS else sql.replace("c.", f"{alias}.")
            for name, sql in words().items()}


def status_reason(alias: str = "c") -> str:
    """SQL: the sentence explaining a plan's status, chosen by its cadence rule and status."""
    policy = default_policy()
    fields = status_fields(alias)
    whens = []
    for rule_id in cadences():
        rule = policy.rules[rule_id]
        say = {k: compile_sentence(t, fields, rule, where=f"{rule_id}.say.{k}") for k, t in rule.say.items()}
        unknown = say.get("unknown", lit("No review date can be worked out"))
        # no clock date recorded, the due date is the next review date recorded (phase_transfer: its own deadline)
        recorded = (f"WHEN {alias}.clock_from IS NULL THEN {say['next_recorded']}" if "next_recorded" in say else "")
        whens.append(f"""WHEN '{rule_id}' THEN CASE
                WHEN {alias}.status = 'no_review_date' THEN {unknown}
                {recorded}
                WHEN {alias}.status = 'overdue' THEN {say['overdue']}
                WHEN {alias}.status = 'due_soon' THEN {say['due_soon']}
                ELSE {say['on_track']} END""")
    untracked = policy.not_tracked
    if not untracked:
        return f"(CASE {alias}.cadence_rule {' '.join(whens)} END)"
    # the review dates are not tracked (the clock has no date although the plan has a start): say so, and what to add
    say = {k: compile_sentence(t, fields, where=f"not_tracked.say.{k}") for k, t in untracked.items()}
    return (f"(CASE WHEN {alias}.clock_from IS NULL AND {alias}.plan_start IS NOT NULL AND {alias}.cadence_rule <> 'phase_transfer'"
            f" THEN if({alias}.status = 'no_review_date', {say['unknown']}, {say['next_recorded']})"
            f" ELSE (CASE {alias}.cadence_rule {' '.join(whens)} END) END)")


def rule_source(col: str) -> str:
    """SQL: the source of the rule named in `col`."""
    whens = " ".join(f"WHEN '{r.id}' THEN {lit(r.source)}" for r in default_policy().rules.values())
    return f"(CASE {col} {whens} END)"


def cadence(scope: Scope) -> list[CTE]:
    """CTEs rule_clock, rule_status, rule_milestones: one row per evaluated plan."""
    # the clock runs from the last review, else the plan's start; where the setting's trackers have no review date at
    # all (not tracked) a plan's start alone never makes a review late: the next review date recorded is the due date
    clock = f"if({tracks('s', [CLOCK_FIELD])} OR coalesce(h.last_in_app, FALSE), greatest(h.last_review, s.plan_start), NULL)"
    # the fields tracked for this plan's reviews: the setting's, and what the app records for the next review and the
    # last one held where they are kept in the app (rules.tracking: never for the pupils known only from a tracker)
    tracked = (f"if(s.tracked IS NULL, NULL, list_distinct(list_concat(s.tracked, "
               f"if(coalesce(n.planned_in_app, FALSE), {sql_list(NEXT_REVIEW_FIELDS)}, []::VARCHAR[]), "
               f"if(coalesce(h.last_in_app, FALSE), {sql_list(HELD_REVIEW_FIELDS)}, []::VARCHAR[]))))")
    # the columns of the rules' conditions (registry): a clock that takes over from its plan's other one
    # (ehcp_under5), and a clock that binds over the plan's own (phase_transfer)
    sep = ",\n               "
    takeovers = sep.join(f"{c.takes_over[1]('s.plan_type', clock, 's.dob')} AS {c.takes_over[0]}"
                         for c in cadences().values() if c.takes_over) + ","
    transfer = sep.join(c.clock_columns for _, c in binding_clocks())
    binds = sep.join(f"{c.binds[1]} AS {c.binds[0]}" for _, c in binding_clocks() if c.binds) + ","
    due_date = "c.regular_due"
    for _, c in reversed(binding_clocks()):
        if c.binds:
            due_date = f"if({c.binds[0]}, {c.binds[2]}, {due_date})"

    def lead(rule_id: str, name: str) -> str:
        """The date a milestone falls due, before the next review, for the plans of the rule."""
        return (f"if(list_contains({plans_of(rule_id)}, c.plan_type),\n"
                f"                  next_review - {lead_time(rule_id)}, NULL) AS {name}")

    return [
        ("rule_clock", f"""
        -- the clock of each evaluated plan: from the last review, else from the plan's start (or the date
        -- identified); with none of those, the due date is the next review date recorded (in the diary, else
        -- agreed at the last review, else the last diary date missed); ehcp_under5 applies when the shorter
        -- review falls due before the child's birthday
        SELECT s.* EXCLUDE (tracked), {tracked} AS tracked, h.reviews_held, h.held_this_year, h.last_review, h.last_next_date, h.last_report_sent,
               h.last_la_decision, h.last_pfa_covered, h.last_decision,
               h.recent_reviews[1:{scope.lookback}] AS recent_reviews,
               n.planned_review, n.planned_invitations, n.planned_reports, n.planned_no_reports,
               {clock} AS clock_from,
               coalesce(n.planned_review, h.last_next_date, n.missed_review) AS recorded_next,
               {birthday('s.dob', 'pol.ehcp_under5__age_years')} AS young_birthday,
               {takeovers}
               {every_months('s.plan_type')} AS every_months,
               coalesce({plus_months(clock, 'every_months')},
                        recorded_next) AS regular_due,
               {transfer}
        FROM fct_subjects s
        LEFT JOIN fct_history h ON h.pk = s.pk AND h.plan_type = s.plan_type
        LEFT JOIN fct_next n ON n.pk = s.pk AND n.plan_type = s.plan_type
        {POLICY_JOIN.format(a='s')}"""),
        ("rule_due", f"""
        -- the due date and the rule that sets it; the status on the as-of date
        SELECT c.*,
               {binds}
               {due_date} AS due_date,
               {cadence_rule('c.plan_type')} AS cadence_rule,
               CASE WHEN due_date IS NULL THEN 'no_review_date'
                    WHEN $as_of > due_date THEN 'overdue'
                    WHEN $as_of >= due_date - {lead_time('invite_good_practice')} THEN 'due_soon'
                    ELSE 'on_track' END AS status,
               if(due_date IS NULL, NULL, greatest($as_of - due_date, 0)) AS days_overdue
        FROM rule_clock c
        {POLICY_JOIN.format(a='c')}"""),
        ("rule_milestones", f"""
        -- the next review (in the diary, else agreed at the last review, else the due date) and its milestones
        SELECT c.*,
               coalesce(c.planned_review, if(c.last_next_date >= $as_of, c.last_next_date, NULL), c.due_date) AS next_review,
               CASE WHEN c.planned_review IS NOT NULL THEN 'scheduled'
                    WHEN c.last_next_date >= $as_of THEN 'agreed'
                    WHEN c.due_date IS NOT NULL THEN 'due_date' END AS next_review_basis,
               {lead('invite_good_practice', 'invite_by')},
               {lead('invite_statutory', 'invite_statutory_by')},
               {lead('advice_before', 'reports_by')},
               coalesce(c.planned_review = next_review AND c.planned_invitations IS NOT NULL, FALSE) AS invitations_sent,
               coalesce(c.planned_review = next_review AND c.planned_reports IS NOT NULL, FALSE) AS reports_received,
               coalesce(c.planned_review = next_review AND c.planned_no_reports, FALSE) AS reports_not_needed,
               CASE WHEN invite_by IS NULL THEN NULL WHEN invitations_sent THEN 'done'
                    WHEN $as_of > invite_by THEN 'missed' ELSE 'to_come' END AS invite_state,
               -- a review kept in the app whose invitees send no report: the advice milestone is done (not needed)
               CASE WHEN reports_by IS NULL THEN NULL WHEN reports_received THEN 'done' WHEN reports_not_needed THEN 'not_needed'
                    WHEN $as_of > reports_by THEN 'missed' ELSE 'to_come' END AS reports_state
        FROM rule_due c
        {POLICY_JOIN.format(a='c')}"""),
        ("rule_words", f"""
        -- the pupil's own dates in words, once per plan, for the sentences
        SELECT c.*,
               {(',' + chr(10) + '               ').join(f'{sql} AS w_{name}' for name, sql in words().items()
                                                        if name in SHARED_WORDS)}
        FROM rule_milestones c
        {POLICY_JOIN.format(a='c')}"""),
        ("rule_status", f"""
        -- each status with its sentence and its source
        SELECT c.*, {status_reason('c')} AS status_reason, {rule_source('c.cadence_rule')} AS status_source
        FROM rule_words c
        {POLICY_JOIN.format(a='c')}"""),
    ]
