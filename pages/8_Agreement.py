"""Agreement: two observations of one session compared per channel (DOMAIN §6), blind until finished."""

import streamlit as st

from observe.coding import blind
from observe.reports import agreement
from observe.reports import agreement_view as av
from observe.ui import analysis_widgets as aw
from observe.ui import page
from observe.ui.plot import plot
from observe.ui.widgets import attempt, drawn_when_open, table, tabs_drawn_when_open

ctx = page.setup("nav.agreement", ":material/compare:")
store, lang = ctx.store, ctx.lang
st.title(ctx.t("nav.agreement"))
st.caption(ctx.t("agreement_page.intro"))
RECORD = "pages/1_Record.py"

sessions = agreement.double_coded_sessions(store)
if not sessions:
    st.info(ctx.t("agreement_page.no_double_coded"), icon=":material/group_add:")
    st.stop()
query = st.query_params
session = st.selectbox(
    ctx.t("agreement_page.session"),
    sessions,
    av.pick(sessions, query.get("session")),
    key="agreement_session",
)
picks = av.pickers(store, session, lang)
names = list(picks.observers)
col_a, col_b, col_unit = st.columns([2, 2, 1])
observer_a = col_a.selectbox(
    ctx.t("agreement_page.observer_a"),
    names,
    picks.default_a(query.get("a"), store.principal.username),
    format_func=picks.labels.__getitem__,
    key="agreement_a",
)
observer_b = col_b.selectbox(
    ctx.t("agreement_page.observer_b"),
    picks.others(observer_a),
    picks.default_b(observer_a, query.get("b")),
    format_func=picks.labels.__getitem__,
    key="agreement_b",
)
unit = col_unit.number_input(ctx.t("agreement_page.unit"), 0.1, 10.0, 1.0, 0.1, key="agreement_unit")

view = aw.run(ctx, aw.agreement, session, observer_a, observer_b, unit, lang)
if view.hidden:
    st.info(view.hidden, icon=":material/visibility_off:")
    st.stop()
for warning in view.warnings:
    st.warning(warning, icon=":material/info:")
if view.folded_notes:
    with st.expander(ctx.t("agreement_page.notes", n=len(view.folded_notes))):
        st.markdown("\n".join(f"- {note}" for note in view.folded_notes))

st.subheader(ctx.t("agreement_page.channels"))
st.caption(ctx.t("agreement_page.channels_help"))
taus = view.tolerances
for shown in tabs_drawn_when_open(
    [ctx.t("agreement_page.tau", tau=f"{x:g}") for x in taus], key="agreement_tau"
):
    tau = taus[shown]
    table(ctx, view.channel_tables[tau], "agreement_page.col", key=f"agreement_channels_{tau:g}")
    with drawn_when_open(ctx.t("agreement_page.cues"), key=f"agreement_cues_open_{tau:g}") as cues:
        if cues:
            table(ctx, view.cue_tables[tau], "agreement_page.col", key=f"agreement_cues_{tau:g}")

st.subheader(ctx.t("agreement_page.events"))
st.caption(ctx.t("agreement_page.events_help"))
table(ctx, view.event_table, "agreement_page.col", key="agreement_events")

st.subheader(ctx.t("agreement_page.matrix"))
col_kind, col_which = st.columns([1, 2])
kind = col_kind.radio(
    ctx.t("agreement_page.matrix_kind"),
    av.MATRIX_KINDS,
    format_func=lambda k: ctx.t(f"agreement_page.matrix_{k}"),
    key="agreement_matrix_kind",
)
which = col_which.selectbox(
    ctx.t("agreement_page.matrix_of"), list(view.matrices[kind]), key="agreement_matrix_which"
)
if which:
    plot(view.matrix_figure(kind, which), "agreement_matrix_chart")

st.subheader(ctx.t("agreement_page.timeline"))
st.caption(ctx.t("agreement_page.timeline_help"))
plot(view.timeline, "agreement_timeline")

st.subheader(ctx.t("agreement_page.largest"))
if not view.jumps:
    st.success(ctx.t("agreement_page.no_disagreements"), icon=":material/check_circle:")
for jump in view.jumps:  # the sentence is the link that plays it: one element each (issue 16)
    if page.exists(RECORD):
        st.page_link(RECORD, label=jump.text, icon=":material/play_circle:", query_params=dict(jump.query),
                     help=ctx.t("agreement_page.jump"))  # fmt: skip
    else:
        st.markdown(jump.text)

st.subheader(ctx.t("agreement_page.icc"))
st.caption(ctx.t("agreement_page.icc_help"))
table(ctx, view.icc_table, "agreement_page.icc_col", key="agreement_icc")
if view.alpha_table is not None:
    st.subheader(ctx.t("agreement_page.alpha"))
    table(ctx, view.alpha_table, "agreement_page.alpha_col", key="agreement_alpha")

st.subheader(ctx.t("agreement_page.training"))
st.caption(ctx.t("agreement_page.training_help"))
if view.training_figure is None:
    st.info(ctx.t("agreement_page.no_training"), icon=":material/school:")
else:
    plot(view.training_figure, "agreement_training_chart")
    table(ctx, view.training_table, "agreement_page.training_col", key="agreement_training")

with drawn_when_open(ctx.t("agreement_page.reference_title"), icon=":material/verified:",
                     key="agreement_reference_open") as panel:  # fmt: skip
    if panel:
        st.caption(ctx.t("agreement_page.reference_help"))
        chosen = st.selectbox(ctx.t("agreement_page.reference_pick"), names, av.pick(names, picks.reference),
                              format_func=picks.labels.__getitem__, key="agreement_reference_pick")  # fmt: skip
        set_col, clear_col = st.columns(2)
        may_not = not picks.may_set_reference
        if set_col.button(
            ctx.t("agreement_page.reference_set"), key="agreement_reference_set", disabled=may_not
        ):
            attempt(ctx, lambda: av.set_reference(store, session, chosen), "agreement_page.reference_saved")
            st.rerun()
        if clear_col.button(
            ctx.t("agreement_page.reference_clear"),
            key="agreement_reference_clear",
            disabled=may_not or picks.reference is None,
        ):
            attempt(ctx, lambda: blind.clear_reference(store, session), "agreement_page.reference_cleared")
            st.rerun()
