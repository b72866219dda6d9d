"""Agreement: two observations of one session compared per channel (DOMAIN §6), blind until finished."""

import streamlit as st

from observe import blind, reliability
from observe.charts import confusion_heatmap, training_figure, twin_timeline_figure
from observe.ui import page
from observe.ui.widgets import attempt, table

ctx = page.setup("nav.agreement", ":material/compare:")
store, lang = ctx.store, ctx.lang
st.title(ctx.t("nav.agreement"))
st.caption(ctx.t("agreement_page.intro"))
RECORD = "pages/1_Record.py"


def pick(options: list[str], wanted: str | None, fallback: int = 0) -> int:
    return options.index(wanted) if wanted in options else min(fallback, len(options) - 1)


sessions = reliability.double_coded_sessions(store)
if not sessions:
    st.info(ctx.t("agreement_page.no_double_coded"), icon=":material/group_add:")
    st.stop()
query = st.query_params
session = st.selectbox(
    ctx.t("agreement_page.session"), sessions, pick(sessions, query.get("session")), key="agreement_session"
)
observations = {o.observer: o for o in store.observations(session=session)}
names = list(observations)
ref = blind.reference(list(observations.values()))
label = lambda name: reliability.observation_label(observations[name], lang)  # noqa: E731
col_a, col_b, col_unit = st.columns([2, 2, 1])
observer_a = col_a.selectbox(
    ctx.t("agreement_page.observer_a"),
    names,
    pick(names, query.get("a") or store.principal.username),
    format_func=label,
    key="agreement_a",
)
others = [n for n in names if n != observer_a]
default_b = query.get("b") or (ref.observer if ref else None)
observer_b = col_b.selectbox(
    ctx.t("agreement_page.observer_b"), others, pick(others, default_b), format_func=label, key="agreement_b"
)
unit = col_unit.number_input(ctx.t("agreement_page.unit"), 0.1, 10.0, 1.0, 0.1, key="agreement_unit")

# the signed-in user; in local mode (one shared computer) the page acts for observer A
viewer, role = blind.viewer_of(store, observer_a)
seen = blind.session_visibility(store, session, viewer, role=role)
if not seen.may_see(observer_b):
    st.info(seen.message(lang), icon=":material/visibility_off:")
    st.stop()

report = attempt(
    ctx,
    lambda: reliability.session_agreement(
        store, session, observer_a, observer_b, viewer=viewer, role=role, unit=unit
    ),
)
if report is None:
    st.stop()
main = report.main
scheme = store.observation_scheme(observations[observer_a].id)
missing = [n for n in main.notes if n.key == "agreement.no_events_series"]
for note in main.notes:
    if note not in missing:
        st.warning(note.message(lang), icon=":material/info:")
if missing:
    with st.expander(ctx.t("agreement_page.notes", n=len(missing))):
        st.markdown("\n".join(f"- {n.message(lang)}" for n in missing))

st.subheader(ctx.t("agreement_page.channels"))
st.caption(ctx.t("agreement_page.channels_help"))
taus = list(report.results)
for tab, tau in zip(st.tabs([ctx.t("agreement_page.tau", tau=f"{x:g}") for x in taus]), taus, strict=True):
    with tab:
        result = report.results[tau]
        table(
            ctx,
            reliability.channel_table(result, lang, scheme),
            "agreement_page.col",
            key=f"agreement_channels_{tau:g}",
        )
        with st.expander(ctx.t("agreement_page.cues")):
            table(
                ctx,
                reliability.cue_table(result, lang, scheme),
                "agreement_page.col",
                key=f"agreement_cues_{tau:g}",
            )

st.subheader(ctx.t("agreement_page.events"))
st.caption(ctx.t("agreement_page.events_help"))
table(ctx, reliability.event_table(main, lang, scheme), "agreement_page.col", key="agreement_events")

