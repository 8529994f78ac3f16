"""The rules' conditions: one entry per rule of the policy, beside the others.

A rule is one record. Its words (title, summary, the sentences a user sees), its parameters and its source
live in policy.toml under [rules.<id>]; the SQL that decides when it applies or fires lives here, under the
same id (as datasette's filters pair a SQL template with a sentence). The layers of the statement
(cadence.py, flags.py, quality.py, marts.py, facts.py) assemble their CTEs from these entries and hold no
condition of their own; a test checks that the policy's rule ids and the registry's match one to one.

Conditions are SQL over the row the layer reads (aliases below) with the policy in force as `pol`
(stg_policy: a rule's parameter `x` is the column `pol.<rule>__x`). Kinds of entry:

    Cadence    a review clock: the plan it applies to, the months between reviews, when it takes over from
               the plan's other clock (ehcp_under5, phase_transfer), and flags it raises
    Flags      a milestone or escalation: one or more flags, each a WHERE over the rows it reads; optionally the
               lead time before the review (milestones), the clock it runs out (EHC requests) or the CTE it needs
    Checks     review_quality: each quality check of a held review
    Judgement  progress_from_scores: the progress a rise in scaling scores is judged as
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from senlib.core.schoolyear import sql_year_index
from senlib.rules.expr import POLICY_JOIN, SCHOOL_YEAR_START, birthday, plus_months, score_at, year_code_index
from senlib.rules.query import CTE, Scope, plans_of
from senlib.rules.sentences import count_text, date_text, dates_text, money_text, number_text
from senlib.rules.tracking import CLOCK_FIELD, tracks

# ---------------------------------------------------------------------------------------------- rows a flag reads
# The pupil's main plan (alias c, rule_status) with the policy in force.
MAIN = "rule_status c JOIN stg_policy pol ON pol.setting_key = c.setting_key AND pol.la_key = c.la_key"
# An IHCP running alongside the pupil's main plan (alias i): its own review clock.
IHCP = "rule_status i JOIN stg_policy pol ON pol.setting_key = i.setting_key AND pol.la_key = i.la_key"
# ... the main plan with the last reviews' progress judgements (recorded, else judged from scores), alias rp.
PROGRESS = MAIN + " JOIN fct_progress_recent rp ON rp.pk = c.pk AND rp.plan_type = c.plan_type"
# A pupil's EHC needs assessment requests past their clocks (rule_requests rq), with the pupil (p).
REQUESTS = ("rule_requests rq JOIN fct_pupils p ON p.pk = rq.pk "
            "JOIN stg_policy pol ON pol.setting_key = p.setting_key AND pol.la_key = p.la_key")

# The school year of the main plan's last review (a pupil with no date of birth: the year group now).
REVIEW_YEAR = "if(c.dob IS NULL, c.year_index, " + sql_year_index("c.dob", "c.last_review") + ")"
LESS = "x = 'less'"
AT_LEAST_EXPECTED = "x IN ('expected', 'more')"


def applies(rule_id: str, plan: str = "c.plan_type") -> str:
    """SQL: the rule applies to the plan type in `plan` (its `plans` in policy.toml)."""
    return f"list_contains({plans_of(rule_id)}, {plan})"


def last_n(list_col: str, n: str, test: str) -> str:
    """SQL: the first n entries of a newest-first list all pass `test` (a lambda body over x)."""
    return f"(len({list_col}) >= {n} AND len(list_filter({list_col}[1:{n}], lambda x: {test})) = {n})"


def reviews(rule_id: str) -> str:
    """SQL: the parameter `reviews` of an escalation rule in force."""
    return f"pol.{rule_id}__reviews"


def recent(rule_id: str) -> dict[str, str]:
    """Placeholders of an escalation sentence: the dates of the reviews the rule looked back over."""
    return {"review_dates": dates_text(f"c.recent_reviews[1:{reviews(rule_id)}]")}


# ---------------------------------------------------------------------------------------------- kinds of entry
@dataclass(frozen=True)
class Flag:
    """One flag: SELECT the pupil FROM `reads` WHERE `when`, with the sentence `say` of the rule in policy.toml.

    `words`: placeholders of the sentence beyond the plan's own (cadence.words); `alias`: the row of `reads`
    the flag is about (c: the main plan, i: an IHCP alongside it, rq: EHC requests); `tracked`: the alias whose
    row carries the setting's tracked fields, if not `alias`."""

    when: str
    reads: str = MAIN
    say: str = "flag"
    words: dict[str, str] = field(default_factory=dict)
    alias: str = "c"
    tracked: str | None = None


