"""Bounded request bodies: a body declared larger than GUICHET_MAX_REQUEST_BYTES is refused with 413 before a byte
of it is read, so nobody can make the server spool hundreds of megabytes to disk, signed in or not."""

import contextlib
import socket
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.tickets.helpers import PNG, login_failure_answers

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


def test_the_limit_is_the_largest_legitimate_submission_plus_room_for_the_form():
    largest_submission = settings.GUICHET_ATTACHMENT_MAX_BYTES * settings.GUICHET_ATTACHMENT_MAX_COUNT
    assert largest_submission + MIB == settings.GUICHET_MAX_REQUEST_BYTES


@pytest.mark.parametrize("path", ["/incidents/signaler/echec-connexion/", "/api/tickets/", "/compte/connexion/"])
def test_a_body_declared_too_large_is_refused_before_it_is_read(client, path):
    response = client.generic(
        "POST", path, b"x", content_type="multipart/form-data; boundary=X", CONTENT_LENGTH=str(300 * MIB)
    )
    assert response.status_code == 413
    text = response.json()["detail"] if path.startswith("/api/") else response.content.decode()
    assert "51,0\xa0Mio" in text  # the limit, as a person reads it (51 MiB by default)


def test_the_refusal_speaks_the_pages_language(client):
    french = client.generic("POST", "/compte/connexion/", b"x", CONTENT_LENGTH=str(300 * MIB))
    english = client.generic("POST", "/en/compte/connexion/", b"x", CONTENT_LENGTH=str(300 * MIB))
    assert "plus volumineuse" in french.content.decode()
    assert "larger than" in english.content.decode()
    api = client.generic("POST", "/api/tickets/", b"x", CONTENT_LENGTH=str(300 * MIB), HTTP_ACCEPT_LANGUAGE="en")
    assert api.json()["detail"].startswith("This request is larger than")


def test_a_submission_within_the_limit_goes_through_and_one_beyond_it_does_not(client, sign_in, marie, problem_types,
                                                                             settings):  # fmt: skip
    settings.GUICHET_MAX_REQUEST_BYTES = 200_000
    sign_in(client, marie)
    small = SimpleUploadedFile("capture.png", PNG + b"\0" * 50_000, content_type="image/png")
    response = client.post("/en/incidents/signaler/echec-connexion/", {**login_failure_answers(), "screenshots": small})
    assert response.status_code in (302, 400)  # filed, or refused by the form itself: not by the size
    large = SimpleUploadedFile("capture.png", PNG + b"\0" * 250_000, content_type="image/png")
    response = client.post("/en/incidents/signaler/echec-connexion/", {**login_failure_answers(), "screenshots": large})
    assert response.status_code == 413


def _stream(host: str, port: int, path: str, *, declared: int, sent: int, cookie: str = "") -> tuple[bytes, int]:
    """POST a multipart body announced as ``declared`` bytes, streaming up to ``sent`` bytes of it (or until the
    server answers); returns the start of the answer and the bytes actually sent."""
    boundary = "Xfuzz"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {declared}\r\nCookie: csrftoken={'c' * 32}{cookie}\r\nX-CSRFToken: {'c' * 32}\r\n\r\n"
    ).encode()
    part = f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.png"\r\n\r\n'.encode()
    connection = socket.create_connection((host, port), timeout=10)
    connection.sendall(head + part)
    chunk, total = b"\0" * (256 * 1024), len(part)
    connection.setblocking(False)
    answer = b""
    try:
        while total < sent and not answer:
            try:
                total += connection.send(chunk)
            except (BlockingIOError, InterruptedError):
                time.sleep(0.01)
            except OSError:
                break  # the server closed the connection after answering
            with contextlib.suppress(BlockingIOError, InterruptedError):
                answer = connection.recv(4096)
        connection.setblocking(True)
        connection.settimeout(10)
        if not answer:
            answer = connection.recv(4096)
    finally:
        connection.close()
    return answer, total


def _disk_used(directory) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "signed-in reply"])
def test_a_streamed_oversized_body_is_refused_and_nothing_lands_on_disk(
    live_server, settings, tmp_path, sign_in, marie, problem_types, signed_in
):
    spool = tmp_path / "uploads"
    spool.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    host, port = live_server.thread.host, live_server.thread.port
    path, cookie = "/incidents/signaler/echec-connexion/", ""
    if signed_in:
        from django.test import Client

        from tickets.fields.context import FillContext
        from tickets.forms import IncidentForm
        from tickets.services import ticket_create

        form = IncidentForm(
            login_failure_answers(), problem_type=problem_types["echec-connexion"], context=FillContext(user=marie)
        )
        assert form.is_valid()
        ticket = ticket_create(
            requester=marie, problem_type=problem_types["echec-connexion"], submission=form.submission
        )
        session = sign_in(Client(), marie).cookies[settings.SESSION_COOKIE_NAME].value
        path, cookie = f"/incidents/{ticket.reference}/repondre/", f"; {settings.SESSION_COOKIE_NAME}={session}"
    answer, sent = _stream(host, port, path, declared=300 * MIB, sent=64 * MIB, cookie=cookie)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 64 * MIB  # answered long before the end: the body was not read
    assert _disk_used(spool) == 0
    print(f"\n413 for a body declared {300 * MIB // MIB} MiB after {sent / MIB:.1f} MiB sent; spooled: 0 bytes")
