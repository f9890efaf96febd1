"""`make bench`: throughput and latency of portal pages against a bare Django view, on one gunicorn server.

Before the server starts, bench.kb_corpus fills the knowledge base with generated articles (20,000 by default), so
the search page and the suggestion API are measured at that size; each of those two targets cycles through a list
of realistic queries. bench.ticket_corpus then generates a helpdesk history (1,000,000 tickets by default), and the
agents' workspace is measured as a signed-in agent (bench.workspace): the queue view with its default filters, a
filter combination, page 50, ticket pages, and last its ranked search (words of titles, errors, descriptions,
replies and notes, common and rare); the CSV export of every ticket is timed apart, with its peak memory. Absolute
numbers depend on the machine; the ratio to the bare view on the same run is what to compare between commits.
Results are printed as a table and written to bench/results/<timestamp>.json.

Before each target the server is given time to finish what the previous one left queued (``wait_until_idle``),
so a slow target cannot starve the next. The server runs with bench.settings, whose rate limits count as usual
but never refuse: the client is one person asking hundreds of times a second. Responses other than 2xx/3xx are
counted apart ("refused") and left out of req/s. ``--only`` measures some targets (and the bare view) only.

With the knowledge-base targets (a full run or ``--only kb``), the relevance suite is scored too (``relevance``:
hit@1, hit@3 and MRR per backend, over the shipped articles in a database of their own); ``--only relevance``
scores it alone.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# Knowledge-base searches and suggestions as people type them (accents, plurals, a typo, a pasted sentence).
KB_QUERIES = [
    "mot de passe oublié", "mots de passe oubliés", "code otp refusé", "token badvalue", "tokne badvalue",
    "identifiant incorrect", "boîte pleine quota", "configurer thunderbird imap", "erreur certificat",
    "compte verrouillé", "securite ordinateur partage", "page blanche navigateur", "sso ent boucle", "vpn télétravail",
]  # fmt: skip
KB_SUGGESTIONS = [
    "mot de pas", "code otp ref", "token badval", "thunderbird ne reçoit plus", "erreur certif", "compte bloqu",
    "impossible de me connecter au webmail depuis ce matin, identifiant incorrect", "message suspect demande mot",
    "quota dépas", "page blanche apr",
]  # fmt: skip
# Searches in the queue view as agents type them: an error message, an accent left out, words only replies or
# internal notes hold, a title, an establishment, a workstation number.
TICKET_QUERIES = [
    "token badvalue", "bloque", "navigation privée", "thunderbird reçoit", "certificat", "collège victor hugo",
    "poste 4821", "passerelle smtp-out-03", "jeton otp", "mot de passe incorrect", "quota archiver", "hameçonnage",
]  # fmt: skip
AGENT_TARGETS = ("queue view", "queue filtered", "queue page 50", "ticket page", "queue search")
# A target is one path, or several requested in turn (bench/rotate.lua).
TARGETS = {
    "bare Django view": "/bench/bare/",
    "home (fr)": "/",
    "home (en)": "/en/",
    "kb article page": "/aide/mot-de-passe-oublie/",
    "kb search page": [f"/aide/recherche/?{urlencode({'q': query})}" for query in KB_QUERIES],
    "kb suggest API": [f"/api/kb/suggest/?{urlencode({'text': text, 'lang': 'fr'})}" for text in KB_SUGGESTIONS],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer at {url}")


def wait_until_idle(url: str, timeout: float = 120.0) -> None:
    """Until three answers of the bare view in a row come within 50 ms: the workers are done with the requests the
    previous target left queued (wrk stops sending, the server does not stop answering)."""
    deadline = time.monotonic() + timeout
    quick = 0
    while quick < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                response.read()
        except OSError:
            time.sleep(0.5)
            continue
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0


def selected(name: str, only: list[str]) -> bool:
    return not only or name.startswith("bare") or any(name.startswith(prefix) for prefix in only)


def start_server(port: int, workers: int, env: dict) -> subprocess.Popen:
    """gunicorn serving the portal (with bench.settings' bare view) on ``port``."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip


def run_wrk(base: str, target: str | list[str], seconds: int, connections: int, cookie: str = "") -> dict:
    paths = [target] if isinstance(target, str) else target
    script = "report.lua" if isinstance(target, str) else "rotate.lua"
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(ROOT / "bench" / script), base + paths[0]]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if script == "rotate.lua":
        command += ["--", *paths]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def correlation() -> None:
    """bench.correlation on a migrated database: its report is printed, and written to bench/results/."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DJANGO_DEBUG": "0"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    output = subprocess.run(
        [sys.executable, "-m", "bench.correlation"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    report, _, summary = output.partition("\n")
    print(summary.strip())
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"correlation-{stamp}.json").write_text(json.dumps(json.loads(report), indent=2))


def mail(args) -> None:
    """bench.mail: the policy endpoint beside the bare view, ingestion through the API, the lockout job."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DJANGO_DEBUG": "0"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    def bench_mail(*arguments) -> dict | list:
        command = [sys.executable, "-m", "bench.mail", *arguments]
        return json.loads(subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout)

    key = bench_mail("setup")["key"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers, env)
    results = {}
    try:
        wait_until_up(base + TARGETS["bare Django view"])
        for connections in [int(count) for count in args.connection_counts.split(",") if count] or [args.connections]:
            for name, command in (("bare Django view", ""), ("policy allow", "allow"), ("policy report", "report")):
                wait_until_idle(base + TARGETS["bare Django view"])
                wrk = ["wrk", "-t1", f"-c{connections}", f"-d{args.seconds}s"]
                if command:
                    wrk += ["-s", "bench/policy.lua", base + "/api/mail/policy/"]
                else:
                    wrk += ["-s", "bench/report.lua", base + TARGETS["bare Django view"]]
                wrk_env = {**env, "GUICHET_BENCH_MAIL_KEY": key, "GUICHET_BENCH_POLICY": command}
                subprocess.run(wrk[:3] + ["-d2s"] + wrk[4:], cwd=ROOT, env=wrk_env, check=True, capture_output=True)
                output = subprocess.run(wrk, cwd=ROOT, env=wrk_env, check=True, capture_output=True, text=True).stdout
                results[f"{name} @{connections}"] = json.loads(output.strip().splitlines()[-1])
        wait_until_idle(base + TARGETS["bare Django view"])
        ingestion = bench_mail("ingest", "--base", base, "--key", key, "--seconds", str(args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=20)
    job = bench_mail("lockout", "--history", args.mail_history)

    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(f"\ngunicorn {args.workers} workers, wrk 1 thread, {args.seconds}s, {database}")
    print(f"{'target':<26} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'refused':>8} {'req/s ratio':>12}")
    for name, result in results.items():
        bare = results[f"bare Django view @{name.rpartition('@')[2]}"]
        rps, bare_rps = result["requests"] / result["seconds"], bare["requests"] / bare["seconds"]
        print(
            f"{name:<26} {rps:>8.0f} {result['p50_us'] / 1000:>8.2f} {result['p95_us'] / 1000:>8.2f} "
            f"{result['refused']:>8} {rps / bare_rps:>12.2f}"
        )
    print(
        f"\ningestion through POST /api/mail/events/: {ingestion['events_per_s']} events/s ({ingestion['events']} "
        f"events in {ingestion['seconds']} s, {ingestion['batches']} batches of 5,000, median "
        f"{ingestion['batch_p50_ms']} ms each; errors: {ingestion['errors'] or 'none'})"
    )
    for run in job:
        print(
            f"lockout job: {run['read']} new events with {run['stored']} stored: {run['seconds']} s "
            f"({run['events_per_s']} events/s, {run['actions']} locks and alerts)"
        )
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {"args": vars(args), "http": results, "ingestion": ingestion, "lockout_job": job}
    (out_dir / f"mail-{stamp}.json").write_text(json.dumps(report, indent=2))


def relevance() -> dict:
    """The relevance suite (kb/relevance/, ``manage.py kb_relevance``) over the shipped articles only, in a database
    of its own on the same server: the 20,000 generated articles would change what the suite measures."""
    import psycopg

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    url = os.environ.get("DATABASE_URL", "")
    if url:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS guichet_relevance")
            connection.execute("CREATE DATABASE guichet_relevance")
        env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/guichet_relevance"
    else:
        env["GUICHET_VAR_DIR"] = tempfile.mkdtemp(prefix="guichet-relevance-")
    for command in (["migrate", "--noinput", "-v0"], ["load_kb"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    scores = json.loads(
        subprocess.run([sys.executable, "manage.py", "kb_relevance", "--json"], cwd=ROOT, env=env, check=True,
                       capture_output=True, text=True).stdout
    )  # fmt: skip
    print(f"\nRelevance suite (kb/relevance/, shipped articles only)\n{'backend':<12} {'suite':<6} {'questions':>9} "
          f"{'hit@1':>6} {'hit@3':>6} {'MRR':>6}")  # fmt: skip
    for backend, suites in scores.items():
        for suite, score in suites.items():
            print(f"{backend:<12} {suite:<6} {score['questions']:>9} {score['hit@1']:>6.3f} {score['hit@3']:>6.3f} "
                  f"{score['mrr']:>6.3f}")  # fmt: skip
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each measurement")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--kb-articles", type=int, default=20_000, help="generated knowledge-base articles")
    parser.add_argument("--tickets", type=int, default=1_000_000, help="generated tickets")
    parser.add_argument(
        "--connection-counts", default="", help="comma-separated connection counts to run each target at, e.g. 1,8"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated beginnings of target names to measure, e.g. 'queue,ticket page' or 'kb' (the bare "
        "view always runs; the CSV export runs only with 'export'); every target by default. 'correlation' runs "
        "the correlation of 5,000 + 2,000 reports instead; 'mail' the mail servers' endpoints and lockout job",
    )
    parser.add_argument(
        "--mail-history", default="1000000,10000000", help="with --only mail: stored events the lockout job runs beside"
    )
    args = parser.parse_args()
    only = [word.strip() for word in args.only.split(",") if word.strip()]
    if only == ["correlation"]:
        correlation()
        return
    if only == ["mail"]:
        mail(args)
        return
    if only == ["relevance"]:
        relevance()
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: sudo apt-get install wrk")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DJANGO_DEBUG": "0"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    if any(selected(name, only) for name in TARGETS if not name.startswith("bare")):
        subprocess.run(
            [sys.executable, "-m", "bench.kb_corpus", "--count", str(args.kb_articles)], cwd=ROOT, env=env, check=True
        )
    # The agents' workspace needs the generated history; the knowledge base alone does not.
    workspace, agent_targets = {}, {}
    if not only or "export" in only or any(selected(name, only) for name in AGENT_TARGETS):
        subprocess.run(
            [sys.executable, "-m", "bench.ticket_corpus", "--count", str(args.tickets)], cwd=ROOT, env=env, check=True
        )
        workspace = json.loads(
            subprocess.run([sys.executable, "-m", "bench.workspace", "session"], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True).stdout
        )  # fmt: skip
        # The search last: it is the slowest, and whatever it leaves queued must not be counted against another.
        agent_targets = {
            "queue view": workspace["queue"],
            "queue filtered": workspace["filtered"],
            "queue page 50": workspace["page_50"],
            "ticket page": workspace["tickets"],
            "queue search": [f"{workspace['queue']}?{urlencode({'q': query})}" for query in TICKET_QUERIES],
            "queue search filtered": [
                f"{workspace['queue']}?{urlencode({'q': query, 'queue': 1, 'status': 'new'})}"
                for query in TICKET_QUERIES
            ],
        }
    server = start_server(port, args.workers, env)
    try:
        wait_until_up(base + TARGETS["bare Django view"])
        results = {}
        counts = [int(count) for count in args.connection_counts.split(",") if count] or [args.connections]
        for connections in counts:
            for name, target in {**TARGETS, **agent_targets}.items():
                if not selected(name, only):
                    continue
                cookie = workspace["cookie"] if name in agent_targets else ""
                label = name if len(counts) == 1 else f"{name} @{connections}"
                wait_until_idle(base + TARGETS["bare Django view"])
                run_wrk(base, target, 2, connections, cookie)  # warm-up: imports, template loading, connections
                results[label] = run_wrk(base, target, args.seconds, connections, cookie)
                results[label]["connections"] = connections
    finally:
        server.terminate()
        server.wait(timeout=20)

    export = None
    if not only or "export" in only:
        export = json.loads(
            subprocess.run([sys.executable, "-m", "bench.workspace", "export"], cwd=ROOT, env=env, check=True,
                           capture_output=True, text=True).stdout
        )  # fmt: skip
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(
        f"\ngunicorn {args.workers} workers, wrk 1 thread {args.connections} connections {args.seconds}s, {database}, "
        f"{args.kb_articles} generated kb articles, {args.tickets if workspace else 0} generated tickets"
    )
    bares = {result["connections"]: result for name, result in results.items() if name.startswith("bare")}
    header = (
        f"{'target':<28} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'refused':>8} {'errors':>7} {'req/s ratio':>12} "
        f"{'p95 ratio':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, result in results.items():
        bare = bares[result["connections"]]
        bare_rps = (bare["requests"] - bare["refused"]) / bare["seconds"]
        rps = (result["requests"] - result["refused"]) / result["seconds"]
        print(
            f"{name:<28} {rps:>9.0f} {result['p50_us'] / 1000:>8.2f} {result['p95_us'] / 1000:>8.2f} "
            f"{result['refused']:>8} {result['errors']:>7} {rps / bare_rps:>12.2f} "
            f"{result['p95_us'] / bare['p95_us']:>10.2f}"
        )
    if export:
        print(
            f"\nCSV export of every ticket: {export['rows']} rows, {export['megabytes']} MB in {export['seconds']} s; "
            f"peak memory {export['peak_rss_mb']} MB (growth while streaming {export['growth_mb']} MB)"
        )
    scores = relevance() if not only or any(word.startswith("kb") for word in only) else None
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = {"args": vars(args), "results": results, "export": export, "relevance": scores}
    (out_dir / f"http-{stamp}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