@dataclass(frozen=True)
class Cadence:
    """A review clock for plans of type `plan`.

    `every`: SQL, the longest gap in months between two reviews; `per_year`: SQL, the reviews required each
    school year (None: 12 / every); `rank`: the order the plans' clocks are chosen in; `takes_over`: (column,
    SQL over the clock's plan, clock start and date of birth) where this rule replaces the plan's other clock;
    `binds`: (column, SQL over rule_due, its due date) where the rule sets the due date instead of the plan's own clock, with
    `clock_columns` (SQL select items over fct_subjects s, fct_history h and the policy) that it reads."""

    plan: str
    rank: int
    every: str | None = None
    per_year: str | None = None
    takes_over: tuple[str, Callable[[str, str, str], str]] | None = None
    binds: tuple[str, str, str] | None = None
    clock_columns: str = ""
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class Flags:
    """A milestone or escalation rule: the flags it raises; `lead` (SQL, days before the next review the milestone
    falls due, for the plans of the rule); `overdue` (column, SQL FILTER over fct_requests r: the clock has run
    out); `ctes` (builders of the CTEs its flags read)."""

    flags: tuple[Flag, ...] = ()
    lead: str | None = None
    overdue: tuple[str, str] | None = None
    ctes: tuple[Callable[[Scope], CTE], ...] = ()


@dataclass(frozen=True)
class Checks:
    """review_quality: each check of a held review, as SQL over q_progress (q) with the policy (pol), outcome
    scores (sc) and first outcome start (oc); `blank_not_done`: checks whose field may be left blank, with the
    value where the setting's imports are known to have its column (a blank cell there is not done)."""

    checks: dict[str, str]
    blank_not_done: dict[str, str]


@dataclass(frozen=True)
class Judgement:
    """progress_from_scores: SQL templates over an average rise `{gain}` judged more / expected progress."""

    more: str
    expected: str

    def judged(self, gain: str, otherwise: str, indent: str) -> str:
        """SQL CASE: 'more' / 'expected' / `otherwise` (a WHEN ... THEN 'less' or ELSE 'less') for a rise."""
        return (f"CASE WHEN {self.more.format(gain=gain)} THEN 'more'\n{indent}"
                f"WHEN {self.expected.format(gain=gain)} THEN 'expected'\n{indent}{otherwise} END")


@dataclass(frozen=True)
class Costing:
    """provision_cost: SQL over an intervention (i, with the policy pol): the weeks it runs a school year, its staff
    cost a year, its cost a year (NULL where what is recorded cannot be priced: not tracked, never £0), and a
    pupil's share of it (over a place pl with the days it covers this school year and the intervention's total)."""

    weeks: str
    staff: str
    cost: str
    share: str


@dataclass(frozen=True)
class Provision:
    """A provision flag: SELECT the row FROM `reads` WHERE `when` (provision.py builds the rows), with the words of
    the sentence `say`. `about`: place (a pupil's place on an intervention, alias pl), pupil (pu) or intervention
    (i, no pupil)."""

    about: str
    when: str
    reads: str
    words: dict[str, str] = field(default_factory=dict)


Entry = Cadence | Flags | Checks | Judgement | Costing | Provision


# ---------------------------------------------------------------------------------------------- conditions
def under_five(plan: str, clock_from: str, dob: str) -> str:
    """SQL: rule ehcp_under5 applies: an EHCP whose shorter review would fall due before the child's birthday."""
    return (f"coalesce({plan} = 'ehcp' AND {plus_months(clock_from, 'pol.ehcp_under5__months')}"
            f" < {birthday(dob, 'pol.ehcp_under5__age_years')}, FALSE)")


def stalled(o: str, n: str) -> str:
    """SQL: rule stalled_outcome for outcome `o` (fct_outcomes): over its last n scores the score has not moved
    towards the target, and the target is not reached."""
    return f"({o}.n_scores >= {n} AND NOT {o}.reached AND ({o}.last_scores[1] - {o}.last_scores[{n}]) * {o}.direction <= 0)"


def stalled_note(o: str, n: str) -> str:
    """SQL: 'O2 3 → 3 (6 Apr 2026 to 28 Sep 2026, target 10)' for a stalled outcome."""
    trail = f"array_to_string(list_transform(list_reverse({o}.last_scores[1:{n}]), lambda v: format('{{:g}}', v)), ' → ')"
    return (f"({o}.outcome_id || ' ' || {trail} || ' (' || {date_text(f'{o}.last_dates[{n}]')} || ' to '"
            f" || {date_text(f'{o}.last_dates[1]')} || ', target ' || format('{{:g}}', {o}.target) || ')')")


