"""Create users, check passwords with argon2, slow down guessing, and write the audit log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accounts.throttle import ADDRESS_WINDOW, STREAK_WINDOW, Attempt, ThrottleState, throttle_state
from core.clock import BERLIN
from core.database import rowcount
from core.errors import HotlineError
from core.inputs import InputError, parse_phone
from models import AuditEntry, LoginAttempt, Role, User

_hasher = PasswordHasher()
#: Sign-in attempts are deleted after this (the throttle looks back as far; see PRIVACY.md).
LOGIN_ATTEMPTS_KEPT = STREAK_WINDOW
MIN_PASSWORD_LENGTH = 10


class AccountError(HotlineError):
    """A user cannot be created or changed as asked."""


class LoginThrottled(HotlineError):
    """Too many failed sign-ins: wait before trying again (until `locked_until`, UTC)."""

    locked_until: datetime

    @classmethod
    def until(cls, locked_until: datetime) -> LoginThrottled:
        """Return the error for a lockout that ends at `locked_until`."""
        local = locked_until.astimezone(BERLIN).strftime("%H:%M:%S")
        error = cls(f"Zu viele Fehlversuche. Anmeldung gesperrt bis {local} Uhr.",
                    english=f"Too many failed attempts. Sign-in locked until {local}.")
        error.locked_until = locked_until
        return error


def get_user(session: Session, user_id: int) -> User | None:
    """Return a user by id, or None (also for ids no database column can hold)."""
    if not 0 < user_id < 2**31:
        return None
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
    e164 = parse_user_phone(phone)
    user = User(username=username, name=name.strip() or username, role=Role(role),
                password_hash=_hasher.hash(password), phone=e164, language=language, active=True,
                created_at=now)
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace a user's password and end every session she has."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Passwort zu kurz (mindestens {MIN_PASSWORD_LENGTH} Zeichen).",
                           english=f"Password too short (at least {MIN_PASSWORD_LENGTH} characters).")
    user.password_hash = _hasher.hash(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session of a user, on every device (the dashboard checks the epoch on each request)."""
    user.session_epoch = (user.session_epoch or 0) + 1


@dataclass(frozen=True)
class SignInResult:
    """The outcome of one sign-in attempt: the user when the password was right, and what is left."""

    user: User | None
    state: ThrottleState


def _recent_attempts(session: Session, *, username: str, remote_addr: str, now: datetime) -> list[Attempt]:
    """Load the attempts the throttle needs: the pair's within its streak, the address's within its window."""
    rows = session.scalars(select(LoginAttempt).where(
        ((LoginAttempt.username == username) & (LoginAttempt.remote_addr == remote_addr)
         & (LoginAttempt.at >= now - STREAK_WINDOW))
        | ((LoginAttempt.remote_addr == remote_addr) & (LoginAttempt.at >= now - ADDRESS_WINDOW))
    ))
    return [Attempt(r.username, r.remote_addr, r.at, r.succeeded) for r in rows]


def sign_in_state(session: Session, *, username: str, remote_addr: str, now: datetime) -> ThrottleState:
    """Return whether this user name may try to sign in from this address now."""
    username, remote_addr = username.strip().lower()[:64], remote_addr[:64]
    attempts = _recent_attempts(session, username=username, remote_addr=remote_addr, now=now)
    return throttle_state(attempts, username=username, remote_addr=remote_addr, now=now)


def authenticate(session: Session, *, username: str, password: str, remote_addr: str, now: datetime) -> SignInResult:
    """Check a password; raise LoginThrottled while this name and address (or the address) must wait."""
    username, remote_addr = username.strip().lower()[:64], remote_addr[:64]
    state = sign_in_state(session, username=username, remote_addr=remote_addr, now=now)
    if state.locked_until is not None:
        raise LoginThrottled.until(state.locked_until)
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
    session.add(LoginAttempt(username=username, remote_addr=remote_addr, at=now, succeeded=ok))
    session.flush()
    if ok and user is not None:
        user.last_login_at = now
        return SignInResult(user, ThrottleState(locked_until=None, tries_left=None))
    return SignInResult(None, sign_in_state(session, username=username, remote_addr=remote_addr, now=now))


