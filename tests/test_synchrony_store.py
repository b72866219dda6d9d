"""Synchrony of stored sessions: regions with the session, the motion-energy cache, recombination, bad input."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from observe.analysis.openness import OpennessParams, openness_windows
from observe.analysis.synchrony import SynchronyParams
from observe.errors import InvalidInput, NotFound
from observe.reports import synchrony as sync
from observe.store import Store
from observe.video.motion import MotionParams, Roi
from observe.video.synthetic import SyntheticVideo, make_synthetic_video

SIZE = (192, 108)
SHORT = SynchronyParams(lag_s=1, win_s=6, inc_s=2, segment_s=3)
NO_SURROGATES = SynchronyParams(lag_s=1, win_s=6, inc_s=2, n_surrogates=0)  # where only motion matters


def token(n: int) -> str:
    return f"{n:032x}.mp4"


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> list[SyntheticVideo]:
    """Three tiny synthetic sessions, unrelated movements (seeds), client 10 frames behind."""
    folder = tmp_path_factory.mktemp("sync_src")
    return [make_synthetic_video(folder / token(i), duration_s=40, size=SIZE, seed=i + 1) for i in range(3)]


@pytest.fixture
def media(tmp_path: Path, videos: list[SyntheticVideo]) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    for v in videos:
        shutil.copy(v.path, folder / v.path.name)
    return folder


@pytest.fixture
def store(videos: list[SyntheticVideo]) -> Store:
    """C01 has three sessions with videos (K01-S01, K01-S02, K02-S01); C02 one (K03-S01)."""
    s = Store.open("sqlite://")
    for code in ("K01", "K02", "K03"):
        s.add_client(code)
    s.add_counselor("C01")
    s.add_counselor("C02")
    day = dt.date(2026, 3, 2)
    s.add_session("K01", "C01", date=day, video_ref=videos[0].path.name)
    s.add_session("K01", "C01", date=day, video_ref=videos[1].path.name)
    s.add_session("K02", "C01", date=day, video_ref=videos[2].path.name, attributes={"seating": "90"})
    s.add_session("K03", "C02", date=day, video_ref=videos[1].path.name)
    return s


def rois(video: SyntheticVideo, background: bool = False) -> list[Roi]:
    return [r for r in video.rois.values() if background or not r.is_background]


# --------------------------------------------------------------------------- regions


def test_regions_are_stored_with_the_session_and_other_attributes_kept(
    store: Store, media: Path, videos: list[SyntheticVideo]
) -> None:
    sync.save_rois(store, "K02-S01", rois(videos[2], background=True), folder=media)
    session = store.session("K02-S01")
    assert session.attributes["seating"] == "90"
    assert session.attributes[sync.ROI_ATTRIBUTE]["client_head"] == [
        videos[2].rois["client_head"].x,
        videos[2].rois["client_head"].y,
        videos[2].rois["client_head"].w,
        videos[2].rois["client_head"].h,
    ]
    assert {r.name: r for r in sync.session_rois(session)} == videos[2].rois


@pytest.mark.parametrize(
    ("regions", "key"),
    [
        ([Roi("client_head", 150, 10, 60, 30), Roi("counselor_head", 0, 0, 20, 20)], "motion.roi_outside"),
        ([Roi("client_head", 10, 10, 30, 30), Roi("counselor_head", 30, 30, 20, 20)], "motion.roi_overlap"),
        (
            [Roi("client_head", 10, 10, 30, 30), Roi("client_body", 20, 20, 30, 30)],
            "syncpage.need_both_persons",
        ),
        ([], "motion.no_rois"),
    ],
)
def test_bad_regions_are_refused_and_nothing_is_stored(
    store: Store, media: Path, regions: list[Roi], key: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        sync.save_rois(store, "K01-S01", regions, folder=media)
    assert err.value.key == key
    assert sync.ROI_ATTRIBUTE not in store.session("K01-S01").attributes


def test_same_person_regions_may_overlap(store: Store, media: Path) -> None:
    ok = [
        Roi("client_head", 100, 0, 40, 40),
        Roi("client_body", 100, 30, 40, 60),
        Roi("counselor_body", 0, 0, 50, 90),
    ]
    sync.save_rois(store, "K01-S01", ok, folder=media)
    assert len(sync.session_rois(store.session("K01-S01"))) == 3


def test_session_without_video_or_regions_or_with_damaged_regions(store: Store, media: Path) -> None:
    store.add_session("K03", "C02", date=dt.date(2026, 3, 9))
    with pytest.raises(InvalidInput, match="no video") as err:
        sync.session_synchrony(store, "K03-S02", folder=media)
    assert err.value.params == {"session": "K03-S02"}
    with pytest.raises(InvalidInput) as err:
        sync.session_synchrony(store, "K01-S01", folder=media)
    assert err.value.key == "syncpage.no_rois"
    store.update_session("K01-S01", attributes={sync.ROI_ATTRIBUTE: {"client_head": [1, 2, "x", 4]}})
    with pytest.raises(InvalidInput) as err:
        sync.session_synchrony(store, "K01-S01", folder=media)
    assert err.value.key == "syncpage.bad_stored_rois"
    store.update_session("K01-S01", video_ref=token(99))  # a token whose file is gone
    with pytest.raises(NotFound):
        sync.session_video(store.session("K01-S01"), media)


# --------------------------------------------------------------------------- cache


def test_second_run_reads_the_cache_and_a_new_setting_computes_again(
    store: Store, media: Path, videos: list[SyntheticVideo], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = sync.session_synchrony(
        store, "K01-S01", rois(videos[0]), sync_params=NO_SURROGATES, folder=media, partners=False
    )
    assert not first.cache_hit
    assert len(list(sync.cache_folder(media).glob("*.csv"))) == 1

    def must_not_run(*args: object, **kwargs: object) -> pd.DataFrame:
        raise AssertionError("motion energy computed although it was cached")

    monkeypatch.setattr(sync, "motion_energy", must_not_run)
    second = sync.session_synchrony(store, "K01-S01", sync_params=NO_SURROGATES, folder=media, partners=False)
    assert second.cache_hit
    pd.testing.assert_frame_equal(second.motion, first.motion)  # exact round trip, same attrs
    assert second.motion.attrs == first.motion.attrs
    assert second.result.grand_aver == first.result.grand_aver
    monkeypatch.undo()
    # another threshold, another region, or a replaced video file: computed afresh
    third = sync.session_synchrony(
        store,
        "K01-S01",
        motion_params=MotionParams(threshold=25),
        sync_params=NO_SURROGATES,
        folder=media,
        partners=False,
    )
    assert not third.cache_hit
    video = media / videos[0].path.name
    os.utime(video, ns=(video.stat().st_atime_ns, video.stat().st_mtime_ns + 10**9))
    fourth = sync.session_synchrony(store, "K01-S01", sync_params=NO_SURROGATES, folder=media, partners=False)
    assert not fourth.cache_hit
    assert len(list(sync.cache_folder(media).glob("*.csv"))) == 3
    assert not list(sync.cache_folder(media).glob("*.part"))


def test_a_damaged_cache_file_is_computed_again(
    store: Store, media: Path, videos: list[SyntheticVideo]
) -> None:
    sync.session_synchrony(
        store, "K01-S01", rois(videos[0]), sync_params=NO_SURROGATES, folder=media, partners=False
    )
    (csv,) = sync.cache_folder(media).glob("*.csv")
    csv.write_text("")
    again = sync.session_synchrony(store, "K01-S01", sync_params=NO_SURROGATES, folder=media, partners=False)
    assert not again.cache_hit and len(again.series) == 999


# --------------------------------------------------------------------------- results


def test_best_lag_is_the_delay_and_real_exceeds_every_surrogate(
    store: Store, media: Path, videos: list[SyntheticVideo]
) -> None:
    progress: list[tuple[float, str]] = []
    res = sync.session_synchrony(
        store,
        "K01-S01",
        rois(videos[0]),
        sync_params=SHORT,
        folder=media,
        on_progress=lambda f, s, _done, _total: progress.append((f, s)),
    )
    assert abs(res.best_lag_s - videos[0].expected_lag_s) <= 1 / 25  # within one frame
    assert sync.leader(res.best_lag_s) == "counselor"
    assert res.shuffle is not None and res.shuffle.n_exceeding == 0
    assert res.params.fps == 25.0
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and {s for _, s in progress} == {"K01-S01"}
    report = json.loads(json.dumps(res.report(), allow_nan=False))
    assert report["summary"]["best_lag_median_s"] == res.best_lag_s
    assert report["rois"] == ["client_head", "client_body", "counselor_head", "counselor_body"]
    assert len(report["windows"]) == len(res.result.windows)


def test_recombination_pairs_the_counselors_sessions_only(
    store: Store, media: Path, videos: list[SyntheticVideo]
) -> None:
    for code, video in (("K01-S02", videos[1]), ("K02-S01", videos[2]), ("K03-S01", videos[1])):
        sync.save_rois(store, code, rois(video), folder=media)
    progress: list[str] = []
    res = sync.session_synchrony(
        store,
        "K01-S01",
        rois(videos[0]),
        sync_params=SHORT,
        folder=media,
        on_progress=lambda f, s, _done, _total: progress.append(s),
    )
    assert [s.code for s in sync.partner_sessions(store, "K01-S01")] == ["K01-S02", "K02-S01"]  # not C02's
    pairs = set(zip(res.recombination["client_session"], res.recombination["counselor_session"], strict=True))
    sessions = {"K01-S01", "K01-S02", "K02-S01"}
    assert pairs == {(a, b) for a in sessions for b in sessions if a != b}
    assert set(progress) == sessions
    # the real dyad moves together; pseudo-dyads of unrelated sessions do not
    assert res.recombination_test is not None
    assert res.recombination_test.n == 6 and res.recombination_test.n_exceeding == 0
    assert res.result.grand_aver > res.recombination["grand_aver"].max()
    assert "recombination" not in res.problems and res.skipped == ()


def test_a_broken_partner_is_skipped_with_its_reason(
    store: Store, media: Path, videos: list[SyntheticVideo]
) -> None:
    sync.save_rois(store, "K01-S02", rois(videos[1]), folder=media)
    sync.save_rois(store, "K02-S01", rois(videos[2]), folder=media)
    (media / videos[2].path.name).unlink()
    res = sync.session_synchrony(store, "K01-S01", rois(videos[0]), sync_params=SHORT, folder=media)
    assert [(code, type(err)) for code, err in res.skipped] == [("K02-S01", NotFound)]
    assert len(res.recombination) == 2  # K01-S01 × K01-S02 both ways


def test_no_partner_is_explained(store: Store, media: Path, videos: list[SyntheticVideo]) -> None:
    res = sync.session_synchrony(store, "K01-S01", rois(videos[0]), sync_params=SHORT, folder=media)
    assert res.recombination.empty and res.recombination_test is None
    assert res.problems["recombination"].key == "syncpage.no_partners"
    assert res.problems["openness"].key == "syncpage.not_coded"


def test_openness_of_the_coded_session_on_the_synchrony_windows(
    media: Path, videos: list[SyntheticVideo], demo_copy: Store
) -> None:
    store = demo_copy  # the demo workspace (without its videos: this test gives K01-S03 its own)
    shutil.copy(media / videos[0].path.name, media / token(7))
    store.update_session("K01-S03", video_ref=token(7))  # double-coded: the most-coded observation is used
    res = sync.session_synchrony(store, "K01-S03", rois(videos[0]), sync_params=SHORT, folder=media)
    assert "openness" not in res.problems
    # independent of the wiring: the same windows computed straight from the observation's events
    obs = max(store.observations(session="K01-S03"), key=lambda o: (o.is_reference, o.n_events))
    events = store.events_frame(observation_id=obs.id)
    valences = store.scheme().valences(store.client("K01").valence_profile)
    direct = openness_windows(events, valences, params=OpennessParams(window_s=6, step_s=2))
    direct = direct.loc[direct["start_s"] < res.duration_s].reset_index(drop=True)
    assert set(res.openness["observer"]) == {obs.observer}
    np.testing.assert_allclose(res.openness["oi"].to_numpy(float), direct["oi"].to_numpy(float))
    # on the same axis as synchrony: every synchrony window has its openness value beside it
    windows = res.windows()
    assert windows["openness"].notna().all()
    assert windows["start_s"].tolist() == res.result.windows["start_s"].tolist()


# --------------------------------------------------------------------------- bad input


def test_a_video_without_motion_says_so(store: Store, media: Path) -> None:
    still = media / token(42)
    frame = np.full((SIZE[1], SIZE[0], 3), 120, np.uint8)
    writer = cv2.VideoWriter(str(still.with_suffix(".avi")), cv2.VideoWriter.fourcc(*"FFV1"), 25, SIZE)
    for _ in range(50):
        writer.write(frame)
    writer.release()
    still.with_suffix(".avi").rename(still)
    store.update_session("K01-S01", video_ref=still.name)
    with pytest.raises(InvalidInput) as err:
        sync.session_synchrony(
            store,
            "K01-S01",
            [Roi("client_head", 100, 0, 40, 40), Roi("counselor_head", 0, 0, 40, 40)],
            folder=media,
        )
    assert err.value.key == "motion.no_motion"


def test_unreadable_video_says_so(store: Store, media: Path) -> None:
    (media / token(43)).write_bytes(b"not a video at all")
    store.update_session("K01-S01", video_ref=token(43))
    with pytest.raises(InvalidInput) as err:
        sync.save_rois(store, "K01-S01", [Roi("client_head", 0, 0, 5, 5)], folder=media)
    assert err.value.key == "motion.unreadable_video"


def test_imported_series_too_short_or_constant() -> None:
    rng = np.random.default_rng(3)
    short = pd.DataFrame({"client": rng.random(100), "counselor": rng.random(100)})
    with pytest.raises(InvalidInput) as err:
        sync.imported_synchrony(short, 25.0)
    assert err.value.key == "synchrony.too_short"
    flat = pd.DataFrame({"client": np.ones(2000), "counselor": rng.random(2000)})
    with pytest.raises(InvalidInput) as err:
        sync.imported_synchrony(flat, 25.0, SHORT)
    assert err.value.key == "synchrony.constant_series"


def test_read_uploaded_series_both_formats() -> None:
    ours = b"time_s,client_head,client_body,counselor_head\n0.1,1,2,3\n0.2,2,2,1\n0.3,0,1,1\n"
    series, fps = sync.read_uploaded_series(ours, "series.csv", rmea_fps=99)  # our CSV keeps its own rate
    assert fps == pytest.approx(10.0) and series["client"].tolist() == [3.0, 4.0, 1.0]
    series, fps = sync.read_uploaded_series(b'"pat" "th"\n5 6\n7 8\n', "dyad.txt", rmea_fps=30)
    assert fps == 30.0 and series["counselor"].tolist() == [6.0, 8.0]


def test_progress_counts_the_frames_of_each_video_and_ends_at_one(
    store: Store, media: Path, videos: list[SyntheticVideo]
) -> None:
    for video, code in zip(videos[1:], ("K01-S02", "K02-S01"), strict=True):  # the partners' regions
        sync.save_rois(store, code, rois(video), folder=media)
    calls: list[tuple[float, str, int, int]] = []
    sync.session_synchrony(
        store, "K01-S01", rois(videos[0]), sync_params=NO_SURROGATES, folder=media,
        on_progress=lambda share, code, done, total: calls.append((share, code, done, total)),
    )  # fmt: skip
    assert {code for _share, code, _d, _t in calls} == {"K01-S01", "K01-S02", "K02-S01"}  # each video
    shares = [share for share, *_ in calls]
    assert shares == sorted(shares) and shares[-1] == 1.0  # the whole job's share only grows
    frames = 40 * 25  # 40 s at 25 frames a second
    for code in ("K01-S01", "K01-S02", "K02-S01"):
        counts = [(done, total) for _s, c, done, total in calls if c == code]
        assert counts[-1] == (frames, frames)  # counted in frames, up to the video's last
        assert [d for d, _t in counts] == sorted(d for d, _t in counts)


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_pages_progress_text_has_the_count(lang: str) -> None:
    from observe.i18n import t

    assert t("syncpage.progress", lang, session="K01-S04", done=120, total=3000).endswith(" 120/3000")