def _stalled_cte(scope: Scope) -> CTE:
    return ("rule_stalled", f"""
        -- stalled_outcome, per pupil: the outcomes whose score has not moved towards the target over the last N scores
        SELECT o.pk, array_to_string(list_sort(list({stalled_note('o', 'pol.stalled_outcome__scores')})), '; ') AS outcome_list
        FROM fct_outcomes o
        JOIN fct_subjects s ON s.pk = o.pk AND s.is_main AND {applies('stalled_outcome', 's.plan_type')}
        {POLICY_JOIN.format(a='s')}
        WHERE {stalled('o', 'pol.stalled_outcome__scores')}
        GROUP BY o.pk""")


def _unmet_targets_cte(scope: Scope) -> CTE:
    return ("rule_unmet_targets", f"""
        -- targets_not_smart, per pupil: outcomes past their target date, scored below target at each of the last N reviews
        SELECT pk, string_agg(note, '; ' ORDER BY outcome_id) AS outcome_list
        FROM (SELECT x.pk, x.outcome_id,
                     any_value(x.outcome_id || ' (target ' || format('{{:g}}', x.target) || ' by '
                               || {date_text('x.target_date')} || ', scored ' || format('{{:g}}', x.scored) || ')'
                               ORDER BY x.recency) AS note
              FROM (SELECT h.pk, i AS recency, o.outcome_id, o.target, o.target_date, o.direction,
                           ({score_at('sh.history', 'h.recent_reviews[i]')}).s AS scored, pol.targets_not_smart__reviews AS n
                    FROM fct_history h
                    {POLICY_JOIN.format(a='h')}
                    CROSS JOIN range(1, {scope.lookback + 1}) t(i)
                    JOIN fct_outcomes o ON o.pk = h.pk AND NOT o.reached AND o.target_date <= $as_of
                         AND o.target_date <= h.recent_reviews[i]
                    JOIN fct_score_history sh ON sh.ok = o.ok
                    WHERE h.is_main AND {applies('targets_not_smart', 'h.plan_type')}
                      AND i <= least(len(h.recent_reviews), pol.targets_not_smart__reviews)) x
              GROUP BY x.pk, x.outcome_id, x.n
              HAVING count(*) FILTER (x.scored IS NOT NULL AND (x.scored - x.target) * x.direction < 0) = x.n)
        GROUP BY pk""")


def _request(col: str, rule_id: str) -> dict[str, str]:
    """Placeholders of an EHC request clock's flag: the request, when the clock ran out, how long ago."""
    due = f"(rq.{col} + 7 * pol.{rule_id}__weeks)"
    return {"requested": date_text(f"rq.{col}"), "clock_due": date_text(due),
            "overdue_by": count_text(f"($as_of - {due})", "days")}


# The phase_transfer clock: a transfer year for this setting's phase, and the deadlines of this school year.
_TRANSFER_COLUMNS = f"""-- phase_transfer: a transfer year for this setting's phase, and the deadlines of this school year
               s.plan_type = 'ehcp' AND {tracks('s', [CLOCK_FIELD])} AND coalesce(list_contains(
                   if(s.phase = 'infant', pol.phase_transfer__infant_transfer_years, pol.phase_transfer__transfer_years),
                   s.year_group), FALSE) AS transfer_year,
               if(list_contains(pol.phase_transfer__post16_years, s.year_group),
                  pol.phase_transfer__post16_amend_by, pol.phase_transfer__amend_by) AS amend_md,
               make_date(year({SCHOOL_YEAR_START}) + 1, CAST(left(amend_md, 2) AS INTEGER),
                         CAST(right(amend_md, 2) AS INTEGER)) AS amend_by,
               amend_by - 7 * pol.phase_transfer__review_weeks AS transfer_review_by,
               coalesce(h.last_review >= {SCHOOL_YEAR_START}, FALSE) AS transfer_review_held"""


# ---------------------------------------------------------------------------------------------- review meetings
# Judged only for reviews kept in the app (a review_id, its invitees, its actions): pupils known only from a tracker
# have none, so never fire them (and a setting keeping none has them not tracked, rules.tracking.MEETING_ROW).

def _invitees_cte(scope: Scope) -> CTE:
    return ("rule_invitees", f"""
        -- invitee_missing, per pupil: the next EHC plan review scheduled in the app, and who is missing from its list
        SELECT pk, arg_min(review_date, review_date) AS review_date,
               arg_min(parent_ok, review_date) AS parent_ok, arg_min(officer_invited, review_date) AS officer_ok
        FROM (SELECT s.pk, p.review_date, p.officer_invited,
                     p.parent_invited OR (p.child_invited AND coalesce(s.year_index >= {year_code_index(
                         'pol.invitee_missing__young_person_from')}, FALSE)) AS parent_ok
              FROM fct_subjects s
              JOIN stg_planned p ON p.pk = s.pk AND (p.plan_type = s.plan_type OR (p.plan_type IS NULL AND s.is_main))
              {POLICY_JOIN.format(a='s')}
              WHERE s.is_main AND {applies('invitee_missing', 's.plan_type')} AND p.review_id IS NOT NULL
                AND p.review_date >= $as_of)
        GROUP BY pk""")