st.subheader(ctx.t("agreement_page.matrix"))
col_kind, col_which = st.columns([1, 2])
kinds = {"units": ctx.t("agreement_page.matrix_units"), "events": ctx.t("agreement_page.matrix_events")}
kind = col_kind.radio(
    ctx.t("agreement_page.matrix_kind"),
    list(kinds),
    format_func=kinds.__getitem__,
    key="agreement_matrix_kind",
)
tables = reliability.matrices(main, kind, lang, scheme)
which = col_which.selectbox(ctx.t("agreement_page.matrix_of"), list(tables), key="agreement_matrix_which")
if which:
    st.plotly_chart(
        confusion_heatmap(
            tables[which],
            lang,
            observer_a=observer_a,
            observer_b=observer_b,
            labels={c.code: c.label(lang) for c in scheme.cues},
        ),
        key="agreement_matrix_chart",
    )

st.subheader(ctx.t("agreement_page.timeline"))
st.caption(ctx.t("agreement_page.timeline_help"))
events = report.events
st.plotly_chart(
    twin_timeline_figure(
        events.loc[events["observer"] == observer_a],
        events.loc[events["observer"] == observer_b],
        scheme,
        lang,
        observer_a=observer_a,
        observer_b=observer_b,
        disagreements=main.disagreements,
        valences=reliability.session_valences(store, session, observer_a),
    ),
    key="agreement_timeline",
)

st.subheader(ctx.t("agreement_page.largest"))
largest = reliability.largest_disagreements(main, lang, scheme)
if largest.empty:
    st.success(ctx.t("agreement_page.no_disagreements"), icon=":material/check_circle:")
for run in largest.itertuples():
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.markdown(run.text)
    if page.exists(RECORD):
        jump = {"session": session, "observer": observer_a, "t": f"{run.start_s:.1f}", "lang": lang}
        right.page_link(
            RECORD, label=ctx.t("agreement_page.jump"), icon=":material/play_circle:", query_params=jump
        )

st.subheader(ctx.t("agreement_page.icc"))
st.caption(ctx.t("agreement_page.icc_help"))
table(ctx, reliability.icc_table(report.icc, lang, scheme), "agreement_page.icc_col", key="agreement_icc")
if report.alpha is not None:
    st.subheader(ctx.t("agreement_page.alpha"))
    table(
        ctx,
        reliability.alpha_table(report.alpha, lang, scheme),
        "agreement_page.alpha_col",
        key="agreement_alpha",
    )

st.subheader(ctx.t("agreement_page.training"))
st.caption(ctx.t("agreement_page.training_help"))
# kappas of finished work only (no events), so every observer may see the whole summary
summary = reliability.training_summary(store, unit=unit)
if summary.empty:
    st.info(ctx.t("agreement_page.no_training"), icon=":material/school:")
else:
    st.plotly_chart(training_figure(summary, lang), key="agreement_training_chart")
    table(
        ctx,
        reliability.training_table(summary, lang, scheme),
        "agreement_page.training_col",
        key="agreement_training",
    )

with st.expander(ctx.t("agreement_page.reference_title"), icon=":material/verified:"):
    st.caption(ctx.t("agreement_page.reference_help"))
    chosen = st.selectbox(ctx.t("agreement_page.reference_pick"), names, pick(names, ref.observer if ref else None),
                          format_func=label, key="agreement_reference_pick")  # fmt: skip
    set_col, clear_col = st.columns(2)
    may_not = store.principal.role not in blind.REFERENCE_ROLES  # the core refuses too
    if set_col.button(ctx.t("agreement_page.reference_set"), key="agreement_reference_set", disabled=may_not):
        attempt(
            ctx, lambda: blind.set_reference(store, observations[chosen].id), "agreement_page.reference_saved"
        )
        st.rerun()
    if clear_col.button(
        ctx.t("agreement_page.reference_clear"),
        key="agreement_reference_clear",
        disabled=may_not or ref is None,
    ):
        attempt(ctx, lambda: blind.clear_reference(store, session), "agreement_page.reference_cleared")
        st.rerun()
