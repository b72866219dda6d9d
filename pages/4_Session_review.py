"""Session review: one session as coded by one observer — timeline, openness and attending, time
budget, resistance episodes and notes. Clicking the timeline opens the recorder at that moment."""

import streamlit as st

from observe import charts
from observe.ui import analysis_widgets as aw
from observe.ui import page
from observe.ui.widgets import drawn_when_open

ctx = page.setup("nav.session_review", ":material/timeline:")
st.title(ctx.t("nav.session_review"))

sessions = ctx.store.sessions()
if not sessions:
    aw.not_enough(ctx, "dash.no_sessions")
    st.stop()
codes = [s.code for s in sessions]
wanted = st.query_params.get("session")
left, right = st.columns([3, 2])
code = left.selectbox(
    ctx.t("dash.session"),
    codes,
    index=codes.index(wanted) if wanted in codes else 0,
    format_func=lambda c: next(
        f"{s.code} · {s.client} · #{s.number} · {s.date}" for s in sessions if s.code == c
    ),
    key="review_session",
)
observers = sorted({o.observer for o in ctx.store.observations(session=code)})
observer = right.selectbox(
    ctx.t("dash.observer"), observers, index=0 if observers else None, key="review_observer"
)
params = aw.openness_params(ctx, "review", plot_step=True)

review = aw.run(ctx, aw.session_review, code, observer, params, session=code)
info = review.session
st.caption(
    ctx.t(
        "dash.session_caption",
        client=info.client,
        counselor=info.counselor,
        number=info.number,
        date=info.date,
        profile=ctx.t(f"profile.{review.profile}"),
    )  # fmt: skip
)
if review.openness is None:
    aw.not_enough(ctx, review.problems[0])
    st.stop()

# -- the session indices, with the limitations note beside them (and how much of the session they cover)
if review.partial:
    st.warning(review.coverage_note(ctx.lang), icon=":material/timelapse:")
cols = st.columns(4)
for col, key, index in (
    (cols[0], "dash.metric.openness", review.index),
    (cols[1], "dash.metric.attending", review.attending_index),
):
    value, note = aw.index_text(ctx, index)
    col.metric(ctx.t(key), value, help=note)
    col.caption(note)
rr = review.resistance.get("rr_per_10min")
cols[2].metric(ctx.t("dash.metric.rr"), "–" if rr is None or rr != rr else f"{rr:.1f}")
cols[2].caption(
    ctx.t("dash.rr_parts", n_r3=int(review.resistance["n_r3"]), r12=f"{review.resistance['r12_min']:.1f}")
)
cols[3].metric(ctx.t("dash.metric.defined"), f"{100 * review.index['share_defined']:.0f}%")
cols[3].caption(ctx.t("dash.windows", n=int(review.index["n_defined"]), total=int(review.index["n_windows"])))
aw.limitations(ctx)
for problem in review.problems:
    aw.not_enough(ctx, problem)
if review.openness.unknown_cues:
    st.warning(ctx.t("dash.unknown_cues", cues=", ".join(review.openness.unknown_cues)))

# -- timeline: a click opens the recorder at that moment
st.subheader(ctx.t("dash.timeline"))
st.caption(ctx.t("dash.timeline_help"))
figures = aw.run(ctx, aw.session_review_figures, code, observer, params, ctx.lang, session=code)
timeline = figures.timeline
points = aw.chart(ctx, timeline, "review_timeline", f"timeline_{code}", clickable=True)
if points:
    t_s = charts.timeline_point_time(timeline, points[0])
    if t_s is not None:
        link = aw.record_link(ctx, code, review.observer, t_s)
        if page.exists(aw.RECORD_PAGE):
            st.switch_page(aw.RECORD_PAGE, query_params=link)
        st.info(ctx.t("dash.record_missing", t=f"{t_s:.1f}"))

# -- openness curve with the attending curve under it
main, side = st.columns([3, 1])
with main:
    st.subheader(ctx.t("dash.curve"))
    if figures.curve is not None:
        aw.chart(ctx, figures.curve, "review_curve", f"openness_{code}")
with side:
    aw.params_box(ctx, {**review.params, "profile": review.profile, "overrides": dict(review.overrides),
                        "valence_hash": review.openness.valence_hash})  # fmt: skip
with drawn_when_open(ctx.t("dash.windows_table"), key="review_windows_open") as shown:
    if shown:
        aw.table(ctx, review.openness.windows, "review_windows_table", f"openness_windows_{code}")

# -- time budget
st.subheader(ctx.t("dash.time_budget"))
measure = st.segmented_control(
    ctx.t("dash.measure"), ["share_observable", "total_s", "count"], default="share_observable",
    format_func=lambda m: ctx.t(f"dash.chart.{m}"), key="review_measure",
)  # fmt: skip
budget = aw.run(
    ctx, aw.budget_figure, code, observer, params, ctx.lang, measure or "share_observable", session=code
)
aw.chart(ctx, budget, "review_budget", f"time_budget_{code}")
with drawn_when_open(ctx.t("dash.time_budget_table"), key="review_budget_open") as shown:
    if shown:
        aw.table(ctx, review.time_budget, "review_budget_table", f"time_budget_{code}")

# -- resistance episodes and notes
left, right = st.columns(2)
with left:
    st.subheader(ctx.t("dash.episodes"))
    if review.episodes.empty:
        aw.not_enough(ctx, "dash.no_episodes")
    else:
        aw.table(ctx, review.episodes, "review_episodes", f"resistance_episodes_{code}")
with right:
    st.subheader(ctx.t("dash.notes"))
    st.markdown(info.notes or ctx.t("dash.no_notes"))
    comments = review.events.loc[review.events["comment"].fillna("").astype(str).str.strip() != ""]
    if len(comments):
        aw.table(
            ctx, comments[["start_s", "subject", "cue", "comment"]], "review_comments", f"comments_{code}"
        )