def _child_views_cte(scope: Scope) -> CTE:
    return ("rule_child_views", """
        -- child_views_missing, per pupil: the latest review held, if kept in the app, with the child's part in it
        SELECT pk, max(review_date) AS review_date,
               arg_max_null(review_id, review_date) AS review_id,
               arg_max_null(child_views_recorded OR coalesce(child_contributed, FALSE), review_date) AS child_heard
        FROM stg_reviews
        GROUP BY pk""")


def _actions_cte(scope: Scope) -> CTE:
    return ("rule_actions", """
        -- actions_overdue, per pupil: actions agreed at reviews held by the as-of date, not done by their due date (and
        -- the days' grace), the oldest first
        SELECT a.pk, count(*) AS n_overdue, min(a.due_date) AS oldest_due,
               arg_min(coalesce(a.action, 'action ' || a.action_id), a.due_date) AS oldest_action,
               arg_min(coalesce(a.owner, 'no one named'), a.due_date) AS oldest_owner,
               array_to_string(list_sort(list(DISTINCT coalesce(a.owner, 'no one named'))), ', ') AS owners
        FROM stg_actions a
        JOIN fct_pupils p ON p.pk = a.pk
        JOIN stg_policy pol ON pol.setting_key = p.setting_key AND pol.la_key = p.la_key
        JOIN (SELECT DISTINCT pk, review_id FROM stg_reviews WHERE review_id IS NOT NULL) r
             ON r.pk = a.pk AND r.review_id = a.review_id
        WHERE a.done_date IS NULL AND a.due_date + pol.actions_overdue__grace_days < $as_of
        GROUP BY a.pk""")


_MISSING = ("CASE WHEN NOT iv.parent_ok AND NOT iv.officer_ok THEN 'no parent or carer and no SEN officer of the council' "
            "WHEN NOT iv.parent_ok THEN 'no parent or carer' ELSE 'no SEN officer of the council' END")


