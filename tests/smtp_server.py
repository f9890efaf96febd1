"""A small SMTP server for tests where a real worker sends e-mail: it keeps what it accepted, and can kill the
worker in the middle of a message."""

import email
import socketserver
import threading
from email.header import decode_header, make_header


class MailServer(socketserver.ThreadingTCPServer):
    """Just enough SMTP for Django's backend: accepts each message and keeps its subject, decoded; at message number
    ``kill_at`` (if set) it calls ``on_kill`` instead of answering, so that message is not accepted."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Session)
        self.accepted: list[str] = []
        self.started = 0
        self.lock = threading.Lock()
        self.on_kill = None
        self.kill_at = 0

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    def django_settings(self) -> dict:
        """The environment that points a worker's e-mail at this server."""
        return {
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "DJANGO_EMAIL_HOST": "127.0.0.1",
            "DJANGO_EMAIL_PORT": str(self.server_address[1]),
        }


class _Session(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        self.reply("220 test ESMTP")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 test")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 go on")
                body = []
                while (data := self.rfile.readline()) and data not in (b".\r\n", b".\n"):
                    body.append(data.decode(errors="replace"))
                with self.server.lock:
                    self.server.started += 1
                    number = self.server.started
                if number == self.server.kill_at:
                    self.server.on_kill()  # the worker dies waiting for our answer
                    return
                message = email.message_from_string("".join(body))
                subject = str(make_header(decode_header(message.get("Subject", ""))))
                with self.server.lock:
                    self.server.accepted.append(subject)
                self.reply("250 accepted")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")
