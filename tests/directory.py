"""The test directory started by scripts/with-services (a real slapd): settings that point the portal at it, and
the directory administrator's hand on its entries, which the tests use to arrange people and check passwords."""

import os
import subprocess

import ldap
import ldap.modlist
import pytest

from tests.helpers import REQUIRE_SERVICES

PEOPLE = "ou=people,dc=guichet,dc=test"
MIN_AGE_POLICY = "cn=min-age,ou=policies,dc=guichet,dc=test"


def _env(name: str) -> str:
    return os.environ[f"GUICHET_TEST_LDAP_{name}"]


def available() -> bool:
    if os.environ.get("GUICHET_TEST_LDAP_URL"):
        return True
    if REQUIRE_SERVICES:
        pytest.fail("GUICHET_REQUIRE_SERVICES=1 but no test directory: run the suite through scripts/with-services")
    pytest.skip("needs the test slapd of scripts/with-services (`make test`)")


def portal_settings(settings) -> None:
    """Point the portal at the test directory, as an operator would with the GUICHET_LDAP_* variables."""
    settings.GUICHET_CREDENTIAL_STORE = "ldap"
    settings.GUICHET_LDAP_URL = _env("URL")
    settings.GUICHET_LDAP_START_TLS = True
    settings.GUICHET_LDAP_CA_FILE = _env("CA_FILE")
    settings.GUICHET_LDAP_BIND_DN = _env("SERVICE_DN")
    settings.GUICHET_LDAP_BIND_PASSWORD = _env("SERVICE_PASSWORD")
    settings.GUICHET_LDAP_USER_BASE = PEOPLE
    settings.GUICHET_LDAP_ATTRIBUTES = {
        "identifier": "uid",
        "display_name": "displayName",
        "email": "mail",
        "recovery_email": "otherMailbox",
    }
    settings.GUICHET_LDAP_TIMEOUT = 2


class TestDirectory:
    """The directory administrator (the root DN), over StartTLS."""

    __test__ = False

    def _connect(self):
        conn = ldap.initialize(_env("URL"))
        conn.set_option(ldap.OPT_X_TLS_CACERTFILE, _env("CA_FILE"))
        conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
        conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        conn.start_tls_s()
        conn.simple_bind_s(_env("ROOT_DN"), _env("ROOT_PASSWORD"))
        return conn

    @staticmethod
    def dn(identifier: str) -> str:
        return f"uid={identifier},{PEOPLE}"

    def add_person(self, identifier, password, *, name, mail, recovery="", policy="") -> str:
        attributes = {
            "objectClass": [b"inetOrgPerson", b"extensibleObject"],
            "uid": [identifier.encode()],
            "cn": [name.encode()],
            "sn": [name.split()[-1].encode()],
            "displayName": [name.encode()],
            "mail": [mail.encode()],
            "userPassword": [password.encode()],
        }
        if recovery:
            attributes["otherMailbox"] = [recovery.encode()]
        conn = self._connect()
        conn.add_s(self.dn(identifier), ldap.modlist.addModlist(attributes))
        if policy:
            conn.modify_s(self.dn(identifier), [(ldap.MOD_REPLACE, "pwdPolicySubentry", [policy.encode()])])
        conn.unbind_s()
        return self.dn(identifier)

    def replace(self, identifier: str, **values: str) -> None:
        conn = self._connect()
        changes = [(ldap.MOD_REPLACE, name, [value.encode()]) for name, value in values.items()]
        conn.modify_s(self.dn(identifier), changes)
        conn.unbind_s()

    def empty(self) -> None:
        conn = self._connect()
        for dn, _ in conn.search_s(PEOPLE, ldap.SCOPE_ONELEVEL, "(objectClass=*)", ["1.1"]):
            conn.delete_s(dn)
        conn.unbind_s()

    @staticmethod
    def whoami(identifier: str, password: str) -> subprocess.CompletedProcess:
        """``ldapwhoami`` with this password, as any mail server would check it: the directory's own answer."""
        return subprocess.run(
            ["ldapwhoami", "-x", "-ZZ", "-H", _env("URL"), "-D", TestDirectory.dn(identifier), "-w", password],
            env={**os.environ, "LDAPTLS_CACERT": _env("CA_FILE")},
            capture_output=True,
            text=True,
            timeout=10,
        )
