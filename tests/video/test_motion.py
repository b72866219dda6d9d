"""Motion energy analysis (DOMAIN §7): exact against a naive full-frame reference, validation, caching key."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from observe.errors import InvalidInput
from observe.interop.mea import read_series
from observe.video.library import ffmpeg_exe
from observe.video.motion import (
    MotionParams,
    Roi,
    changed_mask,
    estimate_threshold,
    motion_command,
    motion_energy,
    parse_roi,
    settings_hash,
    validate_rois,
    video_info,
)
from observe.video.synthetic import SyntheticVideo, make_synthetic_video

# --------------------------------------------------------------------------- helpers


def write_lossless(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    """FFV1 in AVI: lossless, so expected pixel counts can be worked out by hand."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"FFV1"), fps, (w, h))
    assert writer.isOpened()
    for f in frames:
        writer.write(f if f.ndim == 3 else cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def decoded_gray(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        out.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    cap.release()
    return out


def reference_mea(gray: list[np.ndarray], rois: list[Roi], threshold: int, step: int = 1) -> np.ndarray:
    """DOMAIN §7 step by step on the whole frame with cv2.medianBlur (the slow, obvious way)."""
    frames = gray[::step]
    rows = []
    for before, now in zip(frames[:-1], frames[1:], strict=True):
        med = cv2.medianBlur(cv2.absdiff(now, before), 5)
        rows.append(
            [100.0 * (med[r.y : r.y + r.h, r.x : r.x + r.w] > threshold).sum() / r.area for r in rois]
        )
    return np.array(rows)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> SyntheticVideo:
    return make_synthetic_video(tmp_path_factory.mktemp("v") / "s.mp4", duration_s=6, size=(320, 180), seed=4)


# --------------------------------------------------------------------------- the filter


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.uint8, st.tuples(st.integers(1, 24), st.integers(1, 24)), elements=st.integers(0, 60)),
    st.integers(0, 60),
)
def test_changed_mask_equals_median_blur(diff: np.ndarray, threshold: int) -> None:
    expected = cv2.medianBlur(diff, 5) > threshold
    np.testing.assert_array_equal(changed_mask(diff, threshold) > 0, expected)


# --------------------------------------------------------------------------- exact values


def test_hand_computed_flip_and_static(tmp_path: Path) -> None:
    """A block that turns black/white every frame; a static region stays at 0 %.

    The 5×5 median keeps a changed pixel only if >= 13 of its 25 neighbours
    changed: at each corner of the block, the corner pixel (9 neighbours inside)
    and its two edge neighbours (12 each) are dropped, so a ROI equal to the
    20×30 block counts (600 - 4·3) / 600 = 98 %, one 2 px inside it 100 %.
    """
    frames = []
    for i in range(6):
        f = np.full((60, 80), 90, np.uint8)
        f[10:40, 10:30] = 255 if i % 2 else 0  # flipping block
        frames.append(f)
    path = write_lossless(tmp_path / "flip.avi", frames)
    rois = [
        Roi("client_body", 10, 10, 20, 30),
        Roi("client_head", 12, 12, 16, 26),
        Roi("counselor_body", 50, 10, 20, 30),
        Roi("background", 40, 45, 30, 10),
    ]
    me = motion_energy(path, rois)
    assert len(me) == 5
    assert (me["client_body"] == 98.0).all() and (me["client_head"] == 100.0).all()
    assert (me["counselor_body"] == 0.0).all() and (me["background"] == 0.0).all()
    np.testing.assert_allclose(me["time_s"], np.arange(1, 6) / 25)
    assert me.attrs["fps"] == 25 and me.attrs["threshold"] == 15


def test_small_change_below_threshold_is_not_motion(tmp_path: Path) -> None:
    frames = [np.full((40, 40), 100 + (15 if i % 2 else 0), np.uint8) for i in range(4)]
    frames[2][5:35, 5:35] = 140  # +40 -> one real change at frames 1->2 and 2->3
    path = write_lossless(tmp_path / "dim.avi", frames)
    me = motion_energy(path, [Roi("client_head", 7, 7, 26, 26)])
    assert me["client_head"].tolist() == [0.0, 100.0, 100.0]  # |115-100| = 15 is not > 15


