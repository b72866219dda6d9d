"""People: clients, counselors, users and their accounts (roles, links, supervisions)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import Connection, Table, delete, insert, select, update

from observe import model
from observe.errors import InvalidInput, NotFound
from observe.governance.access import Target, allows
from observe.model import Client, Counselor, User, check_code
from observe.scheme import default_scheme
from observe.store import tables as T
from observe.store.core import Work
from observe.store.rows import (
    _client,
    _now,
    _user,
)
from observe.store.schemes import SchemesMixin
from observe.store.signin_records import end_sign_ins

Listed = TypeVar("Listed")


class PeopleMixin(SchemesMixin):
    """Clients, counselors, users."""

    def add_client(
        self,
        code: str,
        *,
        display_name: str | None = None,
        special_needs: bool = False,
        valence_profile: str | None = None,
        valence_overrides: Mapping[str, float] | None = None,
        is_demo: bool = False,
        counselor: str | None = None,
    ) -> Client:
        """A new client. The valence profile defaults to special_needs for ABK clients (DOMAIN §2).
        ``counselor`` (the responsible counselor) defaults to the acting counselor user's own."""
        self._allow("client.create")
        profile = valence_profile or ("special_needs" if special_needs else "default")
        values = self._client_values(code, display_name, special_needs, profile, valence_overrides)
        counselor_id = self._counselor_row(counselor).id if counselor else self.principal.counselor_id
        with self.acting("client.create", entity="client", checked=True) as work:
            conn = work.conn
            self._refuse_duplicate(conn, T.clients, T.clients.c.code, values["code"], "record.client_exists")
            new_id = conn.execute(
                insert(T.clients).values(
                    **values, archived=False, is_demo=is_demo, counselor_id=counselor_id, created_at=_now()
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            work.record(values["code"], client_id=new_id)
        return self._client_out(self._client_row(values["code"]))

    def update_client(self, code: str, **changes: Any) -> Client:
        """Change a client's display name, special-needs flag, profile, overrides, archived flag
        or responsible ``counselor``."""
        old = _client(self._client_row(code))
        with self._read() as conn:
            target = self._client_target(conn, old.id)
        changed = sorted(k for k in changes if changes[k] != getattr(old, k, None))
        self._allow("client.archive" if changed == ["archived"] else "client.update", target)
        if "display_name" in changed:
            self._allow("client.identity", target)
        counselor_id: Any = None
        if "counselor" in changes:
            counselor_id = self._counselor_row(changes["counselor"]).id if changes["counselor"] else None
            self._allow("client.update", Target.of(counselors=[counselor_id]))
        values = self._client_values(
            old.code,
            changes.get("display_name", old.display_name),
            changes.get("special_needs", old.special_needs),
            changes.get("valence_profile", old.valence_profile),
            changes.get("valence_overrides", old.valence_overrides),
        )
        values["archived"] = bool(changes.get("archived", old.archived))
        if "counselor" in changes:
            values["counselor_id"] = counselor_id
        with self.acting("client.update", entity="client", checked=True) as work:
            conn = work.conn
            conn.execute(update(T.clients).where(T.clients.c.id == old.id).values(**values))
            work.record(old.code, client_id=old.id, fields=changed)
        return self._client_out(self._client_row(code))

    def _client_values(
        self,
        code: str,
        display_name: str | None,
        special_needs: bool,
        profile: str,
        overrides: Mapping[str, float] | None,
    ) -> dict[str, Any]:
        if profile not in model.VALENCE_PROFILES:
            raise InvalidInput(
                "record.bad_profile", profile=profile, allowed=", ".join(model.VALENCE_PROFILES)
            )
        checked = dict(overrides or {})
        default_scheme().valences(profile, checked)  # refuses unknown cues
        return {
            "code": check_code(code),
            "display_name": (display_name or "").strip() or None,
            "special_needs": bool(special_needs),
            "valence_profile": profile,
            "valence_overrides": json.dumps(checked, sort_keys=True),
        }

    def _client_row(self, code: str) -> Any:
        """The client's row, unchecked (internal look-ups only)."""
        with self._read() as conn:
            row = conn.execute(select(T.clients).where(T.clients.c.code == code)).first()
        if row is None:
            raise NotFound("record.no_client", code=code)
        return row

    def _client_out(self, row: Any, target: Target | None = None) -> Client:
        """The client as the acting user may see it: without the display name unless allowed."""
        if target is None and not self.principal.is_admin:
            with self._read() as conn:
                target = self._client_target(conn, int(row.id))
        client = _client(row)
        if self.principal.is_admin or allows(self.principal, "client.identity", target):
            return client
        return replace(client, display_name=None)

    def client(self, code: str) -> Client:
        row = self._client_row(code)
        with self._read() as conn:
            target = self._client_target(conn, int(row.id))
        self._allow("client.read", target)
        return self._client_out(row, target)

    def clients(self, *, include_archived: bool = False) -> list[Client]:
        """The clients the acting user may see (codes; display names only where allowed)."""
        return self._listing(
            T.clients, "client.read", include_archived, self._client_targets, self._client_out
        )

    def _listing(
        self,
        table: Table,
        action: str,
        include_archived: bool,
        targets: Callable[[Connection], Mapping[int, Target]],
        out: Callable[[Any, Target | None], Listed],
    ) -> list[Listed]:
        """The rows of ``table`` (by code, archived ones only if asked) the acting user may
        ``action``, each made by ``out(row, target)``; every target is found in one pass
        (``targets``), and none at all for an administrator."""
        self._allow(action)
        query = select(table).order_by(table.c.code)
        if not include_archived:
            query = query.where(table.c.archived.is_(False))
        with self._read() as conn:
            rows = conn.execute(query).all()
            if self.principal.is_admin:
                return [out(r, None) for r in rows]
            found = targets(conn)
        me = self.principal
        return [out(r, found[int(r.id)]) for r in rows if allows(me, action, found[int(r.id)])]

    def client_counselor(self, code: str) -> str | None:
        """The code of the client's responsible counselor, if any."""
        self.client(code)
        with self._read() as conn:
            return conn.execute(
                select(T.counselors.c.code)
                .join(T.clients, T.clients.c.counselor_id == T.counselors.c.id)
                .where(T.clients.c.code == code)
            ).scalar()

    def add_counselor(self, code: str, *, name: str | None = None, is_demo: bool = False) -> Counselor:
        self._allow("counselor.create")
        code = check_code(code)
        with self.acting("counselor.create", entity="counselor", checked=True) as work:
            conn = work.conn
            self._refuse_duplicate(conn, T.counselors, T.counselors.c.code, code, "record.counselor_exists")
            work.record(code)
            conn.execute(
                insert(T.counselors).values(
                    code=code,
                    name=(name or "").strip() or None,
                    archived=False,
                    is_demo=is_demo,
                    created_at=_now(),
                )
            )
        return self._counselor_out(self._counselor_row(code))

    def update_counselor(
        self, code: str, *, name: str | None = None, archived: bool | None = None
    ) -> Counselor:
        old = self._counselor_out(self._counselor_row(code))
        action = "counselor.archive" if name is None and archived is not None else "counselor.update"
        with self.acting(action, Target.of(counselors=[old.id]), entity="counselor") as work:
            conn = work.conn
            work.record(code)
            conn.execute(
                update(T.counselors)
                .where(T.counselors.c.id == old.id)
                .values(
                    name=(name if name is not None else old.name) or None,
                    archived=old.archived if archived is None else archived,
                )
            )
        return self._counselor_out(self._counselor_row(code))

    def _counselor_row(self, code: str) -> Any:
        with self._read() as conn:
            row = conn.execute(select(T.counselors).where(T.counselors.c.code == code)).first()
        if row is None:
            raise NotFound("record.no_counselor", code=code)
        return row

    @staticmethod
    def _counselor_out(row: Any) -> Counselor:
        return Counselor(row.id, row.code, row.name, bool(row.archived), bool(row.is_demo))

    def counselor(self, code: str) -> Counselor:
        row = self._counselor_row(code)
        if not self.principal.is_admin:
            with self._read() as conn:
                self._allow("counselor.read", self._counselor_target(conn, int(row.id)))
        return self._counselor_out(row)

    def counselors(self, *, include_archived: bool = False) -> list[Counselor]:
        """The counselors the acting user may see."""
        return self._listing(
            T.counselors,
            "counselor.read",
            include_archived,
            self._counselor_targets,
            lambda row, _target: self._counselor_out(row),
        )

    def add_user(
        self, username: str, *, role: str = "observer", display_name: str | None = None, is_demo: bool = False
    ) -> User:
        self._allow("users.manage")
        username = check_code(username, "username")
        if role not in model.ROLES:
            raise InvalidInput("record.bad_role", role=role, allowed=", ".join(model.ROLES))
        with self.acting("user.create", entity="user", checked=True) as work:
            conn = work.conn
            self._refuse_duplicate(conn, T.users, T.users.c.username, username, "record.user_exists")
            work.record(username, role=role)
            conn.execute(
                insert(T.users).values(
                    username=username,
                    display_name=(display_name or "").strip() or None,
                    role=role,
                    active=True,
                    is_demo=is_demo,
                    created_at=_now(),
                )
            )
        return self.user(username)

    def _user_row(self, username: str) -> Any:
        with self._read() as conn:
            row = conn.execute(select(T.users).where(T.users.c.username == username)).first()
        if row is None:
            raise NotFound("record.no_user", username=username)
        return row

    def user(self, username: str) -> User:
        """A user; anyone may look themselves up, others need ``users.read``."""
        if username != self.actor:
            self._allow("users.read")
        return _user(self._user_row(username))

    def users(self, *, role: str | None = None) -> list[User]:
        """All users (``users.read``); without it, only the acting user."""
        query = select(T.users).order_by(T.users.c.username)
        if role:
            query = query.where(T.users.c.role == role)
        if not self.may("users.read"):
            query = query.where(T.users.c.username == self.actor)
        with self._read() as conn:
            return [_user(r) for r in conn.execute(query)]

    # -- accounts (team mode): passwords, roles, links, supervisions ------------------------------------------
    def set_password(self, username: str, password: str) -> None:
        """Store an argon2 hash of ``password`` (never the password); users may change their own."""
        from observe.governance.auth import hash_password

        if username != self.actor:
            self._allow("users.manage")
        row = self._user_row(username)
        hashed = hash_password(password, username)
        with self.acting("user.password", entity="user", checked=True) as work:
            conn = work.conn
            conn.execute(update(T.users).where(T.users.c.id == row.id).values(password_hash=hashed))
            end_sign_ins(conn, row.id)  # a new password signs every browser out (a stolen cookie too)
            work.record(username)

    def set_role(self, username: str, role: str) -> User:
        self._allow("users.manage")
        if role not in model.ROLES:
            raise InvalidInput("record.bad_role", role=role, allowed=", ".join(model.ROLES))
        row = self._user_row(username)
        with self.acting("user.role", entity="user", checked=True) as work:
            conn = work.conn
            conn.execute(update(T.users).where(T.users.c.id == row.id).values(role=role))
            work.record(username, role=role)
        return _user(self._user_row(username))

    def set_active(self, username: str, active: bool) -> User:
        """Enable or disable an account (a disabled user cannot sign in; their coding stays)."""
        self._allow("users.manage")
        row = self._user_row(username)
        with self.acting("user.active", entity="user", checked=True) as work:
            conn = work.conn
            conn.execute(update(T.users).where(T.users.c.id == row.id).values(active=bool(active)))
            work.record(username, active=bool(active))
        return _user(self._user_row(username))

    def link_counselor(self, username: str, counselor: str | None) -> None:
        """Make a counselor user *be* a counselor record (None removes the link)."""
        self._allow("users.manage")
        row = self._user_row(username)
        counselor_id = self._counselor_row(counselor).id if counselor else None
        with self.acting("user.counselor", entity="user", checked=True) as work:
            conn = work.conn
            conn.execute(update(T.users).where(T.users.c.id == row.id).values(counselor_id=counselor_id))
            work.record(username, counselor=counselor)

    def linked_counselor(self, username: str) -> str | None:
        """The counselor code a user is linked to, if any."""
        if username != self.actor:
            self._allow("users.read")
        with self._read() as conn:
            return conn.execute(
                select(T.counselors.c.code)
                .join(T.users, T.users.c.counselor_id == T.counselors.c.id)
                .where(T.users.c.username == username)
            ).scalar()

    def supervise(self, supervisor: str, counselor: str) -> None:
        """Let ``supervisor`` (a supervisor user) see the sessions of ``counselor``."""
        user_row, counselor_row = self._user_row(supervisor), self._counselor_row(counselor)
        with self.acting(
            "users.manage", audit="supervision.add", entity="user", entity_id=supervisor
        ) as work:
            conn = work.conn
            work.record(counselor=counselor)
            found = conn.execute(
                select(T.supervisions).where(
                    T.supervisions.c.supervisor_id == user_row.id,
                    T.supervisions.c.counselor_id == counselor_row.id,
                )
            ).first()
            if found is None:
                conn.execute(
                    insert(T.supervisions).values(supervisor_id=user_row.id, counselor_id=counselor_row.id)
                )
            else:
                work.audited = False  # nothing changed

    def unsupervise(self, supervisor: str, counselor: str) -> None:
        self._allow("users.manage")
        user_row, counselor_row = self._user_row(supervisor), self._counselor_row(counselor)
        with self.acting("supervision.remove", entity="user", checked=True) as work:
            conn = work.conn
            conn.execute(
                delete(T.supervisions).where(
                    T.supervisions.c.supervisor_id == user_row.id,
                    T.supervisions.c.counselor_id == counselor_row.id,
                )
            )
            work.record(supervisor, counselor=counselor)

    def supervisions(self) -> list[tuple[str, str]]:
        """(supervisor username, counselor code) pairs."""
        self._allow("users.read")
        with self._read() as conn:
            rows = conn.execute(
                select(T.users.c.username, T.counselors.c.code)
                .join(T.supervisions, T.supervisions.c.supervisor_id == T.users.c.id)
                .join(T.counselors, T.counselors.c.id == T.supervisions.c.counselor_id)
                .order_by(T.users.c.username, T.counselors.c.code)
            )
            return [(r.username, r.code) for r in rows]

    def has_active_administrator(self) -> bool:
        """True if an enabled administrator account exists (a team workspace has been set up)."""
        with self._read() as conn:
            found = conn.execute(
                select(T.users.c.id)
                .where(T.users.c.role == "administrator", T.users.c.active.is_(True))
                .limit(1)
            ).first()
        return found is not None

    def _ensure_user(self, work: Work, username: str, role: str = "observer") -> int:
        """The user's id; a missing user is created where the acting user may manage users."""
        found = work.conn.execute(select(T.users.c.id).where(T.users.c.username == username)).scalar()
        if found is not None:
            return int(found)
        work.check("users.manage")
        work.audit("user.create", "user", username, role=role)
        return int(
            work.conn.execute(
                insert(T.users).values(
                    username=check_code(username, "username"),
                    role=role,
                    active=True,
                    is_demo=False,
                    created_at=_now(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )

    @staticmethod
    def _refuse_duplicate(conn: Connection, table: Any, column: Any, value: str, key: str) -> None:
        if conn.execute(select(table.c.id).where(column == value)).first() is not None:
            raise InvalidInput(key, code=value)