# ---------------------------------------------------------------------------------------------- the registry
# In the order of policy.toml. Flags are raised in this order (and listed, per pupil, in policy order).
REGISTRY: dict[str, Entry] = {
    # ------------------------------------------------------------------------------ cadence: when a review is due
    "sen_support_termly": Cadence(plan="sen_support", rank=3, every="pol.sen_support_termly__max_gap_months",
                                  per_year="pol.sen_support_termly__reviews_per_year"),
    "msp_termly": Cadence(plan="my_support_plan", rank=2, every="pol.msp_termly__max_gap_months",
                          per_year="pol.msp_termly__reviews_per_year"),
    "ehcp_annual": Cadence(plan="ehcp", rank=1, every="pol.ehcp_annual__months"),
    "ehcp_under5": Cadence(plan="ehcp", rank=1, every="pol.ehcp_under5__months", takes_over=("under5", under_five)),
    "ihcp_annual": Cadence(plan="ihcp", rank=4, every="pol.ihcp_annual__months", flags=(
        # an IHCP running alongside the pupil's main plan: raised as a flag when overdue or undated
        Flag("NOT i.is_main AND i.status = 'overdue' AND i.clock_from IS NOT NULL", IHCP, "overdue", alias="i"),
        Flag("NOT i.is_main AND i.status = 'overdue' AND i.clock_from IS NULL", IHCP, "next_recorded", alias="i"),
        Flag("NOT i.is_main AND i.status = 'no_review_date'", IHCP, "unknown", alias="i"),
    )),
    "phase_transfer": Cadence(
        plan="ehcp", rank=0, clock_columns=_TRANSFER_COLUMNS,
        binds=("transfer_binds", "c.transfer_year AND NOT c.transfer_review_held\n"
                                 "                   AND (c.regular_due IS NULL OR c.transfer_review_by < c.regular_due)",
               "c.transfer_review_by"),
        flags=(Flag("c.transfer_year AND c.transfer_review_held AND $as_of > c.amend_by AND c.last_la_decision IS NULL"),)),
    "pfa_from_y9": Flags((Flag(f"{applies('pfa_from_y9')} AND c.last_review IS NOT NULL "
                               f"AND {REVIEW_YEAR} >= {year_code_index('pol.pfa_from_y9__from_year')} "
                               "AND c.last_pfa_covered IS NOT TRUE"),)),
    # ------------------------------------------------------------------------------ milestones around a review
    "invite_good_practice": Flags((Flag("c.invite_state = 'missed' AND c.status <> 'overdue'"),),
                                  lead="7 * pol.invite_good_practice__weeks"),
    "invite_statutory": Flags((Flag("c.invite_statutory_by IS NOT NULL AND NOT c.invitations_sent "
                                    "AND $as_of > c.invite_statutory_by AND c.status <> 'overdue'"),),
                              lead="7 * pol.invite_statutory__weeks"),
    "advice_before": Flags((Flag("c.reports_state = 'missed' AND c.status <> 'overdue'"),),
                           lead="7 * pol.advice_before__weeks"),
    "report_after": Flags((Flag(f"{applies('report_after')} AND c.last_review IS NOT NULL AND c.last_report_sent IS NULL "
                                "AND $as_of > c.last_review + 7 * pol.report_after__weeks"),)),
    "la_decision": Flags((Flag(f"{applies('la_decision')} AND c.last_review IS NOT NULL AND c.last_la_decision IS NULL "
                               "AND $as_of > c.last_review + 7 * pol.la_decision__weeks"),)),
    "next_date_set": Flags((Flag(f"{applies('next_date_set')} AND c.last_review IS NOT NULL "
                                 "AND c.last_next_date IS NULL AND c.planned_review IS NULL"),)),
    "ehc_assess_decision": Flags(
        (Flag("rq.decision_overdue IS NOT NULL", REQUESTS, words=_request("decision_overdue", "ehc_assess_decision"),
              alias="rq", tracked="p"),),
        overdue=("decision_overdue", "r.decision_date IS NULL AND r.final_plan_date IS NULL\n"
                                     "                                        "
                                     "AND $as_of > r.requested + 7 * pol.ehc_assess_decision__weeks")),
    "ehc_final_plan": Flags(
        (Flag("rq.final_overdue IS NOT NULL", REQUESTS, words=_request("final_overdue", "ehc_final_plan"),
              alias="rq", tracked="p"),),
        overdue=("final_overdue", "r.decision = 'agreed' AND r.final_plan_date IS NULL\n"
                                  "                                        "
                                  "AND $as_of > r.requested + 7 * pol.ehc_final_plan__weeks\n"
                                  "                                        "
                                  "AND NOT (r.has_ehcp AND coalesce(r.ehcp_start >= r.requested, FALSE))")),
    # ------------------------------------------------------------------------------ review meetings kept in the app
    "invitee_missing": Flags((Flag(
        "NOT (iv.parent_ok AND iv.officer_ok)", MAIN + " JOIN rule_invitees iv ON iv.pk = c.pk",
        words={"review_date": date_text("iv.review_date"), "missing": _MISSING,
               "invite_by": date_text("iv.review_date - 7 * pol.invite_good_practice__weeks"),
               "invite_weeks": "pol.invite_good_practice__weeks__text",
               "statutory_by": date_text("iv.review_date - 7 * pol.invite_statutory__weeks"),
               "statutory_weeks": "pol.invite_statutory__weeks__text"}),), ctes=(_invitees_cte,)),
    "child_views_missing": Flags((Flag(
        "cv.review_id IS NOT NULL AND NOT cv.child_heard "
        "AND cv.review_date >= $as_of - pol.child_views_missing__within_days",
        MAIN + " JOIN rule_child_views cv ON cv.pk = c.pk", words={"review_date": date_text("cv.review_date")}),),
        ctes=(_child_views_cte,)),
    "actions_overdue": Flags((Flag(
        "TRUE", MAIN + " JOIN rule_actions ac ON ac.pk = c.pk",
        words={"actions": count_text("ac.n_overdue", "actions"), "oldest_due": date_text("ac.oldest_due"),
               "oldest_action": "ac.oldest_action", "oldest_owner": "ac.oldest_owner", "owners": "ac.owners"}),),
        ctes=(_actions_cte,)),
    # ------------------------------------------------------------------------------ review quality
    "review_quality": Checks(
        checks={
            "held_on_time": "q.review_date <= due_date",
            "invitations_in_time": "q.invitations_sent <= q.review_date - 7 * pol.invite_good_practice__weeks",
            "invitations_statutory": "if(q.plan_type = 'ehcp', q.invitations_sent <= q.review_date - 7 * pol.invite_statutory__weeks, NULL)",
            # a review kept in the app whose invitees send no report had none to wait for: done
            "reports_in_time": "if(q.reports_not_needed, TRUE, q.reports_received <= q.review_date - 7 * pol.advice_before__weeks)",
            "parents_involved": "q.parent_attended",
            "child_contributed": "q.child_contributed",
            "next_date_set": "q.next_review_date IS NOT NULL",
            "outcomes_scored": """CASE WHEN sc.nearest_score IS NOT NULL THEN TRUE
                    WHEN coalesce(oc.first_start <= q.review_date + pol.review_quality__score_window_days, oc.pk IS NOT NULL)
                    THEN FALSE END""",
            "report_sent_in_time": """if(q.plan_type = 'ehcp',
                  CASE WHEN q.report_sent IS NOT NULL THEN q.report_sent <= q.review_date + 7 * pol.report_after__weeks
                       WHEN $as_of > q.review_date + 7 * pol.report_after__weeks THEN FALSE END, NULL)""",
            "la_decision_in_time": """if(q.plan_type = 'ehcp',
                  CASE WHEN q.la_decision_date IS NOT NULL THEN q.la_decision_date <= q.review_date + 7 * pol.la_decision__weeks
                       WHEN $as_of > q.review_date + 7 * pol.la_decision__weeks THEN FALSE END, NULL)""",
        },
        # where the setting has no import record (the demo, data entered in the app) a blank stays unknown (NULL);
        # advice before a review is required for an EHC plan only
        blank_not_done={
            "invitations_in_time": "coalesce({sql}, FALSE)",
            "invitations_statutory": "if(q.plan_type = 'ehcp', coalesce({sql}, FALSE), NULL)",
            "reports_in_time": "if(q.plan_type = 'ehcp', coalesce({sql}, FALSE), {sql})",
            "parents_involved": "coalesce({sql}, FALSE)",
            "child_contributed": "coalesce({sql}, FALSE)",
        }),
    # ------------------------------------------------------------------------------ progress
    "progress_from_scores": Judgement(more="{gain} >= pol.progress_from_scores__more_gain",
                                      expected="{gain} >= pol.progress_from_scores__expected_gain"),
    # ------------------------------------------------------------------------------ escalation: the graduated response
    "consider_pcp_msp": Flags((Flag(f"{applies('consider_pcp_msp')} "
                                    f"AND {last_n('rp.recent_progress', reviews('consider_pcp_msp'), LESS)}",
                                    PROGRESS, words=recent("consider_pcp_msp")),)),
    "consider_ehc_request": Flags((Flag(
        f"{applies('consider_ehc_request')} "
        f"AND {last_n('rp.recent_progress', reviews('consider_ehc_request'), LESS)} "
        "AND NOT coalesce(rq.live_request >= c.plan_start, rq.live_request IS NOT NULL)",
        PROGRESS + " LEFT JOIN rule_requests rq ON rq.pk = c.pk",
        words={**recent("consider_ehc_request"), "plan_start": date_text("c.plan_start"),
               "apdr_cycles": "CAST(c.reviews_held AS VARCHAR)"}),)),
    "early_years_forum": Flags((Flag(
        f"{applies('early_years_forum')} "
        "AND list_contains(pol.early_years_forum__year_groups, c.year_group) "
        f"AND {last_n('rp.recent_progress', reviews('early_years_forum'), LESS)} "
        "AND coalesce(c.last_decision NOT IN ('early_years_forum', 'request_ehc_assessment'), TRUE)",
        PROGRESS, words=recent("early_years_forum")),)),
    "consider_reducing": Flags((Flag(
        f"{applies('consider_reducing')} "
        f"AND {last_n('rp.recent_progress', reviews('consider_reducing'), AT_LEAST_EXPECTED)} "
        "AND oc.outcomes_achieved >= pol.consider_reducing__achieved_share * oc.outcomes_total "
        "AND coalesce(c.last_decision <> 'reduce', TRUE)",
        PROGRESS + " JOIN (SELECT pk, count(*) AS outcomes_total, count(*) FILTER (reached) AS outcomes_achieved"
                   " FROM fct_outcomes GROUP BY pk) oc ON oc.pk = c.pk",
        words={**recent("consider_reducing"), "outcomes_total": "CAST(oc.outcomes_total AS VARCHAR)",
               "outcomes_achieved": "CAST(oc.outcomes_achieved AS VARCHAR)"}),)),
    "targets_not_smart": Flags((Flag("TRUE", MAIN + " JOIN rule_unmet_targets t ON t.pk = c.pk",
                                     words={"outcome_list": "t.outcome_list"}),), ctes=(_unmet_targets_cte,)),
    "stalled_outcome": Flags((Flag("TRUE", MAIN + " JOIN rule_stalled st ON st.pk = c.pk",
                                   words={"outcome_list": "st.outcome_list"}),), ctes=(_stalled_cte,)),
    "amend_ehcp": Flags((Flag(f"{applies('amend_ehcp')} AND list_contains(pol.amend_ehcp__decisions, c.last_decision) "
                              "AND c.last_la_decision IS NULL"),)),
}


