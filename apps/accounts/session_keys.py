"""Names of the server-side session entries this app keeps (names, not secrets)."""

SESSION_ACCESS_TOKEN = "oidc_access_token"  # noqa: S105 - set by mozilla-django-oidc
SESSION_ID_TOKEN = "oidc_id_token"  # noqa: S105 - set by mozilla-django-oidc
SESSION_REFRESH_TOKEN = "psc_refresh_token"  # noqa: S105
SESSION_ACCESS_EXPIRES = "psc_access_expires_at"
SESSION_SIGNED_IN_AT = "psc_signed_in_at"
SESSION_LAST_SEEN = "psc_last_seen"
SESSION_SIGNIN_ERROR = "psc_signin_error"
