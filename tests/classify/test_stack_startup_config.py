"""Issue 28, other stacks: configuration errors and start-up failures as .NET, Rails, Laravel, Go, Node, Ruby
servers, Kubernetes and App Engine, Cloud Run and Fly print them. At the branch point every wording below came
back `unknown` under the rules (or a start-up symptom where a configuration error caused it). Each rule keys on
what the framework prints (a type, a library's fixed wording, a syscall's code), and each has a near miss that
must keep its class. The texts are written for the tests, not copied."""

import pytest

from rca.classify.hybrid import classify_text


def rules_say(text: str) -> str:
    return classify_text(text, model=None).cls


SYSTEMD_EXIT = ("\nMar 02 08:00:01 web-1 systemd[1]: ledger.service: Main process exited, code=exited, status=1/FAILURE"
                "\nMar 02 08:00:01 web-1 systemd[1]: ledger.service: Failed with result 'exit-code'.")


@pytest.mark.parametrize("text", [
    # exception families that name configuration, as Java, PHP and Ruby print them
    'org.apache.kafka.common.config.ConfigException: Invalid value abc for configuration linger.ms',
    "Symfony\\Component\\Config\\Definition\\Exception\\InvalidConfigurationException: The path \"app.dsn\" cannot "
    "contain an empty value, but got \"\".",
    "/srv/ledger/lib/boot.rb:9:in `check!': SMTP host missing (Ledger::InvalidConfigurationError)",
    # .NET: options validation, a configuration file not marked optional, a connection string never set
    "Unhandled exception. Microsoft.Extensions.Options.OptionsValidationException: DataAnnotation validation "
    "failed for 'QueueOptions' members: 'Endpoint' with the error: 'The Endpoint field is required.'.",
    "System.IO.FileNotFoundException: The configuration file 'appsettings.Staging.json' was not found and is not "
    "optional. The expected physical path was '/app/appsettings.Staging.json'.",
    "System.ArgumentNullException: Value cannot be null. (Parameter 'connectionString')\n"
    "   at Microsoft.Data.SqlClient.SqlConnection..ctor(String connectionString)",
    # Rails and Laravel: a database configuration that is not there
    "ledger/config/environment.rb:5:in `<main>': database configuration does not specify adapter "
    "(ActiveRecord::AdapterNotSpecified)",
    "[2025-03-02 08:00:01] production.ERROR: Database connection [reporting] not configured. "
    "{\"exception\":\"[object] (InvalidArgumentException(code: 0): Database connection [reporting] not configured.",
    # Go: an unknown flag on the command line, a YAML config that will not load
    "flag provided but not defined: -grpc-port\nUsage of /usr/local/bin/ledger:",
    "panic: yaml: unmarshal errors:\n  line 12: cannot unmarshal !!str `ten` into int\n\ngoroutine 1 [running]:\n"
    "main.loadConfig(...)\n\t/src/cmd/ledger/config.go:40 +0x2a5",
    # Node: the environment failing the service's validators
    "MissingEnvVarsError: The following variables were defined in .env.example but are not present in the "
    "environment:\n  STRIPE_SECRET",
    "[Nest] 7  - 03/02/2025, 8:00:01 AM   ERROR [ExceptionHandler] Config validation error: \"REDIS_URL\" must be a "
    "valid uri",
    # Ruby: a server's config file missing, its command line invalid
    "/srv/ledger/vendor/bundle/ruby/3.3.0/gems/puma-6.4.2/lib/puma/dsl.rb:32:in `read': No such file or directory "
    "@ rb_sysopen - config/puma/staging.rb (Errno::ENOENT)",
    "/srv/ledger/vendor/bundle/ruby/3.3.0/gems/puma-6.4.2/lib/puma/cli.rb:45:in `initialize': missing argument: "
    "-C (OptionParser::MissingArgument)",
    # Prisma and Symfony: a variable the configuration reads from the environment
    "Error code: P1012\nerror: Environment variable not found: LEDGER_DB_URL.\n  -->  prisma/schema.prisma:9",
    # Quarkus (SmallRye Config) and node-config: a required property no configuration source defines
    "java.util.NoSuchElementException: SRCFG00014: The config property ledger.queue.url is required but it could "
    "not be found in any config source",
    'Error: Configuration property "ledger.smtp.host" is not defined\n    at Config.get '
    "(/srv/ledger/node_modules/config/lib/config.js:182:11)",
    # Kubernetes: a volume whose Secret is not there
    '  Warning  FailedMount  20s (x5 over 50s)  kubelet  MountVolume.SetUp failed for volume "certs" : '
    'secret "ledger-certs" not found',
])
def test_a_configuration_error_on_another_stack_is_config_error(text):
    assert rules_say(text) == "config_error"


