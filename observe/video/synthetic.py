"""A short synthetic session video with a known lead-lag between the two persons.

Two stylised persons (a head circle and a body rectangle each) sit left
(counselor) and right (client) on a static background. The counselor moves in
bursts of random, smooth motion; the client **copies the counselor's movement
``delay_frames`` frames later** (with other sizes and colours, so the two motion
energy series are proportional but never identical). By DOMAIN §7's sign
convention (s1 = client, s2 = counselor) the expected best lag is therefore
``-delay_frames / fps`` seconds: the counselor leads.

Used by the tests (motion energy → synchrony must find the delay) and by the
demo workspace, which generates its video instead of committing a large file.

Encoding: an H.264 MP4 (``libx264``, ``yuv420p``, ``+faststart``) through the ffmpeg that
``imageio-ffmpeg`` ships (:func:`observe.video.library.ffmpeg_exe`: no system package), because
browsers play it in the page; ``codec="mp4v"`` writes OpenCV's MPEG-4 part 2 instead, which
OpenCV reads back but most browsers do not play. ``SyntheticVideo.codec`` says which one.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from observe.video.library import ffmpeg_exe
from observe.video.motion import Roi


@dataclass(frozen=True)
class SyntheticVideo:
    """The generated file and what is known about it."""

    path: Path
    fps: float
    n_frames: int
    size: tuple[int, int]
    delay_frames: int
    rois: dict[str, Roi]
    codec: str

    @property
    def expected_lag_s(self) -> float:
        """Best lag synchrony should find: negative because the counselor (s2) leads."""
        return -self.delay_frames / self.fps


@dataclass(frozen=True)
class _Person:
    head_c: tuple[float, float]  # centre, fractions of width/height
    head_r: float  # radius, fraction of height
    body: tuple[float, float, float, float]  # x, y, w, h fractions
    colour: tuple[int, int, int]
    gain: float  # movement amplitude relative to the leader


_COUNSELOR = _Person((0.25, 0.30), 0.075, (0.17, 0.45, 0.16, 0.42), (60, 70, 150), 1.0)
_CLIENT = _Person((0.75, 0.32), 0.065, (0.68, 0.47, 0.14, 0.40), (140, 90, 40), 0.8)
#: largest displacement as a fraction of the frame height (keeps shapes inside their ROIs)
_AMPLITUDE = 0.07


def movement(n_frames: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Leader's (dx, dy) displacement per frame in units of ``_AMPLITUDE``: bursts of gesturing, then rest.

    Smoothed noise (0.3 s Hann kernel) gated on for 1-4 s and off for 1-4 s; at
    360 p a burst moves a few pixels per frame, enough to survive the 5×5 median.
    """
    gate = np.zeros(n_frames)
    t = int(rng.uniform(0.5, 2.0) * fps)
    while t < n_frames:
        length = int(rng.uniform(1.0, 4.0) * fps)
        gate[t : t + length] = 1.0
        t += length + int(rng.uniform(1.0, 4.0) * fps)
    gate = np.convolve(gate, _hann(0.25 * fps), "same")  # soft start and stop
    kernel = _hann(0.3 * fps)
    position = np.stack(
        [np.convolve(rng.normal(size=n_frames), kernel, "same") * gate for _ in range(2)], axis=1
    )
    peak = np.abs(position).max()
    return position / peak if peak > 0 else position


def _hann(width: float) -> np.ndarray:
    kernel = np.hanning(max(3, int(round(width))))
    return kernel / kernel.sum()


