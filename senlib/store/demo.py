"""A deterministic, fictional, realistic demo caseload.

Vectorised with numpy (no Python loop per pupil) so a million pupils take seconds.
Proportions follow the national picture: about 13% of roll on SEN Support, 4-5% with
an EHCP, primary needs in census proportions; plan histories climb the graduated
response (SEN Support -> My Support Plan -> EHC request -> EHCP) and some step down.
About one plan in seven is reviewed late and one in ten has missed its last review, so the demo has overdue reviews to find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from senlib import store
from senlib.core.names import AREAS_SEPARATOR, NEED_AREA, YEAR_GROUPS

EPOCH = date(1970, 1, 1)

FIRST_NAMES = ["Amelia", "Olivia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia", "Grace", "Freya", "Willow", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte", "Evelyn", "Sienna", "Daisy", "Harper", "Aria", "Maya", "Zara", "Hana", "Ayesha", "Nia", "Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie", "Henry", "Theodore", "Freddie", "Jack", "Charlie", "Theo", "Alfie", "Jacob", "Thomas", "Finley", "Arlo", "Lucas", "Isaac", "Tommy", "Teddy", "Reuben", "Kai", "Ibrahim", "Yusuf", "Tobias", "Rory"]
LAST_NAMES = ["Ashworth", "Barlow", "Brindley", "Calloway", "Dunmore", "Ellery", "Fairbrother", "Garside", "Hartwell", "Ibbotson", "Jessop", "Kettleby", "Lambourne", "Marsden", "Netherwood", "Oakley", "Pemberton", "Quarmby", "Ridley", "Stanhope", "Thistlethwaite", "Underhill", "Varley", "Whitcombe", "Yardley", "Abbott", "Blackwood", "Cheung", "Dhillon", "Evans", "Farouk", "Gallagher", "Hussain", "Ivanova", "Jankowski", "Kaur", "Lindqvist", "Mbeki", "Nowak", "Okafor", "Patel", "Quinn", "Rahman", "Santos", "Tran", "Uddin", "Vasquez", "Wojcik", "Xu", "Yilmaz", "Zielinski", "Achterberg", "Bellamy", "Crowther", "Doherty", "Entwistle", "Fenwick", "Greenhalgh", "Holroyd"]
STAFF = ["Mrs Ahmed", "Mr Brooks", "Ms Carter", "Mrs Dobson", "Mr Ellis", "Miss Foster", "Mrs Gill", "Mr Hughes", "Ms Iqbal", "Mrs Jones"]

LOCAL_AUTHORITIES = ["Northmoor Council", "Eastbridge County Council", "Westford City Council", "Southdale Borough Council"]

# name, phase, year-index range (inclusive), relative size
SETTING_TEMPLATES = [
    ("Oakfield Primary School", "primary", (-2, 6), 1.5),
    ("Riverside Academy", "secondary", (7, 11), 3.0),
    ("Little Acorns Nursery", "early_years", (-2, 0), 0.4),
    ("St Anne's Infant School", "infant", (-2, 2), 0.8),
    ("Hillcrest Primary School", "primary", (0, 6), 1.2),
    ("Northgate High School", "secondary", (7, 11), 3.5),
    ("Meadowbank All-Through School", "all_through", (0, 11), 3.0),
]

K_NEEDS = {"SLCN": 24, "SEMH": 20, "MLD": 17, "SPLD": 12, "ASD": 10, "OTH": 4, "NSA": 4, "PD": 3, "HI": 2, "VI": 1, "SLD": 1.5, "MSI": 0.5, "PMLD": 1}
E_NEEDS = {"ASD": 33, "SLCN": 21, "SEMH": 15, "SLD": 8, "MLD": 6, "PD": 5, "PMLD": 3, "SPLD": 3, "HI": 2, "VI": 1, "MSI": 0.5, "OTH": 2.5}

OUTCOME_TEXT = {
    "communication_interaction": [
        "will use a visual timetable to move between activities independently",
        "will take turns in a small-group conversation for five minutes",
        "will ask an adult for help using a agreed phrase",
        "will use three-word sentences to describe a picture",
    ],
    "cognition_learning": [
        "will read and spell the first 100 high-frequency words",
        "will recall number bonds to 10 without apparatus",
        "will write two linked sentences with capital letters and full stops",
        "will use a word bank to plan a paragraph",
    ],
    "semh": [
        "will name how they feel using the zones of regulation",
        "will use an agreed calm-down strategy when upset",
        "will join a playground game with a peer for ten minutes",
        "will attend every morning lesson on time",
    ],
    "sensory_physical": [
        "will dress and undress for PE independently",
        "will use a sloped board and pencil grip for written work",
        "will move around school safely using the agreed route",
        "will use the radio aid in every lesson",
    ],
    "pfa": [
        "will travel to college on the bus with a travel buddy",
        "will prepare a simple meal with minimal support",
        "will take part in a weekly community club",
        "will manage their own medical appointments with support",
    ],
}

AREA_ORDER = ["communication_interaction", "cognition_learning", "semh", "sensory_physical", "pfa"]
PROGRESS_CODES = np.array(["less", "expected", "more"], dtype=object)


@dataclass(frozen=True)
class DemoSummary:
    """What the generator wrote, for the command line to print."""

    settings: int
    pupils: int
    sen_support: int
    ehcp: int
    plans: int
    reviews: int
    outcomes: int
    scores: int
    ehc_requests: int
    provisions: int = 0
    pupil_provisions: int = 0


def _day(d: date) -> int:
    return (d - EPOCH).days


def _dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]")


def _maybe(rng: np.random.Generator, values: np.ndarray, share_missing: float) -> np.ndarray:
    """Blank out a share of values, as real trackers have gaps."""
    out = values.astype(object)
    out[rng.random(len(values)) < share_missing] = None
    return out


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def build_settings(n_settings: int) -> pd.DataFrame:
    """The settings of the demo trust, with the council each sits in."""
    rows = []
    for i in range(n_settings):
        name, phase, years, weight = SETTING_TEMPLATES[i % len(SETTING_TEMPLATES)]
        if i >= len(SETTING_TEMPLATES):
            name = f"{name} {i // len(SETTING_TEMPLATES) + 1}"
        rows.append({"setting": name, "phase": phase, "lo": years[0], "hi": years[1], "weight": weight,
                     "local_authority": LOCAL_AUTHORITIES[i % len(LOCAL_AUTHORITIES)]})
    return pd.DataFrame(rows)


def build_pupils(rng: np.random.Generator, settings: pd.DataFrame, n: int, as_of: date) -> pd.DataFrame:
    """One row per pupil on roll, with SEN status, need and year group."""
    w = settings["weight"].to_numpy()
    s_idx = rng.choice(len(settings), size=n, p=w / w.sum())
    lo = settings["lo"].to_numpy()[s_idx]
    hi = settings["hi"].to_numpy()[s_idx]
    yidx = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(int)
    syear = as_of.year if as_of.month >= 9 else as_of.year - 1
    cohort = syear - 4 - yidx  # born 1 Sep cohort-1 .. 31 Aug cohort
    sep1 = np.array([_day(date(int(y) - 1, 9, 1)) for y in range(1900, 2200)])
    start = sep1[cohort - 1900]
    span = sep1[cohort - 1900 + 1] - start
    dob = start + np.floor(rng.random(n) * span).astype(int)

    u = rng.random(n)
    sen = np.where(u < 0.045, "E", np.where(u < 0.175, "K", "N")).astype(object)
    need = np.full(n, None, dtype=object)
    is_k, is_e = sen == "K", sen == "E"
    need[is_k] = _choice(rng, K_NEEDS, int(is_k.sum()))
    need[is_e] = _choice(rng, E_NEEDS, int(is_e.sum()))
    second = _choice(rng, E_NEEDS, n)
    second[(sen == "N") | (rng.random(n) > 0.3) | (second == need)] = None

    yg_codes = np.array(YEAR_GROUPS, dtype=object)
    recorded = yidx.copy()
    recorded[rng.random(n) < 0.01] += 1  # a few trackers carry a stale year group
    year_group = _maybe(rng, yg_codes[np.clip(recorded, -2, 14) + 2], 0.02)
    form = np.array(list("ABC"), dtype=object)[rng.integers(0, 3, n)]
    klass = np.where(yidx < 0, "Nursery", yg_codes[yidx + 2] + form)

    home_la = settings["local_authority"].to_numpy()[s_idx]
    other_la = np.array(LOCAL_AUTHORITIES, dtype=object)[rng.integers(0, len(LOCAL_AUTHORITIES), n)]
    la = np.where(rng.random(n) < 0.8, home_la, other_la).astype(object)
    la[~is_e] = None
    key_worker = np.array(STAFF, dtype=object)[rng.integers(0, len(STAFF), n)]
    key_worker[(sen == "N") | (rng.random(n) < 0.05)] = None

    as_of_day = _day(as_of)
    identified = as_of_day - rng.integers(90, 1100, n)
    identified = np.maximum(identified, dob + 700)
    leaving = np.full(n, None, dtype=object)
    left = rng.random(n) < 0.015
    leaving[left] = _dates(as_of_day - rng.integers(1, 200, int(left.sum())))

    ids = (rng.integers(10**11, 10**12) + np.arange(n, dtype=np.int64) * 7919) % 10**12
    letters = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"), dtype=object)[s_idx % 23]
    pupil_id = pd.Series(letters).str.cat(pd.Series(ids).astype(str).str.zfill(12))

    return pd.DataFrame({
        "setting": settings["setting"].to_numpy()[s_idx],
        "pupil_id": pupil_id.to_numpy(),
        "first_name": np.array(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), n)],
        "last_name": np.array(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)],
        "date_of_birth": _dates(dob),
        "year_group": year_group,
        "class": klass,
        "sen_status": sen,
        "primary_need": need,
        "secondary_need": second,
        "local_authority": la,
        "key_worker": key_worker,
        "date_identified": np.where(sen == "N", None, _dates(identified).astype(object)),
        "leaving_date": leaving,
        # working columns, dropped before writing
        "_yidx": yidx,
        "_dob": dob,
        "_identified": identified,
        "_home_la": home_la,
    })


def build_plans(rng: np.random.Generator, pupils: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Plan histories: the path each pupil took up (and sometimes down) the graduated response."""
    as_of_day = _day(as_of)
    n = len(pupils)
    sen = pupils["sen_status"].to_numpy()
    dob = pupils["_dob"].to_numpy()
    ident = pupils["_identified"].to_numpy().copy()
    parts: list[dict] = []

    def add(mask, plan_type, start, end, la=None):
        idx = np.flatnonzero(mask)
        parts.append({"_p": idx, "plan_type": np.full(len(idx), plan_type, dtype=object),
                      "_start": np.asarray(start)[idx], "_end": np.asarray(end)[idx],
                      "local_authority": (np.asarray(la, dtype=object)[idx] if la is not None else np.full(len(idx), None, dtype=object))})

    none = np.full(n, -1)
    is_k, is_e, is_n = sen == "K", sen == "E", sen == "N"
    u = rng.random(n)

    # EHCP pupils: SEN Support -> MSP -> request -> EHCP, chained backwards from the issue date.
    issue = np.maximum(as_of_day - rng.integers(30, 1400, n), dob + 900)
    requested = issue - rng.integers(120, 170, n)
    msp = requested - rng.integers(150, 320, n)
    e_ident = np.maximum(msp - rng.integers(120, 360, n), dob + 365)
    msp = np.maximum(msp, e_ident + 30)
    requested = np.maximum(requested, msp + 60)
    issue = np.minimum(np.maximum(issue, requested + 100), as_of_day - 7)
    ident = np.where(is_e, e_ident, ident)
    add(is_e, "sen_support", ident, msp)
    add(is_e, "my_support_plan", msp, issue)
    add(is_e, "ehcp", issue, none, pupils["local_authority"].to_numpy())

    # SEN Support pupils: most on SEN Support; some moved up to an MSP; a few stepped back down.
    profile = is_k & (u < 0.3)
    add(profile, "pupil_profile", ident - rng.integers(60, 200, n), ident)
    k_msp = is_k & (u >= 0.82)
    step_down = k_msp & (u >= 0.95)
    k_msp_start = np.minimum(ident + rng.integers(200, 500, n), as_of_day - 40)
    k_msp_start = np.maximum(k_msp_start, ident + 30)
    k_msp_end = np.where(step_down, np.minimum(k_msp_start + rng.integers(250, 400, n), as_of_day - 20), -1)
    add(is_k & ~k_msp, "sen_support", ident, none)
    add(k_msp, "sen_support", ident, k_msp_start)
    add(k_msp & ~step_down, "my_support_plan", k_msp_start, none)
    add(step_down, "my_support_plan", k_msp_start, k_msp_end)
    add(step_down, "sen_support", k_msp_end, none)

    # Former SEN Support, now off the register.
    past = is_n & (u < 0.03)
    p_start = np.maximum(as_of_day - rng.integers(500, 1100, n), dob + 700)
    add(past, "sen_support", p_start, np.minimum(p_start + rng.integers(250, 450, n), as_of_day - 10))

    # Individual healthcare plans alongside anything.
    ihcp = (is_e & (rng.random(n) < 0.08)) | (is_k & (rng.random(n) < 0.03)) | (is_n & (rng.random(n) < 0.005))
    add(ihcp, "ihcp", np.maximum(as_of_day - rng.integers(60, 900, n), dob + 365), none)

    plans = pd.DataFrame({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
    plans = plans.sort_values(["_p", "_start"], kind="stable").reset_index(drop=True)
    plans["_ident"] = ident[plans["_p"].to_numpy()]
    plans["_requested"] = requested[plans["_p"].to_numpy()]
    plans["_issue"] = issue[plans["_p"].to_numpy()]
    plans["_k_msp"] = k_msp[plans["_p"].to_numpy()]
    return plans


def build_reviews(rng: np.random.Generator, pupils: pd.DataFrame, plans: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """1-3 years of reviews per plan, with dates, attendance and progress judgements."""
    as_of_day = _day(as_of)
    pt = plans["plan_type"].to_numpy()
    start = plans["_start"].to_numpy()
    end = plans["_end"].to_numpy()
    pidx = plans["_p"].to_numpy()
    P = len(plans)
    annual = (pt == "ehcp") | (pt == "ihcp")
    under5_at_issue = (pt == "ehcp") & (start - pupils["_dob"].to_numpy()[pidx] < 5 * 365)
    interval = np.where(annual, rng.integers(320, 360, P), rng.integers(85, 118, P))
    interval = np.where(under5_at_issue, rng.integers(150, 178, P), interval)
    late = rng.random(P) < 0.15
    interval = np.where(late, (interval * rng.uniform(1.2, 1.6, P)).astype(int), interval)
    current = end < 0
    eff_end = np.where(current, as_of_day, np.minimum(end, as_of_day))
    count = np.clip((eff_end - start) // interval, 0, 12)
    count = np.where(pt == "pupil_profile", np.minimum(count, 1), count)
    count = np.where(current & (rng.random(P) < 0.10), np.maximum(count - 1, 0), count)

    r = np.repeat(np.arange(P), count)
    k = np.arange(len(r)) - np.repeat(np.cumsum(count) - count, count)
    jitter = rng.integers(-10, 8, len(r))
    rdate = np.minimum(start[r] + (k + 1) * interval[r] + jitter, eff_end[r])
    rdate = np.maximum(rdate, start[r] + 14)
    keep = rdate >= as_of_day - 1100
    r, k, rdate = r[keep], k[keep], rdate[keep]
    R = len(r)

    # Scheduled next reviews, not yet held.
    last = np.where(count > 0, start + count * interval, start)
    nxt = last + interval
    sched = current & (nxt > as_of_day) & (rng.random(P) < 0.6)
    s = np.flatnonzero(sched)

    # Progress follows a per-plan trajectory; struggling plans give runs of "less than expected".
    traj = rng.choice(3, size=P, p=[0.25, 0.45, 0.30])  # 0 struggling, 1 steady, 2 thriving
    probs = np.array([[0.62, 0.33, 0.05], [0.2, 0.65, 0.15], [0.06, 0.54, 0.40]])
    cum = probs.cumsum(axis=1)[traj[r]]
    draw = rng.random(R)[:, None]
    prog_i = (draw > cum).sum(axis=1)
    progress = PROGRESS_CODES[np.minimum(prog_i, 2)].copy()
    progress[rng.random(R) < 0.08] = None

    is_ehcp = pt[r] == "ehcp"
    decision = np.where(prog_i == 0, np.where(rng.random(R) < 0.6, "increase", "specialist_advice"),
                        np.where(prog_i == 2, np.where(rng.random(R) < 0.5, "reduce", "maintain"), "maintain")).astype(object)
    decision[is_ehcp] = np.where(rng.random(int(is_ehcp.sum())) < 0.12, "amend", "maintain")
    # The last MSP review before an EHC request asked for the assessment.
    msp_before_request = (pt[r] == "my_support_plan") & (plans["_end"].to_numpy()[r] == plans["_issue"].to_numpy()[r]) & (k == count[r] - 1)
    decision[msp_before_request] = "request_ehc_assessment"
    decision[rng.random(R) < 0.1] = None

    yidx = pupils["_yidx"].to_numpy()[pidx[r]]
    kind = np.where(annual[r], "annual", "termly").astype(object)
    kind[is_ehcp & (rng.random(R) < 0.05)] = "interim"
    kind[is_ehcp & np.isin(yidx, [-1, 6, 11]) & (rdate > as_of_day - 200)] = "transition"

    inv = rdate - np.where(is_ehcp, rng.integers(10, 60, R), rng.integers(5, 35, R))
    rep = rdate - rng.integers(-4, 25, R)
    held = pd.DataFrame({
        "_p": pidx[r],
        "plan_type": pt[r],
        "review_date": _dates(rdate),
        "held": True,
        "kind": kind,
        "invitations_sent": _maybe(rng, _dates(inv), 0.1),
        "reports_received": _maybe(rng, _dates(rep), 0.15),
        "parent_attended": _maybe(rng, rng.random(R) < 0.86, 0.04),
        "child_contributed": _maybe(rng, rng.random(R) < 0.72, 0.05),
        "progress": progress,
        "decision": decision,
        "next_review_date": _maybe(rng, _dates(rdate + interval[r]), 0.1),
        "report_sent": np.where(is_ehcp, _maybe(rng, _dates(rdate + rng.integers(3, 24, R)), 0.1), None),
        "la_decision_date": np.where(is_ehcp, _maybe(rng, _dates(rdate + rng.integers(10, 40, R)), 0.15), None),
        "pfa_covered": np.where(is_ehcp & (yidx >= 9), rng.random(R) < 0.85, None),
        "_traj": traj[r],
        "_start": start[r],
    })
    # A held review's report and council decision cannot be after the as-of date.
    for col in ("report_sent", "la_decision_date", "reports_received", "invitations_sent"):
        vals = pd.to_datetime(held[col])
        held[col] = held[col].where(vals.isna() | (vals <= pd.Timestamp(as_of)), None)
    planned = pd.DataFrame({
        "_p": pidx[s], "plan_type": pt[s], "review_date": _dates(nxt[s]), "held": False,
        "kind": np.where(annual[s], "annual", "termly").astype(object),
        "_traj": traj[s], "_start": start[s],
    })
    return pd.concat([held, planned], ignore_index=True)


def build_outcomes(rng: np.random.Generator, pupils: pd.DataFrame, plans: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """2-4 outcomes per pupil on the register, in the four broad areas (and PfA from Year 9)."""
    as_of_day = _day(as_of)
    cur = plans[(plans["_end"] < 0) & plans["plan_type"].isin(["sen_support", "my_support_plan", "ehcp"])]
    cur = cur.drop_duplicates("_p", keep="last")
    p = cur["_p"].to_numpy()
    m = rng.integers(2, 5, len(p))
    o = np.repeat(np.arange(len(p)), m)
    j = np.arange(len(o)) - np.repeat(np.cumsum(m) - m, m)
    need = pupils["primary_need"].to_numpy()[p[o]]
    area_codes = np.array(["communication_interaction", "cognition_learning", "semh", "sensory_physical"], dtype=object)
    area = area_codes[rng.integers(0, 4, len(o))]
    first = j == 0
    area[first] = np.array([NEED_AREA.get(x, "cognition_learning") for x in need[first]], dtype=object)
    pfa = (cur["plan_type"].to_numpy()[o] == "ehcp") & (pupils["_yidx"].to_numpy()[p[o]] >= 9) & (j == m[o] - 1)
    area[pfa] = "pfa"
    text_i = rng.integers(0, 4, len(o))
    table = np.array([[OUTCOME_TEXT[a][t] for t in range(4)] for a in AREA_ORDER], dtype=object)
    desc = table[pd.Series(area).map({a: i for i, a in enumerate(AREA_ORDER)}).to_numpy(), text_i]
    first_names = pupils["first_name"].to_numpy()[p[o]]
    description = pd.Series(first_names).str.cat(pd.Series(desc), sep=" ").to_numpy()
    o_start = np.maximum(cur["_start"].to_numpy()[o], as_of_day - 400)
    baseline = rng.integers(0, 5, len(o)).astype(float)
    target = np.minimum(baseline + rng.integers(4, 8, len(o)), 10).astype(float)
    return pd.DataFrame({
        "_p": p[o],
        "outcome_id": pd.Series(j + 1).astype(str).radd("O").to_numpy(),
        "area": area,
        "description": description,
        "baseline": baseline,
        "target": target,
        "scale_min": 0.0,
        "scale_max": 10.0,
        "start_date": _dates(o_start),
        "target_date": _dates(o_start + 365),
        "status": "active",
        "_stalled": rng.random(len(o)) < 0.1,
        "_plan_type": cur["plan_type"].to_numpy()[o],
    })



def generate(
    con: duckdb.DuckDBPyConnection,
    *,
    settings: int = 3,
    pupils: int = 1500,
    seed: int = 2026,
    as_of: date | None = None,
) -> DemoSummary:
    """Write a demo caseload into an empty store, in one transaction."""
    as_of = as_of or date.today()
    rng = np.random.default_rng(seed)
    st_df = build_settings(settings)
    pu = build_pupils(rng, st_df, pupils, as_of)
    pl = build_plans(rng, pu, as_of)
    rv = build_reviews(rng, pu, pl, as_of)
    oc = build_outcomes(rng, pu, pl, as_of)

    keys = pu[["setting", "pupil_id"]]
    for df in (pl, rv, oc):
        df["setting"] = keys["setting"].to_numpy()[df["_p"].to_numpy()]
        df["pupil_id"] = keys["pupil_id"].to_numpy()[df["_p"].to_numpy()]
    pl["start_date"] = _dates(pl["_start"].to_numpy())
    pl["end_date"] = np.where(pl["_end"].to_numpy() < 0, None, _dates(pl["_end"].to_numpy()).astype(object))

    req = _ehc_requests(rng, pu, pl, as_of)
    # Provision comes last and from its own stream: nothing above draws a different number because of it.
    prng = _provision_rng(seed)
    pv = build_provisions(prng, st_df, as_of)
    pp = build_pupil_provisions(prng, st_df, pu, pv, as_of)
    # Review meetings kept in the app, from their own stream too: only the new columns of reviews are filled in.
    meet, invitees, actions = build_meetings(_meetings_rng(seed), pu, rv, as_of)
    rv = pd.concat([rv, meet], axis=1)

    try:
        with store.transaction(con):
            con.register("d_settings", st_df)
            con.execute("INSERT INTO settings SELECT setting, phase, local_authority FROM d_settings")
            con.register("d_pupils", pu)
            con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, class,
                    sen_status, primary_need, secondary_need, local_authority, key_worker, date_identified, leaving_date, extra)
                SELECT setting, pupil_id, first_name, last_name, date_of_birth, year_group, class, sen_status, primary_need,
                    secondary_need, local_authority, key_worker, CAST(date_identified AS DATE), CAST(leaving_date AS DATE), NULL
                FROM d_pupils""")
            con.register("d_plans", pl)
            con.execute("""INSERT INTO plans (setting, pupil_id, plan_type, start_date, end_date, local_authority)
                SELECT setting, pupil_id, plan_type, start_date, CAST(end_date AS DATE), local_authority FROM d_plans""")
            con.register("d_reviews", rv)
            con.execute("""INSERT INTO reviews (setting, pupil_id, plan_type, review_date, held, kind, invitations_sent,
                    reports_received, parent_attended, child_contributed, progress, decision, next_review_date, report_sent,
                    la_decision_date, pfa_covered, review_id, start_time, place, chair, parents_views, child_views,
                    attendance)
                SELECT setting, pupil_id, plan_type, review_date, held, kind, CAST(invitations_sent AS DATE),
                    CAST(reports_received AS DATE), CAST(parent_attended AS BOOLEAN), CAST(child_contributed AS BOOLEAN),
                    progress, decision, CAST(next_review_date AS DATE), CAST(report_sent AS DATE),
                    CAST(la_decision_date AS DATE), CAST(pfa_covered AS BOOLEAN), CAST(review_id AS VARCHAR),
                    CAST(start_time AS VARCHAR), CAST(place AS VARCHAR), CAST(chair AS VARCHAR),
                    CAST(parents_views AS VARCHAR), CAST(child_views AS VARCHAR), CAST(attendance AS DOUBLE)
                FROM d_reviews""")
            con.register("d_invitees", invitees)
            con.execute("""INSERT INTO review_invitees (setting, pupil_id, review_id, invitee_id, name, role, organisation,
                    contact, response, invited_on, report_received, attended)
                SELECT setting, pupil_id, review_id, invitee_id, name, role, organisation, CAST(contact AS VARCHAR),
                    CAST(response AS VARCHAR), CAST(invited_on AS DATE), CAST(report_received AS DATE),
                    CAST(attended AS BOOLEAN) FROM d_invitees""")
            con.register("d_actions", actions)
            con.execute("""INSERT INTO review_actions (setting, pupil_id, review_id, action_id, action, owner, due_date,
                    done_date)
                SELECT setting, pupil_id, review_id, action_id, action, owner, CAST(due_date AS DATE),
                    CAST(done_date AS DATE) FROM d_actions""")
            con.register("d_outcomes", oc)
            con.execute("""INSERT INTO outcomes (setting, pupil_id, outcome_id, area, description, baseline, target,
                    scale_min, scale_max, start_date, target_date, status)
                SELECT setting, pupil_id, outcome_id, area, description, baseline, target, scale_min, scale_max,
                    start_date, target_date, status FROM d_outcomes""")
            # Scores: the baseline at the outcome's start, then one score per held review of the plan,
            # rising with the review's progress judgement (stalled outcomes stay put).
            con.execute(f"""INSERT INTO scores (setting, pupil_id, outcome_id, score_date, score)
                WITH steps AS (
                    SELECT o.setting, o.pupil_id, o.outcome_id, r.review_date AS score_date, o.baseline, o.target,
                        CASE WHEN o._stalled THEN 0
                             WHEN r.progress = 'less' THEN (hash(o.pupil_id, o.outcome_id, r.review_date, {seed}) % 2)::INT * 0.5
                             WHEN r.progress = 'more' THEN 2
                             WHEN r.progress = 'expected' THEN 1
                             ELSE (hash(o.pupil_id, o.outcome_id, r.review_date, {seed}) % 3)::INT END AS step
                    FROM d_outcomes o JOIN d_reviews r
                      ON r._p = o._p AND r.plan_type = o._plan_type AND r.held
                     AND CAST(r.review_date AS DATE) > CAST(o.start_date AS DATE)
                )
                SELECT setting, pupil_id, outcome_id, CAST(start_date AS DATE), baseline FROM d_outcomes
                UNION ALL
                SELECT setting, pupil_id, outcome_id, CAST(score_date AS DATE),
                    least(10, baseline + sum(step) OVER (PARTITION BY setting, pupil_id, outcome_id ORDER BY score_date))
                FROM steps""")
            con.execute("""UPDATE outcomes SET status = 'achieved' FROM (
                    SELECT setting, pupil_id, outcome_id, arg_max(score, score_date) AS latest FROM scores
                    GROUP BY ALL) s
                WHERE s.setting = outcomes.setting AND s.pupil_id = outcomes.pupil_id
                  AND s.outcome_id = outcomes.outcome_id AND s.latest >= outcomes.target""")
            con.register("d_requests", req)
            con.execute("""INSERT INTO ehc_requests (setting, pupil_id, requested, decision_date, decision, final_plan_date, local_authority)
                SELECT setting, pupil_id, requested, CAST(decision_date AS DATE), decision, CAST(final_plan_date AS DATE),
                    local_authority FROM d_requests""")
            con.register("d_provisions", pv[[c for c in pv.columns if not c.startswith("_")]])
            con.execute("""INSERT INTO provisions (setting, provision_id, name, areas, kind, delivered_by, group_size,
                    sessions_per_week, minutes_per_session, weeks_per_year, hourly_cost, fixed_cost, start_date, end_date,
                    measure, expected_gain, notes)
                SELECT setting, provision_id, name, areas, kind, delivered_by, group_size, sessions_per_week,
                    minutes_per_session, weeks_per_year, hourly_cost, fixed_cost, CAST(start_date AS DATE),
                    CAST(end_date AS DATE), measure, expected_gain, notes FROM d_provisions""")
            con.register("d_pupil_provisions", pp[[c for c in pp.columns if not c.startswith("_")]])
            con.execute("""INSERT INTO pupil_provisions (setting, pupil_id, provision_id, start_date, end_date, entry_score,
                    entry_date, exit_score, exit_date, sessions_attended, sessions_planned, notes)
                SELECT setting, pupil_id, provision_id, CAST(start_date AS DATE), CAST(end_date AS DATE), entry_score,
                    CAST(entry_date AS DATE), exit_score, CAST(exit_date AS DATE), sessions_attended, sessions_planned,
                    notes FROM d_pupil_provisions""")
            store.audit(con, "demo", "demo generator", {"settings": settings, "pupils": pupils, "seed": seed, "as_of": as_of})
    finally:
        for name in ("d_settings", "d_pupils", "d_plans", "d_reviews", "d_outcomes", "d_requests", "d_provisions",
                     "d_pupil_provisions", "d_invitees", "d_actions"):
            con.unregister(name)

    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
              for t in ("settings", "pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests", "provisions",
                        "pupil_provisions")}
    sen = dict(con.execute("SELECT sen_status, count(*) FROM pupils GROUP BY ALL").fetchall())
    return DemoSummary(counts["settings"], counts["pupils"], sen.get("K", 0), sen.get("E", 0), counts["plans"],
                       counts["reviews"], counts["outcomes"], counts["scores"], counts["ehc_requests"], counts["provisions"],
                       counts["pupil_provisions"])


def _ehc_requests(rng: np.random.Generator, pupils: pd.DataFrame, plans: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Requests for EHC needs assessment: every EHCP had one; some MSP pupils have one open or refused."""
    as_of_day = _day(as_of)
    ehcp = plans[plans["plan_type"] == "ehcp"]
    done = pd.DataFrame({
        "setting": ehcp["setting"].to_numpy(),
        "pupil_id": ehcp["pupil_id"].to_numpy(),
        "requested": _dates(ehcp["_requested"].to_numpy()),
        "decision_date": _dates(ehcp["_requested"].to_numpy() + rng.integers(28, 46, len(ehcp))),
        "decision": "agreed",
        "final_plan_date": _dates(ehcp["_start"].to_numpy()),
        "local_authority": ehcp["local_authority"].to_numpy(),
    })
    msp = plans[(plans["plan_type"] == "my_support_plan") & (plans["_end"] < 0)]
    msp = msp[rng.random(len(msp)) < 0.2]
    n = len(msp)
    requested = np.maximum(as_of_day - rng.integers(5, 200, n), msp["_start"].to_numpy() + 30)
    requested = np.minimum(requested, as_of_day)
    age = as_of_day - requested
    decided = (age > 42) & (rng.random(n) < 0.85) | (age > 20) & (rng.random(n) < 0.3)
    decision_date = np.minimum(requested + rng.integers(20, 50, n), as_of_day)
    decision = np.where(rng.random(n) < 0.7, "agreed", "refused").astype(object)
    home = pupils.set_index(["setting", "pupil_id"])["_home_la"]
    la = home.reindex(pd.MultiIndex.from_arrays([msp["setting"], msp["pupil_id"]])).to_numpy()
    open_ = pd.DataFrame({
        "setting": msp["setting"].to_numpy(),
        "pupil_id": msp["pupil_id"].to_numpy(),
        "requested": _dates(requested),
        "decision_date": np.where(decided, _dates(decision_date).astype(object), None),
        "decision": np.where(decided, decision, None),
        "final_plan_date": None,
        "local_authority": la,
    })
    return pd.concat([done, open_], ignore_index=True)


# ---- Provision (issue 16): the interventions each setting runs and the pupils on them ----
#
# Drawn from its own random stream (seeded from the demo's seed and "provision"), after every
# other table, so that the pupils, plans, reviews, outcomes and scores are exactly what they were
# before provision existed (the golden snapshot does not move).

CI, CL, SEMH_, SP = "communication_interaction", "cognition_learning", "semh", "sensory_physical"

# Rough hourly costs the generator prices "vary" items around (the product's own defaults by role
# are kept with the setting; these only shape the explicit hourly costs some items carry).
DEMO_ROLE_COSTS = {"teaching_assistant": 18.0, "teacher": 45.0, "senco": 50.0, "specialist_teacher": 55.0,
                   "salt": 65.0, "ep": 95.0, "other": 25.0}


@dataclass(frozen=True)
class Intervention:
    """One line of a costed provision map, as many English schools keep it."""

    code: str
    name: str
    areas: tuple[str, ...]
    kind: str
    role: str
    group: float | None
    sessions: float | None
    minutes: float | None
    run: str  # year: pupils stay the year; rolling: 12-week blocks all year; term: one term a year (weeks 12); fixed: no sessions
    fixed: float | None
    measure: str | None
    expected: float | None
    lo: int  # year-index range of pupils it suits (-2 N1 .. 11 Y11)
    hi: int
    light: bool = False  # light-touch: also used for pupils not on the register
    notes: str | None = None
    hourly: float | None = None  # explicit hourly cost (special items); otherwise sometimes drawn
    special: bool = False  # the 1:1 package of one EHCP pupil (the top-up case), not drawn at random


CATALOGUE = [
    Intervention("PT", "Precision teaching", (CL,), "one_to_one", "teaching_assistant", 1, 3, 10, "year", None, "percentage", 20, 1, 9,
                 notes="Three short daily-style probes a week on target words or number facts"),
    Intervention("TBT", "Toe by Toe", (CL,), "one_to_one", "teaching_assistant", 1, 5, 20, "year", 35, "reading_age_months", 9, 3, 9,
                 notes="One manual per pupil"),
    Intervention("FS", "Fresh Start phonics catch-up", (CL,), "small_group", "teaching_assistant", 4, 4, 30, "rolling", 60,
                 "reading_age_months", 6, 5, 9, light=True),
    Intervention("KU", "Phonics keep-up group", (CL,), "small_group", "teaching_assistant", 4, 4, 20, "rolling", None,
                 "reading_age_months", 4, 0, 3, light=True),
    Intervention("NUM", "Numicon maths group", (CL,), "small_group", "teaching_assistant", 4, 3, 30, "rolling", 250, "standardised", 5, 0, 6,
                 light=True, notes="Kit bought once; £250 a year to replace and extend it"),
    Intervention("P1", "Plus 1 / Power of 2 maths", (CL,), "one_to_one", "teaching_assistant", 1, 3, 15, "year", 20, "standardised", 5, 2, 9),
    Intervention("LEGO", "Lego therapy", (CI, SEMH_), "small_group", "teaching_assistant", 3, 1, 45, "year", 120, "scaling", 2, 1, 9),
    Intervention("ELSA", "ELSA (emotional literacy support)", (SEMH_,), "one_to_one", "teaching_assistant", 1, 1, 40, "rolling", None,
                 "scaling", 2, 0, 11, notes="Delivered by a trained ELSA", hourly=20.5),
    Intervention("NUR", "Nurture group", (SEMH_,), "small_group", "teacher", 8, 5, 60, "year", 400, "boxall", 10, 0, 4,
                 notes="Teacher and TA every afternoon; Boxall profile at entry and exit"),
    Intervention("TB", "Talk Boost language group", (CI,), "small_group", "teaching_assistant", 4, 3, 30, "term", 75, "standardised", 5, 0, 6,
                 light=True, notes="Autumn term only"),
    Intervention("ETB", "Early Talk Boost", (CI,), "small_group", "teaching_assistant", 6, 3, 20, "term", 75, "scaling", 2, -2, 0, light=True),
    Intervention("NELI", "NELI oral language programme", (CI,), "small_group", "teaching_assistant", 4, 3, 30, "year", None, "standardised", 5,
                 0, 0, light=True, notes="Reception; children chosen with LanguageScreen"),
    Intervention("SALT", "Speech and language therapy", (CI,), "external", "salt", None, None, None, "fixed", 5400, "scaling", 2, -2, 11,
                 notes="12 half-day visits at £450 (traded service)"),
    Intervention("EP", "Educational psychologist consultation", (CL, SEMH_), "external", "ep", None, None, None, "fixed", 3240, None, None,
                 -2, 11, notes="6 half-day visits at £540 (traded service)"),
    Intervention("SS", "Social skills group (Socially Speaking)", (CI, SEMH_), "small_group", "teaching_assistant", 6, 1, 45, "rolling", None,
                 "scaling", 2, 2, 9),
    Intervention("CH", "Clever Hands fine motor group", (SP,), "small_group", "teaching_assistant", 6, 3, 15, "rolling", 60, "scaling", 2, 0, 4),
    Intervention("DD", "Dough Disco", (SP,), "small_group", "teaching_assistant", 8, 5, 10, "year", 40, "scaling", 2, -2, 0, light=True),
    Intervention("HW", "Handwriting (Speed Up!)", (SP, CL), "small_group", "teaching_assistant", 4, 2, 30, "rolling", None, "percentage", 15, 3, 8),
    Intervention("SC", "Sensory circuits", (SP, SEMH_), "small_group", "teaching_assistant", 8, 5, 15, "year", 150, "scaling", 2, -1, 6),
    Intervention("ZOR", "Zones of Regulation group", (SEMH_,), "small_group", "teaching_assistant", 6, 1, 30, "rolling", 30, "scaling", 2, 1, 9),
    Intervention("TT", "Touch-typing", (CL, SP), "small_group", "teaching_assistant", 6, 2, 30, "year", 180, "percentage", 15, 5, 11,
                 notes="Online course licences £180 a year"),
    Intervention("RR", "Reciprocal reading group", (CL,), "small_group", "teaching_assistant", 6, 2, 30, "rolling", None, "standardised", 5, 3, 9,
                 light=True),
    Intervention("RWI", "Read Write Inc 1:1 tutoring", (CL,), "one_to_one", "teaching_assistant", 1, 5, 10, "year", None, "reading_age_months", 6,
                 1, 4),
    Intervention("SPT", "Specialist teacher (SpLD)", (CL,), "one_to_one", "specialist_teacher", 1, 1, 60, "year", None, "standardised", 5, 2, 11,
                 notes="Weekly from the council's specialist teaching service"),
    Intervention("LEX", "Lexia PowerUp literacy", (CL,), "small_group", "teaching_assistant", 8, 3, 30, "year", 1200, "standardised", 5, 7, 9,
                 light=True, notes="Licence £1,200 a year"),
    Intervention("MEN", "Learning mentor sessions", (SEMH_,), "one_to_one", "other", 1, 1, 45, "rolling", None, "scaling", 2, 7, 11),
    Intervention("AA", "Attention Autism (bucket time)", (CI,), "small_group", "teaching_assistant", 6, 5, 15, "year", 50, "scaling", 2, -2, 2),
    Intervention("VT", "Visual timetable", (CI,), "in_class", "teacher", None, None, None, "fixed", None, None, None, -2, 6),
    Intervention("CO", "Coloured overlays", (CL,), "in_class", "teacher", None, None, None, "fixed", 15, None, None, 2, 11),
    Intervention("WS", "Writing slope and pencil grips", (SP,), "equipment", "other", None, None, None, "fixed", 45, None, None, 1, 11),
    Intervention("ED", "Ear defenders", (SP, CI), "equipment", "other", None, None, None, "fixed", 25, None, None, -2, 11),
    Intervention("LAP", "Laptop for recording work", (SP, CL), "equipment", "other", None, None, None, "fixed", 450, None, None, 5, 11),
    Intervention("TA1", "1:1 TA support (EHCP)", (CI, SEMH_), "one_to_one", "teaching_assistant", 1, 5, 60, "year", None, "scaling", 2, -2, 11,
                 notes="Named in the EHC plan: an hour a day with a TA", hourly=21.0, special=True),
    Intervention("STO", "Specialist teacher outreach (autism)", (CI,), "one_to_one", "specialist_teacher", 1, 1, 60, "year", 300, "scaling", 2,
                 -2, 11, notes="Weekly 1:1 from the autism outreach service; £300 resources", hourly=60.0, special=True),
]
MUST_HAVE = {"SALT", "EP"}


def _meetings_rng(seed: int) -> np.random.Generator:
    """The review meetings' own random stream (issue 17), independent of the caseload's and the provision's."""
    return np.random.default_rng([seed, int.from_bytes(b"meetings", "big")])


MEETING_PLACES = ["SENCo's office", "Meeting room 1", "The library", "Online (Microsoft Teams)", "Family room"]
MEETING_TIMES = ["08:45", "09:15", "10:00", "11:00", "13:30", "14:15", "15:30"]
PARENTS_VIEWS = ["Pleased with the progress in reading; would like more help with homework.",
                 "Worried about the move to the next class; mornings are still hard at home.",
                 "Happy with the support; the visual timetable is working at home too.",
                 "Would like more regular updates from the class teacher."]
CHILD_VIEWS = ["Likes the reading group and wants to keep going to it. Finds the lunch hall too noisy.",
               "Said (with picture cards) that maths is fun and playtimes are sometimes hard.",
               "Wants to sit near the front and have a quiet place to go when upset.",
               "Drew a picture of the best and hardest parts of the day, shared with the teaching assistant."]
ACTIONS = ["Refer to speech and language therapy", "Share the updated plan with all staff", "Set up a daily check-in",
           "Arrange a visit to the new class before September", "Ask the educational psychologist for advice",
           "Send home a copy of the visual timetable", "Apply for top-up funding", "Book the next review"]
# Professionals invited, per plan: (role, organisation, share of reviews inviting them).
PROFESSIONALS = {
    "ehcp": [("sen_officer", "the council's SEN team", 0.9), ("ep_advisory", "Educational Psychology Service", 0.5),
             ("health", "Community paediatrics", 0.4), ("social_worker", "Children's social care", 0.1)],
    "other": [("ep_advisory", "Educational Psychology Service", 0.25), ("health", "Speech and language therapy", 0.2)],
}
RESPONSES = ["attending", "sending_report", "attending_and_report", "not_attending"]


def build_meetings(rng: np.random.Generator, pupils: pd.DataFrame, reviews: pd.DataFrame,
                   as_of: date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Review meetings kept in the app (issue 17): about a third of the pupils' next planned reviews, per setting,
    become reviews scheduled in the app (an id, time, place, chair; invitees with a mix of responses, some invitations
    sent, some reports in) and their last held review of that plan a meeting record (views where the parent attended
    or the child contributed, invitees' attendance as recorded, actions, some done and some overdue).

    Returns (the new columns of `reviews`, by its index: review_id, start_time, place, chair, parents_views,
    child_views, attendance; the invitees; the actions). Nothing else of `reviews` changes."""
    as_of_day = _day(as_of)
    n_rows = len(reviews)
    cols = {c: np.full(n_rows, None, dtype=object)
            for c in ("review_id", "start_time", "place", "chair", "parents_views", "child_views", "attendance")}
    held_mask = reviews["held"].to_numpy().astype(bool)
    days = (pd.to_datetime(reviews["review_date"]).to_numpy().astype("datetime64[D]").astype(np.int64))
    p_of, plan_of = reviews["_p"].to_numpy(), reviews["plan_type"].to_numpy()
    setting_of, pupil_of = reviews["setting"].to_numpy(), reviews["pupil_id"].to_numpy()

    def day_or_none(col: str) -> np.ndarray:
        v = pd.to_datetime(reviews[col])
        return np.where(v.isna(), -1, v.to_numpy().astype("datetime64[D]").astype(np.int64))

    sent_of, received_of = day_or_none("invitations_sent"), day_or_none("reports_received")
    parent_of, child_of = reviews["parent_attended"].to_numpy(), reviews["child_contributed"].to_numpy()

    planned = np.flatnonzero(~held_mask)
    chosen = planned[rng.random(len(planned)) < 1 / 3].tolist()
    for s in pd.unique(setting_of[planned]):  # every setting keeps some
        mine = planned[setting_of[planned] == s]
        if not set(mine.tolist()) & set(chosen):
            chosen.append(int(rng.choice(mine)))
    held = np.flatnonzero(held_mask)
    order = held[np.lexsort((days[held], plan_of[held].astype(str), p_of[held]))]
    last_of = {(int(p_of[i]), plan_of[i]): int(i) for i in order}  # the latest held review per plan wins
    ids = rng.choice(16**8, size=2 * len(chosen), replace=False)
    yidx, last_names = pupils["_yidx"].to_numpy(), pupils["last_name"].to_numpy()
    invitees: list[tuple] = []
    actions: list[tuple] = []

    def pick(values: list):
        return values[int(rng.integers(len(values)))]

    def date_of(day: int | None) -> date | None:
        return None if day is None else EPOCH + timedelta(days=int(day))

    def meeting(i: int, rid: int) -> str:
        cols["review_id"][i] = f"R-{rid:08X}"
        cols["start_time"][i], cols["place"][i] = pick(MEETING_TIMES), pick(MEETING_PLACES)
        cols["chair"][i] = "the SENCo" if rng.random() < 0.7 else pick(STAFF)
        return cols["review_id"][i]

    def invite(i: int, rid: str, k: int, role: str, name: str, org: str | None, response: str | None,
               invited: int | None, report: int | None, attended: bool | None) -> None:
        invitees.append((setting_of[i], pupil_of[i], rid, f"I{k + 1}", name, role, org, None, response,
                         date_of(invited), date_of(report), attended))

    for n, i in enumerate(chosen):
        day, p, plan_type = int(days[i]), int(p_of[i]), plan_of[i]
        rid = meeting(i, int(ids[2 * n]))
        plan = "ehcp" if plan_type == "ehcp" else "other"
        family = last_names[p]
        # the invitations go about 6 weeks before: sent (all, or all but one) once that time is near, rarely earlier
        near = as_of_day >= day - 49
        sent_all = near and rng.random() < 0.7
        people = []
        if rng.random() < 0.95:
            people.append(("parent_carer", f"Parent of the pupil ({family})", None, "attending" if rng.random() < 0.8 else None))
        if yidx[p] >= 3 and rng.random() < 0.6:
            people.append(("child", "The pupil", None, "attending"))
        people.append(("teacher", pick(STAFF), None, "attending"))
        for role, org, share in PROFESSIONALS[plan]:
            if rng.random() < share:
                people.append((role, f"{org.split()[-1].capitalize()} contact", org,
                               pick(RESPONSES) if rng.random() < 0.8 else None))
        skip = -1 if sent_all or not near else int(rng.integers(len(people)))
        for k, (role, name, org, response) in enumerate(people):
            invited = None
            if (near and k != skip) or (not near and rng.random() < 0.1):
                invited = min(day - 42 + int(rng.integers(-10, 8)), as_of_day)
            report = None
            if response in ("sending_report", "attending_and_report") and as_of_day >= day - 21 and rng.random() < 0.6:
                report = min(day - 14 - int(rng.integers(0, 10)), as_of_day)
            invite(i, rid, k, role, name, org, response, invited, report, None)

        # the last review held of this plan becomes a meeting record
        j = last_of.get((p, plan_type))
        if j is None:
            continue
        hday = int(days[j])
        hid = meeting(j, int(ids[2 * n + 1]))
        parent, child = (None if v is None or pd.isna(v) else bool(v) for v in (parent_of[j], child_of[j]))
        cols["parents_views"][j] = pick(PARENTS_VIEWS) if parent else None
        cols["child_views"][j] = pick(CHILD_VIEWS) if child else None
        cols["attendance"][j] = float(round(rng.uniform(78, 99.5), 1))
        sent = None if sent_of[j] < 0 else int(sent_of[j])
        received = None if received_of[j] < 0 else int(received_of[j])
        invite(j, hid, 0, "parent_carer", f"Parent of the pupil ({family})", None, "attending", sent, None, parent)
        invite(j, hid, 1, "teacher", pick(STAFF), None, "attending", sent, None, True)
        k = 2
        for role, org, share in PROFESSIONALS[plan]:
            if rng.random() < share:
                response = "sending_report" if rng.random() < 0.6 else "attending"
                invite(j, hid, k, role, f"{org.split()[-1].capitalize()} contact", org, response, sent,
                       received if response == "sending_report" else None, response == "attending")
                k += 1
        for a in range(int(rng.integers(1, 4))):
            due = hday + int(rng.integers(21, 120))
            done = None
            if due <= as_of_day and rng.random() < 0.65:
                done = max(min(due - int(rng.integers(-7, 14)), as_of_day), hday)
            elif due > as_of_day and rng.random() < 0.2:
                done = max(min(hday + int(rng.integers(3, 20)), as_of_day), hday)
            actions.append((setting_of[j], pupil_of[j], hid, f"A{a + 1}", pick(ACTIONS), pick(STAFF), date_of(due),
                            date_of(done)))
    inv_cols = ["setting", "pupil_id", "review_id", "invitee_id", "name", "role", "organisation", "contact", "response",
                "invited_on", "report_received", "attended"]
    act_cols = ["setting", "pupil_id", "review_id", "action_id", "action", "owner", "due_date", "done_date"]
    return (pd.DataFrame(cols, index=reviews.index), pd.DataFrame(invitees, columns=inv_cols),
            pd.DataFrame(actions, columns=act_cols))


def _provision_rng(seed: int) -> np.random.Generator:
    """The provision tables' own random stream, independent of the caseload's."""
    return np.random.default_rng([seed, int.from_bytes(b"provision", "big")])


def build_provisions(rng: np.random.Generator, settings: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """10-25 interventions per setting, chosen from CATALOGUE for its year groups; ids P01, P02, ..."""
    syear = as_of.year if as_of.month >= 9 else as_of.year - 1
    rows = []
    for s, st in enumerate(settings.itertuples()):
        fits = [c for c in CATALOGUE if c.lo <= st.hi and c.hi >= st.lo and not c.special]
        must = [c for c in fits if c.code in MUST_HAVE]
        rest = [c for c in fits if c.code not in MUST_HAVE]
        specials = [c for c in CATALOGUE if c.special] if st.phase != "early_years" else []
        want = int(rng.integers(12, 24)) - len(must) - len(specials)
        pick = set(rng.choice(len(rest), size=min(max(want, 10 - len(must) - len(specials)), len(rest)), replace=False).tolist())
        chosen = [c for c in fits if c in must or (c in rest and rest.index(c) in pick)] + specials
        for i, c in enumerate(chosen):
            staffed = c.sessions is not None
            hourly = c.hourly
            if hourly is None and staffed and rng.random() < 0.35:  # some schools record their own rate
                hourly = round(DEMO_ROLE_COSTS[c.role] * rng.uniform(0.95, 1.25) * 2) / 2
            weeks = 12.0 if c.run == "term" else (38.0 if (c.special or (staffed and rng.random() < 0.5)) else None)
            established = syear - 1 - int(rng.integers(0, 4))
            rows.append({
                "_s": s, "setting": st.setting, "provision_id": f"P{i + 1:02d}", "name": c.name,
                "areas": AREAS_SEPARATOR.join(c.areas), "kind": c.kind, "delivered_by": c.role,
                "group_size": c.group, "sessions_per_week": c.sessions, "minutes_per_session": c.minutes,
                "weeks_per_year": weeks, "hourly_cost": hourly, "fixed_cost": c.fixed,
                "start_date": date(established, 9, 1), "end_date": None, "measure": c.measure,
                "expected_gain": c.expected, "notes": c.notes,
                "_code": c.code, "_run": c.run, "_lo": c.lo, "_hi": c.hi, "_light": c.light, "_special": c.special,
                "_areas": c.areas,
            })
    return pd.DataFrame(rows)


def build_pupil_provisions(rng: np.random.Generator, settings: pd.DataFrame, pupils: pd.DataFrame, prov: pd.DataFrame,
                           as_of: date) -> pd.DataFrame:
    """Each pupil's places on the interventions: who, when, entry and exit scores, attendance.

    Most K and E pupils have 1-3 places matched to their needs (some K pupils none at all), a few
    pupils not on the register are in light-touch groups; two or three interventions per setting
    do not work (median gain below expected); one EHCP pupil per school has a 1:1 package
    costing over £6,000 a year.
    """
    as_of_day = _day(as_of)
    syear = as_of.year if as_of.month >= 9 else as_of.year - 1
    autumn0, autumn1 = _day(date(syear - 1, 9, 3)), _day(date(syear, 9, 3))
    year_end0 = _day(date(syear, 7, 22))
    terms = np.array([autumn0, _day(date(syear, 1, 6)), _day(date(syear, 4, 20)), autumn1])

    n = len(pupils)
    sen = pupils["sen_status"].to_numpy()
    s_of = pd.Index(settings["setting"]).get_indexer(pupils["setting"].to_numpy())
    yidx = pupils["_yidx"].to_numpy()
    present = pd.isna(pupils["leaving_date"]).to_numpy()
    on_reg = np.isin(sen, ["K", "E"])
    u = rng.random(n)
    m = np.where(sen == "E", 1 + (rng.random(n)[:, None] > [0.2, 0.6]).sum(axis=1),
                 1 + (rng.random(n)[:, None] > [0.5, 0.85]).sum(axis=1))
    m = np.where((sen == "K") & (u < 0.15), 0, m)   # on SEN Support with nothing recorded: for register_without_provision
    m = np.where((sen == "E") & (u < 0.03), 0, m)
    m = np.where(sen == "N", np.where(u < 0.02, 1, 0), m)
    m = np.where(present, m, 0)

    area_idx = {a: i for i, a in enumerate(AREA_ORDER)}

    def need_area(col: str) -> np.ndarray:  # index into AREA_ORDER of each pupil's need, -1 for none
        codes, uniques = pd.factorize(pupils[col].to_numpy(dtype=object))
        table = np.array([area_idx.get(NEED_AREA.get(x, ""), -1) for x in uniques] + [-1], dtype=int)
        return table[codes]  # factorize codes missing values -1: the table's last entry

    a1, a2 = need_area("primary_need"), need_area("secondary_need")

    # The top-up pupil of each setting with the special package: an EHCP pupil, communication and interaction first.
    special_prov = prov[prov["_special"]]
    top_up = np.full(n, False)
    for s in special_prov["_s"].unique():
        cand = np.flatnonzero((s_of == s) & (sen == "E") & present)
        if len(cand):
            ci = cand[a1[cand] == area_idx[CI]]
            pool = ci if len(ci) else cand
            top_up[pool[rng.integers(0, len(pool))]] = True
    m = np.where(top_up, 1, m)

    pupil_i, prov_i = [], []
    for s in range(len(settings)):
        for j in special_prov.index[special_prov["_s"] == s]:
            tp = np.flatnonzero(top_up & (s_of == s))
            pupil_i.append(tp)
            prov_i.append(np.full(len(tp), j))
        ps = np.flatnonzero((s_of == s) & (m > 0))
        pv = prov[(prov["_s"] == s) & ~prov["_special"]]
        if not len(ps) or not len(pv):
            continue
        lo, hi = pv["_lo"].to_numpy(), pv["_hi"].to_numpy()
        amask = np.array([[a in areas for a in AREA_ORDER] for areas in pv["_areas"]])  # provisions x areas
        w = np.full((len(ps), len(pv)), 0.4)
        w += 6.0 * np.where(a1[ps][:, None] >= 0, amask[:, np.maximum(a1[ps], 0)].T, False)
        w += 2.5 * np.where(a2[ps][:, None] >= 0, amask[:, np.maximum(a2[ps], 0)].T, False)
        w *= np.where(np.isin(pv["kind"].to_numpy(), ["in_class", "equipment"]) | (pv["_code"].to_numpy() == "EP"), 0.5, 1.0)
        w[~on_reg[ps]] = np.where(pv["_light"].to_numpy(), 1.0, 0.0)
        w[(yidx[ps][:, None] < lo) | (yidx[ps][:, None] > hi)] = 0.0
        keys = np.log(np.where(w > 0, w, 1e-300)) - np.log(-np.log(rng.random(w.shape)))
        keys[w <= 0] = -np.inf
        order = np.argsort(-keys, axis=1)[:, :3]
        take = (np.arange(order.shape[1])[None, :] < m[ps][:, None]) & np.isfinite(np.take_along_axis(keys, order, axis=1))
        rows, cols = np.nonzero(take)
        pupil_i.append(ps[rows])
        prov_i.append(pv.index.to_numpy()[order[rows, cols]])
    if not pupil_i:
        return pd.DataFrame(columns=["setting", "pupil_id", "provision_id", "start_date", "end_date", "entry_score", "entry_date",
                                     "exit_score", "exit_date", "sessions_attended", "sessions_planned", "notes"])
    pi, vi = np.concatenate(pupil_i), np.concatenate(prov_i)
    order = np.lexsort((vi, pi))
    pi, vi = pi[order], vi[order]
    k = len(pi)
    run = prov["_run"].to_numpy()[vi]
    special = prov["_special"].to_numpy()[vi]

    # When: across last school year and this one. A pupil in the setting's first year group was elsewhere last year.
    first_year = yidx[pi] == settings["lo"].to_numpy()[s_of[pi]]
    last_year = (rng.random(k) < 0.55) & ~first_year

    # Two or three interventions per setting do not work: chosen among the busiest with a measure, most of
    # their pupils started last year and have finished, so the median gain is over enough exit scores to show it.
    placed = np.bincount(vi, minlength=len(prov))
    weak = np.full(len(prov), False)
    for s in range(len(settings)):
        cand = prov.index[(prov["_s"] == s) & ~prov["_special"] & pd.notna(prov["measure"]) & (placed >= 8)].to_numpy()
        if len(cand):
            weak[rng.choice(cand, size=min(int(rng.integers(2, 4)), len(cand)), replace=False)] = True
    last_year |= weak[vi] & ~first_year & (rng.random(k) < 0.85)
    late_join = rng.random(k) < 0.2
    year_start = np.where(last_year, autumn0, autumn1) + np.where(late_join, rng.integers(14, 150, k), rng.integers(0, 21, k))
    block = terms[np.where(last_year, rng.integers(0, 3, k), 3)] + rng.integers(0, 15, k)
    fixed_start = np.where(last_year, autumn0 + rng.integers(0, 300, k), autumn1 + rng.integers(0, 60, k))
    start = np.select([run == "year", run == "rolling", run == "term"], [year_start, block, np.where(last_year, autumn0, autumn1) +
                      rng.integers(0, 10, k)], fixed_start)
    start = np.where(special, autumn0 + rng.integers(0, 5, k), start)
    start = np.maximum(start, pupils["_identified"].to_numpy()[pi])
    start = np.where((start >= year_end0) & (start < autumn1), autumn1 + rng.integers(0, 14, k), start)  # not in the summer holiday
    start = np.where(start > as_of_day - 5, as_of_day - rng.integers(5, 40, k), start)

    code = prov["_code"].to_numpy()[vi]
    end = np.full(k, -1)
    ends_july = (start < autumn1) & (start < year_end0) & ((rng.random(k) < 0.6) | weak[vi]) & ~special
    end = np.where((run == "year") & ends_july, year_end0, end)
    end = np.where(np.isin(run, ["rolling", "term"]), start + 91, end)
    salt_end = start + np.where(rng.random(k) < 0.5, 91, 182)
    end = np.where((code == "SALT") & (rng.random(k) < 0.5), salt_end, end)
    end = np.where(code == "EP", start + rng.integers(21, 60, k), end)
    end = np.where((run == "fixed") & ~np.isin(code, ["SALT", "EP"]) & (rng.random(k) < 0.12), start + rng.integers(60, 300, k), end)
    end = np.where(end > as_of_day, -1, end)
    # A pupil on the register whose places have all ended is mostly on something now: one of them runs on into
    # this year (register_without_provision is for the pupils given none, and a few whose last one has ended).
    all_ended = pd.Series(end >= 0).groupby(pi).transform("all").to_numpy() & on_reg[pi]
    rank = np.where(all_ended & ~weak[vi], (code == "EP") * 2.0 + rng.random(k), np.inf)  # the weak keep their exit scores
    by_pupil = np.lexsort((rank, pi))
    first = by_pupil[np.r_[True, pi[by_pupil][1:] != pi[by_pupil][:-1]]] if k else by_pupil  # (no place at all: none)
    renew = first[np.isfinite(rank[first])]
    start[renew] = np.clip(np.maximum(autumn1 + rng.integers(0, 40, len(renew)), pupils["_identified"].to_numpy()[pi[renew]]),
                           None, as_of_day - 5)
    end[renew] = -1
    ended = end >= 0

    # Entry and exit scores on the intervention's measure.
    measure = prov["measure"].to_numpy()[vi]
    expected = prov["expected_gain"].to_numpy(dtype=float)[vi]
    entry_day = start - rng.integers(0, 8, k)
    entry_day = np.where((entry_day < autumn0) | ((entry_day >= year_end0) & (entry_day < autumn1)), start, entry_day)
    age_m = (entry_day - pupils["_dob"].to_numpy()[pi]) / 30.44
    delay = np.where(on_reg[pi], rng.uniform(10, 36, k), rng.uniform(4, 14, k))
    entry = np.select(
        [measure == "reading_age_months", measure == "standardised", measure == "scaling", measure == "percentage", measure == "boxall"],
        [np.maximum(np.round(age_m - delay), 54), np.clip(np.round(rng.normal(79, 6, k)), 60, 92), rng.integers(1, 6, k),
         np.round(rng.uniform(15, 60, k)), np.round(rng.uniform(40, 90, k))], np.nan)
    top = np.select([measure == "scaling", measure == "percentage", measure == "standardised"], [10, 100, 140], 9999)
    has_measure = pd.notna(measure)

    # Gains: most interventions reach their expected gain; the weak ones do not.
    scored = ended & has_measure
    f = np.where(weak[vi], rng.normal(0.25, 0.3, k), np.where(rng.random(k) < 0.07, rng.normal(0.3, 0.3, k), rng.normal(1.5, 0.3, k)))
    exit_ = np.minimum(entry + np.round(expected * f), top)
    # An intervention that works shows it: where chance put its median below the expected gain, lift the low ones.
    gain = pd.Series(np.where(scored, exit_ - entry, np.nan))
    med = gain.groupby(vi).median()
    below = np.full(len(prov), False)
    below[med.index.to_numpy()] = (med < prov["expected_gain"].to_numpy(dtype=float)[med.index.to_numpy()]).to_numpy()
    lift = below[vi] & ~weak[vi] & ((exit_ - entry) < expected)
    exit_ = np.where(lift, np.minimum(entry + expected, top), exit_)

    no_exit = ended & (rng.random(k) < 0.08)
    exit_score = np.where(scored & ~no_exit, exit_, np.nan)
    entry_score = np.where(has_measure & (rng.random(k) > 0.03), entry, np.nan)
    exit_day = end - rng.integers(0, 6, k)

    # Attendance: sessions planned from school weeks on it; most attend well, about one in ten under 75%.
    sessions = prov["sessions_per_week"].to_numpy(dtype=float)[vi]
    until = np.where(ended, end, as_of_day)
    in_blocks = np.isin(run, ["rolling", "term"])  # 12 teaching weeks over 13 calendar weeks (a half-term holiday)
    school_weeks = np.where(in_blocks, np.minimum(12, (until - start) / 7 * 12 / 13), (until - start) / 7 * 38 / 52)
    school_weeks = np.maximum(1, np.round(school_weeks))
    planned = sessions * school_weeks
    rate = np.where(rng.random(k) < 0.1, rng.uniform(0.45, 0.74, k), rng.uniform(0.8, 1.0, k))
    rate = np.where(special, rng.uniform(0.9, 1.0, k), rate)
    attended = np.floor(planned * rate)
    untracked = rng.random(k) < 0.06
    planned = np.where(untracked, np.nan, planned)
    attended = np.where(untracked, np.nan, attended)

    notes = np.full(k, None, dtype=object)
    notes[ended & no_exit & has_measure] = np.where(rng.random(int((ended & no_exit & has_measure).sum())) < 0.5,
                                                     "Left the group early; exit assessment not done", None)
    low = ~np.isnan(planned) & (attended < 0.75 * planned)
    notes[low & (rng.random(k) < 0.4)] = "Frequent absence; parents contacted"

    def day_or_none(days, ok):
        out = _dates(days)
        out[~ok] = np.datetime64("NaT")
        return out

    return pd.DataFrame({
        "setting": pupils["setting"].to_numpy()[pi],
        "pupil_id": pupils["pupil_id"].to_numpy()[pi],
        "provision_id": prov["provision_id"].to_numpy()[vi],
        "start_date": _dates(start),
        "end_date": day_or_none(end, ended),
        "entry_score": entry_score,
        "entry_date": day_or_none(entry_day, ~np.isnan(entry_score)),
        "exit_score": exit_score,
        "exit_date": day_or_none(exit_day, ~np.isnan(exit_score)),
        "sessions_attended": attended,
        "sessions_planned": planned,
        "notes": notes,
        "_start": start,
    })
