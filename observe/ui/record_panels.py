"""The Record page's parts: choosing what to code, attaching a video, the recorder fragment,
the event list with its edit form, the cheat-sheet and the whole-session timeline."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from observe.charts import timeline_figure
from observe.coding import recording
from observe.errors import ObserveError
from observe.model import Event, Observation, Recorded, Session
from observe.scheme import CodingScheme
from observe.scheme.sheet import cheat_sheet_view
from observe.store.secret import signing_key
from observe.ui import coder, signin
from observe.ui.page import Page
from observe.ui.plot import plot
from observe.ui.widgets import attempt, table
from observe.video import library as media

LATEST = 50  # rows the event list shows while coding (the newest first to check); "all" shows every event
_MB = 1 << 20


@dataclass(frozen=True)
class Choice:
    """The session and observation being coded, with what the recorder needs."""

    session: Session
    observation: Observation
    setup: coder.CoderSetup


# -- choosing --------------------------------------------------------------------------------------------


def choose(ctx: Page) -> tuple[Session, str, str] | None:
    """Session, observer and mode (video or live) pickers in one row; None (with a hint) when
    there is nothing to code yet."""
    sessions = ctx.store.sessions()
    if not sessions:
        st.info(ctx.t("record.page.no_sessions"), icon=":material/event_note:")
        return None
    codes = [s.code for s in sessions]
    by_code = {s.code: s for s in sessions}
    # ?session=K01-S02&observer=ani opens a session directly (links from other pages, the browser tests)
    wanted = st.query_params.get("session") or next((s.code for s in sessions if s.video_ref), None)
    left, right, third = st.columns([3, 2, 2])
    code = left.selectbox(
        ctx.t("record.page.session"),
        codes,
        index=codes.index(wanted) if wanted in codes else 0,
        format_func=lambda c: f"{c} · {by_code[c].date.isoformat()} · {by_code[c].counselor}",
        key="rec_session",
    )
    assigned = ctx.store.observers_of(code)
    others = [u.username for u in ctx.store.users() if u.username not in assigned and u.active]
    options = assigned + others
    wanted_observer = st.query_params.get("observer")
    if wanted_observer and wanted_observer not in options:
        options.append(wanted_observer)
    observer = right.selectbox(
        ctx.t("record.page.observer"),
        options,
        index=options.index(wanted_observer) if wanted_observer else (0 if options else None),
        accept_new_options=True,
        placeholder=ctx.t("record.page.observer_new"),
        key="rec_observer",
    )
    with third:
        chosen_mode = mode(ctx, by_code[code])
    if not observer:
        st.info(ctx.t("record.page.pick_observer"), icon=":material/person:")
        return None
    return by_code[code], observer, chosen_mode


def observation(ctx: Page, session: Session, observer: str) -> Observation | None:
    """The observer's observation of the session; created only when they ask to start coding."""
    found = ctx.store.observations(session=session.code, observer=observer)
    if found:
        return found[0]
    st.info(ctx.t("record.page.new_observation", observer=observer, session=session.code))
    if st.button(ctx.t("record.page.start_coding"), key="rec_start", type="primary"):
        created = attempt(ctx, lambda: ctx.store.open_observation(session.code, observer))
        if created is not None:
            st.rerun()
    return None


def mode(ctx: Page, session: Session) -> str:
    """Video or live coding (live: a session clock, for a one-way mirror or the room)."""
    choice = st.segmented_control(
        ctx.t("record.page.mode"),
        ["video", "live"],
        default="video" if session.video_ref else "live",
        format_func=lambda m: ctx.t(f"record.page.mode.{m}"),
        key=f"rec_mode_{session.code}",
    )
    return choice or "video"


# -- the video ---------------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def _video_info(token: str, mtime: float) -> media.VideoInfo:
    return media.probe(media.video_path(token))