def _background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A static, softly textured wall: the same every frame, so it adds no motion."""
    ramp = np.linspace(170, 200, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    texture = cv2.GaussianBlur(rng.normal(0, 6, (height, width)).astype(np.float32), (0, 0), 3)
    gray = np.clip(ramp + texture, 0, 255).astype(np.uint8)
    img = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    cv2.rectangle(img, (0, int(0.9 * height)), (width, height), (120, 130, 140), -1)  # floor
    return img


@dataclass(frozen=True)
class _Sprite:
    """A pre-drawn shape (head or body) pasted each frame at its rest position plus an offset."""

    image: np.ndarray
    mask: np.ndarray
    x: int
    y: int
    sway: float  # share of the person's displacement

    def paste(self, frame: np.ndarray, dx: float, dy: float) -> None:
        x, y = int(round(self.x + dx * self.sway)), int(round(self.y + dy * self.sway))
        h, w = self.mask.shape
        np.copyto(frame[y : y + h, x : x + w], self.image, where=self.mask[:, :, None])


def _sprites(person: _Person, width: int, height: int) -> list[_Sprite]:
    """Textured head (face features) and body (stripes): movement changes pixels inside the shape too."""
    colour = np.array(person.colour, dtype=np.uint8)
    r = int(person.head_r * height)
    head = np.zeros((2 * r + 1, 2 * r + 1, 3), np.uint8)
    head_mask = np.zeros(head.shape[:2], np.uint8)
    cv2.circle(head_mask, (r, r), r, 1, -1)
    head[:] = (220, 200, 190)  # face
    cv2.ellipse(head, (r, r), (r, r), 0, 180, 360, person.colour, -1)  # hair
    for ex in (-0.4, 0.4):
        cv2.circle(head, (int(r + ex * r), int(1.15 * r)), max(2, r // 7), (30, 30, 30), -1)
    bx, by, bw, bh = person.body
    body = np.empty((int(bh * height), int(bw * width), 3), np.uint8)
    body[:] = colour
    stripe = max(3, body.shape[0] // 12)
    for i, y in enumerate(range(0, body.shape[0], stripe)):
        if i % 2:
            body[y : y + stripe] = colour // 2
    body[:, : body.shape[1] // 2 : stripe * 2] = (235, 235, 235)  # buttons / seams
    cx, cy = person.head_c
    return [
        _Sprite(head, head_mask.astype(bool), int(cx * width) - r, int(cy * height) - r, 1.0),
        _Sprite(body, np.ones(body.shape[:2], bool), int(bx * width), int(by * height), 0.5),
    ]


def _rois(width: int, height: int) -> dict[str, Roi]:
    pad = _AMPLITUDE * height + 4  # room for the largest displacement

    def box(name: str, x: float, y: float, x1: float, y1: float) -> Roi:
        x, y = max(int(x - pad), 0), max(int(y - pad), 0)
        x1, y1 = min(int(x1 + pad), width), min(int(y1 + pad), height)
        return Roi(name, x, y, x1 - x, y1 - y)

    out = {}
    for who, p in (("counselor", _COUNSELOR), ("client", _CLIENT)):
        (cx, cy), r = p.head_c, p.head_r * height
        out[f"{who}_head"] = box(
            f"{who}_head", cx * width - r, cy * height - r, cx * width + r, cy * height + r
        )
        bx, by, bw, bh = p.body
        body_bottom = min((by + bh) * height, 0.9 * height - pad - 1)
        out[f"{who}_body"] = box(f"{who}_body", bx * width, by * height, (bx + bw) * width, body_bottom)
    out["background"] = Roi(
        "background", int(0.42 * width), int(0.05 * height), int(0.16 * width), int(0.25 * height)
    )
    return out


def make_synthetic_video(
    path: str | Path,
    *,
    duration_s: float = 120.0,
    fps: float = 25.0,
    size: tuple[int, int] = (640, 360),
    delay_frames: int = 10,
    seed: int = 0,
    codec: str = "auto",
) -> SyntheticVideo:
    """Write a synthetic two-person session video whose client copies the counselor ``delay_frames`` later.

    Parameters
    ----------
    path : str or Path
        Output file (``.mp4``).
    duration_s, fps, size
        Length, frame rate and (width, height); the default 2 min 640×360 takes a
        few seconds and a few MB.
    delay_frames : int
        How many frames the client lags behind the counselor.
    seed : int
        Same seed, same movements.
    codec : {"auto", "h264", "mp4v"}
        ``auto`` = ``h264`` (through ffmpeg); ``mp4v`` = OpenCV's writer.

    Returns
    -------
    SyntheticVideo

    Examples
    --------
    >>> import tempfile
    >>> v = make_synthetic_video(Path(tempfile.mkdtemp()) / "s.mp4", duration_s=2, size=(160, 90))
    >>> v.n_frames, v.expected_lag_s, sorted(v.rois)[0]
    (50, -0.4, 'background')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    n_frames = int(round(duration_s * fps))
    rng = np.random.default_rng(seed)
    lead = movement(n_frames + delay_frames, fps, rng)
    background = _background(width, height, rng)
    if codec not in ("auto", "h264", "mp4v"):
        raise ValueError(f"unknown codec {codec!r}: auto, h264 or mp4v")
    chosen = "mp4v" if codec == "mp4v" else "h264"
    frames = _render(background, lead, n_frames, delay_frames)
    if chosen == "h264":
        _write_ffmpeg(ffmpeg_exe(), path, frames, width, height, fps)
    else:
        _write_opencv(path, frames, width, height, fps)
    return SyntheticVideo(
        path, float(fps), n_frames, (width, height), delay_frames, _rois(width, height), chosen
    )


def _render(background: np.ndarray, lead: np.ndarray, n_frames: int, delay: int) -> Iterator[np.ndarray]:
    height, width = background.shape[:2]
    scale = _AMPLITUDE * height
    people = [
        (_sprites(_COUNSELOR, width, height), _COUNSELOR.gain),
        (_sprites(_CLIENT, width, height), _CLIENT.gain),
    ]
    frame = np.empty_like(background)
    for i in range(n_frames):
        np.copyto(frame, background)
        # the counselor is at time i + delay of the movement, the client at time i:
        # the client does now what the counselor did `delay` frames ago
        for (sprites, gain), t in zip(people, (i + delay, i), strict=True):
            dx, dy = lead[t] * gain * scale
            for sprite in sprites:
                sprite.paste(frame, dx, dy)
        yield frame


def _write_ffmpeg(
    ffmpeg: str, path: Path, frames: Iterable[np.ndarray], width: int, height: int, fps: float
) -> None:
    cmd = [
        ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24",
        "-s", f"{width}x{height}", "-r", f"{fps}", "-i", "-",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", str(path),
    ]  # fmt: skip
    with subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        try:
            for frame in frames:
                proc.stdin.write(frame.tobytes())
        finally:
            proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg failed: {err.strip()}")


def _write_opencv(path: Path, frames: Iterable[np.ndarray], width: int, height: int, fps: float) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
