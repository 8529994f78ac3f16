"""Rules: every rule in force, where each value comes from, and (SENCo) changing a value per setting or council."""

import pandas as pd
import streamlit as st

from senlib import access
from senlib.core.errors import SenlibError
from senlib.core.names import DECISIONS, NOT_RECORDED, POLICY_SOURCES, RULE_GROUPS, SETTING_PHASES, YEAR_GROUPS, year_group_label
from senlib.core.text import escape_markdown
from senlib.rules import PolicyError, clear_override, default_policy, policy_table, set_override
from senlib.rules.tracking import not_tracked_columns
from senlib.store import role_costs, setting_details
from senlib.views import overview
from ui import page
from ui.letters import letters_section
from ui.state import ROLE_COST_ROLE, ROLE_COST_SETTING, ROLE_COST_VALUE, RULES_DONE
from ui.widgets import not_tracked_table

ALL_SETTINGS, ANY_LA = "All settings", "Any local authority"
_DONE = RULES_DONE  # the message of the last change, shown after the page reruns with the new values

p = page.start("Rules")
viewer, cur = p.viewer, p.cur
policy = default_policy()
table = policy_table(cur, viewer=viewer)  # a user limited to some settings sees only their overrides

if _DONE in st.session_state:
    st.success(escape_markdown(st.session_state.pop(_DONE)), icon=":material/check_circle:")  # names settings, councils
st.caption("Every rule the dashboard checks, with the sentence a user sees, its values and its source. Defaults come from "
           "the law and local-authority guidance; a setting may change a value for itself, or for the pupils of one "
           "local authority (councils differ). The most specific value wins: local authority, then setting, then default.")

st.subheader("Settings: phase and local authority", anchor=False)
st.caption("A pupil without an EHC plan follows the rules of the council the setting sits in; the phase decides which "
           "year groups transfer (an infant school's leave at the end of Year 2).")
details = setting_details.details(cur, viewer=viewer)
st.dataframe(details.assign(phase=details["phase"].map(SETTING_PHASES)).fillna(NOT_RECORDED), hide_index=True,
             width="stretch", column_config={"setting": "Setting", "phase": "Phase", "local_authority": "Local authority"})
if viewer.can_write and len(details):
    with st.expander("Change a setting's phase or local authority", icon=":material/edit:"):
        which = st.selectbox("Setting", details["setting"].tolist())
        row = details.set_index("setting").loc[which]
        with st.form(f"setting_details_{which}"):
            c1, c2 = st.columns(2)
            phases = list(SETTING_PHASES)
            phase = c1.selectbox("Phase", phases, format_func=SETTING_PHASES.get,
                                 index=phases.index(row["phase"]) if row["phase"] in phases else None)
            council = c2.text_input("Local authority", value=row["local_authority"] or "", placeholder="e.g. Northmoor Council")
            saved_details = st.form_submit_button("Save", type="primary", icon=":material/save:")
        if saved_details:
            try:
                if setting_details.set_details(cur, which, phase=phase, local_authority=council, user=viewer.name,
                                               viewer=viewer):
                    st.session_state[_DONE] = f"Saved {which}'s phase and local authority; the change is in the audit log."
                    st.rerun()
                st.info("Nothing changed.")
            except SenlibError as exc:
                st.error(escape_markdown(exc), icon=":material/error:")

st.subheader("Hourly cost of staff time, by role", anchor=False)
st.caption("What prices an intervention's sessions (rule provision_cost): the cost to the setting of an hour of each "
           "role's time, on-costs included. A role the setting has not priced uses the product's default, a typical "
           "cost to a school in England; an intervention that records its own hourly cost uses that.")
