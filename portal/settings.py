"""Guichet settings, read from the environment.

Nothing set gives the embedded development setup: SQLite and a file-system Celery broker under ``var/``, DEBUG
on, e-mails printed on the console. ``DJANGO_ENV=production`` switches every default to the safe one and refuses
to start without the secrets and hosts it needs. The README lists every variable.
"""

import base64
import hashlib
import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.site.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GUICHET_VAR_DIR", str(BASE_DIR / "var")))

ENVIRONMENT = env_str("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production'; got {ENVIRONMENT!r}")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)


def _secret_key() -> str:
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) must be set when DJANGO_ENV=production."
        )
    # Development: one random key per checkout, kept under var/ so the web server and the worker agree on it
    # and sessions survive restarts. It never enters the repository.
    key_file = VAR_DIR / "dev-secret-key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the portal's host names when DJANGO_ENV=production.")

# The canonical address of the portal. Links in e-mails are built from it, never from the request's Host header.
SITE_URL = env_str("GUICHET_SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("GUICHET_SITE_URL must be the portal's https:// address when DJANGO_ENV=production.")

INSTALLED_APPS = [
    "portal",
    "tickets",
    "kb",
    "portal.apps.GuichetAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "portal.site.metrics.MetricsMiddleware",
    "portal.web.middleware.RequestSizeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.web.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.identity.middleware.SecondFactorMiddleware",
    "portal.identity.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.site.unavailable.DependencyUnavailableMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
# Django's form markup written in Python rather than one template per option (portal/web/form_rendering.py).
FORM_RENDERER = "portal.web.form_rendering.FormRenderer"

# --- Data stores -------------------------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL when DJANGO_ENV=production.")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "guichet.sqlite3",
            # The web server and the Celery worker write to the same file: WAL lets readers go on while one
            # writes, IMMEDIATE transactions take the write lock up front instead of failing half-way.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
if CACHE_URL:
    # A cache that does not answer is a miss, not an error (portal/web/cache.py); short timeouts so that a Redis
    # that hangs holds a request for at most that long.
    CACHES = {
        "default": {
            "BACKEND": "portal.web.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
elif PRODUCTION:
    raise ImproperlyConfigured("REDIS_URL (or CACHE_URL) must be set when DJANGO_ENV=production.")
else:
    # A file cache is shared by the web server and the worker on one machine (the worker heartbeat lives there).
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}
    }

# --- Celery ------------------------------------------------------------------------------------------------------
# Read by portal/celery.py (namespace CELERY_). The periodic jobs themselves are declared in portal/site/schedule.py.

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
if PRODUCTION and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("REDIS_URL (or CELERY_BROKER_URL) must be set when DJANGO_ENV=production.")
if not CELERY_BROKER_URL:
    # kombu's file-system transport: a broker that needs no server, for a single development machine.
    _broker_dir = VAR_DIR / "celery" / "broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    # max_retries 0: a web request that queues a task while Redis is down fails over to the outbox at once
    # instead of hanging on reconnection attempts (workers reconnect through their own retry settings). The socket
    # timeout bounds a Redis that hangs; it must stay above kombu's 1 s BRPOP wait, with which workers listen.
    # visibility_timeout: a task taken by a worker that died without acknowledging it (acks late) is given to
    # another worker after this many seconds; above task_time_limit (portal/celery.py), or a task still running would
    # be handed out twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 1,
        "socket_timeout": 2,
        "max_retries": 0,
        "visibility_timeout": env_int("GUICHET_TASK_REDELIVERY_SECONDS", 600),
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# How long after its last heartbeat a worker counts as gone (the heartbeat job runs every 30 s).
GUICHET_WORKER_HEARTBEAT_MAX_AGE = env_int("GUICHET_WORKER_HEARTBEAT_MAX_AGE", 90)

# --- Identity ----------------------------------------------------------------------------------------------------

AUTH_USER_MODEL = "portal.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "portal.identity.passwords.ContextWordsValidator"},
    {"NAME": "portal.identity.passwords.MaximumLengthValidator"},
]
PASSWORD_RESET_TIMEOUT = 30 * 60
# Reset links e-mailed to one account per hour; further requests are silently not sent (R20).
GUICHET_RESET_EMAILS_PER_HOUR = 3
# Where passwords are checked and written: "portal" (the portal's own accounts) or "ldap" (the organisation's
# directory, GUICHET_LDAP_* below); portal/identity/credentials.py.
GUICHET_CREDENTIAL_STORE = env_str("GUICHET_CREDENTIAL_STORE", "portal")
AUTHENTICATION_BACKENDS = ["portal.identity.credentials.StoreBackend"]
# The directory (GUICHET_CREDENTIAL_STORE=ldap; README "Accounts on a directory"). Certificates are always checked:
# ldaps://, or ldap:// with GUICHET_LDAP_START_TLS=1; GUICHET_LDAP_CA_FILE when the directory's CA is not a system one.
GUICHET_LDAP_URL = env_str("GUICHET_LDAP_URL", "")
GUICHET_LDAP_START_TLS = env_bool("GUICHET_LDAP_START_TLS", False)
GUICHET_LDAP_CA_FILE = env_str("GUICHET_LDAP_CA_FILE", "")
# The portal's service account: reads the people's entries, writes userPassword, nothing else.
GUICHET_LDAP_BIND_DN = env_str("GUICHET_LDAP_BIND_DN", "")
GUICHET_LDAP_BIND_PASSWORD = env_str("GUICHET_LDAP_BIND_PASSWORD", "")
GUICHET_LDAP_USER_BASE = env_str("GUICHET_LDAP_USER_BASE", "")
# {value} is the identifier or address typed, escaped (RFC 4515).
GUICHET_LDAP_USER_FILTER = env_str("GUICHET_LDAP_USER_FILTER", "(&(objectClass=inetOrgPerson)(uid={value}))")
GUICHET_LDAP_EMAIL_FILTER = env_str("GUICHET_LDAP_EMAIL_FILTER", "(&(objectClass=inetOrgPerson)(mail={value}))")
GUICHET_LDAP_ATTRIBUTES = {
    "identifier": env_str("GUICHET_LDAP_ATTR_IDENTIFIER", "uid"),
    "display_name": env_str("GUICHET_LDAP_ATTR_DISPLAY_NAME", "displayName"),
    "email": env_str("GUICHET_LDAP_ATTR_EMAIL", "mail"),
    "recovery_email": env_str("GUICHET_LDAP_ATTR_RECOVERY_EMAIL", ""),
}
# "exop": RFC 3062 password modify (OpenLDAP, 389-DS, most directories); "ad": Active Directory's unicodePwd.
GUICHET_LDAP_PASSWORD_MODE = env_str("GUICHET_LDAP_PASSWORD_MODE", "exop")
# Seconds to connect and for each operation; a directory slower than this gives the "directory unavailable" page.
GUICHET_LDAP_TIMEOUT = env_int("GUICHET_LDAP_TIMEOUT", 5)
if GUICHET_CREDENTIAL_STORE == "ldap":
    if not (GUICHET_LDAP_URL and GUICHET_LDAP_USER_BASE and GUICHET_LDAP_BIND_DN):
        raise ImproperlyConfigured(
            "GUICHET_CREDENTIAL_STORE=ldap needs GUICHET_LDAP_URL, GUICHET_LDAP_USER_BASE and GUICHET_LDAP_BIND_DN."
        )
    if GUICHET_LDAP_PASSWORD_MODE not in {"exop", "ad"}:
        raise ImproperlyConfigured("GUICHET_LDAP_PASSWORD_MODE must be 'exop' or 'ad'.")
    if PRODUCTION and not (GUICHET_LDAP_URL.startswith("ldaps://") or GUICHET_LDAP_START_TLS):
        raise ImproperlyConfigured(
            "With DJANGO_ENV=production the directory connection must be encrypted: an ldaps:// URL or "
            "GUICHET_LDAP_START_TLS=1."
        )
# Password age policy, for the reminder jobs: a password older than this is due for a change (0: never).
GUICHET_PASSWORD_MAX_AGE_DAYS = env_int("GUICHET_PASSWORD_MAX_AGE_DAYS", 0)
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "home"
GUICHET_ORGANISATION_WORDS = env_list("GUICHET_ORGANISATION_WORDS", ["guichet", "academie", "messagerie", "webmail"])

# Sign-in lockout, per submitted identifier: (consecutive failures, lock duration). The last tier also requires a
# password reset (or a helpdesk unlock) before the next sign-in.
GUICHET_LOCKOUT_TIERS = [(5, timedelta(minutes=15)), (10, timedelta(hours=1)), (20, timedelta(hours=24))]
# Two attempts on one identifier less than this apart: the second is not evaluated; after a failure, wait longer.
GUICHET_RAPID_FIRE_INTERVAL = timedelta(seconds=1)
GUICHET_RAPID_FIRE_PENALTY = timedelta(seconds=60)
# Per client address: failures across all identifiers within the window before the address is refused (HTTP 429).
GUICHET_SOURCE_FAILURE_LIMIT = env_int("GUICHET_SOURCE_FAILURE_LIMIT", 50)
GUICHET_SOURCE_WINDOW = timedelta(minutes=15)
# Known egress (NAT) networks that many people share get a higher limit, never an exemption.
GUICHET_SHARED_EGRESS_NETWORKS = env_list("GUICHET_SHARED_EGRESS_NETWORKS")
GUICHET_SHARED_EGRESS_FAILURE_LIMIT = env_int("GUICHET_SHARED_EGRESS_FAILURE_LIMIT", 500)
# Bot challenge (proof of work solved by the browser) before any password is checked: after this many failures from
# one address in the source window, or while the detection job has switched it on for the network (R7).
GUICHET_CHALLENGE_AFTER_FAILURES = env_int("GUICHET_CHALLENGE_AFTER_FAILURES", 10)
# ~65,000 SHA-256 rounds on average: 0.3 s in headless Chromium on a 2-core test machine (~230,000 hashes/s).
GUICHET_CHALLENGE_BITS = env_int("GUICHET_CHALLENGE_BITS", 16)
GUICHET_CHALLENGE_MAX_AGE = timedelta(minutes=10)
# Detection job (R5, R36): over the last window, a network whose failures hit this many identifiers with this share
# of failures is spraying; this many identifiers failing anywhere is a wave; this many locks raise the mass alert.
GUICHET_DETECTION_WINDOW = timedelta(minutes=10)
# A mail app that sent the same wrong password this many times more, after a password change, is a stale client
# (portal.identity.stale_clients): its owner is told once.
GUICHET_STALE_CLIENT_REPEATS = env_int("GUICHET_STALE_CLIENT_REPEATS", 3)
# Mail-log events older than this when they are read are stored but not counted towards a lock (an import of last
# week's log must not lock anybody now).
GUICHET_MAIL_EVENT_MAX_AGE = timedelta(minutes=env_int("GUICHET_MAIL_EVENT_MAX_AGE_MINUTES", 60))
# The longest the policy endpoint takes to answer Dovecot (which waits auth_policy_server_timeout_msecs, 2000 by
# default): past it, a quick 503 rather than Dovecot's own timeout (portal.web.db_budget).
GUICHET_MAIL_POLICY_BUDGET_MS = env_int("GUICHET_MAIL_POLICY_BUDGET_MS", 1500)
# The password-reset checks (portal.identity.account_checks).
GUICHET_RESET_REQUESTS_ALERT = env_int("GUICHET_RESET_REQUESTS_ALERT", 3)  # reset links for one account in 24 h
GUICHET_FAILURES_AFTER_RESET = env_int("GUICHET_FAILURES_AFTER_RESET", 5)  # failed sign-ins within 24 h of a reset
# A maximum password age, in days, if the organisation's policy has one (0: none, as NIST 800-63B advises); people
# are reminded GUICHET_PASSWORD_REMINDER_DAYS before.
GUICHET_PASSWORD_MAX_AGE_DAYS = env_int("GUICHET_PASSWORD_MAX_AGE_DAYS", 0)
GUICHET_PASSWORD_REMINDER_DAYS = env_int("GUICHET_PASSWORD_REMINDER_DAYS", 14)
GUICHET_MFA_REMINDER_DAYS = env_int("GUICHET_MFA_REMINDER_DAYS", 3)  # before the end of the second-factor grace
GUICHET_SPRAY_IDENTIFIERS = env_int("GUICHET_SPRAY_IDENTIFIERS", 20)
GUICHET_SPRAY_FAILURE_RATIO = 0.8
GUICHET_SPRAY_WAVE_IDENTIFIERS = env_int("GUICHET_SPRAY_WAVE_IDENTIFIERS", 300)
GUICHET_MASS_LOCKOUT_ALERT = env_int("GUICHET_MASS_LOCKOUT_ALERT", 50)
GUICHET_CHALLENGE_MODE_DURATION = timedelta(hours=1)
# Who receives alerts about attacks on many accounts (spraying, mass lockout, second factor under attack).
GUICHET_SECURITY_TEAM_EMAILS = env_list("GUICHET_SECURITY_TEAM_EMAILS")
# Between the password and the code, the half-signed-in state lasts this long.
GUICHET_LOGIN_STEP_TIMEOUT = timedelta(minutes=10)
# Second factor: consecutive wrong codes across all devices before the second factor is blocked and a reset required.
GUICHET_OTP_FAILURE_LIMIT = 10
GUICHET_OTP_BLOCK = timedelta(hours=1)
# Staff may sign in without a second factor for this many days after their account is created.
GUICHET_MFA_GRACE_DAYS = env_int("GUICHET_MFA_GRACE_DAYS", 14)
# Adding or removing a factor, changing the password: the second factor must have been checked this recently.
GUICHET_REAUTH_MAX_AGE = timedelta(minutes=5)
# Idle and absolute session limits, by role.
GUICHET_SESSION_LIMITS = {
    "staff": {"idle": timedelta(minutes=30), "absolute": timedelta(hours=12)},
    "agent": {"idle": timedelta(minutes=15), "absolute": timedelta(hours=8)},
    "admin": {"idle": timedelta(minutes=15), "absolute": timedelta(hours=8)},
}
GUICHET_KNOWN_DEVICE_MAX_AGE = timedelta(days=90)

OTP_TOTP_ISSUER = env_str("GUICHET_OTP_ISSUER", "Guichet")
OTP_TOTP_TOLERANCE = 1  # one 30-second step either side, no more (R11)


def _sealing_keys() -> list[str]:
    keys = env_list("GUICHET_SEALING_KEYS")
    if keys:
        return keys
    if PRODUCTION:
        raise ImproperlyConfigured(
            "GUICHET_SEALING_KEYS (or GUICHET_SEALING_KEYS_FILE) must hold at least one key when "
            "DJANGO_ENV=production: 32 random bytes in base64 (see the README)."
        )
    # Development: derived from this checkout's secret key, which never leaves var/.
    return [base64.urlsafe_b64encode(hashlib.sha256(b"guichet-sealing:" + SECRET_KEY.encode()).digest()).decode()]


# Keys that seal authenticator seeds at rest (portal/web/sealing.py): the first seals, all of them open.
GUICHET_SEALING_KEYS = _sealing_keys()
OTP_ADMIN_HIDE_SENSITIVE_DATA = True


def _webauthn_site() -> tuple[str, str]:
    """The relying-party ID and origin for security keys, from GUICHET_SITE_URL: its host name and its origin.

    Browsers refuse an IP address as relying-party ID, so the development default (http://127.0.0.1:8000) becomes
    http://localhost:8000: open the portal at that address to try security keys on a laptop.
    """
    site = urlsplit(SITE_URL)
    host = site.hostname or ""
    try:
        ipaddress.ip_address(host)
        is_ip = True
    except ValueError:
        is_ip = False
    if not PRODUCTION and (is_ip or not host):
        host = "localhost"
    port = f":{site.port}" if site.port else ""
    return host, f"{site.scheme or 'http'}://{host}{port}"


# Security keys and passkeys (WebAuthn, R14). Credentials are bound to the relying-party ID: changing the portal's
# host name later makes every registered key unusable. A key is accepted only from the listed origins (scheme, host
# and port exactly as in the address bar).
GUICHET_WEBAUTHN_RP_ID = env_str("GUICHET_WEBAUTHN_RP_ID", _webauthn_site()[0])
GUICHET_WEBAUTHN_ORIGINS = env_list("GUICHET_WEBAUTHN_ORIGINS", [_webauthn_site()[1]])
GUICHET_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
# A ceremony's challenge is used once and expires after this long (also the time the browser gives the person).
GUICHET_WEBAUTHN_CHALLENGE_MAX_AGE = timedelta(minutes=5)
# Agents and admins must use a security key (R14): a code from an app or a recovery code no longer signs them in
# once they have a key, and until they add one they reach only the pages to add it. On in production. Off in
# development, so the demo agents of `make run`, which come with an authenticator app (manage.py demo_otp), can
# still sign in with a code and reach the agent pages; turn it on there with GUICHET_PRIVILEGED_REQUIRE_SECURITY_KEY=1.
GUICHET_PRIVILEGED_REQUIRE_SECURITY_KEY = env_bool("GUICHET_PRIVILEGED_REQUIRE_SECURITY_KEY", PRODUCTION)

GUICHET_KNOWN_DEVICE_COOKIE = "guichet-device"
# Django's database sessions, read without the ORM building the same query for every request (portal/web/sessions.py).
SESSION_ENGINE = "portal.web.sessions"
MESSAGE_STORAGE = "portal.web.message_storage.HostFallbackStorage"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Knowledge base ----------------------------------------------------------------------------------------------

# Opening hours of the helpdesk, shown on the contact page in the page's language.
GUICHET_SUPPORT_HOURS = {
    "fr": env_str("GUICHET_SUPPORT_HOURS_FR", "Du lundi au vendredi, de 8 h à 18 h (hors jours fériés)"),
    "en": env_str("GUICHET_SUPPORT_HOURS_EN", "Monday to Friday, 8 am to 6 pm (except public holidays)"),
}
# How else to reach the helpdesk, on the contact page (each line shown only when set). The development defaults are
# fictitious: 01 99 00 … is the range France reserves for fiction, .invalid never resolves.
GUICHET_SUPPORT_PHONE = env_str("GUICHET_SUPPORT_PHONE", "" if PRODUCTION else "01 99 00 12 34")
GUICHET_SUPPORT_EMAIL = env_str("GUICHET_SUPPORT_EMAIL", "" if PRODUCTION else "assistance@guichet.invalid")
GUICHET_SUPPORT_ADDRESS = {
    "fr": env_str("GUICHET_SUPPORT_ADDRESS_FR", "" if PRODUCTION else "Service informatique, bâtiment B, 2e étage"),
    "en": env_str("GUICHET_SUPPORT_ADDRESS_EN", "" if PRODUCTION else "IT department, building B, 2nd floor"),
}

# --- Incidents ---------------------------------------------------------------------------------------------------

# A requester may reopen an incident they closed as solved for this many days; after that they file a new one.
GUICHET_TICKET_REOPEN_DAYS = env_int("GUICHET_TICKET_REOPEN_DAYS", 14)
# A ticket is "at risk" once this share (per cent) of an SLA target is left (tickets.sla).
GUICHET_SLA_AT_RISK_PERCENT = env_int("GUICHET_SLA_AT_RISK_PERCENT", 25)

# Correlation of simultaneous reports (tickets/correlation.py): at least THRESHOLD open reports of one problem type
# with the same signature (error message normalised, or phishing campaign) filed within WINDOW minutes make a
# proposed major incident, for agents to confirm or dismiss. Two signatures whose words are at least SIMILARITY
# alike (0 to 1) and whose codes are the same count as one (typos).
GUICHET_CORRELATION_WINDOW = timedelta(minutes=env_int("GUICHET_CORRELATION_WINDOW_MINUTES", 30))
GUICHET_CORRELATION_THRESHOLD = env_int("GUICHET_CORRELATION_THRESHOLD", 10)
GUICHET_CORRELATION_SIMILARITY = 0.88

# Attachments (tickets/uploads.py): accepted by content, at most this size each, this many per submission and per
# incident. They live in a private directory that no URL maps to (never under STATIC_ROOT or a static directory:
# tickets.uploads.private_root() refuses that) and only leave through the attachment view's access check.
GUICHET_ATTACHMENT_MAX_BYTES = env_int("GUICHET_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
GUICHET_ATTACHMENT_MAX_COUNT = env_int("GUICHET_ATTACHMENT_MAX_COUNT", 5)
GUICHET_ATTACHMENT_MAX_PER_TICKET = env_int("GUICHET_ATTACHMENT_MAX_PER_TICKET", 20)
# The largest request body the portal accepts: a submission's attachments at their largest, plus room for the
# form's fields and the multipart framing. Anything declared larger is refused with 413 before a byte of it is read
# or spooled to disk (portal.web.middleware.RequestSizeMiddleware). The reverse proxy should refuse the same (README).
GUICHET_MAX_REQUEST_BYTES = env_int(
    "GUICHET_MAX_REQUEST_BYTES", GUICHET_ATTACHMENT_MAX_BYTES * GUICHET_ATTACHMENT_MAX_COUNT + 1024 * 1024
)
GUICHET_PRIVATE_MEDIA_ROOT = Path(env_str("GUICHET_PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private-media")))
# The organisation's own mail domains (sub-domains included), for reported phishing (tickets/phishing/): a sender
# outside them whose name claims to be the organisation, or a domain imitating them, is flagged.
GUICHET_ORGANISATION_MAIL_DOMAINS = env_list("GUICHET_ORGANISATION_MAIL_DOMAINS")

# --- Internationalisation ----------------------------------------------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("GUICHET_TIME_ZONE", "Europe/Paris")
USE_TZ = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files ------------------------------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves the collected, hashed files (`manage.py collectstatic`); development serves them from the apps.
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")) if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- E-mail ------------------------------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "Guichet <ne-pas-repondre@guichet.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10

# --- HTTP security -----------------------------------------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Number of reverse proxies in front of Django that append to X-Forwarded-For; the client address is read at that
# depth and never from the left-most (client-controlled) entry.
GUICHET_TRUSTED_PROXY_COUNT = env_int("GUICHET_TRUSTED_PROXY_COUNT", 0)
GUICHET_CSP_REPORT_URI = env_str("GUICHET_CSP_REPORT_URI", "")

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    if GUICHET_TRUSTED_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 63072000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are only accepted by browsers when Secure, host-only and Path=/: no sub-domain can set them.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
    GUICHET_KNOWN_DEVICE_COOKIE = "__Host-guichet-device"
    CSRF_TRUSTED_ORIGINS = [SITE_URL]

# --- REST API ----------------------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.identity.api_auth.TokenAuthentication",
        "portal.identity.api_auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.identity.api_auth.IsVerified"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.web.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["portal.web.api.ScopedThrottle"],
    "EXCEPTION_HANDLER": "portal.web.api_errors.api_exception_handler",
}
# Rate limits (portal/web/ratelimit.py): a count per window, per person (per client address when signed out), counted
# in the shared cache; a 429 with Retry-After beyond. GUICHET_RATE_LIMIT_<SCOPE> changes one.
GUICHET_RATE_LIMITS = {
    scope: env_str(f"GUICHET_RATE_LIMIT_{scope.upper()}", default)
    for scope, default in (
        ("api", "300/min"),  # every API call
        ("search", "120/min"),  # help search page, API search and suggestions (called while typing)
        ("feedback", "20/hour"),  # "did this article help?" answers
        ("filing", "10/hour"),  # incidents filed, on the page or through the API
        ("affected", "30/hour"),  # "I'm affected too"
        ("reply", "60/hour"),  # messages and files added to an incident
        ("password_reset", "20/hour"),  # "I forgot my password" forms; beyond, silently not sent (R20)
        ("recovery_request", "5/hour"),  # "reset my second factor" forms of the lost-phone page; beyond, dropped
        ("mail_policy", "60000/min"),  # a mail server's policy questions and reports (about 3 per login)
        ("mail_events", "600/min"),  # batches of a mail server's log events (up to 5,000 each)
    )
}
# Addresses of GUICHET_SHARED_EGRESS_NETWORKS (many people behind one NAT) get this many times each limit.
GUICHET_SHARED_EGRESS_RATE_FACTOR = env_int("GUICHET_SHARED_EGRESS_RATE_FACTOR", 10)
for _scope, _rate in GUICHET_RATE_LIMITS.items():
    _count, _slash, _period = _rate.partition("/")
    if not (
        _count.strip().isdigit() and _period.strip() in {"s", "sec", "second", "min", "minute", "h", "hour", "day"}
    ):
        raise ImproperlyConfigured(f"GUICHET_RATE_LIMIT_{_scope.upper()} must read like 60/min; got {_rate!r}")
