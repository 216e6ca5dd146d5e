"""Staff accounts, the offices they belong to, their sessions and personal API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from auskunft.core.db.base import Base, UtcDateTime


class StaffUser(Base):
    """A member of staff who logs in: agent, clerk, editor, supervisor or admin; a local
    account or one of the directory (LDAP)."""

    __tablename__ = "staff_users"
    __table_args__ = (
        CheckConstraint(
            "role in ('agent', 'clerk', 'editor', 'supervisor', 'admin', 'dpo')",
            name="ck_staff_role",
        ),
        CheckConstraint("source in ('local', 'ldap')", name="ck_staff_source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # 'local': the password hash here decides; 'ldap': the directory does (the row is made
    # and updated at each login from the directory's groups, and has no usable password).
    source: Mapped[str] = mapped_column(String(10), default="local", server_default="local")


class StaffAuthority(Base):
    """An authority (Behörde) a staff account works for.

    The catalog's table is named by string only: the access slice reads the catalog
    through its service, never its tables.
    """

    __tablename__ = "staff_authorities"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    authority_id: Mapped[str] = mapped_column(
        String(120), ForeignKey("authorities.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class StaffParticipant(Base):
    """A network participant (partner) a staff account works for."""

    __tablename__ = "staff_participants"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class StaffSession(Base):
    """A login: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ApiToken(Base):
    """A token for a machine client (a telephony integration) or a staff member's own (acting
    with their role and offices); only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginFailure(Base):
    """Failed logins counted for a user name or a client address, known or not alike.

    `key` is `name:` and the SHA-256 of the name (names nobody has are counted the same
    way, and no typed name is kept in clear) or `client:` and the address. A count older
    than the window starts again; old rows are deleted as new failures come in.
    """

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
