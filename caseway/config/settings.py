"""Settings: every value comes from the environment and has a working default.

Nothing here is needed to start: `make run` works on SQLite under var/ with an in-memory
channel layer and a database-backed task queue.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CASEWAY_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """Read SECRET_KEY, or create one once under var/ so sessions survive restarts."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        from django.utils.crypto import get_random_string

        path.write_text(get_random_string(64))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "caseway.core",
    "caseway.customers",
    "caseway.knowledge",
    "caseway.connectors",
    "caseway.cases",
    "caseway.sla",
    "caseway.routing",
    "caseway.intake",
    "caseway.assist",
    "caseway.listening",
    "caseway.livechat",
    "caseway.portal",
    "caseway.workspace",
    "caseway.api",
    "caseway.social",
    "caseway.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "caseway.config.urls"
ASGI_APPLICATION = "caseway.config.asgi.application"
WSGI_APPLICATION = "caseway.config.wsgi.application"

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

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'caseway.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock up front
    # so two writers queue instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg prepares a statement on the server once it ran PG_PREPARE_THRESHOLD times on a
    # connection (default 5), so PostgreSQL parses and plans it once per connection. Only the
    # server-side-bound statements of caseway/core/sql.py (the intake hot path) can be
    # prepared; ORM queries bind on the client and never are. Those statements name their
    # columns, so adding a column under running processes does not break their plans (changing
    # the type of a column they read does: "cached plan must not change result type"; restart
    # the processes after such a migration, as a deploy does). Set PG_PREPARE_THRESHOLD=off
    # behind a pooler in transaction mode, which cannot keep prepared statements.
    _threshold = os.environ.get("PG_PREPARE_THRESHOLD", "5").strip().lower()
    if _threshold not in ("", "off", "none"):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = int(_threshold)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
# Which of channels-redis' layers joins the server processes: "pubsub" (Redis pub/sub: a
# group send is one PUBLISH, a message reaches only who listens at that moment) or "core"
# (Redis lists and sorted sets: a channel keeps its messages for a minute; each group send
# runs a Lua script over the group's members). Our cues carry nothing a reader cannot get
# again from the database, so pub/sub's delivery is enough, and at the same load the chat
# server spent 47 % of a core on it against 76 % on core (`caseway bench chat --workers 1`,
# docs/benchmarks.md).
REDIS_CHANNEL_LAYER = os.environ.get("REDIS_CHANNEL_LAYER", "pubsub").strip().lower()
_REDIS_LAYERS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}
if REDIS_CHANNEL_LAYER not in _REDIS_LAYERS:
    raise ImproperlyConfigured(
        f"REDIS_CHANNEL_LAYER must be one of {', '.join(_REDIS_LAYERS)}, "
        f"not {REDIS_CHANNEL_LAYER!r}"
    )
if REDIS_URL:
    # redis-py 8 times out reads after 5 s by default, the length of channels-redis' blocking
    # pop: a longer socket timeout keeps idle websockets from failing.
    _layer_config: dict[str, object] = {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]}
    if REDIS_CHANNEL_LAYER == "pubsub":
        # Pub/sub channels are one namespace for all of a server's databases: the database
        # number goes in the names, so installs (and test runs) on one Redis stay apart.
        _redis_db = urlsplit(REDIS_URL).path.strip("/") or "0"
        _layer_config["prefix"] = f"asgi.db{_redis_db}."
    CHANNEL_LAYERS = {
        "default": {"BACKEND": _REDIS_LAYERS[REDIS_CHANNEL_LAYER], "CONFIG": _layer_config}
    }
else:
    # A channel holds 100 messages by default and drops what comes past that: an agent's
    # console with dozens of busy chats gets more cues than that at once. Expired messages
    # are swept once a second, not on every message (caseway.core.channel_layer).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "caseway.core.channel_layer.ThrottledInMemoryChannelLayer",
            "CONFIG": {"capacity": 2_000},
        }
    }

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:my_cases"
LOGOUT_REDIRECT_URL = "portal:home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English"))]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_STORAGE", "servestatic.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Mail to agents (SLA warnings, escalations): SMTP when EMAIL_HOST is set, else the console.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@caseway.localhost")

