"""Issue 28, fifth pass: the symptom classes read from new real texts (rc-0866 onwards), each with a near
miss that must not take the class. Structure decides: a platform's own kill is not the OOM killer, the
proxy in front of the service reports on the service, a client's message reports on a dependency. The
texts here are written for the tests, not copied from the corpus."""

import pytest

from rca.classify.hybrid import classify_text
from rca.classify.signals import parse


def rules_say(text: str) -> str:
    return classify_text(text, model=None).cls


R10_KILL = ("2025-03-02T08:10:41+00:00 heroku[web.1]: Error R10 (Boot timeout) -> Web process failed to bind to $PORT "
            "within 60 seconds of launch\n2025-03-02T08:10:41+00:00 heroku[web.1]: Stopping process with SIGKILL\n"
            "2025-03-02T08:10:42+00:00 heroku[web.1]: Process exited with status 137\n"
            "2025-03-02T08:10:42+00:00 heroku[web.1]: State changed from starting to crashed")


@pytest.mark.parametrize("text, cls", [
    # Heroku kills a web dyno that did not bind in time: its status 137 is that kill (before: resource_exhaustion)
    (R10_KILL, "startup_failure"),
    ("Web process failed to bind to $PORT within 60 seconds of launch\nStopping process with SIGKILL\n"
     "Process exited with status 137", "startup_failure"),
    # the kubelet restarting a container that failed its liveness probe: 137 is the restart (before: resource_exhaustion)
    ("  Normal   Killing  30s  kubelet  Container web failed liveness probe, will be restarted\n"
     "    Last State:  Terminated\n      Reason:  Error\n      Exit Code:  137", "service_unavailable"),
    # a port already in use at start-up (before: unknown)
    ("Traceback (most recent call last):\n  File \"/srv/app/run.py\", line 9, in <module>\n    server.bind(('0.0.0.0', 8080))\n"
     "OSError: [Errno 98] Address already in use", "startup_failure"),
    ("Error: listen EADDRINUSE: address already in use 0.0.0.0:4000\n    at Server.setupListenHandle [as _listen2] "
     "(node:net:1817:16)\n    at listenInCluster (node:net:1865:12) {\n  code: 'EADDRINUSE',\n  syscall: 'listen',\n"
     "  port: 4000\n}", "startup_failure"),
    # Heroku's and Cloud Run's own pages for a service that cannot answer (before: unknown)
    ("Application error\nAn error occurred in the application and your page could not be served. If you are the "
     "application owner, check your logs for details.", "service_unavailable"),
    ("POST 429 https://orders-xyz-uc.a.run.app/pay The request was aborted because there was no available instance.",
     "service_unavailable"),
    # the service's own nginx cannot reach the app behind it (before: dependency_connection_failure, errno 111)
    ('2025/03/02 08:11:00 [error] 22#22: *5 connect() failed (111: Connection refused) while connecting to upstream, '
     'client: 203.0.113.20, server: app.example.org, request: "GET / HTTP/1.1", upstream: "http://10.0.0.4:5000/"\n'
     '203.0.113.20 - - [02/Mar/2025:08:11:00 +0000] "GET / HTTP/1.1" 502 157 "-" "curl/8.5.0"', "service_unavailable"),
    # process supervisors giving up on a program that keeps exiting at start-up (before: unknown)
    ("2025-03-02 08:00:03,120 INFO exited: api (exit status 1; not expected)\n"
     "2025-03-02 08:00:04,121 INFO gave up: api entered FATAL state, too many start retries too quickly", "startup_failure"),
    ("shop:web                 FATAL     Exited too quickly (process log may have details)", "startup_failure"),
    ("Mar 02 08:00:05 web-1 systemd[1]: shop-api.service: Start request repeated too\nquickly.", "startup_failure"),
    ("unable to load app 0 (mountpoint='') (callable not found or import error)\n*** no app loaded. GAME OVER ***",
     "startup_failure"),
    # a client's own wording for an upstream's 503 (before: unknown; a reason phrase of the server's own choosing)
    ("urllib.error.HTTPError: HTTP Error 503: Service Temporarily Unavailable", "dependency_connection_failure"),
    ("sync failed: 503 Server Error: Service Unavailable for url: https://inventory.example.org/api/stock",
     "dependency_connection_failure"),
])
def test_a_fifth_pass_wording_or_structure_takes_its_class(text, cls):
    assert rules_say(text) == cls