SPECTACULAR_SETTINGS = {
    "TITLE": "Guichet API",
    "DESCRIPTION": "Incidents, knowledge base and account recovery for webmail access support. Every answer is JSON "
    'in the language asked for (lang, else Accept-Language); refusals read {"detail": …} or list the messages '
    "of each bad field.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.web.api_schema.document_shared_answers",
    ],
    # Several models have a "status" field with its own choices: each enum gets a stable name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.TicketStatus",
        "MajorIncidentStatusEnum": "tickets.models.MajorIncidentStatus",
    },
}

# --- Operations --------------------------------------------------------------------------------------------------

# Prometheus metrics at /metrics/ (portal/site/metrics.py), for these networks or with this bearer token; nobody else.
GUICHET_METRICS_TOKEN = env_str("GUICHET_METRICS_TOKEN", "")
GUICHET_METRICS_ALLOWED_NETWORKS = env_list(
    "GUICHET_METRICS_ALLOWED_NETWORKS", [] if PRODUCTION else ["127.0.0.0/8", "::1/128"]
)
for _network in GUICHET_METRICS_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network)
    except ValueError as _error:
        raise ImproperlyConfigured(f"GUICHET_METRICS_ALLOWED_NETWORKS: {_error}") from None

# --- Logging -----------------------------------------------------------------------------------------------------
# One record per line on stderr; the process manager ships it. Request bodies and parameters are never logged.
# GUICHET_LOG_FORMAT=json writes each record as one JSON object (time, level, logger, message, process, module)
# instead of a line of text.