# Caseway's own limits.
CASEWAY_ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
CASEWAY_ATTACHMENT_TYPES = env_list(
    "ATTACHMENT_TYPES",
    "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,"
    "application/zip,application/json,message/rfc822,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
CASEWAY_MESSAGE_MAX_CHARS = int(os.environ.get("MESSAGE_MAX_CHARS", 100_000))
# The API carries attachments as base64 in JSON (4/3 of their size): let the largest through.
DATA_UPLOAD_MAX_MEMORY_SIZE = CASEWAY_ATTACHMENT_MAX_BYTES * 4 // 3 + 1024 * 1024
CASEWAY_CASE_PREFIX = os.environ.get("CASE_PREFIX", "CW")
# How often the worker looks for SLA warnings and breaches that are due (seconds).
CASEWAY_SLA_SWEEP_SECONDS = float(os.environ.get("SLA_SWEEP_SECONDS", 15))
# How often the worker overflows cases that waited too long and assigns what waits (seconds).
CASEWAY_ROUTING_SWEEP_SECONDS = float(os.environ.get("ROUTING_SWEEP_SECONDS", 10))
# Threads that assign different queues' batches at once in one sweep, on PostgreSQL (while
# one waits for the database, another plans); SQLite always assigns one batch at a time.
CASEWAY_ROUTING_SWEEP_THREADS = int(os.environ.get("ROUTING_SWEEP_THREADS", 2))
# What an agent takes at once when no capacity profile of that kind of work is theirs.
CASEWAY_DEFAULT_CASE_CAPACITY = int(os.environ.get("DEFAULT_CASE_CAPACITY", 10))
CASEWAY_DEFAULT_CHAT_CAPACITY = int(os.environ.get("DEFAULT_CHAT_CAPACITY", 3))

# Social channels: Facebook Page and X webhooks (/hooks/facebook/, /hooks/x/), replies through
# their APIs, and social listening of public posts. An empty secret disables that webhook.
CASEWAY_FACEBOOK_APP_SECRET = os.environ.get("FACEBOOK_APP_SECRET", "")
CASEWAY_FACEBOOK_VERIFY_TOKEN = os.environ.get("FACEBOOK_VERIFY_TOKEN", "")
CASEWAY_FACEBOOK_PAGE_ACCESS_TOKEN = os.environ.get("FACEBOOK_PAGE_ACCESS_TOKEN", "")
CASEWAY_FACEBOOK_GRAPH_URL = os.environ.get("FACEBOOK_GRAPH_URL", "https://graph.facebook.com")
CASEWAY_FACEBOOK_GRAPH_VERSION = os.environ.get("FACEBOOK_GRAPH_VERSION", "v21.0")
CASEWAY_X_CONSUMER_SECRET = os.environ.get("X_CONSUMER_SECRET", "")
CASEWAY_X_ACCESS_TOKEN = os.environ.get("X_ACCESS_TOKEN", "")
CASEWAY_X_API_URL = os.environ.get("X_API_URL", "https://api.x.com")
# Larger webhook bodies are refused (413) and kept, cut to this size, for inspection.
CASEWAY_SOCIAL_WEBHOOK_MAX_BYTES = int(os.environ.get("SOCIAL_WEBHOOK_MAX_BYTES", 1024 * 1024))
# A public post whose VADER compound score is at or below this is negative (chosen on labelled
# tweets: docs/channels/social.md); negative or complaint posts open a case at this priority.
CASEWAY_LISTENING_NEGATIVE_THRESHOLD = float(os.environ.get("LISTENING_NEGATIVE_THRESHOLD", -0.01))
CASEWAY_LISTENING_PRIORITY = os.environ.get("LISTENING_PRIORITY", "high")

# Email channel (caseway.connectors.email, caseway.intake.mail): the inbound SMTP listener
# `caseway run` starts (SMTP_LISTEN_PORT empty or 0: none), the largest message it takes
# (larger: 552), and how often mailboxes with IMAP settings are polled (0: never).
CASEWAY_SMTP_LISTEN_HOST = os.environ.get("SMTP_LISTEN_HOST", "127.0.0.1")
CASEWAY_SMTP_LISTEN_PORT = int(os.environ.get("SMTP_LISTEN_PORT", "2525").strip() or 0)
CASEWAY_EMAIL_MAX_BYTES = int(os.environ.get("EMAIL_MAX_BYTES", 25 * 1024 * 1024))
CASEWAY_IMAP_POLL_SECONDS = float(os.environ.get("IMAP_POLL_SECONDS", 60))
CASEWAY_IMAP_TIMEOUT_SECONDS = float(os.environ.get("IMAP_TIMEOUT_SECONDS", 30))

# --- One customer across channels (merge suggestions) ---
# How often the worker reads new contacts and messages for merge suggestions (seconds).
CASEWAY_MERGE_SWEEP_SECONDS = float(os.environ.get("MERGE_SWEEP_SECONDS", 30))

# Live chat: the page origins (scheme://host[:port]) the widget may be embedded in, besides
# this site's own; "*" lets every site in. Empty: the portal only.
CASEWAY_CHAT_ALLOWED_ORIGINS = env_list("CHAT_ALLOWED_ORIGINS", "")
# Screen sharing (WebRTC) from a chat: STUN and TURN servers handed to both browsers
# (comma-separated stun:/turn:/turns: URLs). None: direct connections only (same network).
CASEWAY_WEBRTC_STUN_URLS = env_list("WEBRTC_STUN_URLS", "")
CASEWAY_WEBRTC_TURN_URLS = env_list("WEBRTC_TURN_URLS", "")
CASEWAY_WEBRTC_TURN_USERNAME = os.environ.get("WEBRTC_TURN_USERNAME", "")
CASEWAY_WEBRTC_TURN_CREDENTIAL = os.environ.get("WEBRTC_TURN_CREDENTIAL", "")
# Seconds between the workspace websocket's own checks (docs/workspace.md#live-updates).
CASEWAY_LIVE_INTERVAL = float(os.environ.get("WORKSPACE_LIVE_INTERVAL", "2"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per task state change drowns the console; failures still show.
        "django_tasks": {"level": os.environ.get("TASKS_LOG_LEVEL", "WARNING")},
        # aiosmtpd (the SMTP listener) logs every SMTP command at INFO.
        "mail.log": {"level": os.environ.get("SMTP_LOG_LEVEL", "WARNING")},
    },
}

# SMS and voice (Twilio-compatible). Disabled while TWILIO_AUTH_TOKEN is empty: the webhooks
# answer 503 and SMS replies fail with that reason. Webhook signatures are checked against
# TWILIO_WEBHOOK_BASE_URL (default SITE_URL) + the path Twilio called, so behind a proxy set
# it to the public URL Twilio is given.
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "https://api.twilio.com")
TWILIO_SMS_FROM = os.environ.get("TWILIO_SMS_FROM", "")
TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_WEBHOOK_BASE_URL = os.environ.get("TWILIO_WEBHOOK_BASE_URL", "") or SITE_URL
TWILIO_WEBHOOK_MAX_BYTES = int(os.environ.get("TWILIO_WEBHOOK_MAX_BYTES", 64 * 1024))
TWILIO_HTTP_TIMEOUT = float(os.environ.get("TWILIO_HTTP_TIMEOUT", 10))
# Seconds an agent's phone rings before the caller is offered voicemail.
TWILIO_DIAL_TIMEOUT = int(os.environ.get("TWILIO_DIAL_TIMEOUT", 20))
TWILIO_VOICEMAIL_MAX_SECONDS = int(os.environ.get("TWILIO_VOICEMAIL_MAX_SECONDS", 120))

