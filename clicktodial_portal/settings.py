"""Settings, read from the environment (the README's "Configure it" lists every variable).

Every variable is optional: the defaults give the embedded setup that `make run` uses (SQLite, a
file-system broker, a file cache and local media under `var/`, and the sandbox operator), so the
portal runs with no server installed. Production points the same variables at real engines.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue
from kombu.transport import TRANSPORT_ALIASES

BASE_DIR = Path(__file__).resolve().parent.parent
# Local data of the embedded setup (database, broker queue, cache, media): never in git.
VAR_DIR = Path(environ.Env().str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

# Prometheus: every process of this host keeps its counts in this folder, and /metrics adds them
# up (clicktodial_portal/metrics.py). Set here, before anything imports prometheus_client, so
# that each process (web, workers) finds it the same way. Empty (manage.py's one-off commands):
# counts in the process' memory only.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "metrics"))
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR
else:
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # set at all, even empty, means multiprocess

# The proxies in front (nginx, a load balancer) whose X-Forwarded-For and X-Forwarded-Proto are
# believed: addresses or networks, comma-separated; gunicorn's setting reads the same variable.
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])
FORWARDED_ALLOW_NETWORKS = [ipaddress.ip_network(n, strict=False) for n in FORWARDED_ALLOW_IPS]

# The bearer token Prometheus sends for /metrics; unset, /metrics answers no one.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-embedded-default-set-SECRET_KEY")

PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=["127.0.0.1", "localhost", "[::1]", urlsplit(PORTAL_BASE_URL).hostname or "127.0.0.1"],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PORTAL_BASE_URL])

INSTALLED_APPS = [
    "clicktodial_portal.admin_site.PortalAdminConfig",  # Django's admin, superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",  # django-csp: its system checks catch settings in its old (3.x) format
    "axes",
    "django_prometheus",
    "accounts",
    "members",
    "calls",
    "recordings",
    "audit",
    "webhooks",
]

MIDDLEWARE = [
    # The client's address behind our proxies, for all that follows (forwarded.py).
    "clicktodial_portal.forwarded.ForwardedForMiddleware",
    # Then probes and scrapes: by IP address, over HTTP, with no session (health.py).
    "clicktodial_portal.health.ProbeMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, the first to read a form's body: bodies over the view's limit are refused
    # unread, by their Content-Length (request_body.py).
    "clicktodial_portal.request_body.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The session's language (the user's saved choice), else the cookie, else the browser's.
    "accounts.language.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Next to last, so that it counts the answers the lock-out below gives too.
    "clicktodial_portal.metrics.RequestMetricsAfterMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its own answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clicktodial_portal.urls"
WSGI_APPLICATION = "clicktodial_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # The web and worker processes write at once: WAL lets readers run beside a writer,
            # IMMEDIATE takes the write lock at BEGIN so transactions queue instead of failing
            # with "database is locked" halfway through.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # A file, not :memory:, so that the live-server thread and the test thread use their own
    # connections (an in-memory database would be one connection shared by both threads).
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep each process's connection between requests: a new PostgreSQL connection per request costs
# its handshake and a backend whose catalogue caches are cold, so every query is planned slowly
# (measured: a notification took 17 ms in-process with per-request connections; bench/README.md).
# Checked before reuse, so a connection the server dropped is replaced, not failed on.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A server that does not answer fails a request (and /readyz) in seconds, not after TCP's
    # own minutes of retrying.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    # psycopg prepares a statement it has run this many times on a connection; Django turns that
    # off (None) for connection poolers' sake. Only the statements sent through
    # clicktodial_portal.sql.prepared_cursor can be prepared (the ORM's bind on the client and
    # never are, though psycopg counts their last 100 texts per connection). Behind PgBouncer in
    # transaction mode, give it max_prepared_statements (1.21+), or turn this off.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Django's, with one client per connection pool (clicktodial_portal/cache.py says why).
    CACHES["default"]["BACKEND"] = "clicktodial_portal.cache.ClientReusingRedisCache"
    # Cache operations take milliseconds: a Redis that does not answer fails them in 2 s.
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 2, "socket_timeout": 2}
    )

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Single sign-on with the enterprise's OpenID Connect provider (accounts/sso.py,
# mozilla-django-oidc): on once OIDC_CLIENT_ID and OIDC_ISSUER (or the endpoints one by one) are
# set. Roles from the claim OIDC_ROLES_CLAIM, whose values name them; OIDC_PASSWORD_LOGIN=false
# leaves passwords to superusers.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_USERINFO_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_JWKS_URI", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_USE_PKCE = True
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
OIDC_ROLES_CLAIM = env.str("OIDC_ROLES_CLAIM", default="groups")
OIDC_ROLE_ADMIN = env.list("OIDC_ROLE_ADMIN", default=["Admin"])
OIDC_ROLE_EMPLOYEE = env.list("OIDC_ROLE_EMPLOYEE", default=["Employee"])
OIDC_ROLE_FINANCE = env.list("OIDC_ROLE_FINANCE", default=["Finance"])
OIDC_REQUIRE_VERIFIED_EMAIL = env.bool("OIDC_REQUIRE_VERIFIED_EMAIL", default=True)
OIDC_PASSWORD_LOGIN = env.bool("OIDC_PASSWORD_LOGIN", default=True)
OIDC_AUTHENTICATE_CLASS = "accounts.sso.PortalOIDCRequestView"
OIDC_CALLBACK_CLASS = "accounts.sso.PortalOIDCCallbackView"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/"

# Passwords for everyone unless single sign-on is on and OIDC_PASSWORD_LOGIN=false (the login
# page decides what to show by the same rule: accounts.views.PortalLoginView).
_SSO_CONFIGURED = bool(OIDC_RP_CLIENT_ID and (OIDC_ISSUER or OIDC_OP_AUTHORIZATION_ENDPOINT))
AUTHENTICATION_BACKENDS = [
    # Refuses a login for a while after repeated failures (django-axes), then the usual check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend"
    if OIDC_PASSWORD_LOGIN or not _SSO_CONFIGURED
    else "accounts.sso.PasswordForSuperusersBackend",
    "accounts.sso.PortalOIDCBackend",
]
# After AXES_FAILURE_LIMIT wrong passwords for one username from one address, logins for that
# pair are refused for AXES_COOLOFF_TIME hours; a successful login resets the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_TIME", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# A single sign-on the provider refused is no wrong password (accounts.sso.axes_skips).
AXES_WHITELIST_CALLABLE = "accounts.sso.axes_skips"

# Sessions and CSRF cookies: never readable by scripts, sent only over HTTPS when the portal is
# served over HTTPS, and not sent with cross-site requests.
_HTTPS = PORTAL_BASE_URL.startswith("https://")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _HTTPS
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
CSRF_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _HTTPS:
    # Served over HTTPS (behind a proxy that sets X-Forwarded-Proto): plain HTTP is redirected,
    # and browsers are told to use HTTPS only, for a year unless SECURE_HSTS_SECONDS says less.
    # The header counts only from FORWARDED_ALLOW_IPS: forwarded.py drops it from anyone else.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# The portal usually lives on one subdomain of the enterprise's domain: forcing HTTPS on every
# sibling subdomain, or preloading the domain into browsers, is the domain owner's decision (the
# two settings above), not a default the portal should take. So check --deploy is not to ask.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# Request bodies (clicktodial_portal/request_body.py). No form or API call of the portal sends
# more than a few kilobytes besides a file, so 1 MiB is far above any real one and far below what
# would hurt a worker; the imports declare their own, larger limits (their files' limit, 2 and
# 5 MiB, plus the form around the file), and the proxy's client_max_body_size (6m) is just above
# the largest, so that the portal, not nginx, answers those in the page.
REQUEST_BODY_MAX_BYTES = 1024 * 1024
# Form fields and raw bodies (request.body) kept in memory: no more than the cap above.
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# An uploaded file over 256 KiB is streamed to a temporary file as it arrives rather than held in
# memory; smaller ones (a few hundred contacts) are not worth a disk write.
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# English and Simplified Chinese; the catalogue is locale/zh_Hans/LC_MESSAGES/django.po, compiled
# by `manage.py compile_translations` (make run / make test do it).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates in each language's own way (clicktodial_portal/formats/): templates and code ask for
# DATE_FORMAT, YEAR_MONTH_FORMAT, MONTH_DAY_FORMAT or SHORT_DATETIME_FORMAT, never a pattern.
FORMAT_MODULE_PATH = ["clicktodial_portal.formats"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# Recordings: files under MEDIA_ROOT/recordings, or S3-compatible object storage (django-storages)
# when AWS_STORAGE_BUCKET_NAME is set; credentials come from boto3's usual AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY.
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    from boto3.s3.transfer import TransferConfig

    _recordings_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=None),
            "location": env.str("AWS_LOCATION", default="recordings"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            # Uploads read the file 8 MB at a time, two parts at once: bounded memory.
            "transfer_config": TransferConfig(
                multipart_chunksize=8 * 1024 * 1024, max_concurrency=2
            ),
        },
    }
else:
    _recordings_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Not under MEDIA_URL: recordings are only ever served through the access check.
        "OPTIONS": {"location": str(Path(MEDIA_ROOT) / "recordings"), "base_url": None},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "recordings": _recordings_storage,
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API request is answered 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        # The same token as `Authorization: Bearer …`, what generated clients send.
        "clicktodial_portal.api_auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON, and for a browser DRF's pages, with inline style allowed there alone (the CSP).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "clicktodial_portal.browsable_api.PortalBrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Minutes are decimals (per-second billing); CRMs want JSON numbers, not strings.
    "COERCE_DECIMAL_TO_STRING": False,
    # The one place an exception becomes an HTTP answer, the services' refusals included.
    "EXCEPTION_HANDLER": "clicktodial_portal.api_errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Click-to-Dial portal API",
    "DESCRIPTION": "Start and follow calls, manage contacts and member numbers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # A request's model apart from the response's (no read-only fields to fill in, `PatchedX`
    # all optional): what a generated client needs to send a body (issue 21).
    "COMPONENT_SPLIT_REQUEST": True,
    # The API's bodies are documented as JSON alone, so that a client generated from the schema
    # sends JSON (the views still read forms, as DRF's browsable API sends them).
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Operations tagged and named by resource (`calls`, `calls_create`), not all as `api`: a
    # generated client's modules follow the tags.
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI's files are served by the portal itself, not fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Path ids (<id:pk>, clicktodial_portal/bounds.py) are integers a bigint column holds.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 1, "maximum": 9223372036854775807}
    },
    # Every operation's errors too, in DRF's JSON shape (clicktodial_portal/api_errors.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "clicktodial_portal.api_errors.document_errors",
        "clicktodial_portal.api_schema.nullable_references",
    ],
}

# Celery. The default broker is kombu's file-system transport: a real, separate worker process
# with no server to install. Production sets CELERY_BROKER_URL to Redis or RabbitMQ.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
# kombu's own file-system transport can hand a worker a half-written message, which stops it
# for good; this one writes each message atomically (clicktodial_portal/broker.py).
TRANSPORT_ALIASES["filesystem"] = "clicktodial_portal.broker:Transport"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcasts (remote control) go here too, not into a `control/` folder in the cwd.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The transport polls; 0.1 s keeps a click's begin request well under a second away.
        "polling_interval": 0.1,
    }
else:
    # Redis hands a task that was taken but never acknowledged (its worker died) to another
    # worker after visibility_timeout seconds: longer than any countdown (TASK_COUNTDOWN_LIMIT)
    # plus the longest task (RECORDING_DOWNLOAD_TIME_LIMIT's default), or a task waiting for its
    # moment, or still running, would be handed out twice. A JSON object in the environment
    # replaces these (kombu's Redis transport options).
    CELERY_BROKER_TRANSPORT_OPTIONS = env.json(
        "CELERY_BROKER_TRANSPORT_OPTIONS", default={"visibility_timeout": 2 * 60 * 60}
    )
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# The worker keeps the LOGGING below (JSON lines, the call on each) instead of its own setup.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A call's tasks must not be lost when a worker dies: acknowledge after the task ran, one at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless this
# is set: a new PostgreSQL connection (a backend started, its catalogue caches cold) for every
# begin and every recording, which cost the workers and PostgreSQL about a third of their CPU per
# call (bench/README.md). Tasks keep theirs as requests do instead, by CONN_MAX_AGE
# (clicktodial_portal/celery.py). Set, the fixup still closes connections about every this many
# tasks of a worker process (only those of the thread then running): rare enough not to count.
CELERY_DB_REUSE_MAX = 1000
# Two queues besides the default, so that a click's begin never waits behind recording downloads:
# "calls" (begin and release: short, spent waiting on the operator, latency counts) and
# "recordings" (downloads: long, bulk). The periodic sweeps and mails stay on the default queue.
# The Procfile serves "calls" with a pool of threads and "recordings" with processes; a worker
# started without -Q serves every queue listed here (the tests' worker does).
CELERY_TASK_QUEUES = [Queue("celery"), Queue("calls"), Queue("recordings")]
CELERY_TASK_ROUTES = {
    "calls.tasks.call_begin_task": {"queue": "calls"},
    "calls.tasks.call_release_task": {"queue": "calls"},
    "recordings.tasks.recording_download_task": {"queue": "recordings"},
}
# The longest a task is sent to wait (countdown) before it runs; a later retry is sent by the
# periodic sweep once due (see CELERY_BROKER_TRANSPORT_OPTIONS).
TASK_COUNTDOWN_LIMIT = 10 * 60
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# The operator (defaults: the sandbox that `make run` starts on port 8100), and which API it
# speaks: the seed's v1, or CAMARA Click to Dial 0.1 (operator_api/camara/). The sandbox
# serves both; the members, pool, history and recordings stay the same whichever is used.
OPERATOR_API = env.str("OPERATOR_API", default="v1")
if OPERATOR_API not in ("v1", "camara"):
    raise ImproperlyConfigured(f"OPERATOR_API is {OPERATOR_API!r}: use v1 or camara.")
OPERATOR_API_BASE_URL = env.str(
    "OPERATOR_API_BASE_URL",
    default="http://127.0.0.1:8100"
    + ("/click-to-dial/v0.1rc1" if OPERATOR_API == "camara" else "/clicktodial/v1"),
).rstrip("/")
# CAMARA: how long the bearer token the portal gives the operator with each call (its
# sinkCredential, for posting the call's events) stays valid; longer than any call lasts.
CAMARA_SINK_TOKEN_LIFETIME = env.int("CAMARA_SINK_TOKEN_LIFETIME", default=24 * 60 * 60)
OPERATOR_TOKEN_URL = env.str("OPERATOR_TOKEN_URL", default="http://127.0.0.1:8100/oauth2/token")
OPERATOR_CLIENT_ID = env.str("OPERATOR_CLIENT_ID", default="sandbox-client")
OPERATOR_CLIENT_SECRET = env.str("OPERATOR_CLIENT_SECRET", default="sandbox-secret")
# How the client credentials reach the token endpoint: in the form body or as HTTP Basic.
OPERATOR_TOKEN_AUTH = env.str("OPERATOR_TOKEN_AUTH", default="client_secret_post")
# The business number both parties see where no business number is set up in the portal: the
# operator's own registered string, sent exactly as written here (the seed's example).
OPERATOR_SPONSOR = env.str("OPERATOR_SPONSOR", default="01052680000").strip()
OPERATOR_NUMBER_FORMAT = env.str("OPERATOR_NUMBER_FORMAT", default="digits")
OPERATOR_CONNECT_TIMEOUT = env.float("OPERATOR_CONNECT_TIMEOUT", default=5.0)
OPERATOR_READ_TIMEOUT = env.float("OPERATOR_READ_TIMEOUT", default=10.0)
OPERATOR_DOWNLOAD_TIMEOUT = env.float("OPERATOR_DOWNLOAD_TIMEOUT", default=300.0)
OPERATOR_NOTIFY_USERNAME = env.str("OPERATOR_NOTIFY_USERNAME", default="sandbox-operator")
OPERATOR_NOTIFY_PASSWORD = env.str("OPERATOR_NOTIFY_PASSWORD", default="sandbox-notify-secret")
OPERATOR_NOTIFY_ALLOWED_IPS = env.list("OPERATOR_NOTIFY_ALLOWED_IPS", default=[])
# How the operator proves a notification is its own: "basic" (OPERATOR_NOTIFY_USERNAME and
# _PASSWORD), or "none" for an operator that sends no credentials, which is then believed only
# from OPERATOR_NOTIFY_ALLOWED_IPS (calls/checks.py refuses to start without that list).
OPERATOR_NOTIFY_AUTH = env.str("OPERATOR_NOTIFY_AUTH", default="basic").strip().lower()
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="CN")
# How often a call whose begin could not reach the operator is tried again, and how long apart.
CALL_BEGIN_MAX_RETRIES = env.int("CALL_BEGIN_MAX_RETRIES", default=3)
CALL_BEGIN_RETRY_DELAY = env.float("CALL_BEGIN_RETRY_DELAY", default=2.0)
# Who may be called, and how often. International destinations only when allowed; prefixes
# (E.164) never called, by default ITU's international premium-rate (+979) and satellite and
# international-network codes (+881, +882, +883), which cost many times a normal call.
CALL_ALLOW_INTERNATIONAL = env.bool("CALL_ALLOW_INTERNATIONAL", default=False)
CALL_DENIED_PREFIXES = env.list("CALL_DENIED_PREFIXES", default=["+979", "+881", "+882", "+883"])
# Calls a member may have in progress at once (0: no limit), and calls a user may place per
# CALL_RATE_WINDOW seconds (0: no limit).
CALL_MAX_ACTIVE_PER_MEMBER = env.int("CALL_MAX_ACTIVE_PER_MEMBER", default=1)
CALL_RATE_LIMIT = env.int("CALL_RATE_LIMIT", default=10)
CALL_RATE_WINDOW = env.int("CALL_RATE_WINDOW", default=60)
# Seconds without news after which a ringing call, or a connected one, has an unknown outcome.
CALL_RINGING_TIMEOUT = env.int("CALL_RINGING_TIMEOUT", default=15 * 60)
CALL_MAX_DURATION = env.int("CALL_MAX_DURATION", default=6 * 60 * 60)
CELERY_BEAT_SCHEDULE = {
    "calls-expire-silent": {"task": "calls.tasks.calls_expire_silent_task", "schedule": 60.0},
    "recordings-download-due": {
        "task": "recordings.tasks.recordings_download_due_task",
        "schedule": 60.0,
    },
    "recordings-expire": {"task": "recordings.tasks.recordings_expire_task", "schedule": 3600.0},
    "pool-alerts-resend": {"task": "members.tasks.pool_alerts_resend_task", "schedule": 600.0},
    "pool-rollover": {"task": "members.tasks.pool_rollover_task", "schedule": 600.0},
    "webhook-messages-due": {"task": "webhooks.tasks.webhook_messages_due_task", "schedule": 30.0},
}

# Webhooks (webhooks/): private, loopback and link-local addresses, and plain http://, only when
# allowed (a receiver inside the enterprise's network); how long an endpoint may take; the delays
# between tries (Standard Webhooks' schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, each with
# jitter), for a day, after which the message is given up and an endpoint failing all that time
# disabled.
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_CONNECT_TIMEOUT = 3.05
WEBHOOK_TIMEOUT = 10.0
WEBHOOK_RETRY_DELAYS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600]
WEBHOOK_RETRY_PERIOD = 24 * 3600

# Recordings. Whether calls are recorded where no rule (enterprise, department, member; set in
# the admin) says otherwise, and the v1 begin request's field that asks for it ("record": 0/1 in
# the operator's earlier API). Empty, the default: the seed's begin has no such field, so only
# its three fields are sent and the operator decides what is recorded. (CAMARA has its own
# field, recordingEnabled, always sent.)
RECORDING_ENABLED = env.bool("RECORDING_ENABLED", default=True)
OPERATOR_RECORD_FIELD = env.str("OPERATOR_RECORD_FIELD", default="").strip()
# Days a recording is kept after its call; 0 keeps them forever. Legal holds are always kept.
RECORDING_RETENTION_DAYS = env.int("RECORDING_RETENTION_DAYS", default=90)
# Failed downloads: how many tries in all, the first retry's delay and the longest (seconds);
# each wait doubles, with jitter.
RECORDING_DOWNLOAD_MAX_ATTEMPTS = env.int("RECORDING_DOWNLOAD_MAX_ATTEMPTS", default=8)
RECORDING_DOWNLOAD_RETRY_DELAY = env.float("RECORDING_DOWNLOAD_RETRY_DELAY", default=30.0)
RECORDING_DOWNLOAD_RETRY_MAX_DELAY = env.float("RECORDING_DOWNLOAD_RETRY_MAX_DELAY", default=3600.0)
# Seconds one download may take before it is stopped and tried again.
RECORDING_DOWNLOAD_TIME_LIMIT = env.int("RECORDING_DOWNLOAD_TIME_LIMIT", default=3600)
# How the audio reaches the browser: "django" streams it (Range supported), "x-accel-redirect"
# (nginx, under RECORDING_ACCEL_PREFIX) or "x-sendfile" hand the file to the web server,
# "storage-url" redirects to a signed storage URL valid RECORDING_URL_LIFETIME seconds (S3).
RECORDING_DELIVERY = env.str("RECORDING_DELIVERY", default="django")
RECORDING_ACCEL_PREFIX = env.str("RECORDING_ACCEL_PREFIX", default="/protected-recordings/")
RECORDING_URL_LIFETIME = env.int("RECORDING_URL_LIFETIME", default=300)
# Seeking makes a player ask again and again: one play per person and recording is audited
# within this many seconds.
RECORDING_PLAY_AUDIT_WINDOW = env.int("RECORDING_PLAY_AUDIT_WINDOW", default=600)


def _recording_storage_origins() -> list[str]:
    """Where the browser fetches a recording from when RECORDING_DELIVERY="storage-url" redirects
    it to a signed object-storage URL: media-src must allow that origin, redirects included. Both
    addressing styles are listed (botocore's "auto" picks one per bucket name); CSP_MEDIA_ORIGINS
    adds any other (a CDN or custom domain in front of the bucket)."""
    if RECORDING_DELIVERY != "storage-url" or not AWS_STORAGE_BUCKET_NAME:
        return []
    options = _recordings_storage["OPTIONS"]
    bucket = AWS_STORAGE_BUCKET_NAME
    if endpoint := options["endpoint_url"]:
        parts = urlsplit(endpoint)
        return [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://{bucket}.{parts.netloc}"]
    origins = [f"https://{bucket}.s3.amazonaws.com"]
    if region := options["region_name"]:
        origins += [
            f"https://{bucket}.s3.{region}.amazonaws.com",
            f"https://s3.{region}.amazonaws.com",
        ]
    return origins


# Content-Security-Policy (django-csp 4): scripts, styles, fonts and everything fetched come from
# the portal itself; no inline script or handler (static/js holds them all), no inline style (htmx's
# indicator <style> is switched off in base.html), no plugins, no framing, forms post only here.
# The inline SVG charts are markup styled by portal.css, with no style attributes. data: is for
# the favicon placeholder and Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": [
            "'self'",
            *_recording_storage_origins(),
            *env.list("CSP_MEDIA_ORIGINS", default=[]),
        ],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# The minute pool: what a new enterprise's first period gets (admins change it on the pool page).
POOL_DEFAULT_MINUTES = env.int("POOL_DEFAULT_MINUTES", default=10_000)
POOL_ALERT_THRESHOLDS = [int(t) for t in env.list("POOL_ALERT_THRESHOLDS", default=[80, 95, 100])]
# Who hears of crossed thresholds, besides every admin with an e-mail address.
POOL_ALERT_EMAILS = env.list("POOL_ALERT_EMAILS", default=[])

# E-mail (pool alerts). The embedded default prints each message in the worker's output.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Click to Dial <noreply@localhost>")

# Lines about a call carry its id and identifier; LOG_FORMAT=json writes one JSON object a line
# for a log collector (clicktodial_portal/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "()": "clicktodial_portal.logs.TextFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s%(call)s %(message)s",
        },
        "json": {"()": "clicktodial_portal.logs.JsonLogFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Errors, with the call they were about, to Sentry when a DSN is given (its Django and Celery
# integrations come on by themselves). Not sent: users' addresses and cookies (send_default_pii),
# nor the INFO lines as breadcrumbs, which name the phone numbers called; WARNING lines go with
# an event as its breadcrumbs, ERROR lines are events.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import logging

    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        integrations=[LoggingIntegration(level=logging.WARNING, event_level=logging.ERROR)],
    )
