"""A real Dovecot (Debian's dovecot-imapd) for the tests: started on a free loopback port with a throwaway
configuration, a few accounts in a password file, and its authentication policy pointed at the test's live server
(docs/mail-servers.md has the configuration an operator writes; this one differs only in paths and ports)."""

import imaplib
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REQUIRE_SERVICES

DOVECOT = "/usr/sbin/dovecot"
CONFIG = """
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
# The auth process logs each wrong password ("Password mismatch"): the lines the log command reads.
auth_verbose = yes
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:{dir}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
auth_policy_server_url = {policy_url}
auth_policy_server_api_header = Authorization: Bearer {key}
auth_policy_hash_nonce = guichet-test-nonce
auth_policy_server_timeout_msecs = 2000
auth_policy_reject_on_fail = no
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dovecot:
    directory: Path
    port: int

    @property
    def log(self) -> str:
        return (self.directory / "dovecot.log").read_text(errors="replace")

    def login(self, user: str, password: str) -> str:
        """An IMAP LOGIN as a mail client sends it; Dovecot's answer ("OK …" or the refusal's text)."""
        with imaplib.IMAP4("127.0.0.1", self.port, timeout=10) as imap:
            try:
                status, data = imap.login(user, password)
            except imaplib.IMAP4.error as refused:
                reason = refused.args[0]
                return f"NO {reason.decode() if isinstance(reason, bytes) else reason}"
            imap.logout()
            return f"{status} {data[0].decode()}"

    def set_password(self, user: str, password: str) -> None:
        passwd = self.directory / "passwd"
        lines = [line for line in passwd.read_text().splitlines() if not line.startswith(f"{user}:")]
        passwd.write_text("\n".join([*lines, f"{user}:{{PLAIN}}{password}"]) + "\n")


def dovecot_started(directory: Path, *, policy_url: str, key: str, accounts: dict[str, str]):
    """Start Dovecot; yields a Dovecot, stops it afterwards. Skips (or fails under GUICHET_REQUIRE_SERVICES) when
    dovecot-imapd is not installed."""
    if not shutil.which(DOVECOT):
        if REQUIRE_SERVICES:
            pytest.fail("GUICHET_REQUIRE_SERVICES=1 but Dovecot is missing: apt-get install dovecot-imapd")
        pytest.skip("needs Debian's dovecot-imapd (`make test` installs it)")
    for name in ("run", "state", "mail"):
        (directory / name).mkdir(parents=True)
    (directory / "mail").chmod(0o1777)
    (directory / "passwd").write_text("".join(f"{user}:{{PLAIN}}{password}\n" for user, password in accounts.items()))
    (directory / "passwd").chmod(0o644)
    port = _free_port()
    config = directory / "dovecot.conf"
    config.write_text(CONFIG.format(dir=directory, port=port, policy_url=policy_url, key=key))
    directory.chmod(0o755)
    # Dovecot forks into the background and its children keep the standard streams: never wait on a pipe of theirs.
    started = subprocess.run([DOVECOT, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Dovecot(directory, port)
    if started.returncode != 0:
        raise RuntimeError(f"Dovecot did not start:\n{server.log}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        raise RuntimeError(f"Dovecot did not listen on {port}:\n{server.log}")
    try:
        yield server
    finally:
        subprocess.run([DOVECOT, "-c", str(config), "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
