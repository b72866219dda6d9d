"""Record: code a session video (or a live session) with hotkeys, for counselor and client.

Every keypress is written to the store at once (observe/coding/recording.py); this page only picks
what to code and lays out the parts (observe/ui/record_panels.py, observe/ui/coder.py).
"""

import streamlit as st

from observe.ui import coder, finish_panel, page, record_panels

ctx = page.setup("nav.record", ":material/radio_button_checked:")
st.title(ctx.t("nav.record"))

picked = record_panels.choose(ctx)
if picked is None:
    st.stop()
session, observer, mode = picked
obs = record_panels.observation(ctx, session, observer)
if obs is None:
    st.stop()

src, info = record_panels.video(ctx, session) if mode == "video" else (None, None)
setup = record_panels.setup(ctx, session, obs, mode, src, info)

# A full page run re-reads the events (another tab or the CLI may have changed them);
# keypresses rerun only the recorder fragment, which keeps its view up to date itself.
coder.forget(obs.id)
record_panels.follow_link(obs.id)
record_panels.recorder(ctx, setup)
finish_panel.panel(ctx, obs)
record_panels.below(ctx, session, setup)
