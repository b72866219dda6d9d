"""Parts of the Synchrony page: region inputs over a video frame, the result with its charts and downloads.

The page (pages/10_Synchrony.py) reads top to bottom; these helpers keep it short. All
computing is in :mod:`observe.reports.synchrony`.
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import streamlit as st

from observe import charts
from observe.reports import synchrony as sync
from observe.ui import page
from observe.ui.page import Page
from observe.ui.plot import plot
from observe.video.motion import Roi


@st.cache_data(show_spinner=False, max_entries=8)
def frame_of(path: str, mtime_ns: int) -> np.ndarray:
    """The frame regions are drawn on (cached; ``mtime_ns`` makes a replaced video read again)."""
    return sync.video_frame(path)


@st.cache_data(show_spinner=False, max_entries=8)
def picture_of(frame: np.ndarray) -> str:
    """The frame as a JPEG data URI: the browser gets some 40 kB instead of every pixel's three
    numbers (0.9 MB of JSON for the demo's 640×360 frame), and the page draws at once."""
    import cv2  # only where a frame is drawn (OpenCV takes a while to import)

    ok, jpeg = cv2.imencode(".jpg", np.ascontiguousarray(frame[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:  # OpenCV always encodes a uint8 RGB frame; the plain array still draws
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii")


def num(ctx: Page, value: float, digits: int = 2) -> str:
    """A number in the user's locale; a dash for NaN."""
    return "–" if not math.isfinite(value) else page.number(value, ctx.lang, digits)


def region_inputs(ctx: Page, code: str, frame: np.ndarray, stored: list[Roi]) -> list[Roi]:
    """The frame with the regions drawn, and x, y, width, height inputs for each region; returns the used ones.

    Widget keys carry the session code, so another session starts from its own stored
    regions (or the default layout when it has none).
    """
    height, width = frame.shape[:2]
    saved = {r.name: r for r in stored}
    defaults = {r.name: r for r in sync.default_rois(width, height)}
    picture, inputs = st.columns([1, 1])
    rois = []
    widths = [4, 2, 2, 2, 2]
    with inputs:
        for col, text in zip(st.columns(widths)[1:], "xywh", strict=True):
            col.caption(ctx.t(f"syncpage.field.{text}"))
        for name in sync.ROI_NAMES:
            base = saved.get(name) or defaults[name]
            cols = st.columns(widths, vertical_alignment="center")
            use = cols[0].checkbox(
                ctx.t(f"syncpage.roi.{name}"),
                value=name in saved if saved else name != "background",
                key=f"sync_use_{code}_{name}",
            )
            box = [
                col.number_input(
                    f"{ctx.t(f'syncpage.roi.{name}')} · {ctx.t(f'syncpage.field.{field}')}",
                    0,
                    width if field in "xw" else height,
                    value,
                    key=f"sync_{code}_{name}_{field}",
                    label_visibility="collapsed",
                )
                for col, field, value in zip(cols[1:], "xywh", (base.x, base.y, base.w, base.h), strict=True)
            ]
            if use and box[2] > 0 and box[3] > 0:
                rois.append(Roi(name, *(int(v) for v in box)))
    figure = charts.roi_figure(frame, rois, ctx.lang)
    source = picture_of(frame)
    if source:
        figure.update_traces(z=None, source=source, selector={"type": "image"})
    with picture:
        plot(figure, "sync_frame")
    picture.caption(ctx.t("syncpage.frame_caption", width=width, height=height))
    return rois


def show_result(ctx: Page, res: sync.SessionSynchrony, stem: str) -> None:
    """Metrics, the lead/lag sentence, surrogate tests, what is missing and why, charts, downloads."""
    t = ctx.t
    summary = res.result.summary()
    st.subheader(t("syncpage.results"))
    if res.cache_hit:
        st.caption(t("syncpage.cache_hit"))
    cols = st.columns(5)
    cols[0].metric(t("syncpage.metric.grand_aver"), num(ctx, summary["grand_aver"], 3))
    cols[1].metric(t("syncpage.metric.lag_zero"), num(ctx, summary["lag_zero_mean"], 3))
    cols[2].metric(t("syncpage.metric.best_lag"), f"{num(ctx, res.best_lag_s)} s")
    tests = {"shuffle": res.shuffle, "recombination": res.recombination_test}
    for col, (kind, test) in zip(cols[3:], tests.items(), strict=True):
        col.metric(t(f"syncpage.metric.es_{kind}"), num(ctx, test.es) if test else "–")
    st.markdown(t(f"syncpage.lead.{sync.leader(res.best_lag_s)}", lag=num(ctx, abs(res.best_lag_s))))
    for kind, test in tests.items():
        if test is not None:
            st.markdown(
                t(
                    "syncpage.test",
                    real=num(ctx, test.real, 3),
                    n=test.n,
                    kind=t(f"syncpage.kind.{kind}"),
                    mean=num(ctx, test.surrogate_mean, 3),
                    sd=num(ctx, test.surrogate_sd, 3),
                    es=num(ctx, test.es),
                    p=num(ctx, test.p, 3),
                )
            )
    for error in res.problems.values():
        st.info(error.message(ctx.lang), icon=":material/info:")
    for other, error in res.skipped:
        st.caption(t("syncpage.skipped", session=other, reason=error.message(ctx.lang)))
    reasons = res.result.windows["reason"]
    if (reasons != "").any():
        why = ", ".join(t(sync.WINDOW_REASON_KEYS[r]) for r in sorted(set(reasons) - {""}))
        st.warning(t("syncpage.windows_na", n=int((reasons != "").sum()), total=len(reasons), reasons=why))
    _charts(ctx, res)
    _downloads(ctx, res, stem)


def _charts(ctx: Page, res: sync.SessionSynchrony) -> None:
    t = ctx.t
    st.markdown(f"**{t('syncpage.timeline')}**")
    note = res.problems["openness"].message(ctx.lang) if "openness" in res.problems else None
    plot(
        charts.synchrony_timeline_figure(
            res.series, res.result.windows, res.openness, ctx.lang, openness_note=note
        ),
        "sync_timeline",
    )
    heat, dist = st.columns([3, 2])
    heat.markdown(f"**{t('syncpage.heatmap')}**")
    with heat:
        plot(charts.synchrony_heatmap_figure(res.result.ccf, res.result.windows, ctx.lang), "sync_heatmap")
    dist.markdown(f"**{t('syncpage.surrogate_chart')}**")
    surrogates = charts.surrogate_figure(
        res.result.grand_aver,
        res.shuffle.surrogates if res.shuffle else (),
        res.recombination_test.surrogates if res.recombination_test else (),
        ctx.lang,
    )
    with dist:
        plot(surrogates, "sync_surrogates")


def _downloads(ctx: Page, res: sync.SessionSynchrony, stem: str) -> None:
    st.subheader(ctx.t("syncpage.export"))
    series = res.motion if res.motion is not None else res.series
    downloads = (
        ("series", series.to_csv(index=False), "series.csv"),
        ("windows", res.windows().to_csv(index=False), "windows.csv"),
        ("table", res.result.ccf.to_csv(), "window_lag.csv"),
        ("report", json.dumps(res.report(), indent=2, ensure_ascii=False), "report.json"),
    )
    for col, (name, data, suffix) in zip(st.columns(4), downloads, strict=True):
        col.download_button(
            ctx.t(f"syncpage.download.{name}"),
            data,
            file_name=f"{stem}_{suffix}",
            mime="application/json" if suffix.endswith("json") else "text/csv",
            key=f"sync_download_{name}",
            icon=":material/download:",
        )