cost_settings = details["setting"].tolist()
if cost_settings:
    cost_setting = (st.selectbox("Setting", cost_settings, key=ROLE_COST_SETTING) if len(cost_settings) > 1
                    else cost_settings[0])
    costs = role_costs.role_costs(cur, cost_setting, viewer=viewer)
    st.dataframe(costs.assign(source=costs["source"].map({"setting": "The setting's own", "default": "Default"}))[
        ["label", "hourly_cost", "default_cost", "source", "changed_by", "changed_at"]], hide_index=True, width="stretch",
        placeholder="",
        column_config={"label": "Role", "hourly_cost": st.column_config.NumberColumn("Hourly cost", format="£%.2f"),
                       "default_cost": st.column_config.NumberColumn("Default", format="£%.2f"), "source": "From",
                       "changed_by": "Changed by", "changed_at": st.column_config.DatetimeColumn(
                           "Changed at", format="DD/MM/YYYY HH:mm")})
    if viewer.can_write:
        with st.form("role_cost_change"):
            labels = dict(zip(costs["role"], costs["label"], strict=True))
            c1, c2 = st.columns(2)
            role = c1.selectbox("Role", list(labels), format_func=labels.get, key=ROLE_COST_ROLE)
            amount = c2.number_input("Hourly cost (£)", min_value=0.01, max_value=role_costs.MAX_HOURLY_COST,
                                     value=None, step=0.5, format="%.2f", key=ROLE_COST_VALUE,
                                     placeholder="e.g. 21.50", help="On-costs (pension, National Insurance) included.")
            save_cost, default_cost = st.columns(2)
            cost_saved = save_cost.form_submit_button("Save the hourly cost", type="primary", icon=":material/save:")
            cost_reset = default_cost.form_submit_button("Back to default", icon=":material/undo:",
                                                         help="Use the product's default for this role again.")
        if cost_saved or cost_reset:
            row = costs.set_index("role").loc[role]
            try:
                if cost_saved and amount is None:
                    st.error("Enter the hourly cost first.", icon=":material/error:")
                elif cost_reset and row["source"] == "default":
                    st.info(escape_markdown(f"{row['label']} at {cost_setting} already uses the default "
                                            f"(£{row['default_cost']:,.2f} an hour)."))
                else:
                    role_costs.set_role_cost(cur, cost_setting, role, amount if cost_saved else None, viewer=viewer)
                    st.session_state[_DONE] = (
                        f"Saved: {row['label']} at {cost_setting} costs £{amount:,.2f} an hour" if cost_saved else
                        f"{row['label']} at {cost_setting} is back to the default, £{row['default_cost']:,.2f} an hour"
                    ) + "; every costed figure uses it from now on, and the change is in the audit log."
                    st.rerun()
            except (SenlibError, access.AccessDenied) as exc:
                st.error(escape_markdown(exc), icon=":material/error:")
    else:
        st.caption("Only the SENCo changes the hourly costs.")

letters_section(cur, viewer, cost_settings)

st.subheader("Not tracked", anchor=False)
missing = not_tracked_columns(cur, viewer.settings)
if missing.empty:
    st.caption("Every check can be made: each setting's trackers have a column for everything the rules need (a "
               "setting with no import, such as data entered here, counts as having every column).")
not_tracked_table(missing)

for group, group_label in RULE_GROUPS.items():
    rules = [r for r in policy.rules.values() if r.group == group]
    st.subheader(group_label, anchor=False)
    for rule in rules:
        rows = table[table["rule_id"] == rule.id]
        changed = rows[rows["origin"] != "default"]
        with st.expander(f"{rule.title} · `{rule.id}`" + (f" · {len(changed)} change(s)" if len(changed) else "")):
            st.write(rows["summary"].iloc[0])
            st.caption(f"Source: {rule.source}")
            if rule.params:
                shown = rows[["label", "shown", "origin_label", "setting", "local_authority", "changed_by", "changed_at"]]
                st.dataframe(shown.fillna(""), hide_index=True, width="stretch", column_config={
                    "label": "Parameter", "shown": "Value", "origin_label": "From", "setting": "Setting",
                    "local_authority": "Local authority", "changed_by": "Changed by", "changed_at": "Changed at"})

if not viewer.can_write:
    st.info("Only the SENCo changes rule values.", icon=":material/lock:")
    st.stop()

