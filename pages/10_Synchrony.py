"""Synchrony: motion energy from the session video and nonverbal synchrony (exploratory, DOMAIN §7).

Inputs (session, regions on a video frame, settings) → one call into observe.reports.synchrony
→ charts and downloads. A series computed elsewhere (our CSV or rMEA text) can be imported instead.
"""

import streamlit as st

from observe.analysis.synchrony import SynchronyParams
from observe.reports import synchrony as sync
from observe.ui import page
from observe.ui import synchrony_view as view
from observe.ui.widgets import attempt
from observe.video.motion import MotionParams

ctx = page.setup("nav.synchrony", ":material/graphic_eq:")
store, t = ctx.store, ctx.t
st.title(t("nav.synchrony"))
st.warning(t("syncpage.caveat"), icon=":material/science:")
st.caption(t("syncpage.intro"))


sessions = {s.code: s for s in store.sessions()}
with_video = [c for c, s in sessions.items() if s.video_ref]
source = st.radio(
    t("syncpage.source"),
    ["video", "import"],
    format_func=lambda v: t(f"syncpage.source.{v}"),
    horizontal=True,
    key="sync_source",
)
choices = ([] if source == "video" else [""]) + list(sessions)
first = with_video[0] if source == "video" and with_video else ""
code = st.selectbox(
    t("syncpage.session"),
    choices,
    index=choices.index(first) if first in choices else 0,
    format_func=lambda c: (
        f"{c} · {sessions[c].client} · {sessions[c].counselor}"
        + (f" · {t('syncpage.has_video')}" if sessions[c].video_ref else "")
        if c
        else t("syncpage.session_none")
    ),
    key="sync_session",
)
if source == "video" and not code:
    st.info(t("syncpage.no_sessions"))
    st.stop()

with st.expander(t("syncpage.settings"), icon=":material/tune:"):
    left, right = st.columns(2)
    by_background = left.radio(
        t("syncpage.threshold"),
        [False, True],
        format_func=lambda b: t("syncpage.threshold." + ("background" if b else "fixed")),
        key="sync_threshold_mode",
    )
    threshold = left.number_input(t("syncpage.threshold_value"), 1, 254, 15, key="sync_threshold")
    frame_step = left.number_input(t("syncpage.frame_step"), 1, 10, 1, key="sync_frame_step")
    lag = right.number_input(t("syncpage.lag"), 0.0, 60.0, 5.0, 0.5, key="sync_lag")
    window = right.number_input(t("syncpage.window"), 2.0, 600.0, 30.0, 5.0, key="sync_window")
    step = right.number_input(t("syncpage.step"), 1.0, 600.0, 10.0, 5.0, key="sync_step")
    segment = right.number_input(t("syncpage.segment"), 1.0, 600.0, 30.0, 5.0, key="sync_segment")
    n_sur = right.number_input(t("syncpage.surrogates"), 0, 2000, 100, 50, key="sync_n_surrogates")
motion_params = MotionParams(threshold=None if by_background else int(threshold), frame_step=int(frame_step))
sync_params = SynchronyParams(lag_s=lag, win_s=window, inc_s=step, segment_s=segment, n_surrogates=int(n_sur))

if source == "video":
    session = sessions[code]
    video = attempt(ctx, lambda: sync.session_video(session))
    frame = video and attempt(ctx, lambda: view.frame_of(str(video), video.stat().st_mtime_ns))
    stored = attempt(ctx, lambda: sync.session_rois(session))
    if frame is None or stored is None:
        st.stop()
    st.subheader(t("syncpage.regions"))
    st.caption(t("syncpage.regions_help"))
    rois = view.region_inputs(ctx, code, frame, stored)
    n_partners = len(sync.partner_sessions(store, code))
    partners = st.checkbox(
        t("syncpage.partners", n=n_partners),
        value=n_partners > 0,
        disabled=not n_partners,
        key="sync_partners",
    )
    if st.button(t("syncpage.run"), type="primary", key="sync_run", icon=":material/play_arrow:"):
        bar = st.progress(0.0)
        result = attempt(
            ctx,
            lambda: sync.session_synchrony(
                store,
                code,
                rois,
                motion_params,
                sync_params,
                lambda share, s, done, total: bar.progress(
                    min(share, 1.0), text=t("syncpage.progress", session=s, done=done, total=total)
                ),
                partners=partners,
            ),
        )
        bar.empty()
        if result is not None:
            st.session_state["sync_result"] = ("video", code, result)
else:
    upload = st.file_uploader(t("syncpage.upload"), type=["csv", "txt"], key="sync_upload")
    rmea_fps = st.number_input(t("syncpage.upload_fps"), 1.0, 1000.0, 25.0, key="sync_upload_fps")
    if upload is not None and st.button(t("syncpage.run_import"), type="primary", key="sync_run_import"):
        read = attempt(
            ctx, lambda: sync.read_uploaded_series(upload.getvalue(), upload.name, rmea_fps=rmea_fps)
        )
        result = read and attempt(
            ctx, lambda: sync.imported_synchrony(*read, sync_params, store=store, session=code or None)
        )
        if result:
            st.session_state["sync_result"] = ("import", code, result)

# the last result stays on screen (view state) while it belongs to the chosen source and session
shown = st.session_state.get("sync_result")
if shown and shown[:2] == (source, code):
    view.show_result(ctx, shown[2], f"synchrony_{code or 'import'}")
