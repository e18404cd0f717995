"""Dashboard accounts: users, passwords (argon2), sign-in throttling, and the audit log."""

from accounts.service import (
    AccountError,
    LoginThrottled,
    authenticate,
    create_user,
    find_users,
    get_user,
    get_user_by_username,
    record_audit,
    set_active,
    set_password,
)

__all__ = [
    "AccountError",
    "LoginThrottled",
    "authenticate",
    "create_user",
    "find_users",
    "get_user",
    "get_user_by_username",
    "record_audit",
    "set_active",
    "set_password",
]