@pytest.mark.parametrize("text", [
    "Error: listen EACCES: permission denied 0.0.0.0:80\n    at Server.setupListenHandle [as _listen2] "
    "(node:net:1855:21) {\n  code: 'EACCES',\n  errno: -13,\n  syscall: 'listen'\n}",
    "crit: Microsoft.AspNetCore.Server.Kestrel[0]\n      Unable to start Kestrel.\n"
    "System.IO.IOException: Failed to bind to address http://0.0.0.0:80. ---> "
    "System.Net.Sockets.SocketException (13): EACCES permission denied",
    "Error: smoke checks for 48ed3e1c95 failed: the app appears to be crashing",
    "2025-03-02 08:00:01.120 UTC\nProcess terminated because it failed to respond to the start request with an "
    "HTTP status code of 200-299 or 404.",
    "ERROR: (gcloud.app.deploy) Error Response: [13] Timed out when starting VMs. It's possible that the "
    "application code is unhealthy.",
    "Mar 02 08:00:01 vm_runtime_init: ah_start: app not healthy, won't send /_ah/start yet.",
    "The user-provided container failed the configured startup probe checks. Logs for this revision might "
    "contain more information.",
    # a platform's wait for health that ran out is the start-up check failing, not the service's own time limit
    "Error: failed to update machine 91853e2c: Unrecoverable error: timeout reached waiting for health checks to pass "
    "for machine 91853e2c",
    '{"errorType":"Runtime.InvalidEntrypoint","errorMessage":"RequestId: 5b1e Error: fork/exec /var/task/bootstrap: '
    'no such file or directory"}',
    # an entrypoint built for another architecture; gunicorn unable to bind its socket
    "standard_init_linux.go:219: exec user process caused: exec format error",
    "[2025-03-02 08:00:06 +0000] [1] [ERROR] Can't connect to ('0.0.0.0', 8000)",
    # Passenger's spawn and dokku's deploy check with nothing else shown
    "Could not spawn process for application /srv/ledger: An error occurred while starting up the preloader: it did "
    "not write a startup response in time.",
    "-----> Waiting for 10 seconds ...\nremote: App container failed to start!!",
    # the kubelet kills a container whose start-up probe never passed: its 137 is that kill, not the OOM killer
    "  Normal   Killing    40s   kubelet  Container ledger failed startup probe, will be restarted\n"
    "    Last State:     Terminated\n      Exit Code:    137",
])
def test_a_start_up_failure_on_another_stack_is_startup_failure(text):
    assert rules_say(text) == "startup_failure"


def test_a_request_that_failed_because_the_instance_never_started_is_the_start_up_failure():
    # App Engine's request log: the 500 is the symptom of an instance that could not start, not the service's own error
    text = ("2025-03-02 08:00:01.120 GET 500 0 B 2.1 s /orders\n"
            "The request failed because the instance could not start successfully")
    assert rules_say(text) == "startup_failure"


@pytest.mark.parametrize("text, cls", [
    # a configuration error printed before the unit's exit is the cause of that exit
    ("Mar 02 08:00:01 web-1 ledger[811]: 2025-03-02T08:00:01Z  FATAL  failed to read config  "
     '{"error": "yaml: line 4: mapping values are not allowed in this context"}' + SYSTEMD_EXIT, "config_error"),
    ("panic: Failed to load configuration: yaml: unmarshal errors:\n  line 2: cannot unmarshal !!map into string\n"
     "2025-03-02 08:00:02,001 INFO exited: ledger (exit status 2; not expected)", "config_error"),
    ("App container failed to start!!\nMissingEnvVarsError: The following variables were defined in .env.example "
     "but are not present in the environment:\n  DATABASE_URL", "config_error"),
    # a missing module beside a port the server may not bind: the module decides
    ("Error: Cannot find module 'fastify'\nRequire stack:\n- /srv/ledger/server.js\n"
     "Error: listen EACCES: permission denied 0.0.0.0:80", "missing_import"),
])
def test_a_cause_beside_a_start_up_symptom_decides(text, cls):
    assert rules_say(text) == cls


