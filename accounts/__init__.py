"""Dashboard accounts: users, passwords (argon2), sign-in throttling, and the audit log."""

from accounts.service import (
    AccountError,
    LoginThrottled,
    SignInResult,
    authenticate,
    create_user,
    end_sessions,
    find_lockouts,
    find_users,
    get_user,
    get_user_by_username,
    purge_login_attempts,
    record_audit,
    set_active,
    set_password,
    sign_in_state,
    unlock,
)
from accounts.throttle import ThrottleState

__all__ = [
    "AccountError",
    "LoginThrottled",
    "SignInResult",
    "ThrottleState",
    "authenticate",
    "create_user",
    "end_sessions",
    "find_lockouts",
    "find_users",
    "get_user",
    "get_user_by_username",
    "record_audit",
    "set_active",
    "set_password",
    "sign_in_state",
    "purge_login_attempts",
    "unlock",
]