# --- Mobile app API and kiosk (caseway.api, caseway.portal.views.kiosk) ---------------------
# Every outbound POST (webhooks, the push gateway): seconds to wait for an answer, attempts
# before giving up, and the first retry's delay (doubled after each failure, at most a day).
CASEWAY_OUTBOUND_TIMEOUT_SECONDS = float(os.environ.get("OUTBOUND_TIMEOUT_SECONDS", 5))
CASEWAY_OUTBOUND_MAX_ATTEMPTS = int(os.environ.get("OUTBOUND_MAX_ATTEMPTS", 8))
CASEWAY_OUTBOUND_RETRY_SECONDS = float(os.environ.get("OUTBOUND_RETRY_SECONDS", 30))
# How often each worker turns new public messages into webhook and push deliveries (seconds).
CASEWAY_OUTBOUND_DISPATCH_SECONDS = float(os.environ.get("OUTBOUND_DISPATCH_SECONDS", 1))
# Webhook URLs on loopback, private or link-local addresses are refused unless this is set
# (a customer's webhook must not reach into our own network); tests and demos set it.
CASEWAY_WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# The push relay (an HTTP service in front of APNs/FCM) that receives signed JSON for each
# agent reply and the devices to notify; push is disabled while the URL is empty.
CASEWAY_PUSH_GATEWAY_URL = os.environ.get("PUSH_GATEWAY_URL", "")
CASEWAY_PUSH_GATEWAY_SECRET = os.environ.get("PUSH_GATEWAY_SECRET", "")
# The feed shows entries at least this old (seconds), so one committed a moment after a
# newer one is not skipped by a client's cursor.
CASEWAY_FEED_SETTLE_SECONDS = float(os.environ.get("FEED_SETTLE_SECONDS", 2))
# A kiosk clears itself (page and session) after this many seconds without a touch.
CASEWAY_KIOSK_IDLE_SECONDS = int(os.environ.get("KIOSK_IDLE_SECONDS", 90))
