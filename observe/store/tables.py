"""The tables. Alembic migrations (``migrations/versions``) create and change them;
this module describes the current shape for queries. Keep both in step: a test
compares a migrated database with these definitions."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),  # pseudonymous code, e.g. K01
    Column("display_name", String(200)),  # optional; shown only to counselor and supervisor
    Column("special_needs", Boolean, nullable=False, default=False),  # ABK
    Column("valence_profile", String(40), nullable=False, default="default"),
    Column("valence_overrides", Text, nullable=False, default="{}"),  # JSON {cue: valence}
    Column("archived", Boolean, nullable=False, default=False),
    Column("is_demo", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # the counselor responsible for the client (migration 0002): who sees the client before any session;
    # no ON DELETE action (SQLite cannot add one in place): the store clears it before deleting a counselor
    Column("counselor_id", Integer, ForeignKey("counselors.id")),
)

counselors = Table(
    "counselors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200)),
    Column("archived", Boolean, nullable=False, default=False),
    Column("is_demo", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("display_name", String(200)),
    Column("role", String(20), nullable=False),  # administrator, supervisor, counselor, observer, researcher
    Column("active", Boolean, nullable=False, default=True),
    Column("is_demo", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # migration 0002 (observe.governance.access): an argon2 hash, never the password; None = cannot sign in
    Column("password_hash", Text),
    # a counselor user is this counselor record (their clients' sessions are theirs)
    Column("counselor_id", Integer, ForeignKey("counselors.id")),
)

schemes = Table(
    "schemes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Text, nullable=False),  # JSON of CodingScheme.to_dict()
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", "version", name="uq_schemes_name_version"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(60), nullable=False, unique=True),  # e.g. K01-S03
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("counselor_id", Integer, ForeignKey("counselors.id", ondelete="RESTRICT"), nullable=False),
    Column("number", Integer, nullable=False),  # 1, 2, ... within the client
    Column("date", Date, nullable=False),
    Column("duration_s", Float),  # None until known (e.g. a live session still running)
    Column("video_ref", Text),  # a path relative to the media folder, never a user file name
    Column("parent_present", Boolean, nullable=False, default=False),
    Column("notes", Text, nullable=False, default=""),
    Column("attributes", Text, nullable=False, default="{}"),  # JSON (seating, camera setup, imported IVs)
    Column("archived", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # every observation (two or more) finished once: the coders may have seen each other's (0005)
    Column("unblinded_at", DateTime(timezone=True)),
    UniqueConstraint("client_id", "number", name="uq_sessions_client_number"),
    # migration 0004: where an imported session came from (file, source observation); None = coded here
    Column("source", Text),
)

session_observers = Table(
    "session_observers",
    metadata,
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("observer_id", Integer, ForeignKey("users.id", ondelete="RESTRICT"), nullable=False),
    Column("scheme_id", Integer, ForeignKey("schemes.id", ondelete="RESTRICT"), nullable=False),
    Column("status", String(20), nullable=False, default="open"),  # open, finished
    Column("is_reference", Boolean, nullable=False, default=False),
    Column("has_redo", Boolean, nullable=False, default=False),  # an undone action waits for redo
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    # reopened after its session was unblinded (0005): agreement views mark it
    Column("reopened_unblinded", Boolean, nullable=False, default=False),
    UniqueConstraint("session_id", "observer_id", name="uq_observations_session_observer"),
    # migration 0004: E, where the observer finished (DOMAIN §9.3); None while in progress
    Column("coded_s", Float),
    # migration 0008: the furthest video position the coder reached (part of E's default)
    Column("reached_s", Float),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("observation_id", Integer, ForeignKey("observations.id", ondelete="CASCADE"), nullable=False),
    Column("subject", String(40), nullable=False),
    Column("cue", String(60), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("kind", String(10), nullable=False),  # state, point
    Column("start_s", Float, nullable=False),
    Column("end_s", Float),  # None: a point, or a state still running
    Column("modifiers", Text, nullable=False, default=""),  # "intensity=2;context=K"
    Column("comment", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(80), nullable=False),
    Index("ix_events_lane", "observation_id", "subject", "channel", "start_s"),
    sqlite_autoincrement=True,  # ids are never reused: undo re-inserts an event under its old id
)

# One row per user action on events (a keypress, an edit, a delete, an import), for
# undo/redo and for idempotency: a re-sent keypress carries the same (client_key, client_seq).
actions = Table(
    "actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("observation_id", Integer, ForeignKey("observations.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(200), nullable=False),
    Column("undone", Boolean, nullable=False, default=False),
    # out of the undo log (its idempotency key stays): undone, then a new action came; or
    # done before a finish, which seals the log (undo never crosses a finish, even after a reopen)
    Column("discarded", Boolean, nullable=False, default=False),
    Column("client_key", String(64)),
    Column("client_seq", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("changes", Text, nullable=False),  # JSON [[before, after], ...]; None = inserted / deleted
    # also serves undo/redo look-ups by observation: one index less to write per keypress
    UniqueConstraint("observation_id", "client_key", "client_seq", name="uq_actions_idempotency"),
)

# Workspace settings (key → JSON value), e.g. whether the first-run demo was created.
settings = Table(
    "settings",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),
)


# -- access (migration 0002, observe.governance.access) ------------------------------------------------------------

# A supervisor user sees the sessions of the counselors they supervise.
supervisions = Table(
    "supervisions",
    metadata,
    Column("supervisor_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("counselor_id", Integer, ForeignKey("counselors.id", ondelete="CASCADE"), primary_key=True),
)

# One consent record per client: recording allowed, use in research allowed (gates research exports).
consents = Table(
    "consents",
    metadata,
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("recording", Boolean, nullable=False, default=False),
    Column("research_use", Boolean, nullable=False, default=False),
    Column("date", Date),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(80), nullable=False),
)

# The audit trail: appended in the same transaction as the change it records, never updated.
# ``client_id`` (no foreign key: the row outlives nothing but an erasure) lets an erasure remove
# every row about the client; ``detail`` names changed fields, never their personal values.
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(80), nullable=False),
    Column("action", String(60), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(80)),
    Column("client_id", Integer),
    Column("detail", Text, nullable=False, default="{}"),
    Index("ix_audit_client", "client_id"),
)

# Failed sign-ins per username, persisted so a restart or a second server does not reset the limit
# (migration 0006: times as epoch seconds, so the lock arithmetic is one portable SQL statement;
# observe.store.signin_records).
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("username", String(80), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_s", Float, nullable=False),
    Column("locked_until_s", Float),
)

# The server-wide throttle on failed sign-ins: one row (id 1), a fixed window.
sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("window_s", Float, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("blocked_until_s", Float),
)

# A browser's sign-in (the cookie holds a random token; only its SHA-256 is stored here).
sign_in_records = Table(
    "sign_in_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_s", Float, nullable=False),
    Column("seen_s", Float, nullable=False),
    Column("expires_s", Float, nullable=False),
    # the one-time ticket for the cookie route, as a SHA-256 (migration 0007)
    Column("ticket_hash", String(64)),
    Column("ticket_expires_s", Float),
    Index("ix_sign_in_records_user", "user_id"),
    Index("ix_sign_in_records_ticket", "ticket_hash", unique=True),
)

# The workspace's secrets, made once by migration 0007: ``signing`` signs video links, so a
# link made by one app server is valid on every server of the same database (observe.store.secret).
workspace_secrets = Table(
    "workspace_secrets",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(128), nullable=False),
)


# -- provenance (migration 0004, observe.store.provenance) ------------------------------------------------

# One row per import: the same file (by SHA-256) or source observation is refused unless the
# person asks for a new copy (DOMAIN §9.7). ``source_ids`` and ``sessions`` are JSON lists.
imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("source_format", String(40), nullable=False),
    Column("source_ids", Text, nullable=False),
    Column("sessions", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("imported_by", String(80), nullable=False),
    Index("ix_imports_sha256", "sha256"),
)


# -- the guarded store (migration 0005) -------------------------------------------------------

# One row: bumped in every committed write transaction (StoreCore._write), for caches.
data_version = Table(
    "data_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
)
