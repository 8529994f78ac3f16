"""A deterministic, fictional, realistic demo caseload.

Vectorised with numpy (no Python loop per pupil) so a million pupils take seconds.
Proportions follow the national picture: about 13% of roll on SEN Support, 4-5% with
an EHCP, primary needs in census proportions; plan histories climb the graduated
response (SEN Support -> My Support Plan -> EHC request -> EHCP) and some step down.
About one plan in seven is reviewed late and one in ten has missed its last review, so the demo has overdue reviews to find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from senlib import store
from senlib.core.names import NEED_AREA, YEAR_GROUPS

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
                    la_decision_date, pfa_covered)
                SELECT setting, pupil_id, plan_type, review_date, held, kind, CAST(invitations_sent AS DATE),
                    CAST(reports_received AS DATE), CAST(parent_attended AS BOOLEAN), CAST(child_contributed AS BOOLEAN),
                    progress, decision, CAST(next_review_date AS DATE), CAST(report_sent AS DATE),
                    CAST(la_decision_date AS DATE), CAST(pfa_covered AS BOOLEAN)
                FROM d_reviews""")
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
            store.audit(con, "demo", "demo generator", {"settings": settings, "pupils": pupils, "seed": seed, "as_of": as_of})
    finally:
        for name in ("d_settings", "d_pupils", "d_plans", "d_reviews", "d_outcomes", "d_requests"):
            con.unregister(name)

    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
              for t in ("settings", "pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests")}
    sen = dict(con.execute("SELECT sen_status, count(*) FROM pupils GROUP BY ALL").fetchall())
    return DemoSummary(counts["settings"], counts["pupils"], sen.get("K", 0), sen.get("E", 0), counts["plans"],
                       counts["reviews"], counts["outcomes"], counts["scores"], counts["ehc_requests"])


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