def test_matches_naive_reference_on_moving_shapes(synthetic: SyntheticVideo) -> None:
    rois = list(synthetic.rois.values())
    me = motion_energy(synthetic.path, rois)
    expected = reference_mea(decoded_gray(synthetic.path), rois, 15)
    np.testing.assert_array_equal(me[[r.name for r in rois]].to_numpy(), expected)
    assert me["counselor_head"].max() > 1 and me["client_body"].max() > 1


def test_frame_step_downsamples(synthetic: SyntheticVideo) -> None:
    rois = [synthetic.rois["client_head"], synthetic.rois["counselor_head"]]
    me = motion_energy(synthetic.path, rois, MotionParams(frame_step=3))
    expected = reference_mea(decoded_gray(synthetic.path), rois, 15, step=3)
    np.testing.assert_array_equal(me[["client_head", "counselor_head"]].to_numpy(), expected)
    assert me.attrs["fps"] == pytest.approx(25 / 3) and me.attrs["frame_step"] == 3
    np.testing.assert_allclose(np.diff(me["time_s"]), 3 / 25)


def test_background_threshold_follows_altmann(synthetic: SyntheticVideo, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = [np.clip(100 + rng.normal(0, 6, (48, 64)), 0, 255).astype(np.uint8) for _ in range(12)]
    for i, f in enumerate(frames):
        f[30:44, 4 + 3 * i : 14 + 3 * i] = 250  # a moving block below the background
    path = write_lossless(tmp_path / "noise.avi", frames)
    bg = Roi("background", 0, 0, 64, 20)
    gray = decoded_gray(path)
    diffs = np.sort(
        np.concatenate(
            [cv2.absdiff(b[0:20], a[0:20]).ravel() for a, b in zip(gray[:-1], gray[1:], strict=True)]
        )
    )
    for pct in (99.0, 95.0):
        expected = int(diffs[int(np.floor(pct / 100 * diffs.size + 0.5)) - 1])  # MATLAB round, 1-based
        assert estimate_threshold(path, [bg], percentile=pct, calibration_s=None) == expected
    rois = [bg, Roi("client_body", 0, 25, 64, 23)]
    me = motion_energy(path, rois, MotionParams(threshold=None, calibration_s=None))
    assert me.attrs["threshold"] == int(diffs[int(np.floor(0.99 * diffs.size + 0.5)) - 1])
    np.testing.assert_array_equal(
        me[["background", "client_body"]].to_numpy(), reference_mea(gray, rois, me.attrs["threshold"])
    )


def test_progress_is_reported_up_to_the_end(synthetic: SyntheticVideo) -> None:
    calls: list[tuple[int, int]] = []
    motion_energy(
        synthetic.path, [synthetic.rois["client_head"]], on_progress=lambda d, t: calls.append((d, t))
    )
    done = [d for d, _ in calls]
    assert len(calls) > 10 and done == sorted(done)
    assert calls[-1] == (synthetic.n_frames, synthetic.n_frames)


# --------------------------------------------------------------------------- bad input


def test_unreadable_video(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    for path in (bad, tmp_path / "missing.mp4"):
        with pytest.raises(InvalidInput) as err:
            motion_energy(path, [Roi("client_head", 0, 0, 5, 5)])
        assert err.value.key == "motion.unreadable_video"


def test_roi_outside_frame(synthetic: SyntheticVideo) -> None:
    with pytest.raises(InvalidInput) as err:
        motion_energy(synthetic.path, [Roi("client_head", 300, 100, 40, 40)])
    assert err.value.key == "motion.roi_outside" and "320×180" in str(err.value)


def test_overlapping_rois_of_different_persons() -> None:
    head, body = Roi("client_head", 10, 10, 20, 20), Roi("client_body", 10, 25, 20, 40)
    validate_rois([head, body], 100, 100)  # same person may overlap
    for other in (Roi("counselor_head", 25, 5, 20, 20), Roi("background", 0, 0, 12, 12)):
        with pytest.raises(InvalidInput) as err:
            validate_rois([head, body, other], 100, 100)
        assert err.value.key == "motion.roi_overlap"
    with pytest.raises(InvalidInput, match="client_head"):
        validate_rois([head, Roi("client_head", 50, 50, 5, 5)], 100, 100)


def test_no_motion_at_all(tmp_path: Path) -> None:
    path = write_lossless(tmp_path / "still.avi", [np.full((40, 40), 80, np.uint8)] * 5)
    with pytest.raises(InvalidInput) as err:
        motion_energy(path, [Roi("client_head", 0, 0, 20, 20), Roi("counselor_head", 20, 0, 20, 20)])
    assert err.value.key == "motion.no_motion"


def test_background_threshold_needs_background_roi(synthetic: SyntheticVideo) -> None:
    with pytest.raises(InvalidInput) as err:
        motion_energy(synthetic.path, [synthetic.rois["client_head"]], MotionParams(threshold=None))
    assert err.value.key == "motion.no_background"


def test_variable_frame_rate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=25", "-t", "3",
         "-vf", "setpts='N/(25*TB)+gte(N\\,40)*1.0/TB'", "-fps_mode", "vfr", "-c:v", "libx264",
         "-preset", "ultrafast", str(path)],
        check=True,
    )  # fmt: skip
    with pytest.raises(InvalidInput) as err:
        motion_energy(path, [Roi("client_head", 0, 0, 80, 90)])
    assert err.value.key == "motion.variable_frame_rate"


