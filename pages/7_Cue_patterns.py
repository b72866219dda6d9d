"""Cue patterns (researchers): does a given cue precede a target cue? Per session and pooled over a
filtered set of sessions: adjusted residuals, Yule's Q and the circular time-shift p-value (DOMAIN §5)."""

import streamlit as st

from observe import charts
from observe.reports import dashboards
from observe.ui import analysis_widgets as aw
from observe.ui import page
from observe.ui.widgets import drawn_when_open

ctx = page.setup("nav.cue_patterns", ":material/grid_on:")
st.title(ctx.t("nav.cue_patterns"))
store = ctx.store
sessions = store.sessions()
if not sessions:
    aw.not_enough(ctx, "dash.no_sessions")
    st.stop()

scheme = store.scheme()
options = [dashboards.format_code((s, c.code)) for s in scheme.subject_codes for c in scheme.cues_for(s)]
labels = {dashboards.format_code((s, c.code)): f"{ctx.t(f'dash.subject.{s}')}: {c.label(ctx.lang)} ({c.code})"
          for s in scheme.subject_codes for c in scheme.cues_for(s)}  # fmt: skip
left, right = st.columns(2)
given = left.multiselect(ctx.t("dash.chart.given"), options, default=["counselor:T_FWD"], format_func=labels.__getitem__,
                         placeholder=ctx.t("dash.pick_cues"), key="cues_given")  # fmt: skip
target = right.multiselect(ctx.t("dash.chart.target"), options, default=["client:G_EYE"], format_func=labels.__getitem__,
                           placeholder=ctx.t("dash.pick_cues"), key="cues_target")  # fmt: skip

a, b, c, d, e = st.columns(5)
window = a.number_input(ctx.t("dash.p.seq_window"), 0.5, 120.0, 5.0, 0.5, key="cues_window")
unit = b.number_input(ctx.t("dash.p.unit_s"), 0.1, 10.0, 1.0, 0.1, key="cues_unit")
control = c.selectbox(ctx.t("dash.p.control"), ["after", "before"], format_func=lambda v: ctx.t(f"dash.control.{v}"),
                      key="cues_control")  # fmt: skip
n_perm = d.number_input(ctx.t("dash.p.n_perm"), 0, 10000, 1000, 100, key="cues_perm")
seed = e.number_input(ctx.t("dash.p.seed"), 0, 2**31 - 1, 0, key="cues_seed")

dates = sorted(s.date for s in sessions)
top = max(max(s.number for s in sessions), 2)
# drawn while open; what the user set is kept while the page is open and read from the session
# state, the defaults until then
with drawn_when_open(ctx.t("dash.filters"), icon=":material/filter_alt:", key="cues_filters_open") as shown:
    if shown:
        f1, f2, f3 = st.columns(3)
        f1.multiselect(ctx.t("dash.client"), [x.code for x in store.clients()], key="cues_clients",
                       placeholder=ctx.t("dash.all_clients"), persist_state="page")  # fmt: skip
        f2.multiselect(ctx.t("dash.counselor"), [x.code for x in store.counselors()], key="cues_counselors",
                       placeholder=ctx.t("dash.all_counselors"), persist_state="page")  # fmt: skip
        f3.selectbox(ctx.t("dash.special_needs"), [None, True, False], key="cues_special", persist_state="page",
                     format_func=lambda v: ctx.t({None: "dash.any", True: "dash.yes", False: "dash.no"}[v]))  # fmt: skip
        f1, f2 = st.columns(2)
        f1.date_input(ctx.t("dash.dates"), (dates[0], dates[-1]), key="cues_dates", persist_state="page")
        f2.slider(ctx.t("dash.numbers"), 1, top, (1, top), key="cues_numbers", persist_state="page")
chosen = st.session_state
clients, counselors = chosen.get("cues_clients", []), chosen.get("cues_counselors", [])
special = chosen.get("cues_special")
period = chosen.get("cues_dates", (dates[0], dates[-1]))
numbers = chosen.get("cues_numbers", (1, top))
filters = dashboards.SessionFilter(
    clients=tuple(clients), counselors=tuple(counselors), special_needs=special, numbers=tuple(numbers),
    date_from=period[0] if len(period) > 0 else None, date_to=period[1] if len(period) > 1 else None,
)  # fmt: skip
settings = (("window_s", float(window)), ("unit_s", float(unit)), ("n_perm", int(n_perm)), ("seed", int(seed)),
            ("offset_s", -float(window) if control == "before" else 0.0))  # fmt: skip

result = aw.run(ctx, aw.cue_patterns, tuple(given), tuple(target), settings, filters)
if result.left_out:  # other coding schemes are not pooled (DOMAIN §9.6): say which and why
    st.warning(
        ctx.t("dash.left_out", n=len(result.left_out), scheme=result.reference), icon=":material/rule:"
    )
    aw.table(ctx, result.left_out_table(ctx.lang), "cues_left_out", "cue_patterns_left_out")
if result.problems:
    aw.not_enough(ctx, result.problems[0])
    st.stop()
st.caption(ctx.t("dash.pooled_over", n=len(result.sessions), sessions=", ".join(result.sessions)))

main, side = st.columns([3, 1])
with main:
    value = st.segmented_control(ctx.t("dash.measure"), ["pooled_z", "pooled_q", "mean_q"], default="pooled_z",
                                 format_func=lambda v: ctx.t(f"dash.chart.{v}"), key="cues_value")  # fmt: skip
    fig = charts.residual_heatmap_figure(result.pooled, ctx.lang, value=value or "pooled_z")
    aw.chart(ctx, fig, "cues_heatmap", "cue_patterns_heatmap")
with side:
    aw.params_box(ctx, result.params)
st.caption(ctx.t("dash.q_note"))

st.subheader(ctx.t("dash.pooled_table"))
aw.table(ctx, result.pooled, "cues_pooled", "cue_patterns_pooled")
st.subheader(ctx.t("dash.session_table"))
aw.table(ctx, result.table, "cues_table", "cue_patterns_sessions")
