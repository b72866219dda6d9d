"""Client progress: all sessions of one client — openness with CI and trend, the baseline-relative
view, resistance rates, the referral flag with its reason in words, and a printable summary."""

import streamlit as st

from observe import charts
from observe.reports import dashboards
from observe.ui import analysis_widgets as aw
from observe.ui import page
from observe.ui.widgets import drawn_when_open

ctx = page.setup("nav.client_progress", ":material/trending_up:")
st.title(ctx.t("nav.client_progress"))

clients = ctx.store.clients()
if not clients:
    aw.not_enough(ctx, "dash.no_sessions")
    st.stop()
codes = [c.code for c in clients]
wanted = st.query_params.get("client")
left, mid, right = st.columns([2, 2, 2])
code = left.selectbox(
    ctx.t("dash.client"),
    codes,
    index=codes.index(wanted) if wanted in codes else 0,
    format_func=lambda c: next(
        f"{x.code} · {x.display_name or ''}".rstrip(" ·") for x in clients if x.code == c
    ),
    key="progress_client",
)
observer = mid.selectbox(
    ctx.t("dash.observer"), [None, *sorted({o.observer for o in ctx.store.observations()})],
    format_func=lambda o: o or ctx.t("dash.observer_auto"), key="progress_observer",
)  # fmt: skip
view = right.selectbox(
    ctx.t("dash.view"), ["oi", "delta_first", "delta_baseline", "z_within"],
    format_func=lambda v: ctx.t(f"dash.view.{v}"), key="progress_view",
)  # fmt: skip
params = aw.openness_params(ctx, "progress")
referral = aw.referral_params(ctx, "progress")

progress = aw.run(ctx, aw.client_progress, code, observer, params, referral, client=code)
client = progress.client
st.caption(
    ctx.t(
        "dash.client_caption",
        profile=ctx.t(f"profile.{client.valence_profile}"),
        special=ctx.t("dash.yes" if client.special_needs else "dash.no"),
        n=len(progress.sessions),
    )  # fmt: skip
)
if progress.sessions.empty:
    aw.not_enough(ctx, "dash.no_sessions")
    st.stop()

# -- the referral flag, in words
flag = progress.referral
show = {"raised": st.error, "not_raised": st.success, "not_enough_data": st.info}[flag.status]
show(f"**{ctx.t(f'dash.flag.{flag.status}')}** — {flag.text(ctx.lang)}", icon=":material/flag:")
if partial := dashboards.partial_notes(progress.sessions, ctx.lang):
    st.warning(ctx.t("dash.partial_sessions", sessions="; ".join(partial)), icon=":material/timelapse:")

# -- trend numbers, with the limitations note
trend = progress.trend
cols = st.columns(4)
cols[0].metric(
    ctx.t("dash.metric.slope"), "–" if trend["slope"] != trend["slope"] else f"{trend['slope']:+.3f}"
)
cols[0].caption(
    ctx.t(trend["reason"])
    if trend["reason"]
    else ctx.t("dash.ci", low=f"{trend['ci_low']:+.3f}", high=f"{trend['ci_high']:+.3f}")
)
last = progress.sessions[~progress.sessions["partial"]].dropna(subset=["oi"]).tail(1)  # partial: not a trend
cols[1].metric(ctx.t("dash.metric.latest"), "–" if last.empty else f"{last['oi'].iloc[0]:+.2f}",
               None if last.empty else f"{last['delta_first'].iloc[0]:+.2f}")  # fmt: skip
cols[1].caption(ctx.t("dash.vs_first"))
cols[2].metric(ctx.t("dash.metric.rr_mean"), f"{progress.sessions['rr_per_10min'].mean():.1f}")
att = progress.attending_trend
cols[3].metric(
    ctx.t("dash.metric.attending_slope"), "–" if att["slope"] != att["slope"] else f"{att['slope']:+.3f}"
)
aw.limitations(ctx)

main, side = st.columns([3, 1])
with main:
    st.subheader(ctx.t("dash.trend"))
    fig = charts.openness_trend_figure(progress.sessions, ctx.lang, trend=trend, rho=referral.rho,
                                       last_n=referral.n_sessions, value=view)  # fmt: skip
    aw.chart(ctx, fig, "progress_trend", f"progress_{code}")
with side:
    aw.params_box(ctx, {**progress.params, **progress.referral_params, "profile": client.valence_profile,
                        "valence_hash": progress.valence_hash})  # fmt: skip

st.subheader(ctx.t("dash.sessions_table"))
aw.table(ctx, progress.sessions, "progress_table", f"progress_{code}")

# -- printable summary: the same numbers, one page, for the supervision file
summary = dashboards.progress_summary_html(progress, ctx.lang)
st.download_button(ctx.t("dash.print"), summary, file_name=f"summary_{code}.html", mime="text/html",
                   key="progress_print", on_click="ignore", icon=":material/print:", type="primary")  # fmt: skip
with drawn_when_open(ctx.t("dash.print_preview"), key="progress_preview_open") as shown:
    if shown:
        st.html(summary)