@pytest.mark.parametrize(
    "text",
    [
        "client_head",
        "client_head=1,2,3",
        "client_head=1,2,3,x",
        "client_head=-1,2,3,4",
        "=1,2,3,4",
        "a b=1,2,3,4",
        "c=1,2,0,4",
    ],
)
def test_parse_roi_refuses_bad_text(text: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_roi(text)
    assert err.value.key == "motion.bad_roi"


def test_parse_roi() -> None:
    assert parse_roi("counselor_body=1, 2,3 ,4") == Roi("counselor_body", 1, 2, 3, 4)
    assert parse_roi("background_left=0,0,10,10").is_background


@pytest.mark.parametrize(
    "kwargs", [{"threshold": 300}, {"percentile": 100}, {"frame_step": 0}, {"calibration_s": 0}]
)
def test_bad_motion_params(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidInput):
        MotionParams(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- caching key, CLI, generator


def test_settings_hash_changes_with_every_input(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"abc")
    rois = [Roi("client_head", 0, 0, 5, 5), Roi("counselor_head", 10, 0, 5, 5)]
    base = settings_hash(video, rois)
    assert settings_hash(video, rois[::-1]) == base
    assert settings_hash(video, rois, MotionParams()) == base
    assert settings_hash(video, rois[:1]) != base
    assert settings_hash(video, [Roi("client_head", 0, 0, 5, 6), rois[1]]) != base
    assert settings_hash(video, rois, MotionParams(threshold=20)) != base
    assert settings_hash(video, rois, MotionParams(frame_step=2)) != base
    video.write_bytes(b"abcd")
    assert settings_hash(video, rois) != base


def test_motion_command_writes_a_series_synchrony_can_read(synthetic: SyntheticVideo, tmp_path: Path) -> None:
    out = tmp_path / "series.csv"
    texts = [f"{r.name}={r.x},{r.y},{r.w},{r.h}" for r in synthetic.rois.values()]
    series = motion_command(synthetic.path, texts, out)
    assert out.is_file() and len(series) == synthetic.n_frames - 1
    assert series.attrs["settings_hash"] == settings_hash(synthetic.path, list(synthetic.rois.values()))
    read, fps = read_series(out)
    assert fps == pytest.approx(25)
    np.testing.assert_allclose(read["client"], series["client_head"] + series["client_body"], rtol=1e-5)


def test_video_info_and_synthetic_fallback_codec(tmp_path: Path) -> None:
    v = make_synthetic_video(tmp_path / "m.mp4", duration_s=1, size=(96, 64), codec="mp4v")
    info = video_info(v.path)
    assert (info.width, info.height, info.fps, info.n_frames) == (96, 64, 25.0, 25)
    assert v.codec == "mp4v" and v.expected_lag_s == pytest.approx(-0.4)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=8, max_size=8))
def test_roi_overlap_agrees_with_pixel_sets(v: list[int]) -> None:
    a = Roi("client_head", v[0], v[1], v[2] + 1, v[3] + 1)
    b = Roi("counselor_head", v[4], v[5], v[6] + 1, v[7] + 1)
    canvas = np.zeros((40, 40), int)
    for r in (a, b):
        canvas[r.y : r.y + r.h, r.x : r.x + r.w] += 1
    assert a.overlaps(b) == b.overlaps(a) == bool((canvas == 2).any())