@pytest.mark.parametrize("text, cls", [
    # a name glued to more letters is no exception type; a dict key named config is a plain bug
    ("TypeError: ConfigErrorHandler is not a constructor\n    at Object.<anonymous> (/srv/ledger/app.js:4:15)",
     "unknown"),
    ("Traceback (most recent call last):\n  File \"/app/jobs.py\", line 8, in run\n    opts = job['config']\n"
     "KeyError: 'config'", "unknown"),
    # the library that names its own ConfigurationError keeps the class its hierarchy gives (the database's)
    ("asyncpg.exceptions.ClientConfigurationError: sslmode is not supported", "db_session_failure"),
    # a file the application could not open is no configuration, nor any other null argument a connection string
    ("System.IO.FileNotFoundException: Could not find file '/data/exports/march.csv'.", "unknown"),
    ("System.ArgumentNullException: Value cannot be null. (Parameter 'source')\n"
     "   at System.Linq.ThrowHelper.ThrowArgumentNullException(ExceptionArgument argument)", "unknown"),
    # a request body's bad YAML, logged without the process stopping, is the request's
    ('2025-03-02T08:00:01Z  ERROR  bad manifest  {"error": "yaml: unmarshal errors:\\n  line 1: cannot unmarshal '
     '!!seq into main.Manifest"}', "unknown"),
    # EACCES on a file is not a port the server could not bind
    ("Error: EACCES: permission denied, open '/var/log/ledger/out.log'", "unknown"),
    # a plain bug the spawn failure shows explains it: Passenger's symptom gives way
    ("Could not spawn process for application /srv/ledger: An error occurred while starting up the preloader.\n"
     "  Message from application: undefined method `ledger_total' for class `ReportsController' (NameError)",
     "unknown"),
    # a script the running application could not execute is its own bug, not a container that never started
    ("Traceback (most recent call last):\n  File \"/app/report.py\", line 12, in run\n    subprocess.run(['./export.sh'])\n"
     "OSError: [Errno 8] Exec format error: './export.sh'", "unknown"),
    # a smoke check that passed is no failure
    ("✔ Machine 48ed3e1c95 [app] update finished: success\n  Smoke checks for 48ed3e1c95 passed", "unknown"),
])
def test_a_near_miss_keeps_its_class(text, cls):
    assert rules_say(text) == cls


# ---- between the two symptoms: an instance that did not start explains a service that does not answer

BOOT_FAILED = ("[2025-03-02 08:00:01 +0000] [9] [ERROR] Worker (pid:12) exited with code 3\n"
               "[2025-03-02 08:00:01 +0000] [9] [ERROR] Reason: Worker failed to boot.\n")
OWN_PROXY_REFUSED = ("2025/03/02 08:00:02 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting "
                     'to upstream, client: 203.0.113.9, server: _, request: "GET /orders HTTP/1.1", '
                     'upstream: "http://127.0.0.1:8000/orders"')
READINESS_REFUSED = ('  Warning  Unhealthy  2m (x9 over 3m)  kubelet  Readiness probe failed: Get "http://10.4.0.7:8000/ready": '
                     "dial tcp 10.4.0.7:8000: connect: connection refused\n")


@pytest.mark.parametrize("text", [
    BOOT_FAILED + OWN_PROXY_REFUSED,
    READINESS_REFUSED + "  Warning  BackOff  40s (x11 over 3m)  kubelet  Back-off restarting failed container ledger",
    "ledger-1 exited with code 1\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n"
    "<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>",
])
def test_a_start_up_failure_beside_the_unavailability_it_explains_decides(text):
    result = classify_text(text, model=None)
    assert result.cls == "startup_failure"


def test_the_unavailability_is_kept_as_the_secondary_finding():
    result = classify_text(BOOT_FAILED + OWN_PROXY_REFUSED, model=None)
    assert [finding["class"] for finding in result.secondary] == ["service_unavailable"]


@pytest.mark.parametrize("text", [OWN_PROXY_REFUSED, READINESS_REFUSED])
def test_the_unavailability_alone_stays_service_unavailable(text):
    assert rules_say(text) == "service_unavailable"


# ---- what the structure says (the signals the model reads too)

def test_passengers_spawn_failure_quoting_the_applications_error_is_no_start_up_code():
    from rca.classify.signals import decide, parse

    quoted = ("Could not spawn process for application /srv/ledger: The application encountered the following error: "
              "database configuration does not specify adapter (ActiveRecord::AdapterNotSpecified)")
    bare = "Could not spawn process for application /srv/ledger: An error occurred while starting up the preloader."
    assert decide(parse(quoted, prose=True)) is None
    assert decide(parse(bare, prose=True)) == ("startup_failure", "a platform's own code")


@pytest.mark.parametrize("text", [
    "MissingEnvVarsError: The following variables were defined in .env.example but are not present in the environment",
    "Microsoft.Extensions.Options.OptionsValidationException: A validation error has occurred.",
])
def test_the_tables_know_other_stacks_configuration_exceptions(text):
    from rca.classify.signals import decide, parse

    assert decide(parse(text, prose=True))[0] == "config_error"