GUICHET_LOG_FORMAT = env_str("GUICHET_LOG_FORMAT", "text")
if GUICHET_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"GUICHET_LOG_FORMAT must be 'text' or 'json'; got {GUICHET_LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d %(module)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
    },
    "filters": {"mask_reset_links": {"()": "portal.web.log_filters.MaskResetLinks"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": GUICHET_LOG_FORMAT,
            "filters": ["mask_reset_links"],
        }
    },
    "root": {"handlers": ["stderr"], "level": env_str("GUICHET_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "guichet.audit": {"level": "INFO"},
        # Reads reported Outlook files, hostile ones included, and logs what it finds wrong in them: not ours to see.
        "extract_msg": {"level": "CRITICAL"},
    },
}
# The security event log, one JSON line per event, to a syslog collector off the host (R35,
# portal/identity/audit_log.py).
GUICHET_AUDIT_SYSLOG = env_str("GUICHET_AUDIT_SYSLOG")
if GUICHET_AUDIT_SYSLOG:
    LOGGING["handlers"]["audit_syslog"] = {
        "()": "portal.identity.audit_log.syslog_handler",
        "address": GUICHET_AUDIT_SYSLOG,
    }
    LOGGING["loggers"]["guichet.audit"]["handlers"] = ["audit_syslog"]
