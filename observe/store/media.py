"""Media: the session's video token (``observe.video.library`` serves the file)."""

from __future__ import annotations

from sqlalchemy import update

from observe.errors import InvalidInput
from observe.store import tables as T
from observe.store.sessions import SessionsMixin


class MediaMixin(SessionsMixin):
    """Videos of sessions."""

    def video_token(self, session: str) -> str | None:
        """The session's video token (``observe.video.library``) for a user allowed to watch it (``video.read``);
        the video route serves a file only by a token obtained here."""
        row = self._session_row(session)
        self._allow("video.read", self._session_target(row))
        return row.video_ref

    def set_video(self, session: str, token: str | None) -> None:
        """Attach a stored video (a token from ``observe.video.library``, never a file name) to the session."""
        from observe.video import library as media

        row = self._session_row(session)
        self._allow("video.upload", self._session_target(row))
        if token is not None and not media.is_token(token):
            raise InvalidInput("access.bad_video_token")
        with self.acting("session.video", entity="session", checked=True) as work:
            conn = work.conn
            conn.execute(update(T.sessions).where(T.sessions.c.id == row.id).values(video_ref=token))
            work.record(row.code, client_id=row.client_id)
