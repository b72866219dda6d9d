"""Counselor view: the attending (SOLER) index over sessions and clients, and how the client's
openness follows the counselor's attending in the same (and the next) window."""

import streamlit as st

from observe import charts
from observe.reports import dashboards
from observe.ui import analysis_widgets as aw
from observe.ui import page
from observe.ui.widgets import drawn_when_open

ctx = page.setup("nav.counselor", ":material/person:")
st.title(ctx.t("nav.counselor"))

counselors = ctx.store.counselors()
if not counselors:
    aw.not_enough(ctx, "dash.no_sessions")
    st.stop()
codes = [c.code for c in counselors]
left, right = st.columns(2)
code = left.selectbox(
    ctx.t("dash.counselor"),
    codes,
    format_func=lambda c: next(f"{x.code} · {x.name or ''}".rstrip(" ·") for x in counselors if x.code == c),
    key="counselor_pick",
)
observer = right.selectbox(
    ctx.t("dash.observer"), [None, *sorted({o.observer for o in ctx.store.observations()})],
    format_func=lambda o: o or ctx.t("dash.observer_auto"), key="counselor_observer",
)  # fmt: skip
params = aw.openness_params(ctx, "counselor")

view = aw.run(ctx, aw.counselor_view, code, observer, params)
if view.problems:
    aw.not_enough(ctx, view.problems[0])
    st.stop()

sessions = view.sessions
if partial := dashboards.partial_notes(sessions, ctx.lang):
    st.warning(ctx.t("dash.partial_counselor", sessions="; ".join(partial)), icon=":material/timelapse:")
cols = st.columns(4)
cols[0].metric(ctx.t("dash.metric.attending_mean"), f"{sessions['attending'].mean():+.2f}")
cols[1].metric(ctx.t("dash.metric.openness_mean"), f"{sessions['oi'].mean():+.2f}")
cols[2].metric(ctx.t("dash.metric.r_same"), f"{sessions['r_same'].median():+.2f}")
cols[2].caption(ctx.t("dash.r_same_help"))
cols[3].metric(ctx.t("dash.metric.r_next"), f"{sessions['r_next'].median():+.2f}")
cols[3].caption(ctx.t("dash.r_next_help"))
aw.limitations(ctx)
st.caption(ctx.t("dash.counselor_note"))

main, side = st.columns([3, 1])
with main:
    st.subheader(ctx.t("dash.by_client"))
    fig = charts.small_multiples_figure(sessions, ctx.lang)
    aw.chart(ctx, fig, "counselor_multiples", f"attending_{code}")
with side:
    aw.params_box(ctx, view.params)

st.subheader(ctx.t("dash.sessions_table"))
aw.table(ctx, sessions, "counselor_sessions", f"attending_sessions_{code}")
st.subheader(ctx.t("dash.clients_table"))
aw.table(ctx, view.clients, "counselor_clients", f"attending_clients_{code}")
with drawn_when_open(ctx.t("dash.windows_table"), key="counselor_windows_open") as shown:
    if shown:
        aw.table(ctx, view.windows, "counselor_windows", f"attending_windows_{code}")
