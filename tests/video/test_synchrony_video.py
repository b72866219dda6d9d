"""Issue 8 correctness: a synthetic video whose client copies the counselor with a known delay."""

from __future__ import annotations

from pathlib import Path

import pytest

from observe.analysis.synchrony import SynchronyParams, shuffle_surrogates, surrogate_test, synchrony
from observe.interop.mea import person_series
from observe.video.motion import motion_energy
from observe.video.synthetic import make_synthetic_video


@pytest.mark.parametrize(("delay", "seed"), [(10, 0), (7, 3)])
def test_best_lag_is_the_delay_and_real_beats_every_surrogate(tmp_path: Path, delay: int, seed: int) -> None:
    video = make_synthetic_video(
        tmp_path / "session.mp4", duration_s=90, size=(320, 180), delay_frames=delay, seed=seed
    )
    series = person_series(motion_energy(video.path, list(video.rois.values())))
    params = SynchronyParams(
        fps=series.attrs["fps"], lag_s=2, win_s=30, inc_s=10, segment_s=10, n_surrogates=30
    )
    result = synchrony(series, params)
    frame = 1 / video.fps
    # the counselor (s2) leads, so the lag is negative (DOMAIN §7 sign convention)
    assert result.summary()["best_lag_median_s"] == pytest.approx(video.expected_lag_s, abs=frame)
    assert (result.windows["best_lag_s"] - video.expected_lag_s).abs().max() <= frame + 1e-9
    assert result.summary()["s2_lead_mean"] > result.summary()["s1_lead_mean"]
    surrogates = shuffle_surrogates(series, params)
    assert (result.grand_aver > surrogates).all()
    assert surrogate_test(result.grand_aver, surrogates).p == pytest.approx(1 / 31)
