"""Pamoja settings: one module, driven by environment variables (see README.md for the table).

Secure by default: DEBUG is off unless the environment (or the local `.env` that `make` writes) turns it on.
"""

import base64
import hashlib
import ipaddress
import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from corsheaders.defaults import default_headers as default_cors_headers
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
_env_file = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    env.read_env(_env_file)

DEBUG = env.bool("DEBUG", default=False)
RUN_DIR = Path(env.str("RUN_DIR", default=str(BASE_DIR / ".run")))
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        sys.exit("Configuration error: SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on-" + "x" * 16

# Encryption at rest (config/encryption.py). DEBUG may derive keys from SECRET_KEY; production must set both.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_HASH_KEY = env.str("FIELD_HASH_KEY", default="")
if not FIELD_ENCRYPTION_KEYS or not FIELD_HASH_KEY:
    if not DEBUG:
        sys.exit("Configuration error: FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set when DEBUG is off.")
    _derived = base64.urlsafe_b64encode(hashlib.sha256(f"fields:{SECRET_KEY}".encode()).digest()).decode()
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [_derived]
    FIELD_HASH_KEY = FIELD_HASH_KEY or hashlib.sha256(f"hash:{SECRET_KEY}".encode()).hexdigest()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
if env.str("RENDER_EXTERNAL_HOSTNAME", default=""):  # set by Render on every web service
    ALLOWED_HOSTS.append(env.str("RENDER_EXTERNAL_HOSTNAME"))
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_HEADERS = (*default_cors_headers, "idempotency-key", "x-pin-token", "x-request-id")
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]
CORS_URLS_REGEX = r"^/api/.*$"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Off by default in production: the sandboxes' control URLs are unauthenticated and can complete any pending charge.
PROVIDERS_SANDBOX = env.bool("PROVIDERS_SANDBOX", default=DEBUG)

