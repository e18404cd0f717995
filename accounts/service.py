"""Create users, check passwords with argon2, slow down guessing, and write the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import HotlineError
from core.phones import normalize_phone
from models import AuditEntry, LoginAttempt, Role, User

_hasher = PasswordHasher()
#: Failed sign-ins allowed per user name, and per address, within the window.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10


class AccountError(HotlineError):
    """A user cannot be created or changed as asked."""


class LoginThrottled(HotlineError):
    """Too many failed sign-ins: wait before trying again."""


def get_user(session: Session, user_id: int) -> User | None:
    """Return a user by id, or None."""
    return session.get(User, user_id)


def get_user_by_username(session: Session, username: str) -> User | None:
    """Return a user by sign-in name (case-insensitive), or None."""
    return session.scalars(select(User).where(User.username == username.strip().lower())).one_or_none()


def create_user(
    session: Session, *, username: str, name: str, role: str, password: str, now: datetime,
    phone: str | None = None, language: str = "de",
) -> User:
    """Create a user with an argon2-hashed password."""
    username = username.strip().lower()
    if not username or len(username) > 64:
        raise AccountError("Benutzername fehlt oder ist zu lang.", english="The user name is missing or too long.")
    if get_user_by_username(session, username) is not None:
        raise AccountError(f"Benutzer {username!r} gibt es schon.", english=f"User {username!r} already exists.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwort zu kurz (mindestens {MIN_PASSWORD_LENGTH} Zeichen).",
                           english=f"Password too short (at least {MIN_PASSWORD_LENGTH} characters).")
    e164 = normalize_phone(phone) if phone else None
    if phone and e164 is None:
        raise AccountError(f"Telefonnummer {phone!r} ist ungültig.", english=f"Phone number {phone!r} is not valid.")
    user = User(username=username, name=name.strip() or username, role=Role(role),
                password_hash=_hasher.hash(password), phone=e164, language=language, active=True,
                created_at=now)
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace a user's password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwort zu kurz (mindestens {MIN_PASSWORD_LENGTH} Zeichen).",
                           english=f"Password too short (at least {MIN_PASSWORD_LENGTH} characters).")
    user.password_hash = _hasher.hash(password)


def authenticate(session: Session, *, username: str, password: str, remote_addr: str, now: datetime) -> User | None:
    """Return the user when the password is right; raise LoginThrottled after too many failures."""
    username = username.strip().lower()[:64]
    since = now - FAILURE_WINDOW
    failures = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False),
            (LoginAttempt.username == username) | (LoginAttempt.remote_addr == remote_addr),
        )
    ) or 0
    if failures >= MAX_FAILURES:
        raise LoginThrottled("Zu viele Fehlversuche. Bitte warten Sie 15 Minuten.",
                             english="Too many failed attempts. Please wait 15 minutes.")
    user = get_user_by_username(session, username)
    ok = False
    if user is not None and user.active:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if ok and _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
    else:
        _hasher.hash(password)  # spend the same time whether or not the user exists
    session.add(LoginAttempt(username=username, remote_addr=remote_addr[:64], at=now, succeeded=ok))
    if ok and user is not None:
        user.last_login_at = now
        return user
    return None


def record_audit(
    session: Session, *, user: User | None, action: str, now: datetime, case_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write who did what with which case's personal data."""
    session.add(AuditEntry(user_id=user.id if user else None, case_id=case_id, action=action, at=now,
                           detail=detail or {}))


def find_users(session: Session) -> list[User]:
    """Return every user, leads first, then by name."""
    return list(session.scalars(select(User).order_by(User.role.desc(), User.name)))


def set_active(session: Session, *, user: User, active: bool, acting: User | None) -> None:
    """Switch a user on or off; nobody switches herself off (the office must keep one lead)."""
    if acting is not None and acting.id == user.id and not active:
        raise AccountError("Sie können sich nicht selbst deaktivieren.", english="You cannot deactivate yourself.")
    user.active = active
