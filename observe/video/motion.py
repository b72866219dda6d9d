"""Motion Energy Analysis (MEA) of a session video with OpenCV (DOMAIN §7).

For each pair of consecutive (processed) frames and each rectangular region of
interest (ROI): 8-bit grayscale, ``D_t = |I_t - I_{t-1}|``, 5×5 median filter,
threshold ``θ`` (15 gray levels, or the 99th percentile of the unfiltered ``D``
pooled over the background ROIs, Altmann's ``estimate_threshold_for_MEA.m``),
and ``ME = 100 · #{pixels with median(D) > θ} / |ROI|`` (% of ROI pixels changed).

Speed (bench/bench_motion.py): only the bounding box of each person's ROIs (plus the 2-pixel
filter margin) is converted and filtered, all in uint8. The median filter is not
run as such: ``median of 25 values > θ`` holds exactly when at least 13 of the 25
values exceed ``θ``, so the mask is ``boxsum5x5(D > θ) >= 13`` with the same
replicated border as ``cv2.medianBlur``: identical counts (tested against
``cv2.medianBlur``) at about a fifth of the cost. Decoding runs in a reader
thread so it overlaps with the arithmetic on a second core (not in a batch worker, which
owns one core: ``single_thread``).

ROI names are ``<person>_<part>`` (``client_head``, ``counselor_body``) or start
with ``background``; regions of different persons, or of a person and the
background, must not overlap (light leaking from one person into the other's
region creates false synchrony; rMEA ``CCFartefacts``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import queue
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from observe.errors import InvalidInput

#: Altmann's default cut-off in gray levels (motion_energy_analysis.m).
DEFAULT_THRESHOLD = 15
#: the median filter is 5×5; a pixel's median exceeds θ iff ≥ 13 of its 25 values do.
MEDIAN_KSIZE = 5
_MEDIAN_RANK = MEDIAN_KSIZE * MEDIAN_KSIZE // 2 + 1
_MARGIN = MEDIAN_KSIZE // 2
#: frame timestamps further than this many frame durations from index/fps mean variable frame rate.
VFR_TOLERANCE_FRAMES = 1.5
#: frames handed from the decoding thread to the analysis at a time
_BATCH = 8

ProgressCallback = Callable[[int, int], None]
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Roi:
    """A rectangular region of interest in pixels: top-left ``x, y``, width ``w``, height ``h``.

    Examples
    --------
    >>> Roi("client_head", 10, 20, 30, 40).person
    'client'
    >>> Roi("background_left", 0, 0, 5, 5).is_background
    True
    """

    name: str
    x: int
    y: int
    w: int
    h: int

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise InvalidInput("motion.bad_roi", text=self.name)
        if self.w <= 0 or self.h <= 0:
            raise InvalidInput("motion.bad_roi", text=f"{self.name}={self.x},{self.y},{self.w},{self.h}")

    @property
    def person(self) -> str:
        """``background`` or the part before the first underscore (``client``, ``counselor``, ...)."""
        return "background" if self.is_background else self.name.split("_", 1)[0]

    @property
    def is_background(self) -> bool:
        """Background regions set the threshold and must not overlap a person."""
        return self.name.startswith("background")

    @property
    def area(self) -> int:
        """Number of pixels."""
        return self.w * self.h

    def overlaps(self, other: Roi) -> bool:
        """True if the two rectangles share at least one pixel."""
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


@dataclass(frozen=True)
class MotionParams:
    """Settings of the motion energy analysis.

    Parameters
    ----------
    threshold : int or None
        Gray-level cut-off θ (default 15); None takes the ``percentile`` of the
        unfiltered frame difference over the background ROIs (needs one).
    percentile : float
        99 (Altmann's recommendation) or 95.
    calibration_s : float or None
        Seconds from the start used to estimate θ from the background; None uses
        the whole video (a second full pass).
    frame_step : int
        Analyse every k-th frame (differences between frames k apart); the series
        then has ``fps / k`` samples per second.
    """

    threshold: int | None = DEFAULT_THRESHOLD
    percentile: float = 99.0
    calibration_s: float | None = 60.0
    frame_step: int = 1

    def __post_init__(self) -> None:
        if self.threshold is not None and not 0 <= self.threshold < 255:
            raise InvalidInput("motion.bad_param", name="threshold", value=self.threshold)
        if not 50 <= self.percentile < 100:
            raise InvalidInput("motion.bad_param", name="percentile", value=self.percentile)
        if self.frame_step < 1:
            raise InvalidInput("motion.bad_param", name="frame_step", value=self.frame_step)
        if self.calibration_s is not None and not self.calibration_s > 0:
            raise InvalidInput("motion.bad_param", name="calibration_s", value=self.calibration_s)


@dataclass(frozen=True)
class VideoInfo:
    """What OpenCV reports about a video file."""

    width: int
    height: int
    fps: float
    n_frames: int

    @property
    def duration_s(self) -> float:
        """Length in seconds (frame count / fps)."""
        return self.n_frames / self.fps


# --------------------------------------------------------------------------- parsing and validation


def parse_roi(text: str) -> Roi:
    """Parse ``name=x,y,w,h`` (as given to ``--roi`` on the command line).

    Examples
    --------
    >>> parse_roi("client_head=320, 40, 120, 100")
    Roi(name='client_head', x=320, y=40, w=120, h=100)
    """
    name, sep, rest = text.partition("=")
    parts = [p.strip() for p in rest.split(",")]
    if not sep or len(parts) != 4 or not all(re.fullmatch(r"\d+", p) for p in parts):
        raise InvalidInput("motion.bad_roi", text=text)
    x, y, w, h = (int(p) for p in parts)
    return Roi(name.strip(), x, y, w, h)


def validate_rois(rois: Sequence[Roi], width: int, height: int) -> None:
    """Refuse ROIs outside the frame, duplicate names, and overlaps between persons."""
    if not rois:
        raise InvalidInput("motion.no_rois")
    names = [r.name for r in rois]
    for name in names:
        if names.count(name) > 1:
            raise InvalidInput("motion.duplicate_roi", name=name)
    for r in rois:
        if r.x < 0 or r.y < 0 or r.x + r.w > width or r.y + r.h > height:
            raise InvalidInput("motion.roi_outside", name=r.name, width=width, height=height)
    for i, a in enumerate(rois):
        for b in rois[i + 1 :]:
            if a.person != b.person and a.overlaps(b):
                raise InvalidInput("motion.roi_overlap", first=a.name, second=b.name)


def video_info(path: str | Path) -> VideoInfo:
    """Open the video and read its size, frame rate and frame count; refuse what OpenCV cannot read."""
    cap = _open(path)
    try:
        ok, frame = cap.read()
        if not ok or frame is None:
            raise InvalidInput("motion.unreadable_video", path=str(path))
        fps = cap.get(cv2.CAP_PROP_FPS)
        if not (fps and math.isfinite(fps) and 0 < fps <= 1000):
            raise InvalidInput("motion.unknown_fps", path=str(path))
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        return VideoInfo(width=frame.shape[1], height=frame.shape[0], fps=float(fps), n_frames=max(n, 0))
    finally:
        cap.release()


def _open(path: str | Path, *, single_thread: bool = False) -> cv2.VideoCapture:
    p = Path(path)
    if not p.is_file():
        raise InvalidInput("motion.unreadable_video", path=str(path))
    if single_thread:  # FFmpeg decodes on every core by default; a batch worker owns one
        cap = cv2.VideoCapture(str(p), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, 1])
    else:
        cap = cv2.VideoCapture(str(p))
    if not cap.isOpened():
        cap.release()
        raise InvalidInput("motion.unreadable_video", path=str(path))
    return cap


# --------------------------------------------------------------------------- caching key


def settings_hash(video_path: str | Path, rois: Sequence[Roi], params: MotionParams | None = None) -> str:
    """Key for caching: the video (name, size, modification time), the ROIs and the settings.

    Pure apart from one ``stat`` of the file; ROI order does not matter.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "v.mp4"
    >>> _ = p.write_bytes(b"x")
    >>> a = settings_hash(p, [Roi("client_head", 0, 0, 2, 2)])
    >>> a == settings_hash(p, [Roi("client_head", 0, 0, 2, 2)]), len(a)
    (True, 64)
    """
    st = Path(video_path).stat()
    return settings_key(Path(video_path).name, st.st_size, st.st_mtime_ns, rois, params)


def settings_key(
    name: str, size: int, mtime_ns: int, rois: Sequence[Roi], params: MotionParams | None = None
) -> str:
    """:func:`settings_hash` from the file's name, size and modification time, without the file
    (an object in storage, whose local copy gets the same time)."""
    payload = {
        "video": {"name": name, "size": size, "mtime_ns": mtime_ns},
        "rois": sorted((asdict(r) for r in rois), key=lambda d: d["name"]),
        "params": asdict(params or MotionParams()),
        "algorithm": "mea-1",  # bump when the computation changes
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# --------------------------------------------------------------------------- core


def changed_mask(diff: np.ndarray, threshold: int) -> np.ndarray:
    """255 where the 5×5 median of ``diff`` exceeds ``threshold``, else 0 (uint8).

    Same result as ``cv2.medianBlur(diff, 5) > threshold``, computed as a count of
    neighbours above the threshold (see module docstring).

    Examples
    --------
    >>> d = np.zeros((7, 7), np.uint8); d[1:6, 1:6] = 40
    >>> int((changed_mask(d, 15) > 0).sum()) == int((cv2.medianBlur(d, 5) > 15).sum())
    True
    """
    above = cv2.threshold(diff, threshold, 1, cv2.THRESH_BINARY)[1]
    votes = cv2.boxFilter(
        above, -1, (MEDIAN_KSIZE, MEDIAN_KSIZE), normalize=False, borderType=cv2.BORDER_REPLICATE
    )
    return cv2.threshold(votes, _MEDIAN_RANK - 1, 255, cv2.THRESH_BINARY)[1]


def _gray(crop: np.ndarray) -> np.ndarray:
    """8-bit grayscale of a BGR crop.

    The explicit copy to a contiguous array first is faster than letting
    cvtColor read the strided view (measured: 0.04 vs 0.08 ms per person box).
    """
    return cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_BGR2GRAY)


def _bounding_box(rois: Sequence[Roi], width: int, height: int) -> tuple[int, int, int, int]:
    """Bounding box of ``rois`` plus the filter margin, clipped to the frame: x0, y0, x1, y1.

    With the 2-pixel margin every ROI pixel's 5×5 neighbourhood lies inside the
    box (or is replicated at the frame edge), so filtering the box gives the same
    values as filtering the whole frame.
    """
    x0 = max(min(r.x for r in rois) - _MARGIN, 0)
    y0 = max(min(r.y for r in rois) - _MARGIN, 0)
    x1 = min(max(r.x + r.w for r in rois) + _MARGIN, width)
    y1 = min(max(r.y + r.h for r in rois) + _MARGIN, height)
    return x0, y0, x1, y1


_Box = tuple[tuple[int, int, int, int], list[tuple[int, int, int, int, int]]]


def _processing_boxes(rois: Sequence[Roi], width: int, height: int) -> list[_Box]:
    """Frame crops to process: one per person when that covers fewer pixels than one box around all.

    Each entry is ``((x0, y0, x1, y1), [(column, row0, row1, col0, col1), ...])`` with
    ROI slices relative to the crop. Persons sit apart, so per-person boxes
    usually skip the empty space between them.
    """

    def area(box: tuple[int, int, int, int]) -> int:
        return (box[2] - box[0]) * (box[3] - box[1])

    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rois):
        groups.setdefault(r.person, []).append(i)
    per_person = [[rois[i] for i in idx] for idx in groups.values()]
    union = _bounding_box(rois, width, height)
    if sum(area(_bounding_box(g, width, height)) for g in per_person) >= area(union):
        members = [list(range(len(rois)))]
    else:
        members = list(groups.values())
    out: list[_Box] = []
    for idx in members:
        box = _bounding_box([rois[i] for i in idx], width, height)
        x0, y0 = box[0], box[1]
        out.append(
            (
                box,
                [
                    (
                        i,
                        rois[i].y - y0,
                        rois[i].y - y0 + rois[i].h,
                        rois[i].x - x0,
                        rois[i].x - x0 + rois[i].w,
                    )
                    for i in idx
                ],
            )
        )
    return out


def _decoded(cap: cv2.VideoCapture, step: int, limit: int | None) -> Iterator[tuple[int, np.ndarray, float]]:
    """(index, frame, pos_msec) of every ``step``-th frame, decoded in the caller's thread."""
    index = 0
    while limit is None or index < limit:
        if index % step:
            if not cap.grab():
                return
        else:
            ok, frame = cap.read()
            if not ok:
                return
            yield index, frame, cap.get(cv2.CAP_PROP_POS_MSEC)
        index += 1


@contextmanager
def _frames(
    path: str | Path, step: int, limit: int | None, *, single_thread: bool = False
) -> Iterator[Iterator[tuple[int, np.ndarray, float]]]:
    """Decode in a reader thread (OpenCV releases the GIL); yield an iterator of (index, frame, pos_msec).

    A context manager, so the thread is stopped and joined before the capture is
    released, also when the consumer stops early or raises. ``single_thread``: decode in the
    caller's thread with one FFmpeg thread (a batch worker, which owns one core; the same frames).
    """
    if single_thread:
        cap = _open(path, single_thread=True)
        try:
            yield _decoded(cap, step, limit)
        finally:
            cap.release()
        return
    cap = _open(path)
    # Frames travel in small batches: one queue hand-over per frame costs as much
    # CPU as the arithmetic itself, which hurts on a busy 2-core machine.
    q: queue.Queue[list[tuple[int, np.ndarray, float]] | None] = queue.Queue(maxsize=4)
    stop = threading.Event()

    def reader() -> None:
        index = 0
        batch: list[tuple[int, np.ndarray, float]] = []
        try:
            while not stop.is_set() and (limit is None or index < limit):
                if index % step:
                    if not cap.grab():  # skipped frames are decoded but not converted
                        break
                else:
                    ok, frame = cap.read()
                    if not ok:
                        break
                    batch.append((index, frame, cap.get(cv2.CAP_PROP_POS_MSEC)))
                    if len(batch) == _BATCH:
                        q.put(batch)
                        batch = []
                index += 1
        finally:
            if batch:
                q.put(batch)
            q.put(None)

    def items() -> Iterator[tuple[int, np.ndarray, float]]:
        while (got := q.get()) is not None:
            yield from got

    thread = threading.Thread(target=reader, name="mea-decode", daemon=True)
    thread.start()
    try:
        yield items()
    finally:
        stop.set()
        while thread.is_alive():  # unblock a reader waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)
        cap.release()


def estimate_threshold(
    path: str | Path,
    rois: Sequence[Roi],
    *,
    percentile: float = 99.0,
    calibration_s: float | None = 60.0,
    frame_step: int = 1,
    single_thread: bool = False,
) -> int:
    """θ = the ``percentile`` of the unfiltered frame difference pooled over the background ROIs.

    As Altmann's ``estimate_threshold_for_MEA.m``: all difference values sorted,
    θ = value at position ``round(p/100 · n)`` (1-based).
    """
    background = [r for r in rois if r.is_background]
    if not background:
        raise InvalidInput("motion.no_background")
    info = video_info(path)
    validate_rois(rois, info.width, info.height)
    limit = None if calibration_s is None else max(2, int(round(calibration_s * info.fps)))
    hist = np.zeros(256, dtype=np.int64)
    prev: list[np.ndarray] | None = None
    with _frames(path, frame_step, limit, single_thread=single_thread) as frames:
        for _, frame, _ in frames:
            grays = [_gray(frame[r.y : r.y + r.h, r.x : r.x + r.w]) for r in background]
            if prev is not None:
                for g, p in zip(grays, prev, strict=True):
                    hist += np.bincount(cv2.absdiff(g, p).ravel(), minlength=256)
            prev = grays
    n = int(hist.sum())
    if n == 0:
        raise InvalidInput("motion.too_few_frames", path=str(path))
    position = max(int(round(percentile / 100 * n)), 1)  # MATLAB round: half away from zero
    return int(np.searchsorted(np.cumsum(hist), position))


def motion_energy(
    path: str | Path,
    rois: Sequence[Roi],
    params: MotionParams | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    single_thread: bool = False,
) -> pd.DataFrame:
    """Motion energy (% of ROI pixels changed) per frame pair and ROI.

    Parameters
    ----------
    path : str or Path
        A video OpenCV can read, at a constant frame rate.
    rois : sequence of Roi
        Named rectangles, e.g. ``client_head``, ``client_body``, ``counselor_head``,
        ``counselor_body``, ``background``.
    params : MotionParams
    on_progress : callable, optional
        Called as ``on_progress(done_frames, total_frames)`` about every 1 % of the video.
    single_thread : bool
        Decode and compute in this thread with one FFmpeg thread (a batch worker owns one
        core; :mod:`observe.video.batch`). The series is the same.

    Returns
    -------
    DataFrame
        ``time_s`` (time of the later frame of each pair) and one column per ROI in
        percent. ``attrs`` holds ``fps`` (of the series), ``video_fps``,
        ``frame_step``, ``threshold``, ``roi_area`` and ``settings_hash``.

    Examples
    --------
    >>> import tempfile
    >>> from observe.video.synthetic import make_synthetic_video
    >>> v = make_synthetic_video(Path(tempfile.mkdtemp()) / "s.mp4", duration_s=4, size=(160, 90))
    >>> me = motion_energy(v.path, list(v.rois.values()))
    >>> list(me.columns)[:3], me.attrs["fps"]
    (['time_s', 'counselor_head', 'counselor_body'], 25.0)
    """
    params = params or MotionParams()
    rois = list(rois)
    info = video_info(path)
    validate_rois(rois, info.width, info.height)
    threshold = (
        params.threshold
        if params.threshold is not None
        else estimate_threshold(
            path,
            rois,
            percentile=params.percentile,
            calibration_s=params.calibration_s,
            frame_step=params.frame_step,
            single_thread=single_thread,
        )
    )
    boxes = _processing_boxes(rois, info.width, info.height)
    total = info.n_frames
    report_every = max(1, total // 100) if total else 250
    rows: list[list[int]] = []
    times: list[float] = []
    stamps: list[tuple[int, float]] = []
    prev: list[np.ndarray] | None = None
    with _frames(path, params.frame_step, None, single_thread=single_thread) as frames:
        for index, frame, msec in frames:
            grays = [_gray(frame[y0:y1, x0:x1]) for (x0, y0, x1, y1), _ in boxes]
            stamps.append((index, msec))
            if prev is not None:
                row = [0] * len(rois)
                for gray, before, (_, slices) in zip(grays, prev, boxes, strict=True):
                    mask = changed_mask(cv2.absdiff(gray, before), threshold)
                    for col, a, b, c, d in slices:
                        row[col] = cv2.countNonZero(mask[a:b, c:d])
                rows.append(row)
                times.append(index / info.fps)
            prev = grays
            if on_progress is not None and index // params.frame_step % report_every == 0:
                on_progress(index + 1, max(total, index + 1))
    if not rows:
        raise InvalidInput("motion.too_few_frames", path=str(path))
    _check_constant_rate(stamps, info.fps, path)
    counts = np.asarray(rows, dtype=float)
    areas = np.array([r.area for r in rois], dtype=float)
    people = [i for i, r in enumerate(rois) if not r.is_background]
    if people and not counts[:, people].any():
        raise InvalidInput("motion.no_motion", threshold=threshold)
    out = pd.DataFrame(100.0 * counts / areas, columns=[r.name for r in rois])
    out.insert(0, "time_s", times)
    if on_progress is not None:
        last = stamps[-1][0] + 1
        on_progress(last, last)
    out.attrs.update(
        fps=info.fps / params.frame_step,
        video_fps=info.fps,
        frame_step=params.frame_step,
        threshold=int(threshold),
        roi_area={r.name: r.area for r in rois},
        settings_hash=settings_hash(path, rois, params),
    )
    return out


def _check_constant_rate(stamps: list[tuple[int, float]], fps: float, path: str | Path) -> None:
    """Refuse a video whose frame timestamps drift from ``index / fps`` (variable frame rate)."""
    idx = np.array([i for i, _ in stamps], dtype=float)
    ms = np.array([m for _, m in stamps], dtype=float)
    if ms.size < 3 or not np.all(np.isfinite(ms)) or np.all(ms == 0):
        return  # the backend gives no timestamps: nothing to check
    expected = (idx - idx[0]) * 1000.0 / fps
    drift = np.abs((ms - ms[0]) - expected)
    if drift.max() > VFR_TOLERANCE_FRAMES * 1000.0 / fps:
        raise InvalidInput("motion.variable_frame_rate", path=Path(path).name)


# --------------------------------------------------------------------------- CLI-facing


def motion_command(
    video: str | Path,
    rois: Sequence[str],
    out_csv: str | Path,
    *,
    threshold: int | None = DEFAULT_THRESHOLD,
    percentile: float = 99.0,
    frame_step: int = 1,
    on_progress: ProgressCallback | None = None,
) -> pd.DataFrame:
    """``python -m observe motion VIDEO --roi name=x,y,w,h ... -o series.csv``: compute and write the CSV.

    The CSV has ``time_s`` and one column per ROI (percent), readable by
    :func:`observe.interop.mea.read_series` (per-person columns are summed).
    """
    parsed = [parse_roi(text) for text in rois]
    params = MotionParams(threshold=threshold, percentile=percentile, frame_step=frame_step)
    series = motion_energy(video, parsed, params, on_progress=on_progress)
    out = Path(out_csv)
    tmp = out.with_name(out.name + ".part")
    series.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, out)
    return series