INSTALLED_APPS = [
    "console.apps.StaffAdminConfig",  # django.contrib.admin with the staff console's site (console/sites.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "django_celery_beat",
    "django_prometheus",
    "axes",
    "config.apps.PlatformConfig",
    "core",
    "accounts",
    "groups",
    "contributions",
    "payments",
    "billpay",
    "loyalty",
    "notifications",
    "console",
    "demo",  # the demo world of `make run` and its tour (demo/); only `seed_demo` and `demo_tour` use it
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.request_context.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.security_headers.SecurityHeadersMiddleware",  # no-store when signed in; Content-Security-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.lazy_messages.LazyMessageMiddleware",  # the admin's messages, made on first use
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.metrics.RequestMetricsMiddleware",  # django-prometheus' After middleware, fewer series
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------


def _database(url: str) -> dict:
    """One DATABASES entry from a URL, with the engine options each backend needs to behave under load."""
    config = env.db_url_config(url)
    engine = config["ENGINE"]
    options = config.setdefault("OPTIONS", {})
    if engine == "django.db.backends.sqlite3":
        # WAL lets the web process read while the worker writes; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue on the busy timeout instead of failing with "database is locked" mid-transaction.
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault(
            "init_command",
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        )
    elif engine == "django.db.backends.postgresql":
        if env.bool("DATABASE_POOL", default=True):
            options.setdefault(
                "pool",
                {
                    "min_size": env.int("DATABASE_POOL_MIN", default=2),
                    "max_size": env.int("DATABASE_POOL_MAX", default=10),
                    "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
                },
            )
            config["CONN_MAX_AGE"] = 0
        else:
            config["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
            config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database(env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if env.str("REPLICA_DATABASE_URL", default=""):
    DATABASES["replica"] = _database(env.str("REPLICA_DATABASE_URL"))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------------------------


def _redis_cache_url(url: str) -> str:
    """Give each pytest-xdist worker its own Redis database, so one worker's cache.clear() spares the others."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.lstrip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + int(worker[2:])) % 16}"))


REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_cache_url(REDIS_URL),
            "KEY_PREFIX": "pamoja",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pamoja"}}

# Channels' layer: notifications/live.py publishes on it (web, worker), the `ws` process (daphne, /ws/) listens.
# Every process must share it: Redis at CHANNEL_LAYER_URL (a noeviction instance: an evicted group would silently
# stop a socket's pushes), else REDIS_URL. Without either, an in-memory layer reaches only its own process, so the
# consumer then also polls the database every NOTIFICATIONS_LIVE_POLL_SECONDS (0: never).
CHANNEL_LAYER_URL = env.str("CHANNEL_LAYER_URL", default="") or REDIS_URL
if CHANNEL_LAYER_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": CHANNEL_LAYER_URL, "socket_connect_timeout": 2}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
NOTIFICATIONS_LIVE_POLL_SECONDS = 3
WEBSOCKET_ROUTES = "notifications.routing.websocket_urlpatterns"  # config.asgi's routes, named like ROOT_URLCONF

# --- Auth -----------------------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Lockout (django-axes): five failed logins for an account, or from one address, lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation: stored in UTC, shown in TIME_ZONE ----------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("sw", "Kiswahili")]
TIME_ZONE = env.str("TIME_ZONE", default="Africa/Nairobi")
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise; the docs' assets come from drf-spectacular-sidecar, no CDN) ----------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Uploaded files (avatars) and database backups go through Django's storage API: local folders by default, an
# S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO…) once S3_BUCKET is set, which a host that wipes
# its disk on every deploy (Render) needs. Objects stay private: links to them are signed and expire.
S3_BUCKET = env.str("S3_BUCKET", default="")
BACKUP_S3_BUCKET = env.str("BACKUP_S3_BUCKET", default="") or S3_BUCKET
_S3_OPTIONS = {
    "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
    "region_name": env.str("S3_REGION", default="") or None,
    # unset: boto3's own chain (AWS_* variables, an instance role)
    "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
    "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
    "default_acl": None,
    "querystring_auth": True,
    "querystring_expire": 3600,
    "file_overwrite": False,
}
BACKUP_ROOT = env.str("BACKUP_ROOT", default=str(RUN_DIR / "backups"))
STORAGES = {
    "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**_S3_OPTIONS, "bucket_name": S3_BUCKET}}
    if S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "backups": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_S3_OPTIONS, "bucket_name": BACKUP_S3_BUCKET, "location": "backups"},
    }
    if BACKUP_S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": BACKUP_ROOT}},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Django REST framework ------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # simplejwt's bearer JWTs, refused once the user's sessions ended (logout, password change…)
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.SessionAwareJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PagePagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "auth": env.str("THROTTLE_AUTH", default="10/min"),
        # transfers' recipient lookups per user: each tells an account's email or phone from an unknown one
        "recipient_lookup": env.str("THROTTLE_RECIPIENT_LOOKUP", default="30/hour"),
        # a bill token sent again (by SMS once notifications send them)
        "bill_token_resend": env.str("THROTTLE_BILL_TOKEN_RESEND", default="10/hour"),
        "group_invites": env.str("THROTTLE_GROUP_INVITES", default="30/hour"),
        # loyalty redemptions per staff user or API key: one-time codes are six digits
        "loyalty_redeem": env.str("THROTTLE_LOYALTY_REDEEM", default="120/min"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=None),
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.schema.PamojaAutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Pamoja API",
    "DESCRIPTION": (
        "Community finance: savings groups, wallet and payments, bill pay and merchant loyalty. "
        'Every error has one shape: `{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PaymentProviderEnum": "payments.models.Provider",
        "NotificationCategoryEnum": "notifications.catalog.Category",
        "BillCategoryEnum": "billpay.models.CategoryCode",
        "ResolutionKindEnum": "contributions.models.ResolutionKind",
        "ResolutionStatusEnum": "contributions.models.ResolutionStatus",
        "VoteChoiceEnum": "contributions.models.VoteChoice",
        "GroupPlanEnum": "groups.models.Plan",
        "PlanBillingEnum": "groups.models.PlanBilling",
        "LoyaltyStaffRoleEnum": "loyalty.models.StaffRole",
        "GroupRoleEnum": "groups.models.Role",
        "LoyaltyCustomerStatusEnum": "loyalty.models.CustomerStatus",
        "LoyaltyCampaignStatusEnum": "loyalty.models.CampaignStatus",
        "LoyaltyIssuanceStateEnum": "loyalty.models.IssuanceState",
        "BankProviderEnum": "payments.models.BANK_PROVIDERS",
        "ChargeStatusEnum": "payments.models.ChargeStatus",
        "GroupKindEnum": "groups.models.GroupKind",
        "GroupStatusEnum": "groups.models.GroupStatus",
        "MembershipStatusEnum": "groups.models.MembershipStatus",
        "PayoutOrderEnum": "groups.models.PayoutOrder",
        "SwapStatusEnum": "contributions.models.SwapStatus",
        "ContributionStatusEnum": "contributions.models.ContributionStatus",
        "CycleStatusEnum": "contributions.models.CycleStatus",
        "SettledItemKindEnum": "contributions.serializers.SETTLED_KINDS",
        "PenaltyStatusEnum": "contributions.models.PenaltyStatus",
        "PenaltyCauseEnum": "contributions.models.PenaltyCause",
        "MeetingStatusEnum": "groups.models.MeetingStatus",
        "AttendanceStatusEnum": "groups.models.AttendanceStatus",
        "LoanStatusEnum": "contributions.models.LoanStatus",
        "InstalmentStatusEnum": "contributions.models.InstalmentStatus",
        "GuaranteeStatusEnum": "contributions.models.GuaranteeStatus",
        "LoanDecisionKindEnum": "contributions.models.DecisionKind",
        "RecordedPaymentStatusEnum": "contributions.models.RecordedPaymentStatus",
        "RecordedPaymentMethodEnum": "contributions.models.PaymentMethod",
        "RecordedPaymentTargetEnum": "contributions.models.PaymentTarget",
        "InterestMethodEnum": "groups.models.InterestMethod",
        "PayoutDestinationKindEnum": "contributions.models.PayoutDestinationKind",
        "SavingItemKindEnum": "contributions.serializers.SAVING_ITEM_KINDS",
        "ProfileUpdateInputLanguageEnum": ["en", "sw"],  # as JSON and as multipart
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.apply_input_rules",
        "config.schema.add_error_responses",
    ],
    "TAGS": [
        {"name": "platform", "description": "Health, readiness."},
        {"name": "accounts", "description": "Sign-in, tokens, the user."},
        {"name": "groups", "description": "Savings groups."},
        {"name": "contributions", "description": "Cycles, contributions, payouts."},
        {"name": "payments", "description": "Wallet, deposits, withdrawals, transfers."},
        {"name": "billpay", "description": "Airtime, data, electricity, TV."},
        {"name": "loyalty", "description": "Merchant loyalty."},
        {"name": "notifications", "description": "In-app notifications."},
    ],
}

# --- Celery ---------------------------------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "filesystem://localhost//"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(RUN_DIR / "broker"),
        "data_folder_out": str(RUN_DIR / "broker"),
        "control_folder": str(RUN_DIR / "broker-control"),
        # the transport takes one message per poll: at the default 1 s, a backlog (the demo world's webhooks and
        # notifications) holds up the first real payment for a minute
        "polling_interval": 0.1,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Backups (core/backups.py): daily by beat, `manage.py backup` and `manage.py restore_drill` ------------------

# Fernet keys, newest first: backups are written with the first and read with any. Unset: stored unencrypted.
BACKUP_ENCRYPTION_KEYS = env.list("BACKUP_ENCRYPTION_KEYS", default=[])
try:  # found out now, not at 02:30 when the backup runs
    [Fernet(key) for key in BACKUP_ENCRYPTION_KEYS]
except ValueError:
    sys.exit("Configuration error: BACKUP_ENCRYPTION_KEYS must be Fernet keys (see README, Operations).")
BACKUP_RETENTION_DAYS = env.int("BACKUP_RETENTION_DAYS", default=30)

# --- Logging: one JSON object per line, secrets redacted before anything is written -----------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "config.logging.RequestContextFilter"},
        "redact": {"()": "config.logging.RedactSecretsFilter"},
    },
    "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # our access log already records every request; keep only django's 5xx lines
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
        # Celery's prefork pool (billiard) logs here with propagation off: give it the same JSON handler
        "multiprocessing": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- Error tracking (config/sentry.py): off unless SENTRY_DSN is set; no personal data leaves -------------------

SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="") or env.str("RENDER_GIT_COMMIT", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# --- Security -------------------------------------------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Only staff have Django sessions (the admin; the API signs in with JWTs): one ends after 30 minutes idle.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The platform's health checks come over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/$", r"^api/v1/ready/$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Email ----------------------------------------------------------------------------------------------------

# EMAIL_URL: consolemail:// (default), smtp+tls://user:password@host:587, or an email API's SMTP relay.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pamoja <no-reply@pamoja.africa>")

PROMETHEUS_EXPORT_MIGRATIONS = False
# /metrics with DEBUG off (config/metrics.py): `Authorization: Bearer <METRICS_TOKEN>`, or a client address in
# METRICS_ALLOWED_IPS (addresses or networks, e.g. 10.0.0.0/8); anyone else gets 403.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
try:
    [ipaddress.ip_network(entry, strict=False) for entry in METRICS_ALLOWED_IPS]
except ValueError as _bad:
    sys.exit(f"Configuration error: METRICS_ALLOWED_IPS: {_bad}.")

# --- Money ----------------------------------------------------------------------------------------------------

IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)

# Payment providers. With PROVIDERS_SANDBOX on (the default with DEBUG) every provider is the offline sandbox, which
# signs its webhooks with these same secrets, so the whole flow runs on one machine. The sandbox values are public:
# with PROVIDERS_SANDBOX off, startup stops unless each secret below is set to something else (checked further down).
SANDBOX_PROVIDER_SECRETS = {
    "PAYSTACK_SECRET_KEY": "sk_test_pamoja_sandbox",
    "FLUTTERWAVE_SECRET_KEY": "FLWSECK_TEST-pamoja-sandbox",
    "FLUTTERWAVE_SECRET_HASH": "pamoja-sandbox-hash",
    "MPESA_CONSUMER_KEY": "sandbox-consumer-key",
    "MPESA_CONSUMER_SECRET": "sandbox-consumer-secret",
    "MPESA_PASSKEY": "sandbox-passkey",
    "MPESA_SECURITY_CREDENTIAL": "sandbox-credential",
    "MPESA_C2B_TOKEN": "sandbox-paybill-token",
    "SMILE_ID_API_KEY": "smileid-sandbox-key",
    "VTPASS_API_KEY": "vtpass-sandbox-api-key",
    "VTPASS_PUBLIC_KEY": "PK_vtpass_sandbox",
    "VTPASS_SECRET_KEY": "SK_vtpass_sandbox",
    "VTPASS_CALLBACK_TOKEN": "vtpass-sandbox-callback",
    "WHATSAPP_APP_SECRET": "whatsapp-sandbox-app-secret",
    "WHATSAPP_VERIFY_TOKEN": "whatsapp-sandbox-verify-token",
    "WHATSAPP_ACCESS_TOKEN": "whatsapp-sandbox-access-token",
    "USSD_CALLBACK_TOKEN": "ussd-sandbox-callback",
}
PAYSTACK_SECRET_KEY = env.str("PAYSTACK_SECRET_KEY", default=SANDBOX_PROVIDER_SECRETS["PAYSTACK_SECRET_KEY"])
PAYSTACK_BASE_URL = env.str("PAYSTACK_BASE_URL", default="https://api.paystack.co")
FLUTTERWAVE_SECRET_KEY = env.str("FLUTTERWAVE_SECRET_KEY", default=SANDBOX_PROVIDER_SECRETS["FLUTTERWAVE_SECRET_KEY"])
FLUTTERWAVE_SECRET_HASH = env.str(
    "FLUTTERWAVE_SECRET_HASH", default=SANDBOX_PROVIDER_SECRETS["FLUTTERWAVE_SECRET_HASH"]
)
FLUTTERWAVE_BASE_URL = env.str("FLUTTERWAVE_BASE_URL", default="https://api.flutterwave.com/v3")
MPESA_BASE_URL = env.str("MPESA_BASE_URL", default="https://sandbox.safaricom.co.ke")
MPESA_CONSUMER_KEY = env.str("MPESA_CONSUMER_KEY", default=SANDBOX_PROVIDER_SECRETS["MPESA_CONSUMER_KEY"])
MPESA_CONSUMER_SECRET = env.str("MPESA_CONSUMER_SECRET", default=SANDBOX_PROVIDER_SECRETS["MPESA_CONSUMER_SECRET"])
MPESA_SHORTCODE = env.str("MPESA_SHORTCODE", default="174379")
MPESA_PASSKEY = env.str("MPESA_PASSKEY", default=SANDBOX_PROVIDER_SECRETS["MPESA_PASSKEY"])
MPESA_B2C_SHORTCODE = env.str("MPESA_B2C_SHORTCODE", default="600000")
MPESA_INITIATOR_NAME = env.str("MPESA_INITIATOR_NAME", default="testapi")
MPESA_SECURITY_CREDENTIAL = env.str(
    "MPESA_SECURITY_CREDENTIAL", default=SANDBOX_PROVIDER_SECRETS["MPESA_SECURITY_CREDENTIAL"]
)
# The secret in our paybill's C2B confirmation and validation URLs (Daraja signs nothing): register them with
# `manage.py register_paybill_urls` after changing it.
MPESA_C2B_TOKEN = env.str("MPESA_C2B_TOKEN", default=SANDBOX_PROVIDER_SECRETS["MPESA_C2B_TOKEN"])
SANDBOX_STK_DELAY = env.float("SANDBOX_STK_DELAY", default=2.0)
# Where the sandboxes deliver webhooks: "http" posts to SITE_URL like a real provider; "inprocess" calls the app
# directly (tests, where no server listens).
SANDBOX_DELIVERY = env.str("SANDBOX_DELIVERY", default="http")
# Where a card checkout sends the customer back to (the SPA's deposit page).
DEPOSIT_RETURN_URL = env.str("DEPOSIT_RETURN_URL", default=SITE_URL)
# Flat withdrawal fee per provider and currency, e.g. {"paystack": {"NGN": "50.00"}, "mpesa": {"KES": "15.00"}}.
WITHDRAWAL_FEES = env.json(
    "WITHDRAWAL_FEES",
    default={
        "paystack": {"NGN": "50.00", "GHS": "1.00", "ZAR": "5.00", "KES": "20.00"},
        "flutterwave": {
            "NGN": "45.00",
            "KES": "25.00",
            "UGX": "1000",
            "TZS": "1000.00",
            "RWF": "300",
            "GHS": "1.00",
            "ZAR": "5.00",
            "USD": "1.00",
        },
        "mpesa": {"KES": "15.00"},
    },
)
# Largest deposit per provider and currency (a provider's own ceiling, such as M-Pesa's KES 250,000 per STK push,
# applies as well); a pair not named has only the provider's own ceiling.
DEPOSIT_MAXIMUMS = env.json(
    "DEPOSIT_MAXIMUMS",
    default={
        "paystack": {
            "NGN": "10000000.00",
            "GHS": "100000.00",
            "ZAR": "150000.00",
            "KES": "1000000.00",
            "USD": "10000.00",
        },
        "flutterwave": {
            "NGN": "10000000.00",
            "KES": "1000000.00",
            "GHS": "100000.00",
            "UGX": "30000000",
            "TZS": "20000000.00",
            "RWF": "10000000",
            "ZAR": "150000.00",
            "USD": "10000.00",
        },
        "mpesa": {"KES": "250000.00"},
    },
)
# Which currencies each provider takes.
PROVIDER_CURRENCIES = {
    "paystack": ["NGN", "GHS", "ZAR", "KES", "USD"],
    "flutterwave": ["NGN", "KES", "GHS", "UGX", "TZS", "RWF", "ZAR", "USD"],
    "mpesa": ["KES"],
}
# The SPA: where links in emails (verify email, reset password) lead.
FRONTEND_URL = env.str("FRONTEND_URL", default=SITE_URL).rstrip("/")
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2

# Smile ID (KYC) and what each KYC tier may move out per currency: single transaction and per day.
SMILE_ID_PARTNER_ID = env.str("SMILE_ID_PARTNER_ID", default="0000")
SMILE_ID_API_KEY = env.str("SMILE_ID_API_KEY", default=SANDBOX_PROVIDER_SECRETS["SMILE_ID_API_KEY"])
SMILE_ID_BASE_URL = env.str("SMILE_ID_BASE_URL", default="https://testapi.smileidentity.com/v1")
# VTPass (bill payments): an api-key with the secret key on POSTs and the public key on GETs.
VTPASS_API_KEY = env.str("VTPASS_API_KEY", default=SANDBOX_PROVIDER_SECRETS["VTPASS_API_KEY"])
VTPASS_PUBLIC_KEY = env.str("VTPASS_PUBLIC_KEY", default=SANDBOX_PROVIDER_SECRETS["VTPASS_PUBLIC_KEY"])
VTPASS_SECRET_KEY = env.str("VTPASS_SECRET_KEY", default=SANDBOX_PROVIDER_SECRETS["VTPASS_SECRET_KEY"])
VTPASS_BASE_URL = env.str("VTPASS_BASE_URL", default="https://vtpass.com/api/")
VTPASS_TIMEOUT = env.float("VTPASS_TIMEOUT", default=45.0)
# VTPass signs no callback: the URL set in its dashboard is `webhooks/vtpass/<this secret>/`, and an update is only
# acted on after a requery.
VTPASS_CALLBACK_TOKEN = env.str("VTPASS_CALLBACK_TOKEN", default=SANDBOX_PROVIDER_SECRETS["VTPASS_CALLBACK_TOKEN"])
# After this many calls in a row with no usable answer, bill orders are refused (503) for the cool-down, in seconds.
BILLPAY_BREAKER_THRESHOLD = env.int("BILLPAY_BREAKER_THRESHOLD", default=5)
BILLPAY_BREAKER_COOLDOWN = env.int("BILLPAY_BREAKER_COOLDOWN", default=60)

# Loyalty channels. WhatsApp Cloud API: one Meta app for the platform, each tenant's number a phone-number id under
# it (set on the tenant). Deliveries are signed with the app secret; the verify token answers Meta's subscription
# check; replies go through the Graph API with the access token, or, with PROVIDERS_SANDBOX on, are only recorded.
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default=SANDBOX_PROVIDER_SECRETS["WHATSAPP_APP_SECRET"])
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default=SANDBOX_PROVIDER_SECRETS["WHATSAPP_VERIFY_TOKEN"])
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default=SANDBOX_PROVIDER_SECRETS["WHATSAPP_ACCESS_TOKEN"])
WHATSAPP_GRAPH_URL = env.str("WHATSAPP_GRAPH_URL", default="https://graph.facebook.com/v21.0").rstrip("/")
# USSD (Africa's Talking): the gateway signs nothing, and a forged request could read a customer's reward codes, so
# the callback URL set in its dashboard is `channels/ussd/<this secret>/`. A session idle longer than
# USSD_SESSION_TIMEOUT seconds has been closed by the gateway.
USSD_CALLBACK_TOKEN = env.str("USSD_CALLBACK_TOKEN", default=SANDBOX_PROVIDER_SECRETS["USSD_CALLBACK_TOKEN"])
USSD_SESSION_TIMEOUT = env.int("USSD_SESSION_TIMEOUT", default=180)
# Merchants' webhook endpoints: the timeout of one delivery, in seconds, and whether private, loopback and
# link-local addresses are allowed (only in sandbox mode, for a receiver on this machine; never in production).
LOYALTY_WEBHOOK_TIMEOUT = env.float("LOYALTY_WEBHOOK_TIMEOUT", default=15.0)
LOYALTY_WEBHOOKS_ALLOW_PRIVATE = env.bool("LOYALTY_WEBHOOKS_ALLOW_PRIVATE", default=False) and PROVIDERS_SANDBOX

# Notifications. SMS through Africa's Talking or Twilio, push through FCM HTTP v1; "sandbox" (the default) sends
# nothing and records what would have gone. Email goes through EMAIL_URL above.
SMS_PROVIDER = env.str("SMS_PROVIDER", default="sandbox")  # sandbox | africastalking | twilio
AFRICASTALKING_USERNAME = env.str("AFRICASTALKING_USERNAME", default="sandbox")
AFRICASTALKING_API_KEY = env.str("AFRICASTALKING_API_KEY", default="")
AFRICASTALKING_SENDER_ID = env.str("AFRICASTALKING_SENDER_ID", default="")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
PUSH_PROVIDER = env.str("PUSH_PROVIDER", default="sandbox")  # sandbox | fcm
FCM_PROJECT_ID = env.str("FCM_PROJECT_ID", default="")
# The Firebase service account's JSON key, as one string (a secret: keep it in the host's secret store).
FCM_SERVICE_ACCOUNT_JSON = env.str("FCM_SERVICE_ACCOUNT_JSON", default="")
_notification_config = {
    "africastalking": ["AFRICASTALKING_USERNAME", "AFRICASTALKING_API_KEY"],
    "twilio": ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"],
    "fcm": ["FCM_PROJECT_ID", "FCM_SERVICE_ACCOUNT_JSON"],
}
_missing = [
    name
    for provider in (SMS_PROVIDER, PUSH_PROVIDER)
    for name in _notification_config.get(provider, [])
    if not globals()[name]
]
if SMS_PROVIDER not in ("sandbox", "africastalking", "twilio") or PUSH_PROVIDER not in ("sandbox", "fcm"):
    sys.exit("Configuration error: SMS_PROVIDER is sandbox, africastalking or twilio; PUSH_PROVIDER sandbox or fcm.")
if _missing:
    sys.exit(f"Configuration error: {', '.join(_missing)} must be set for the chosen SMS or push provider.")
if SMS_PROVIDER == "twilio" and not (TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID):
    sys.exit("Configuration error: Twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID.")
# A delivery is tried this many times, waiting NOTIFICATION_RETRY_BASE seconds x 4^(attempt - 1) between tries.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
NOTIFICATION_RETRY_BASE = env.int("NOTIFICATION_RETRY_BASE", default=30)

# Group plans: what each allows (member slots; the loans module, statement export as CSV or PDF, payments
# officials record) and its monthly price per currency, billed from the chair's wallet or the pot.
GROUP_PLANS = env.json(
    "GROUP_PLANS",
    default={
        "free": {"members": 10, "loans": False, "statements_export": False, "recorded_payments": False},
        "standard": {"members": 30, "loans": True, "statements_export": True, "recorded_payments": False},
        "premium": {"members": 100, "loans": True, "statements_export": True, "recorded_payments": True},
    },
)
GROUP_PLAN_PRICES = env.json(
    "GROUP_PLAN_PRICES",
    default={
        "standard": {"KES": "500.00", "NGN": "3000.00", "GHS": "40.00", "UGX": "15000", "TZS": "10000"},
        "premium": {"KES": "1500.00", "NGN": "9000.00", "GHS": "120.00", "UGX": "45000", "TZS": "30000"},
    },
)

KYC_LIMITS = env.json(
    "KYC_LIMITS",
    default={
        "0": {"KES": ["10000", "20000"], "NGN": ["50000", "100000"], "default": ["0", "0"]},
        "1": {"KES": ["70000", "150000"], "NGN": ["300000", "1000000"], "default": ["500", "1000"]},
        "2": {"KES": ["250000", "1000000"], "NGN": ["5000000", "20000000"], "default": ["10000", "50000"]},
    },
)

# Velocity limits against fraud, per kind ("transfer", "withdrawal") and window ("hour", "day"): at most `count`
# items and `amount` per currency ("default" for a currency not named; none named and no default: no amount limit).
# VELOCITY_LIMITS counts a user's items; VELOCITY_DEVICE_LIMITS those the user made from one device (X-Device-Id).
# Amounts are scaled to KYC_LIMITS' tier 2: an hour holds a quarter of its day, a day its daily limit.
_VELOCITY_AMOUNTS = {
    "hour": {"KES": "250000", "NGN": "5000000", "GHS": "12500", "ZAR": "12500", "default": "12500"},
    "day": {"KES": "1000000", "NGN": "20000000", "GHS": "50000", "ZAR": "50000", "default": "50000"},
}
_VELOCITY_DEVICE_AMOUNTS = {
    "hour": {"KES": "125000", "NGN": "2500000", "GHS": "6250", "ZAR": "6250", "default": "6250"},
    "day": {"KES": "500000", "NGN": "10000000", "GHS": "25000", "ZAR": "25000", "default": "25000"},
}
VELOCITY_LIMITS = env.json(
    "VELOCITY_LIMITS",
    default={
        "transfer": {
            "hour": {"count": 10, "amount": _VELOCITY_AMOUNTS["hour"]},
            "day": {"count": 50, "amount": _VELOCITY_AMOUNTS["day"]},
        },
        "withdrawal": {
            "hour": {"count": 5, "amount": _VELOCITY_AMOUNTS["hour"]},
            "day": {"count": 20, "amount": _VELOCITY_AMOUNTS["day"]},
        },
    },
)
VELOCITY_DEVICE_LIMITS = env.json(
    "VELOCITY_DEVICE_LIMITS",
    default={
        "transfer": {
            "hour": {"count": 6, "amount": _VELOCITY_DEVICE_AMOUNTS["hour"]},
            "day": {"count": 30, "amount": _VELOCITY_DEVICE_AMOUNTS["day"]},
        },
        "withdrawal": {
            "hour": {"count": 3, "amount": _VELOCITY_DEVICE_AMOUNTS["hour"]},
            "day": {"count": 10, "amount": _VELOCITY_DEVICE_AMOUNTS["day"]},
        },
    },
)
# A withdrawal above this (per currency) from a device the user has not yet used for a completed transfer or
# withdrawal (or from no named device) is held for finance staff to release or reject.
NEW_DEVICE_WITHDRAWAL_REVIEW_ABOVE = env.json(
    "NEW_DEVICE_WITHDRAWAL_REVIEW_ABOVE",
    default={
        "KES": "20000",
        "NGN": "200000",
        "GHS": "2000",
        "ZAR": "3000",
        "UGX": "500000",
        "TZS": "300000",
        "RWF": "150000",
        "USD": "150",
    },
)

if not PROVIDERS_SANDBOX:
    _public_secrets = [name for name, value in SANDBOX_PROVIDER_SECRETS.items() if globals()[name] in ("", value)]
    if _public_secrets:
        sys.exit(
            f"Configuration error: {', '.join(_public_secrets)} must be set to the provider's real values "
            "(not missing, not the sandbox defaults) when PROVIDERS_SANDBOX is off."
        )

# Social sign-in: the OAuth client ids an ID token's audience must match.
GOOGLE_CLIENT_IDS = env.list("GOOGLE_CLIENT_IDS", default=[])
APPLE_CLIENT_IDS = env.list("APPLE_CLIENT_IDS", default=[])
