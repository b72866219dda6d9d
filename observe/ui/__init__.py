"""The only part of ``observe`` that imports Streamlit: the page guard, shared widgets
and the video coder component. Pages call :func:`observe.ui.page.setup` first."""