def find_lockouts(session: Session, *, now: datetime) -> dict[str, datetime]:
    """Return the user names locked out from at least one address now, with when the last lock ends."""
    rows = session.scalars(select(LoginAttempt).where(LoginAttempt.at >= now - STREAK_WINDOW))
    by_address: dict[str, list[Attempt]] = {}
    for r in rows:
        by_address.setdefault(r.remote_addr, []).append(Attempt(r.username, r.remote_addr, r.at, r.succeeded))
    locked: dict[str, datetime] = {}
    pairs = {(a.username, a.remote_addr) for group in by_address.values() for a in group if not a.succeeded}
    for username, remote_addr in pairs:
        until = throttle_state(by_address[remote_addr], username=username, remote_addr=remote_addr,
                               now=now).locked_until
        if until is not None and (username not in locked or until > locked[username]):
            locked[username] = until
    return locked


def unlock(session: Session, *, username: str) -> int:
    """Clear a sign-in lockout of a user name (every address); return how many failures were forgiven."""
    return rowcount(session.execute(delete(LoginAttempt).where(
        LoginAttempt.username == username.strip().lower(), LoginAttempt.succeeded.is_(False)))) or 0


def purge_login_attempts(session: Session, *, now: datetime) -> int:
    """Delete sign-in attempts older than LOGIN_ATTEMPTS_KEPT; return how many."""
    return rowcount(session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - LOGIN_ATTEMPTS_KEPT))) or 0


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
    if user.active and not active:
        end_sessions(user)
    user.active = active


def parse_user_phone(raw: str | None) -> str | None:
    """Return a user's phone in E.164 (the shared rule of core.inputs), None when left empty.

    Raise AccountError when it is not a number.
    """
    if not (raw or "").strip():
        return None
    try:
        return parse_phone(raw)
    except InputError as exc:
        raise AccountError(str(exc), english=exc.english) from None


def _active_leads(session: Session) -> int:
    """Return how many active leads there are."""
    return len(session.scalars(select(User.id).where(User.role == Role.LEAD, User.active.is_(True))).all())


def update_user(session: Session, *, user: User, name: str, role: str, phone: str | None, active: bool,
                acting: User | None) -> None:
    """Change a user's name, role, phone and state (a lead's edit); the office always keeps an active lead."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AccountError("Name fehlt oder ist zu lang (höchstens 100 Zeichen).",
                           english="The name is missing or too long (at most 100 characters).")
    try:
        new_role = Role(role)
    except ValueError:
        raise AccountError("Unbekannte Rolle.", english="Unknown role.") from None
    e164 = parse_user_phone(phone)
    if acting is not None and acting.id == user.id and (new_role is not Role.LEAD or not active):
        raise AccountError("Ihre eigene Leitungsrolle können Sie nicht abgeben oder abschalten.",
                           english="You cannot give up or switch off your own lead role.")
    losing_lead = user.role is Role.LEAD and user.active and (new_role is not Role.LEAD or not active)
    if losing_lead and _active_leads(session) <= 1:
        raise AccountError("Es muss immer eine aktive Leitung geben.", english="There must always be an active lead.")
    user.name, user.role, user.phone = name, new_role, e164
    set_active(session, user=user, active=active, acting=acting)


def set_phone(user: User, phone: str | None) -> None:
    """Set (or clear) a user's own phone, which *Zurückrufen* rings first."""
    user.phone = parse_user_phone(phone)


def change_own_password(user: User, *, current: str, new: str, repeated: str) -> None:
    """Change one's own password after checking the current one; ends her other sessions."""
    try:
        ok: bool = _hasher.verify(user.password_hash, current)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok:
        raise AccountError("Das bisherige Passwort stimmt nicht.", english="The current password is wrong.")
    if new != repeated:
        raise AccountError("Die beiden neuen Passwörter sind verschieden.", english="The two new passwords differ.")
    set_password(user, new)


def generate_password() -> str:
    """Return a strong random password to be shown once."""
    return secrets.token_urlsafe(12)
