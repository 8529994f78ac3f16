"""A small school with two reviews scheduled in the app, for the review documents' tests and the letters preview.

Hollybank Primary (Northmoor Council), as of Tuesday 1 December 2026:
- Amy Archer (A1, Year 3, EHC plan from Northmoor Council): annual review R-0000A001 on Tuesday 12 January 2027 at
  10:30 in the Rainbow Room, chaired by Ms Patel. Invitees: her mother Jo Archer (invited 1 Dec, attending), the
  educational psychologist Dr Sam Reid (Northmoor Educational Psychology Service, invited, sending a report, report
  received 20 Dec), a speech and language therapist Lee Wong (invited, attending: no report expected), the SENCo
  Ms Patel. Invitations sent 1 Dec. Outcomes O1 (scored 3 on 10/09/2026, 5 on 15/11/2026), O2 (scored 2 on
  15/11/2026), O3 achieved (not current). Actions A1 (from an earlier meeting of this review) "Send the plan".
- Ben Bell (B1, Year 4, SEN Support): termly review R-0000B002 on Wednesday 20 January 2027 at 14:00, no invitees.
Policy: advice_before 2 weeks (default), report_after 2 weeks; Northmoor Council's invite_good_practice is 8 weeks.
So reports for Amy are needed by Tuesday 29 December 2026; the report to the council is due Tuesday 26 January 2027.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

AS_OF = date(2026, 12, 1)
SETTING = "Hollybank Primary"
COUNCIL = "Northmoor Council"
AMY, BEN = "R-0000A001", "R-0000B002"


def make_db(path: Path):
    """The database, open (the caller closes it)."""
    from senlib import store
    from senlib.rules.policy import set_override

    con = store.connect(path)
    s = SETTING
    con.execute("INSERT INTO settings VALUES (?, 'primary', ?)", [s, COUNCIL])
    con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, sen_status,
                   primary_need) VALUES (?, 'A1', 'Amy', 'Archer', DATE '2018-05-03', '3', 'E', 'SLCN'),
                   (?, 'B1', 'Ben', 'Bell', DATE '2017-02-11', '4', 'K', 'SPLD')""", [s, s])
    con.execute("""INSERT INTO plans (setting, pupil_id, plan_type, start_date, local_authority) VALUES
                   (?, 'A1', 'ehcp', DATE '2025-01-20', ?), (?, 'B1', 'sen_support', DATE '2026-09-10', NULL)""",
                [s, COUNCIL, s])
    con.execute("""INSERT INTO outcomes (setting, pupil_id, outcome_id, area, description, baseline, target, status) VALUES
        (?, 'A1', 'O1', 'communication_interaction', 'Amy will ask an adult for help using a short sentence', 2, 8, 'active'),
        (?, 'A1', 'O2', 'semh', 'Amy will join a small-group game for ten minutes', 1, 6, NULL),
        (?, 'A1', 'O3', 'cognition_learning', 'Amy will count to 20', 0, 10, 'achieved')""", [s, s, s])
    con.execute("""INSERT INTO scores (setting, pupil_id, outcome_id, score_date, score) VALUES
        (?, 'A1', 'O1', DATE '2026-09-10', 3), (?, 'A1', 'O1', DATE '2026-11-15', 5),
        (?, 'A1', 'O2', DATE '2026-11-15', 2)""", [s, s, s])
    con.execute("""INSERT INTO reviews (setting, pupil_id, plan_type, review_date, held, kind, invitations_sent,
                   review_id, start_time, place, chair) VALUES
        (?, 'A1', 'ehcp', DATE '2027-01-12', FALSE, 'annual', DATE '2026-12-01', ?, '10:30', 'the Rainbow Room', 'Ms Patel'),
        (?, 'B1', 'sen_support', DATE '2027-01-20', FALSE, 'termly', NULL, ?, '14:00', 'the SENCo''s office', 'Ms Patel')""",
                [s, AMY, s, BEN])
    con.execute("""INSERT INTO review_invitees (setting, pupil_id, review_id, invitee_id, name, role, organisation,
                   response, invited_on, report_received) VALUES
        (?, 'A1', ?, 'I1', 'Jo Archer', 'parent_carer', NULL, 'attending', DATE '2026-12-01', NULL),
        (?, 'A1', ?, 'I2', 'Dr Sam Reid', 'ep_advisory', 'Northmoor Educational Psychology Service', 'sending_report',
         DATE '2026-12-01', DATE '2026-12-20'),
        (?, 'A1', ?, 'I3', 'Lee Wong', 'health', 'Northmoor Speech and Language Therapy', 'attending', DATE '2026-12-01', NULL),
        (?, 'A1', ?, 'I4', 'Ms Patel', 'senco', 'Hollybank Primary', 'attending', DATE '2026-12-01', NULL)""",
                [s, AMY] * 4)
    con.execute("""INSERT INTO review_actions (setting, pupil_id, review_id, action_id, action, owner, due_date) VALUES
        (?, 'A1', ?, 'A1', 'Send the current plan to Dr Reid', 'Ms Patel', DATE '2026-12-04')""", [s, AMY])
    set_override(con, "invite_good_practice", "weeks", 8, local_authority=COUNCIL, user="test")
    return con