@pytest.mark.parametrize("text, cls", [
    # an OOM kill with no platform kill named stays the machine's memory
    ("2025-03-02T08:10:42+00:00 heroku[web.1]: Process exited with status 137\n"
     "2025-03-02T08:10:42+00:00 heroku[web.1]: State changed from up to crashed", "resource_exhaustion"),
    # R15 is a memory quota: its SIGKILL and 137 stay with memory even beside a boot wording
    ("heroku[web.1]: Error R15 (Memory quota vastly exceeded)\nheroku[web.1]: Stopping process with SIGKILL\n"
     "heroku[web.1]: Process exited with status 137", "resource_exhaustion"),
    ("    Last State:     Terminated\n      Reason:       OOMKilled\n      Exit Code:    137", "resource_exhaustion"),
    # the proxy's time-out stays a time limit; a client refused by an API stays a dependency
    ('[error] 9#9: *41 upstream timed out (110: Connection timed out) while reading response header from upstream, '
     'client: 203.0.113.4, server: _, request: "GET /report HTTP/1.1"', "timeout"),
    ("requests.exceptions.ConnectionError: HTTPConnectionPool(host='billing', port=8000): Max retries exceeded with "
     "url: /charge (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: Failed to "
     "establish a new connection: [Errno 111] Connection refused'))", "dependency_connection_failure"),
    # the supervisor's exit line gives way to the cause the program printed, and an expected exit is no failure
    ("Traceback (most recent call last):\n  File \"/srv/wsgi.py\", line 2, in <module>\n    import flask_cors\n"
     "ModuleNotFoundError: No module named 'flask_cors'\nunable to load app 0 (mountpoint='') (callable not found or "
     "import error)", "missing_import"),
    ("2025-03-02 08:00:03,120 INFO exited: nightly-report (exit status 0; expected)", "unknown"),
    # a NameError for a name that is also a standard module, used as a plain value: a local the code never set
    # (before: missing_import, "NameError for the standard module token")
    ('  File "/srv/api/client.py", line 21, in refresh\n    headers = {"Authorization": "Bearer " + token}\n'
     "NameError: name 'token' is not defined", "unknown"),
    ('  File "/srv/api/mail.py", line 5, in notify\n    send(email, subject)\nNameError: name \'email\' is not defined',
     "unknown"),
    # used as a module it is still a missing import
    ('  File "/srv/api/mail.py", line 5, in notify\n    msg = email.message.EmailMessage()\n'
     "NameError: name 'email' is not defined", "missing_import"),
    # a plain bug that carries the words stays unknown
    ("TypeError: run() got an unexpected keyword argument 'port'", "unknown"),
    # a status and an auth wording written in the program's code are arguments, not what a request answered:
    # the error printed below them is a plain bug (before: auth_rejection, by the 401 and the phrase)
    ('Traceback (most recent call last):\n  File "/srv/api/auth.py", line 14, in verify\n'
     '    raise HTTPException(status_code=401, detail="Invalid credentials")\n'
     '  File "/srv/api/errors.py", line 9, in on_http_error\n    return JSONResponse(exc.detail.encode())\n'
     "TypeError: Object of type bytes is not JSON serializable", "unknown"),
    ("500 Server Error: Internal Server Error for url: https://inventory.example.org/api/stock", "unknown"),
])
def test_a_near_miss_keeps_its_own_class(text, cls):
    assert rules_say(text) == cls


def test_a_status_in_a_source_line_is_code_and_one_the_program_printed_is_read():
    in_code = parse('  File "/srv/api/auth.py", line 14, in verify\n    abort(403)\nValueError: bad id', prose=True)
    assert 403 not in in_code.http
    printed = parse('  File "/srv/api/client.py", line 8, in get\n    r.raise_for_status()\n'
                    "requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: https://x.example/y", prose=True)
    assert 403 in printed.http


def test_the_platform_kill_takes_the_exit_status_and_signal_out_of_the_signals():
    signals = parse(R10_KILL, prose=True)
    assert 137 not in signals.exit_codes and "SIGKILL" not in signals.signals
    assert "resource_exhaustion" not in signals.platform
    plain = parse("Process exited with status 137", prose=True)
    assert 137 in plain.exit_codes  # without the platform's reason, 137 is still read