# The rows provision flags read (senlib/rules/provision.py), each with the policy in force for it.
PLACES = "prov_places pl JOIN stg_policy pol ON pol.setting_key = pl.setting_key AND pol.la_key = pl.la_key"
PUPILS = "prov_pupils pu JOIN stg_policy pol ON pol.setting_key = pu.setting_key AND pol.la_key = pu.la_key"
INTERVENTIONS = "prov_interventions i JOIN stg_policy pol ON pol.setting_key = i.setting_key AND pol.la_key = i.la_key"

PROVISION: dict[str, Entry] = {
    "provision_cost": Costing(
        weeks="coalesce(i.weeks_per_year, pol.provision_cost__weeks_per_year)",
        staff="i.sessions_per_week * i.minutes_per_session / 60.0 * i.weeks * i.hourly",
        # every part recorded must be priced: hours with no hourly cost make the whole cost not tracked
        cost="CASE WHEN i.hours_week IS NOT NULL AND i.hourly IS NULL THEN NULL "
             "WHEN i.staff_cost IS NULL AND i.fixed_cost IS NULL THEN NULL "
             "ELSE coalesce(i.staff_cost, 0) + coalesce(i.fixed_cost, 0) END",
        share="pl.cost_year * pl.days_this_year / nullif(pl.days_all, 0)"),
    "provision_over_notional": Provision(
        "pupil", "pu.cost_year > pol.provision_over_notional__threshold", PUPILS,
        {"cost": money_text("pu.cost_year"), "interventions": "pu.interventions_text"}),
    "register_without_provision": Provision(
        "pupil", "pu.sen_status IN ('K', 'E') AND NOT pu.has_left AND pu.setting_records_provision "
                 "AND pu.places_now = 0 AND coalesce(pu.date_identified <= $as_of, TRUE)", PUPILS,
        {"status": "if(pu.sen_status = 'E', 'EHC plan', 'SEN Support')", "as_of": date_text("$as_of"),
         "next_step": "if(pu.sen_status = 'E', 'record the provision the plan specifies (section F), which the school "
                      "must put in place', 'record the support in place, or review whether the pupil still needs SEN "
                      "Support')",
         "last_provision": "coalesce('; the last, ' || pu.last_provision || ', ended on ' || "
                           + date_text("pu.last_provision_end") + ", '')"}),
    "provision_no_exit": Provision(
        "place", "pl.ended_on <= $as_of - pol.provision_no_exit__grace_days "
                 "AND pl.ended_on > " + plus_months("$as_of", "-pol.provision_no_exit__within_months")
                 + " AND pl.exit_score IS NULL AND (pl.measure IS NOT NULL OR pl.entry_score IS NOT NULL)", PLACES,
        {"provision": "pl.name", "end_date": date_text("pl.ended_on"),
         "entry": f"coalesce({number_text('pl.entry_score')}, 'not recorded')"}),
    "provision_low_impact": Provision(
        "intervention", "i.pupils_scored >= pol.provision_low_impact__min_pupils AND i.median_gain < i.expected_gain",
        INTERVENTIONS,
        {"provision": "i.name", "pupils": count_text("i.pupils_scored", "pupils"),
         "median_gain": number_text("round(i.median_gain, 2)"), "expected_gain": number_text("i.expected_gain")}),
    "provision_attendance_low": Provision(
        "place", "pl.days_this_year > 0 AND pl.sessions_planned > 0 "
                 "AND pl.sessions_attended / pl.sessions_planned < pol.provision_attendance_low__min_share", PLACES,
        {"provision": "pl.name", "attended": number_text("pl.sessions_attended"),
         "planned": number_text("pl.sessions_planned"),
         "share": "CAST(round(100 * pl.sessions_attended / pl.sessions_planned) AS INTEGER) || '%'"}),
}
REGISTRY.update(PROVISION)