def video(ctx: Page, session: Session) -> tuple[str | None, media.VideoInfo | None]:
    """The session video's URL and facts, or (None, None) with a message and the attach form.

    With a playable video the attach form goes below the recorder (:func:`attach`): at
    1440×900 the video, the lanes and the last keys must fit on the screen (issue 14)."""
    src = info = None
    problem = None
    if session.video_ref:
        try:
            path = media.video_path(session.video_ref)
            info = _video_info(session.video_ref, path.stat().st_mtime)
            media.check_playable(info, session.video_ref)
            src = media.video_url(
                ctx.store.video_token(session.code) or session.video_ref,
                key=signing_key(ctx.store),
                sign_in=signin.current_sign_in(),
            )
        except ObserveError as exc:
            problem = exc
            st.error(exc.message(ctx.lang), icon=":material/videocam_off:")
    if src is None:
        with st.expander(ctx.t("record.page.attach"), expanded=True):
            if problem is None:
                st.caption(ctx.t("record.page.no_video"))
            _attach_form(ctx, session)
    return src, info


def attach(ctx: Page, session: Session) -> None:
    """Replace the session's video (collapsed, below the recorder)."""
    with st.expander(ctx.t("record.page.attach")):
        _attach_form(ctx, session)


def _attach_form(ctx: Page, session: Session) -> None:
    limit_mb = int(st.get_option("server.maxUploadSize"))
    upload_tab, path_tab = st.tabs([ctx.t("record.page.upload"), ctx.t("record.page.server_file")])
    with upload_tab:
        uploaded = st.file_uploader(
            ctx.t("record.page.upload_label", limit=limit_mb),
            type=[e.lstrip(".") for e in media.EXTENSIONS],
            key=f"rec_upload_{session.code}",
        )
        if uploaded is not None and st.button(ctx.t("record.page.attach_button"), key="rec_attach_upload"):
            with st.spinner(ctx.t("record.page.checking")):
                done = attempt(
                    ctx,
                    lambda: media.attach_upload(
                        ctx.store, session.code, uploaded, uploaded.name, max_bytes=limit_mb * _MB
                    ),
                )
            if done is not None:
                st.rerun()
    with path_tab:
        path = st.text_input(ctx.t("record.page.server_path"), key=f"rec_server_path_{session.code}")
        if path and st.button(ctx.t("record.page.attach_button"), key="rec_attach_path"):
            done = attempt(ctx, lambda: media.attach_server_file(ctx.store, session.code, path))
            if done is not None:
                st.rerun()


def setup(
    ctx: Page, session: Session, obs: Observation, mode: str, src: str | None, info: media.VideoInfo | None
) -> coder.CoderSetup:
    """Everything the coder needs about this observation (valences follow the client's profile)."""
    scheme = ctx.store.observation_scheme(obs.id)
    try:
        client = ctx.store.client(session.client)
        valences = scheme.valences(client.valence_profile, client.valence_overrides)
    except ObserveError:
        valences = scheme.valences()
    duration = session.duration_s or (info.duration_s if info else None)
    return coder.CoderSetup(
        observation_id=obs.id,
        scheme=scheme,
        valences=valences,
        lang=ctx.lang,
        mode=mode,
        src=src if mode == "video" else None,
        fps=info.fps if info else None,
        duration_s=duration,
    )


def follow_link(observation_id: int) -> None:
    """``?t=<seconds>`` (the review and agreement pages link here) moves the video there, once."""
    wanted = st.query_params.get("t")
    done = f"rec_link_t_{observation_id}"
    if not wanted or st.session_state.get(done) == wanted:
        return
    st.session_state[done] = wanted
    try:
        coder.seek(observation_id, max(0.0, float(wanted)))
    except ValueError:
        return  # a hand-edited link: start at the beginning


# -- the recorder fragment ---------------------------------------------------------------------------------


@st.fragment
def recorder(ctx: Page, setup: coder.CoderSetup) -> None:
    """The coder, undo/redo and the event list: a keypress reruns only this fragment.

    Buttons act in ``on_click`` callbacks, which run before the fragment draws: the coder
    then shows the change on the same rerun.
    """
    obs = setup.observation_id
    coder.coder(ctx.store, setup)
    can_undo, can_redo = ctx.store.can_undo_redo(obs)
    left, mid, right = st.columns([1, 1, 4])
    left.button(
        ctx.t("record.page.undo"),
        icon=":material/undo:",
        disabled=not can_undo,
        key="rec_undo",
        on_click=_act,
        args=(ctx, obs, lambda: ctx.store.undo(obs)),
    )
    mid.button(
        ctx.t("record.page.redo"),
        icon=":material/redo:",
        disabled=not can_redo,
        key="rec_redo",
        on_click=_act,
        args=(ctx, obs, lambda: ctx.store.redo(obs)),
    )
    events = coder.events(ctx.store, obs)
    right.caption(ctx.t("record.page.count", n=len(events)))
    message = st.session_state.pop(f"rec_message_{obs}", None)
    if message:
        st.error(message, icon=":material/error:")
    event_list(ctx, setup, events)


