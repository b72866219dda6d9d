"""The Record page's finish step: say where coding stopped (the coded extent E, DOMAIN §9.3),
see what finishing does, confirm; reopen a finished observation.

Two steps, so that the summary is read fresh: the recorder fragment writes keypresses
without rerunning the page, and "Finish observation…" reruns it before showing coverage,
the states still open (they end at E) and unpaired stops.
"""

from __future__ import annotations

import streamlit as st

from observe import i18n
from observe.coding.extent import FinishSummary, coverage, summary_for
from observe.errors import ObserveError
from observe.model import Observation
from observe.ui.page import Page
from observe.ui.widgets import attempt


def _key(name: str, observation_id: int) -> str:
    return f"rec_finish_{name}_{observation_id}"


def panel(ctx: Page, obs: Observation) -> None:
    """ "Finish observation" for one in progress, "Reopen" for a finished one."""
    obs = ctx.store.observation(obs.id)  # the status may have changed since the page read it
    with st.container(border=True, key=_key("panel", obs.id)):
        if obs.status == "finished":
            _finished(ctx, obs)
        elif st.session_state.get(_key("confirming", obs.id)):
            _confirm(ctx, obs)
        else:
            st.button(
                ctx.t("finish.start"),
                icon=":material/flag:",
                key=_key("start", obs.id),
                on_click=_start,
                args=(ctx, obs.id),
            )


def _start(ctx: Page, observation_id: int) -> None:
    st.session_state[_key("confirming", observation_id)] = True
    st.session_state[_key("at", observation_id)] = summary_for(ctx.store, observation_id).coded_s


def _cancel(observation_id: int) -> None:
    st.session_state.pop(_key("confirming", observation_id), None)


def _confirm(ctx: Page, obs: Observation) -> None:
    session = ctx.store.session(obs.session)
    st.markdown(f"**{ctx.t('finish.title')}**")
    at = st.number_input(
        ctx.t("finish.at"),
        min_value=0.0,
        max_value=session.duration_s,
        step=1.0,
        format="%.3f",
        help=ctx.t("finish.at_help"),
        key=_key("at", obs.id),
    )
    summary = summary_for(ctx.store, obs.id, coded_s=at)
    _show(ctx, summary)
    left, right = st.columns(2)
    confirmed = left.button(
        ctx.t("finish.confirm"),
        type="primary",
        icon=":material/check:",
        disabled=not summary.ok,
        key=_key("confirm", obs.id),
    )
    if confirmed and attempt(ctx, lambda: ctx.store.finish_observation(obs.id, coded_s=at)) is not None:
        _cancel(obs.id)
        st.rerun()
    right.button(ctx.t("finish.cancel"), key=_key("cancel", obs.id), on_click=_cancel, args=(obs.id,))


def _show(ctx: Page, summary: FinishSummary) -> None:
    share = (
        ctx.t("finish.coverage_unknown")
        if summary.coverage is None
        else f"{i18n.number(summary.coverage * 100, ctx.lang, 1)} %"
    )
    a, b, c, d = st.columns(4)
    a.metric(ctx.t("finish.coverage"), share)
    b.metric(ctx.t("finish.events"), summary.n_events)
    c.metric(ctx.t("finish.open_states"), len(summary.open_states))
    d.metric(ctx.t("finish.unpaired"), len(summary.unpaired_stops))
    if summary.open_states:
        st.caption(
            ctx.t(
                "finish.open_list",
                at=i18n.number(summary.coded_s, ctx.lang, 3),
                states=", ".join(
                    f"{ctx.t(f'subject.{e.subject}')} {e.cue} ({i18n.number(e.start_s, ctx.lang, 3)} s)"
                    for e in summary.open_states
                ),
            )
        )
    if summary.unpaired_stops:
        st.warning(
            ctx.t(
                "finish.unpaired_list",
                states=", ".join(f"{e.cue} @ {e.start_s}" for e in summary.unpaired_stops),
            )
        )
    if summary.problem is not None:
        st.error(summary.problem.message(ctx.lang), icon=":material/block:")


def _finished(ctx: Page, obs: Observation) -> None:
    session = ctx.store.session(obs.session)
    share = coverage(obs.coded_s, session.duration_s)
    st.success(
        ctx.t(
            "finish.done",
            at=i18n.number(obs.coded_s or 0.0, ctx.lang, 3),
            coverage="?" if share is None else i18n.number(share * 100, ctx.lang, 1),
        ),
        icon=":material/flag:",
    )
    if st.button(ctx.t("finish.reopen"), icon=":material/edit:", key=_key("reopen", obs.id)):
        try:
            ctx.store.reopen_observation(obs.id)
        except ObserveError as exc:
            st.error(exc.message(ctx.lang), icon=":material/error:")
        else:
            st.rerun()