def provision_flags() -> dict[str, Provision]:
    """The provision rules that raise flags, in policy order."""
    return of_kind(Provision)  # type: ignore[return-value]


def costing() -> Costing:
    """The provision_cost entry."""
    entry_ = REGISTRY["provision_cost"]
    assert isinstance(entry_, Costing)
    return entry_


def entry(rule_id: str) -> Entry:
    """The registry entry of a rule (KeyError: a rule of the policy with no condition here)."""
    return REGISTRY[rule_id]


def of_kind(kind: type) -> dict[str, Entry]:
    """The entries of one kind, in policy order."""
    return {rule_id: e for rule_id, e in REGISTRY.items() if isinstance(e, kind)}


def cadences() -> dict[str, Cadence]:
    """The cadence rules, in policy order."""
    return of_kind(Cadence)  # type: ignore[return-value]


def flag_rules() -> list[tuple[str, Flag]]:
    """Every flag of every rule, in policy order: (rule id, flag)."""
    return [(rule_id, f) for rule_id, e in REGISTRY.items() if isinstance(e, (Cadence, Flags)) for f in e.flags]


def binding_clocks() -> list[tuple[str, Cadence]]:
    """The clocks that set the due date over a plan's own (phase_transfer), by rank."""
    return [(rule_id, c) for rule_id, c in sorted(cadences().items(), key=lambda kv: kv[1].rank) if c.binds is not None]


