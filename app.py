"""observe — home page: what the tool is, the workspace at a glance, the way to each task."""

import streamlit as st

from observe.ui import page
from observe.ui.routes import ROUTES

# `streamlit run app.py` imports this module to find the App, which serves our own routes (the video
# stream) beside the pages; then the App runs this file as the home page script (as `__main__`) in each
# browser session. So the page itself is drawn only in a script run, never on import.
app = st.App(__file__, routes=ROUTES, on_script_error=page.show_error)


def home() -> None:
    """The home page: what the tool is, the workspace at a glance, the way to each task."""
    ctx = page.setup("nav.home", ":material/visibility:")
    st.title(ctx.t("app.title"))
    st.markdown(ctx.t("home.intro"))

    counts = ctx.store.counts()
    for column, name in zip(
        st.columns(5), ("clients", "sessions", "observers", "observations", "events"), strict=True
    ):
        column.metric(ctx.t(f"home.count.{name}"), page.number(counts[name], ctx.lang))

    if ctx.store.has_demo():
        with st.container(border=True):
            st.info(ctx.t("home.demo_notice"), icon=":material/science:")
            if ctx.store.may("settings") and st.button(ctx.t("home.remove_demo"), key="home_remove_demo"):
                page.confirm_remove_demo(ctx)

    st.subheader(ctx.t("home.tasks"))
    for path, key, icon in page.menu(ctx.store)[1:]:  # the tasks of the signed-in role
        st.page_link(
            path,
            label=f"**{ctx.t(key)}** — {ctx.t(key + '.about')}",
            icon=icon,
            query_params={"lang": ctx.lang},
        )


if __name__ == "__main__":
    home()
