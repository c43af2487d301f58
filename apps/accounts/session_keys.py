"""Names of the server-side session entries this app keeps (names, not secrets)."""

SESSION_PSC_TOKENS = "psc_tokens"  # noqa: S105 - the encrypted tokens (apps.accounts.tokens)
SESSION_PSC_ACTIVE = "psc_active"  # the session still holds a refresh token
SESSION_SIGNED_IN_AT = "psc_signed_in_at"
SESSION_LAST_SEEN = "psc_last_seen"
SESSION_SIGNIN_ERROR = "psc_signin_error"
SESSION_PASSWORD_SIGNED_IN_AT = "password_signed_in_at"  # noqa: S105 - a staff sign-in: the admin only
