"""User accounts and their roles."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # No longer read: logins are rows of user_sessions, revoked there (app/accounts/sessions.py).
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    role_rows: Mapped[list["UserRole"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    # The organisations the user acts for (applies for, belongs to), with the user in one
    # more query (each row joined with its organisation).
    organisation_rows: Mapped[list["UserOrganisation"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def organisations(self) -> list:
        """The organisations the user acts for, by name (those saved: a row added in this
        transaction names its organisation once flushed)."""
        return sorted((row.organisation for row in self.organisation_rows
                       if row.organisation is not None), key=lambda o: o.name)

    @property
    def organisation_ids(self) -> set[int]:
        return {row.organisation_id for row in self.organisation_rows}


    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class UserOrganisation(Base):
    """An organisation the user acts for. `source` says who gave it: "admin" (the user form,
    the CLI, the demo) or "sso" (a group mapping; the next log-in may take it away again)."""

    __tablename__ = "user_organisations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    source: Mapped[str] = mapped_column(String(10), default="admin")

    organisation = relationship("Organisation", lazy="joined", innerjoin=True)


class UserSession(Base):
    """One login: the cookie carries a random token, the table only its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # Why it ended early: logout, password, deactivated, revoked (all of a user's sessions).
    revoked_reason: Mapped[str] = mapped_column(String(20), default="")
    client_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class LoginThrottle(Base):
    """Failed logins of one key (an account, a client address or both) and the backoff."""

    __tablename__ = "login_throttles"

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    blocked_until: Mapped[datetime] = mapped_column(default=utcnow)


class UserIdentity(Base):
    """A user's account at an OpenID Connect provider: issuer + subject, never the e-mail."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupMapping(Base):
    """A group value of the provider's groups claim → a role, or → an organisation."""

    __tablename__ = "group_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_value: Mapped[str] = mapped_column(String(255), index=True)
    role: Mapped[str | None] = mapped_column(String(40))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation = relationship("Organisation", lazy="joined")
class AccountToken(Base):
    """A single-use link sent by e-mail (an invitation or a password reset); the table keeps
    only the SHA-256 of the token, so a leaked table opens no account."""

    __tablename__ = "account_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # invitation, reset
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
