"""mssante-web settings: one module, every knob from the environment (see .env.example).

``DJANGO_*`` variables drive Django itself, ``MSSANTE_*`` ours. Defaults are safe for
production (DEBUG off, secure cookies) except where a development stack cannot work
without them, and those are named in .env.example.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# A development stack run with DEBUG off names the fail-closed checks it knowingly breaks.
SILENCED_SYSTEM_CHECKS = env.list("DJANGO_SILENCED_SYSTEM_CHECKS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "mozilla_django_oidc",
    "apps.core",
    "apps.audit",
    "apps.accounts",
    "apps.structures",
    "apps.trust",
    "apps.mail",
    "apps.patients",
    "apps.integration",
    "apps.api",
    "apps.webmail",
]

MIDDLEWARE = [
    "apps.core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.core.middleware.SecurityHeadersMiddleware",
    # One container serves its own static files (hashed names, far-future caching).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.PSCSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mssante_web.urls"
WSGI_APPLICATION = "mssante_web.wsgi.application"
ASGI_APPLICATION = "mssante_web.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
                "apps.accounts.context_processors.psc",
                "apps.trust.context_processors.whitelist_banner",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web read while a worker writes the index; NORMAL syncs at checkpoints,
    # still safe against application crashes. IMMEDIATE avoids lock-upgrade deadlocks.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;",
        "transaction_mode": "IMMEDIATE", "timeout": 20})
else:
    # A PostgreSQL connection per request cost more CPU than the request itself (a backend
    # forked, authenticated, set up; issue 29's API bench: ~8 ms of ~18 per call went to
    # it): each process keeps its connection for a minute, checked before reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("MSSANTE_DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The test database of SQLite runs is a file when this is set, so that a real Celery worker
# started by a test shares it (tests.env_plugin sets it).
if env.str("DJANGO_TEST_DATABASE", default="") and \
        DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": env.str("DJANGO_TEST_DATABASE")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
# A password given on its own (compose's REDIS_PASSWORD) goes into the URL.
_REDIS_PASSWORD = env.str("REDIS_PASSWORD", default="")
if _REDIS_PASSWORD and "@" not in REDIS_URL.split("//", 1)[-1]:
    from urllib.parse import quote

    REDIS_URL = REDIS_URL.replace("://", f"://:{quote(_REDIS_PASSWORD, safe='')}@", 1)
CACHES = {
    "default": {
        "BACKEND": "apps.core.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "mssweb",
        "TIMEOUT": 300,
    }
}

# Sessions hold the PSC tokens: server side only, never readable by scripts.
SESSION_ENGINE = "apps.accounts.sessions"  # the database backend, read faster
SESSION_COOKIE_NAME = "mssweb_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Absolute lifetime, aligned with the PSC session (4 h), and idle lock (2 h, an MSSanté
# client rule): enforced by apps.accounts.middleware.PSCSessionMiddleware.
MSSANTE_SESSION_MAX_AGE = env.int("MSSANTE_SESSION_MAX_AGE", default=4 * 3600)
MSSANTE_IDLE_TIMEOUT = env.int("MSSANTE_IDLE_TIMEOUT", default=2 * 3600)
SESSION_COOKIE_AGE = MSSANTE_SESSION_MAX_AGE
SECURE_COOKIES = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_NAME = "mssweb_csrftoken"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS proxy, gunicorn takes X-Forwarded-Proto only from the addresses in
# MSSANTE_TRUSTED_PROXIES (docker/entrypoint.sh); DJANGO_BEHIND_TLS_PROXY makes Django
# trust the header itself, for servers that cannot filter it (then only behind a proxy that
# always sets it).
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False) else None
)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# The container platform probes over plain http from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)

AUTHENTICATION_BACKENDS = [
    "apps.accounts.oidc.PSCAuthenticationBackend",
    "django.contrib.auth.backends.ModelBackend",  # staff only, for Django admin
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "webmail:inbox"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "static_collected")
if DEBUG or env.bool("MSSANTE_PLAIN_STATIC", default=False):
    # Development serves static files from the apps' folders: no collected root to scan.
    import warnings

    warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env.bool("MSSANTE_PLAIN_STATIC", default=False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# ------------------------------------------------------------------ Pro Santé Connect
# Production and test ("bas") issuers are listed in .env.example. The issuer is enough: the
# endpoints come from its discovery document (apps.accounts.provider); any one set here
# wins over discovery. With DEBUG on, the default is the devstack simulator's demo profile;
# with DEBUG off there is no default, and the system checks refuse a loopback provider.
PSC_ISSUER = env.str("MSSANTE_PSC_ISSUER",
                     default="http://127.0.0.1:18080/auth/realms/esante-wallet" if DEBUG else "")
OIDC_RP_CLIENT_ID = env.str("MSSANTE_PSC_CLIENT_ID", default="mssante-web")
OIDC_RP_CLIENT_SECRET = env.str("MSSANTE_PSC_CLIENT_SECRET", default="")
PSC_AUTHORIZATION_ENDPOINT = env.str("MSSANTE_PSC_AUTHORIZATION_ENDPOINT", default="")
PSC_TOKEN_ENDPOINT = env.str("MSSANTE_PSC_TOKEN_ENDPOINT", default="")
PSC_USERINFO_ENDPOINT = env.str("MSSANTE_PSC_USERINFO_ENDPOINT", default="")
PSC_JWKS_ENDPOINT = env.str("MSSANTE_PSC_JWKS_ENDPOINT", default="")
PSC_END_SESSION_ENDPOINT = env.str("MSSANTE_PSC_END_SESSION_ENDPOINT", default="")
# The discovery document (empty: {issuer}/.well-known/openid-configuration). PSC publishes
# .well-known/wallet-openid-configuration, whose authorization endpoint is the wallet page.
PSC_DISCOVERY_URL = env.str("MSSANTE_PSC_DISCOVERY_URL", default="")
# Fetch discovery even when every endpoint is set (its auth methods are then used).
PSC_DISCOVERY_REQUIRED = env.bool("MSSANTE_PSC_DISCOVERY_REQUIRED", default=False)
PSC_DISCOVERY_TTL = env.int("MSSANTE_PSC_DISCOVERY_TTL", default=3600)
# mozilla-django-oidc insists on these names existing; the backend and the views in
# apps.accounts.oidc read the discovered endpoints instead.
OIDC_OP_AUTHORIZATION_ENDPOINT = PSC_AUTHORIZATION_ENDPOINT
OIDC_OP_TOKEN_ENDPOINT = PSC_TOKEN_ENDPOINT
OIDC_OP_USER_ENDPOINT = PSC_USERINFO_ENDPOINT
OIDC_OP_JWKS_ENDPOINT = PSC_JWKS_ENDPOINT
# Token endpoint client authentication: empty chooses from the provider's list, Basic
# first; or client_secret_basic | client_secret_post | private_key_jwt | tls_client_auth.
PSC_TOKEN_AUTH_METHOD = env.str("MSSANTE_PSC_TOKEN_AUTH_METHOD", default="")
PSC_CLIENT_ASSERTION_KEY_FILE = env.str("MSSANTE_PSC_CLIENT_ASSERTION_KEY_FILE", default="")
PSC_CLIENT_ASSERTION_KID = env.str("MSSANTE_PSC_CLIENT_ASSERTION_KID", default="")
PSC_CLIENT_ASSERTION_ALG = env.str("MSSANTE_PSC_CLIENT_ASSERTION_ALG", default="RS256")
# Where the provider sends the person after sign-out: the URI registered with it (empty:
# this site's /deconnexion/terminee/).
PSC_POST_LOGOUT_REDIRECT_URI = env.str("MSSANTE_PSC_POST_LOGOUT_REDIRECT_URI", default="")
# PSC tokens are encrypted in the session (apps.accounts.tokens): Fernet keys, newest
# first; empty derives them from DJANGO_SECRET_KEY and DJANGO_SECRET_KEY_FALLBACKS.
MSSANTE_TOKEN_KEYS = env.list("MSSANTE_TOKEN_KEYS", default=[])
# Application mailboxes' client certificates are encrypted in the database the same way
# (apps.core.crypto). Set them in production: derived keys die with a rotated secret key.
MSSANTE_CERT_KEYS = env.list("MSSANTE_CERT_KEYS", default=[])
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = env.str("MSSANTE_PSC_SCOPES", default="openid scope_all")
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
PSC_ACR_VALUES = env.str("MSSANTE_PSC_ACR_VALUES", default="eidas1")
PSC_ACR_ACCEPTED = env.list("MSSANTE_PSC_ACR_ACCEPTED", default=["eidas1", "eidas2", "eidas3"])
OIDC_AUTH_REQUEST_EXTRA_PARAMS = {"acr_values": PSC_ACR_VALUES}
OIDC_STORE_ACCESS_TOKEN = False  # apps.accounts.tokens stores them, encrypted
OIDC_STORE_ID_TOKEN = False
OIDC_CREATE_USER = True
OIDC_TIMEOUT = env.int("MSSANTE_PSC_TIMEOUT", default=10)
OIDC_VERIFY_SSL = env.str("MSSANTE_PSC_CA_FILE", default="") or True
OIDC_OP_LOGOUT_URL_METHOD = "apps.accounts.services.psc_logout_url"
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_CALLBACK_CLASS = "apps.accounts.oidc.PSCCallbackView"
OIDC_AUTHENTICATE_CLASS = "apps.accounts.oidc.PSCAuthenticateView"
# Mutual TLS on PSC's token endpoint, when the client is registered that way (PEM files).
PSC_CLIENT_CERT_FILE = env.str("MSSANTE_PSC_CLIENT_CERT_FILE", default="")
PSC_CLIENT_KEY_FILE = env.str("MSSANTE_PSC_CLIENT_KEY_FILE", default="")
LOGIN_REDIRECT_URL_FAILURE = "/connexion/erreur/"
# Accept national ids outside TRE_G08 (PSC test-platform accounts such as "ANS2021...").
PSC_LENIENT_IDNAT = env.bool("MSSANTE_PSC_LENIENT_IDNAT", default=False)
# Refresh the access token this many seconds before it expires (PSC gives 120 s).
PSC_TOKEN_REFRESH_MARGIN = env.int("MSSANTE_PSC_TOKEN_REFRESH_MARGIN", default=20)

# ------------------------------------------------------------------ Operator (IMAP/SMTP)
# Left empty (MSSANTE_IMAP_HOST= and MSSANTE_SMTP_HOST=), each mailbox's servers are found
# from its domain's DNS SRV records (RFC 6186), unless set on the mailbox itself.
MSSANTE_IMAP_HOST = env.str("MSSANTE_IMAP_HOST", default="127.0.0.1")
MSSANTE_IMAP_PORT = env.int("MSSANTE_IMAP_PORT", default=10993)
MSSANTE_IMAP_SECURITY = env.str("MSSANTE_IMAP_SECURITY", default="ssl")  # ssl | starttls
MSSANTE_SMTP_HOST = env.str("MSSANTE_SMTP_HOST", default="127.0.0.1")
MSSANTE_SMTP_PORT = env.int("MSSANTE_SMTP_PORT", default=10587)
MSSANTE_SMTP_SECURITY = env.str("MSSANTE_SMTP_SECURITY", default="starttls")  # ssl | starttls
# Operators' certificates come from IGC-Santé, absent from public trust stores.
MSSANTE_TLS_CA_FILE = env.str("MSSANTE_TLS_CA_FILE", default="")
# Where the operators' CAs publish their CRLs (IGC-Santé's http URLs; a path works too): the
# last valid CRL of each is kept in MSSANTE_TLS_CRL_DIR and a revoked server is refused.
# The DNS server SRV lookups ask ("host:port"); empty: the system's resolver.
MSSANTE_DNS_SERVER = env.str("MSSANTE_DNS_SERVER", default="")
MSSANTE_TLS_CRL_URLS = env.list("MSSANTE_TLS_CRL_URLS", default=[])
MSSANTE_TLS_CRL_DIR = env.str("MSSANTE_TLS_CRL_DIR", default=str(BASE_DIR / "var" / "crl"))
MSSANTE_IMAP_TIMEOUT = env.float("MSSANTE_IMAP_TIMEOUT", default=15.0)
# The login name a delegate gives when opening a shared mailbox with their own PSC token.
# MSSanté operators read who asks from the token, so the mailbox alone ("{mailbox}"); the
# devstack's Dovecot wants "{mailbox}*{idnat}" (master-user logins).
MSSANTE_DELEGATE_LOGIN = env.str("MSSANTE_DELEGATE_LOGIN", default="{mailbox}")
# ManageSieve (RFC 5804), for the out-of-office reply: on the IMAP host unless set; port 0
# when the operator offers none (the page then says the reply is set with the operator).
# The local full-text index of message bodies (first 64 KB of each); off: the search asks
# the operator's server (IMAP SEARCH TEXT), slower on big folders.
# Audit events are kept this long, then deleted by `manage.py audit_purge` (beat, daily).
MSSANTE_AUDIT_RETENTION_DAYS = env.int("MSSANTE_AUDIT_RETENTION_DAYS", default=365)
MSSANTE_BODY_INDEX = env.bool("MSSANTE_BODY_INDEX", default=True)
MSSANTE_SIEVE_HOST = env.str("MSSANTE_SIEVE_HOST", default="")
MSSANTE_SIEVE_PORT = env.int("MSSANTE_SIEVE_PORT", default=4190)
# X-MSS-NIL on every message: the product reference given at declaration. No default with
# DEBUG off (a system check refuses to start without it).
MSSANTE_NIL = env.str("MSSANTE_NIL", default="mssante-web-dev" if DEBUG else "")
# The root OID under which this installation names the documents it produces (CDA id and
# setId, XDS uniqueId): the structure's or the publisher's own OID branch.
MSSANTE_DOCUMENT_OID = env.str("MSSANTE_DOCUMENT_OID", default="1.2.250.1.999.1")
# The agency's CDA validation material (schematrons, CDA_extended.xsd, value sets) that
# `manage.py cda_validate` and the conformance tests run, and where its completed copy and
# compiled schematrons are cached (apps.documents.validation).
MSSANTE_CDA_VALIDATION_DIR = env.path(
    "MSSANTE_CDA_VALIDATION_DIR",
    default=BASE_DIR.parent / "shared" / "fixtures" / "cda" / "ans-TestContenuCDA-3-0-validation")
MSSANTE_CDA_VALIDATION_CACHE = env.path("MSSANTE_CDA_VALIDATION_CACHE",
                                        default=BASE_DIR / "var" / "cda-validation")
# No national limit: each operator sets its own (bytes, as sent, attachments encoded).
MSSANTE_MAX_MESSAGE_SIZE = env.int("MSSANTE_MAX_MESSAGE_SIZE", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MSSANTE_MAX_MESSAGE_SIZE + 1024 * 1024
# Opened messages kept per process (apps.mail.engine.message_cache), in MB of memory:
# a message and its parsed tree count twice its size.
MSSANTE_MESSAGE_CACHE_MB = env.int("MSSANTE_MESSAGE_CACHE_MB", default=64)
# Uploads are capped at the operator's limit before anything is kept (apps.flows.uploads).
FILE_UPLOAD_HANDLERS = ["apps.flows.uploads.CappedUploadHandler",
                        "django.core.files.uploadhandler.MemoryFileUploadHandler",
                        "django.core.files.uploadhandler.TemporaryFileUploadHandler"]
# Patients' mailboxes (Mon espace santé): <INS>@this domain.
MSSANTE_PATIENT_DOMAIN = env.str("MSSANTE_PATIENT_DOMAIN", default="patient.mssante.fr")
# Test and demonstration INS (OIDs …4.10 and …4.11) in the patient registry: a development
# stack's, never a production site's.
MSSANTE_ALLOW_TEST_INS = env.bool("MSSANTE_ALLOW_TEST_INS", default=DEBUG)
# Calls per second one business tool's key may make (the API answers 429 beyond).
MSSANTE_API_RATE = env.int("MSSANTE_API_RATE", default=300)
# Handing documents to the business software (issue 29): how long one MLLP exchange may
# take, and the run's lease (renewed before each document: a worker killed mid-send frees
# its link within this many seconds).
MSSANTE_INTEGRATION_MLLP_TIMEOUT = env.float("MSSANTE_INTEGRATION_MLLP_TIMEOUT", default=30.0)
MSSANTE_INTEGRATION_LEASE = env.float("MSSANTE_INTEGRATION_LEASE", default=60.0)
# The sentence a professional ticks before a first message to a patient (CSP art. R1110-4);
# empty: the site's own.
MSSANTE_PATIENT_NOTICE = env.str("MSSANTE_PATIENT_NOTICE", default="")
# Trust space: the domain whitelist (URL or local file), its checksum, extra domains
# trusted on top of it (a development stack's test domains), and the directory extraction.
MSSANTE_WHITELIST_URL = env.str("MSSANTE_WHITELIST_URL",
                                default="https://espacedeconfiance.mssante.fr/listeblanchemssante.xml")
MSSANTE_WHITELIST_SHA256_URL = env.str("MSSANTE_WHITELIST_SHA256_URL", default="")
MSSANTE_EXTRA_TRUSTED_DOMAINS = env.list("MSSANTE_EXTRA_TRUSTED_DOMAINS", default=[])
MSSANTE_ANNUAIRE_URL = env.str("MSSANTE_ANNUAIRE_URL", default="")
# Background sync: how often beat looks for mailboxes to sync, and the longest backoff.
MSSANTE_SYNC_INTERVAL = env.int("MSSANTE_SYNC_INTERVAL", default=60)
MSSANTE_SYNC_MAX_BACKOFF = env.int("MSSANTE_SYNC_MAX_BACKOFF", default=3600)
# Big initial syncs store the index from a forked writer process (the parser keeps the GIL);
# off where forking is not wanted (a thread writer is used then).
MSSANTE_SYNC_WRITER_PROCESS = env.bool("MSSANTE_SYNC_WRITER_PROCESS", default=True)
# Simultaneous IMAP connections per mailbox from one worker (Dovecot allows 10 per user+IP).
MSSANTE_IMAP_MAX_CONNECTIONS = env.int("MSSANTE_IMAP_MAX_CONNECTIONS", default=3)
# Issue 28: idle IMAP sessions are kept under a deployment-wide budget per mailbox (a slot in
# Redis for the pages, one for the workers), and each process runs a reaper thread that
# closes, within seconds, what a session that ended (anywhere) had opened. The test suite
# turns both off in its own process (tests/env_plugin.py): pooled-connection tests count
# logins there; the deployed-roles test measures them on.
# New mail pushed to the open page (Server-Sent Events): served by a threaded server (the
# demo's runserver) or by the ASGI ``push`` role, to which the proxy routes
# /bal/<n>/evenements/; off, pages poll every 5 s as before. A stream lasts
# MSSANTE_PUSH_SECONDS, then the browser reconnects (the session is checked again).
MSSANTE_PUSH = env.bool("MSSANTE_PUSH", default=False)
MSSANTE_PUSH_SECONDS = env.float("MSSANTE_PUSH_SECONDS", default=300.0)
MSSANTE_IMAP_IDLE_SLOTS = env.bool("MSSANTE_IMAP_IDLE_SLOTS", default=True)
MSSANTE_IMAP_REAPER = env.bool("MSSANTE_IMAP_REAPER", default=True)
# PLAIN login for mailboxes whose auth mode is "password": the devstack only.
MSSANTE_DEVSTACK_PASSWORD = env.str("MSSANTE_DEVSTACK_PASSWORD", default="")

# /readyz answers from a copy this many seconds old at most (probes do not each open a
# TLS connection to the operator).
MSSANTE_READYZ_CACHE_SECONDS = env.int("MSSANTE_READYZ_CACHE_SECONDS", default=5)

# ------------------------------------------------------------------ Celery
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every task has a time limit: a message that somehow takes forever to parse must not hold a
# worker (soft: the task stops and records why; hard: the child is killed). A task that hit
# its limit is acknowledged, never redelivered; the sync lock outlives the hard limit.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("MSSANTE_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_TASK_TIME_LIMIT = env.int("MSSANTE_TASK_TIME_LIMIT", default=600)
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# Work routed by kind (issue 28): a worker started without -Q takes every queue (the demo,
# a small structure); a deployment runs one worker pool per queue (the compose file's
# "scale" profile) so that new-mail syncs never wait behind body indexing, imports or
# purges. Body indexing keeps its 20-second slices: one pool serving every queue still
# shares its processes between syncs and indexing.
TASK_QUEUES: dict[str, tuple[str, ...]] = {
    "sync": ("mail.mailbox_sync_task", "mail.mailbox_sync_schedule_task"),
    "index": ("mail.mailbox_bodies_index_task",),
    "send": ("mail.outbox_send_task", "mail.outbox_retry_task"),
    "integration": ("integration.integration_run_task", "integration.integration_retry_task"),
    "maintenance": ("accounts.session_purge_task", "audit.audit_purge_task", "mail.crl_refresh_task",
                    "trust.annuaire_refresh_task", "trust.whitelist_refresh_task"),
}
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue("celery"), *(Queue(kind) for kind in TASK_QUEUES)]
CELERY_TASK_ROUTES = {name: {"queue": kind} for kind, names in TASK_QUEUES.items() for name in names}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "mailbox-sync-schedule": {"task": "mail.mailbox_sync_schedule_task",
                              "schedule": float(MSSANTE_SYNC_INTERVAL)},
    "outbox-retry": {"task": "mail.outbox_retry_task", "schedule": 60.0},
    "whitelist-refresh": {"task": "trust.whitelist_refresh_task", "schedule": 24 * 3600.0},
    "annuaire-refresh": {"task": "trust.annuaire_refresh_task", "schedule": 24 * 3600.0},
    "session-purge": {"task": "accounts.session_purge_task", "schedule": 3600.0},
    "audit-purge": {"task": "audit.audit_purge_task", "schedule": 24 * 3600.0},
    "crl-refresh": {"task": "mail.crl_refresh_task", "schedule": 3600.0},
    "integration-retry": {"task": "integration.integration_retry_task", "schedule": 60.0},
}

# ------------------------------------------------------------------ Logging
LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "apps.core.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "mozilla_django_oidc": {"level": "INFO"},
    },
}