st.subheader("Change a value", anchor=False)
editable = [r for r in policy.rules.values() if r.params]
rule = st.selectbox("Rule", editable, format_func=lambda r: f"{r.title} ({r.id})")
param = st.selectbox("Parameter", list(rule.params.values()), format_func=lambda p: p.label)
settings = overview.settings_list(cur, viewer=viewer)
setting_choices = ([ALL_SETTINGS] if viewer.settings is None else []) + settings
las = setting_details.councils(cur)

current = table[(table["rule_id"] == rule.id) & (table["param"] == param.name) & (table["origin"] == "default")]["value"]
with st.form("rule_change"):
    c1, c2 = st.columns(2)
    setting = c1.selectbox("For", setting_choices, help="The whole trust (all settings), or one setting.") if setting_choices else None
    la = c2.selectbox("Pupils of", [ANY_LA, *las], accept_new_options=True,
                      help="Any local authority, or only the pupils whose plan is maintained by one council.")
    default = current.iloc[0] if len(current) else param.value
    if param.type == "int":
        value = st.number_input(f"{param.label} ({param.unit})" if param.unit else param.label, value=int(default), step=1)
    elif param.type == "float":
        value = st.number_input(param.label, value=float(default), step=0.1)
    elif param.type == "year_groups":
        value = st.multiselect(param.label, YEAR_GROUPS, default=list(default), format_func=year_group_label)
    elif param.type == "year_group":
        value = st.selectbox(param.label, YEAR_GROUPS, index=YEAR_GROUPS.index(default), format_func=year_group_label)
    elif param.type == "decisions":
        value = st.multiselect(param.label, list(DECISIONS), default=list(default), format_func=DECISIONS.get)
    else:
        value = st.text_input(f"{param.label}", value=str(default), help="Month and day as MM-DD, e.g. 02-15 for 15 February.")
    save, remove = st.columns(2)
    saved = save.form_submit_button("Save this value", type="primary", icon=":material/save:")
    removed = remove.form_submit_button("Go back to the value below this one", icon=":material/undo:",
                                        help="Remove the change made for exactly this setting and local authority.")

if saved or removed:
    where = {"setting": None if setting in (None, ALL_SETTINGS) else setting, "local_authority": None if la == ANY_LA else la}
    scope_words = f"{where['setting'] or 'all settings'}, {('pupils of ' + where['local_authority']) if where['local_authority'] else 'any local authority'}"
    try:
        if where["setting"] is None and viewer.settings is not None:
            raise access.AccessDenied("You may change rules only for your own settings.")
        if saved:
            stored = set_override(cur, rule.id, param.name, value, user=viewer.name, **where)
            st.session_state[_DONE] = (f"Saved: {param.label} = {param.describe(stored)} ({scope_words}). "
                                       "It applies from now on, and the change is in the audit log.")
            st.rerun()
        elif clear_override(cur, rule.id, param.name, user=viewer.name, **where):
            st.session_state[_DONE] = f"Removed the change for {scope_words}: the value below it applies again."
            st.rerun()
        else:
            st.info(escape_markdown(f"There was no change to remove for {scope_words}."))
    except (PolicyError, access.AccessDenied) as exc:
        st.error(escape_markdown(exc), icon=":material/error:")

changes = table[table["origin"] != "default"]
if len(changes):
    st.subheader("Changes in force", anchor=False)
    view = changes.assign(scope=changes["origin"].map(POLICY_SOURCES))[
        ["rule_id", "label", "shown", "default_shown", "scope", "setting", "local_authority", "changed_by", "changed_at"]]
    st.dataframe(pd.DataFrame(view).fillna(""), hide_index=True, width="stretch", column_config={
        "rule_id": "Rule", "label": "Parameter", "shown": "Value", "default_shown": "Default", "scope": "From",
        "setting": "Setting", "local_authority": "Local authority", "changed_by": "Changed by", "changed_at": "Changed at"})