def _act(ctx: Page, obs: int, action: Callable[[], Recorded], unselect: bool = False) -> None:
    """Run a store action from a button; a refused one leaves its message for the fragment."""
    try:
        coder.write(obs, action)
    except ObserveError as exc:
        st.session_state[f"rec_message_{obs}"] = exc.message(ctx.lang)
        return
    if unselect:
        st.session_state.pop(f"rec_selected_{obs}", None)


def event_list(ctx: Page, setup: coder.CoderSetup, events: Mapping[int, Event]) -> None:
    """The coded events: click a row to jump there and edit or delete it."""
    obs = setup.observation_id
    scope = st.segmented_control(
        ctx.t("record.page.list"),
        ["latest", "all"],
        default="latest",
        format_func=lambda s: ctx.t(f"record.page.list.{s}", n=LATEST),
        key="rec_list_scope",
    )
    frame = recording.event_table(events, setup.scheme, ctx.lang, latest=LATEST if scope != "all" else None)
    ids = tuple(int(i) for i in frame["id"])
    table_key = f"rec_table_{obs}_{hash(ids)}"  # new rows: a new widget, so a selection never shifts rows

    def picked() -> None:
        rows = st.session_state[table_key].selection.rows
        if rows:
            chosen = ids[rows[0]]
            st.session_state[f"rec_selected_{obs}"] = chosen
            coder.seek(obs, float(frame.loc[rows[0], "start_s"]))

    running, point = ctx.t("record.col.running"), ctx.t("record.col.point")
    shown = (
        frame.drop(columns="id")
        .assign(
            end_s=[
                point if kind == "point" else running if end is None or end != end else f"{end:.3f}"
                for kind, end in zip(frame["kind"], frame["end_s"], strict=True)
            ]
        )
        .drop(columns="kind")
    )
    table(
        ctx,
        shown,
        "record.col",
        key=table_key,
        on_select=picked,
        selection_mode="single-row",
        height=260,
        column_config={
            ctx.t("record.col.start_s"): st.column_config.NumberColumn(format="%.3f"),
        },
    )
    selected = st.session_state.get(f"rec_selected_{obs}")
    if isinstance(selected, int) and selected in events:
        edit_form(ctx, setup, events[selected])