def _clocks_by_plan() -> list[tuple[str, list[tuple[str, Cadence]]]]:
    """The plans' own clocks (not the ones that bind over them), by rank: (plan, [(rule id, entry)...]), a plan's
    clock that takes over from another first."""
    by_plan: dict[str, list[tuple[str, Cadence]]] = {}
    for rule_id, c in sorted(cadences().items(), key=lambda kv: kv[1].rank):
        if c.binds is None:
            by_plan.setdefault(c.plan, []).append((rule_id, c))
    for rules in by_plan.values():
        rules.sort(key=lambda kv: kv[1].takes_over is None)
    return list(by_plan.items())


def _nested(rules: list[tuple[str, Cadence]], value: Callable[[str, Cadence], str], column: Callable[[str], str]) -> str:
    """SQL: the value of the first rule of a plan whose clock takes over (if(column, a, b)), else the last."""
    (rule_id, c), *rest = rules
    if not rest:
        return value(rule_id, c)
    assert c.takes_over is not None
    return f"if({column(c.takes_over[0])}, {value(rule_id, c)}, {_nested(rest, value, column)})"


def every_months(plan: str, prefix: str = "") -> str:
    """SQL: the longest gap in months between two reviews of a plan, from the policy in force (`prefix`: of the
    columns saying a clock that takes over applies, e.g. ehcp_under5's under5)."""
    whens = [f"WHEN '{p}' THEN {_nested(rules, lambda _r, c: c.every or 'NULL', lambda col: prefix + col)}"
             for p, rules in _clocks_by_plan()]
    sep = "\n                   "
    return f"(CASE {plan}{sep}{sep.join(whens)} END)"


def cadence_rule(plan: str, prefix: str = "c.") -> str:
    """SQL CASE: the id of the cadence rule that sets the due date (over rule_due; `prefix`: of the clock row's
    columns saying a clock that takes over applies)."""
    def name(rule_id: str, _c: Cadence) -> str:
        return f"'{rule_id}'"

    def column(col: str) -> str:
        return prefix + col

    binding = [f"WHEN {c.binds[0]} THEN '{rule_id}'" for rule_id, c in binding_clocks() if c.binds]
    *plans, (_, last) = _clocks_by_plan()
    whens = [f"WHEN {plan} = '{p}' THEN {_nested(rules, name, column)}" for p, rules in plans]
    return "CASE " + "\n                    ".join([*binding, *whens, f"ELSE {_nested(last, name, column)}"]) + " END"


def per_year(plan: str, every: str) -> str:
    """SQL: the reviews a plan needs each school year: the rule's reviews_per_year, else 12 / months between."""
    whens = [f"WHEN '{c.plan}' THEN {c.per_year}" for c in cadences().values() if c.per_year]
    sep = "\n                                "
    return f"CASE {plan} {sep.join(whens)}{sep}ELSE ceil(12.0 / {every}) END"


def lead_time(rule_id: str) -> str:
    """SQL: how long before a review a milestone of the policy falls due (its `lead`)."""
    rule = REGISTRY[rule_id]
    assert isinstance(rule, Flags) and rule.lead, f"{rule_id} has no lead time"
    return rule.lead


def judged(gain: str, otherwise: str, indent: str) -> str:
    """SQL: the progress a review's average rise `gain` is judged as (rule progress_from_scores)."""
    judgement = REGISTRY["progress_from_scores"]
    assert isinstance(judgement, Judgement)
    return judgement.judged(gain, otherwise, indent)


def quality_checks() -> Checks:
    """The review_quality entry."""
    checks = REGISTRY["review_quality"]
    assert isinstance(checks, Checks)
    return checks
