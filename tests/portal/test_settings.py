"""The configuration contract of the README: what starts with nothing set, and what production refuses."""

import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT

CONFIG_VARIABLES = ("DJANGO_", "DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_", "GUICHET_")

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "k3y-" + "x7Qm9ZrT2vLp8WsN4bYc6HdJ1fGa5KeU0iOo3RtXw" * 2,
    "DJANGO_ALLOWED_HOSTS": "guichet.ac-exemple.fr",
    "GUICHET_SITE_URL": "https://guichet.ac-exemple.fr",
    "DATABASE_URL": "postgres://guichet:secret@db.internal:5432/guichet",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "GUICHET_SEALING_KEYS": "Jd3m0rX1aVQe5c2n8pK7sT4yU9wB6hF0gL3jN5qR8vA=",
}


def run_django(code: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    """Run `code` after django.setup() in a fresh interpreter whose configuration is exactly `env`."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith(CONFIG_VARIABLES)}
    clean.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "GUICHET_VAR_DIR": str(tmp_path / "var"), **env})
    script = f"import django; django.setup()\n{code}"
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_nothing_set_gives_the_embedded_setup(tmp_path):
    result = run_django(
        "from django.conf import settings as s\n"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND, s.LANGUAGE_CODE)",
        {},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "filesystem://localhost/",
        "django.core.mail.backends.console.EmailBackend",
        "fr",
    ]
    # The development secret key is generated on the spot and kept out of the repository.
    assert (tmp_path / "var" / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_urls_select_postgresql_and_redis(tmp_path):
    result = run_django(
        "from django.conf import settings as s\n"
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.CELERY_BROKER_URL,"
        " s.CELERY_RESULT_BACKEND)",
        {"DATABASE_URL": "postgres://u@db:5432/g", "REDIS_URL": "redis://r:6379/0"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "portal.web.cache.ResilientRedisCache",
        "redis://r:6379/0",
        "redis://r:6379/0",
    ]


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY"),
        ("DJANGO_ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS"),
        ("DATABASE_URL", "DATABASE_URL"),
        ("REDIS_URL", "REDIS_URL"),
        ("GUICHET_SITE_URL", "GUICHET_SITE_URL"),
        ("GUICHET_SEALING_KEYS", "GUICHET_SEALING_KEYS"),
    ],
)
def test_production_refuses_to_start_without(missing, message, tmp_path):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = run_django("print('started')", env, tmp_path)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert message in result.stderr


LDAP_ENV = {
    "GUICHET_CREDENTIAL_STORE": "ldap",
    "GUICHET_LDAP_USER_BASE": "ou=people,dc=ac-exemple,dc=fr",
    "GUICHET_LDAP_BIND_DN": "cn=guichet,ou=services,dc=ac-exemple,dc=fr",
    "GUICHET_LDAP_BIND_PASSWORD": "s3rvice",
}


@pytest.mark.parametrize(
    ("connection", "starts"),
    [
        ({"GUICHET_LDAP_URL": "ldap://annuaire.ac-exemple.fr"}, False),
        ({"GUICHET_LDAP_URL": "ldap://annuaire.ac-exemple.fr", "GUICHET_LDAP_START_TLS": "1"}, True),
        ({"GUICHET_LDAP_URL": "ldaps://annuaire.ac-exemple.fr"}, True),
    ],
)
def test_production_talks_to_the_directory_only_over_tls(connection, starts, tmp_path):
    result = run_django("print('started')", {**PRODUCTION_ENV, **LDAP_ENV, **connection}, tmp_path)
    assert (result.returncode == 0) is starts, result.stderr
    if not starts:
        assert "ldaps:// URL or GUICHET_LDAP_START_TLS=1" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text(PRODUCTION_ENV["DJANGO_SECRET_KEY"] + "\n")
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DJANGO_SECRET_KEY"}
    env["DJANGO_SECRET_KEY_FILE"] = str(key_file)
    result = run_django("from django.conf import settings; print(settings.SECRET_KEY[:4])", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "k3y-"


def test_every_variable_can_come_from_a_file_as_the_readme_promises(tmp_path):
    """Strings, lists, booleans and integers alike: production starts with every variable given as NAME_FILE."""
    values = {
        **PRODUCTION_ENV,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "GUICHET_SOURCE_FAILURE_LIMIT": "77",
        "GUICHET_SECURITY_TEAM_EMAILS": "soc@ac-exemple.fr\nrssi@ac-exemple.fr\n",  # one per line
    }
    env = {}
    for name, value in values.items():
        path = tmp_path / name.lower()
        path.write_text(value + "\n")
        env[f"{name}_FILE"] = str(path)
    result = run_django(
        "from django.conf import settings as s\n"
        "print(s.ALLOWED_HOSTS, s.GUICHET_SEALING_KEYS, s.SECURE_SSL_REDIRECT, s.GUICHET_SOURCE_FAILURE_LIMIT,"
        " s.GUICHET_SECURITY_TEAM_EMAILS, s.DATABASES['default']['HOST'], s.SITE_URL)",
        env,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"['guichet.ac-exemple.fr'] ['{PRODUCTION_ENV['GUICHET_SEALING_KEYS']}'] False 77"
        " ['soc@ac-exemple.fr', 'rssi@ac-exemple.fr'] db.internal https://guichet.ac-exemple.fr"
    )


def test_a_malformed_boolean_is_an_error_not_a_guess(tmp_path):
    result = run_django("print('started')", {"DJANGO_DEBUG": "maybe"}, tmp_path)
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


def test_production_deploy_check_reports_nothing(tmp_path):
    result = run_django(
        "from django.core.management import call_command\ncall_command('check', '--deploy', '--fail-level', 'DEBUG')",
        PRODUCTION_ENV,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_production_cookies_are_host_locked_and_secure(tmp_path):
    result = run_django(
        "from django.conf import settings as s\n"
        "print(s.DEBUG, s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE,"
        " s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.SECURE_SSL_REDIRECT)",
        PRODUCTION_ENV,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "__Host-sessionid", "True", "__Host-csrftoken", "True", "True", "True"]