def edit_form(ctx: Page, setup: coder.CoderSetup, event: Event) -> None:
    """Change an event's time, end, subject, cue, modifiers or comment; or delete it."""
    scheme, obs = setup.scheme, setup.observation_id
    event_id = event.id
    assert event_id is not None  # events from the store always have their id
    key = f"rec_edit_{event_id}"
    st.markdown(ctx.t("record.edit.title", id=event.id))
    with st.form(key=key, border=True):
        c1, c2, c3, c4 = st.columns(4)
        c1.number_input(
            ctx.t("record.col.start_s"),
            value=event.start_s,
            min_value=0.0,
            step=0.1,
            format="%.3f",
            key=f"{key}_start",
        )
        c2.number_input(
            ctx.t("record.col.end_s"),
            value=event.end_s,
            min_value=0.0,
            step=0.1,
            format="%.3f",
            disabled=event.kind == "point",
            help=ctx.t("record.edit.end_help"),
            key=f"{key}_end",
        )
        subjects = {s.code: s.labels.get(ctx.lang) or s.labels["en"] for s in scheme.subjects}
        c3.selectbox(
            ctx.t("record.col.subject"),
            list(subjects),
            index=list(subjects).index(event.subject),
            format_func=subjects.__getitem__,
            key=f"{key}_subject",
        )
        cues = [c.code for c in scheme.cues]
        c4.selectbox(
            ctx.t("record.col.cue"),
            cues,
            index=cues.index(event.cue) if event.cue in cues else 0,
            format_func=lambda c: f"{c} — {scheme.cue(c).label(ctx.lang)}",
            key=f"{key}_cue",
        )
        columns = st.columns(len(scheme.modifiers) + 1)
        for column, modifier in zip(columns, scheme.modifiers, strict=False):
            options = ["", *modifier.values]
            column.selectbox(
                modifier.labels.get(ctx.lang) or modifier.labels["en"],
                options,
                index=options.index(event.modifiers.get(modifier.code, "")),
                format_func=lambda v: v or "—",
                key=f"{key}_mod_{modifier.code}",
            )
        columns[-1].text_input(ctx.t("record.col.comment"), value=event.comment, key=f"{key}_comment")
        st.form_submit_button(
            ctx.t("record.edit.save"),
            type="primary",
            on_click=_act,
            args=(ctx, obs, lambda: ctx.store.edit_event(event_id, **_form_values(key, event, scheme))),
        )
    left, right, _ = st.columns([1, 1, 4])
    left.button(
        ctx.t("record.edit.delete"),
        icon=":material/delete:",
        key=f"rec_delete_{event.id}",
        help=ctx.t("record.edit.delete_help"),
        on_click=_act,
        args=(ctx, obs, lambda: ctx.store.delete_event(event_id), True),
    )
    right.button(
        ctx.t("record.edit.close"),
        key=f"rec_close_{event.id}",
        on_click=lambda: st.session_state.pop(f"rec_selected_{obs}", None),
    )


def _form_values(key: str, event: Event, scheme: CodingScheme) -> dict[str, Any]:
    """The edit form's widgets as :meth:`Store.edit_event` arguments (a point has no end)."""
    state = st.session_state
    end = state[f"{key}_end"]
    return {
        "start_s": state[f"{key}_start"],
        "end_s": None if event.kind == "point" or end is None or math.isnan(end) else end,
        "subject": state[f"{key}_subject"],
        "cue": state[f"{key}_cue"],
        "modifiers": {
            m.code: state[f"{key}_mod_{m.code}"] for m in scheme.modifiers if state[f"{key}_mod_{m.code}"]
        },
        "comment": state[f"{key}_comment"],
    }


# -- below the recorder ------------------------------------------------------------------------------------


def below(ctx: Page, session: Session, setup: coder.CoderSetup) -> None:
    """What goes below the recorder: replacing the video, the cheat-sheet, the whole-session timeline."""
    if setup.src is not None:
        attach(ctx, session)
    cheat_sheet(ctx, setup.scheme)
    overview(ctx, setup)


def cheat_sheet(ctx: Page, scheme: CodingScheme) -> None:
    """The hotkeys in the user's language (also inside the coder: Esc)."""
    with st.expander(ctx.t("record.page.cheat_sheet")):
        st.caption(ctx.t("record.page.help"))
        st.markdown(ctx.t("record.page.layers"))
        st.markdown(ctx.t("record.coder.state_end"))
        for column, subject in zip(st.columns(len(scheme.subjects)), scheme.subjects, strict=True):
            with column:
                st.markdown(f"**{subject.labels.get(ctx.lang) or subject.labels['en']}**")
                table(
                    ctx,
                    cheat_sheet_view(scheme, subject.code, ctx.lang),
                    "scheme.col",
                    key=f"rec_sheet_{subject.code}",
                )
        keys = pd.DataFrame([(k, ctx.t(v)) for k, v in coder.TRANSPORT], columns=["key", "action"])
        table(ctx, keys, "record.col", key="rec_sheet_transport")


def overview(ctx: Page, setup: coder.CoderSetup) -> None:
    """The whole session as a plotly timeline (drawn on request: the live one is in the coder)."""
    if st.toggle(ctx.t("record.page.overview"), key="rec_overview"):
        frame = ctx.store.events_frame(observation_id=setup.observation_id)
        if frame.empty:
            st.caption(ctx.t("record.page.nothing_coded"))
            return
        fig = timeline_figure(frame, setup.scheme, ctx.lang, valences=setup.valences)
        plot(fig, "rec_overview_chart")
