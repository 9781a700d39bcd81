"""Issue 28, classify11: missing code recognised by structure in any runtime: a loader (import, require,
autoload, class loader, dynamic linker, bundler, packager) that could not find something code-shaped.
Before the change every text of MISSING_CODE below was left unknown by the rules; the plain bugs that say
"not found" or "not a function" must stay unknown. The texts are written for the tests, not copied."""

import pytest
import yaml

from rca.classify import signals
from rca.classify.hybrid import classify_text


def rules_say(text: str) -> str:
    return classify_text(text, model=None).cls


def loader_entries() -> list[dict]:
    return yaml.safe_load((signals.knowledge_dir() / "loaders.yaml").read_text(encoding="utf-8"))["phrases"]


MISSING_CODE = [
    # Ruby's require and a Bundler gem, PHP's autoloader and its startup extension loader
    "/srv/app/config/boot.rb:4:in `require': cannot load such file -- nokogiri (LoadError)",
    "Could not find gem 'pg (~> 1.5)' in locally installed gems.",
    "PHP Fatal error:  Uncaught Error: Class \"Aws\\S3\\S3Client\" not found in /var/www/src/Upload.php:9",
    "PHP Warning:  PHP Startup: Unable to load dynamic library 'imagick.so' (tried: /usr/lib/php/imagick.so)",
    # Lua's require, the JVM's launcher, .NET and Elixir
    "lua: /srv/gateway/init.lua:2: module 'cjson' not found:\n\tno field package.preload['cjson']",
    "Error: Could not find or load main class com.acme.billing.App",
    "System.IO.FileNotFoundException: Could not load file or assembly 'Npgsql, Version=8.0.0.0'.",
    "** (UndefinedFunctionError) function Tesla.get/2 is undefined (module Tesla is not available)",
    # Go's toolchain, bundlers, Deno, a dynamic linker, Rust's compiler
    "cmd/api/main.go:7:2: no required module provides package github.com/acme/queue; to add it:",
    "Module not found: Can't resolve '@acme/ui/button' in '/app/src/components'",
    "[plugin:vite:import-analysis] Failed to resolve import \"@/stores/cart\" from \"src/App.vue\".",
    "error: Module not found \"https://deno.land/x/oak@v99.0.0/mod.ts\".",
    "dyld[311]: Library not loaded: @rpath/libvips.42.dylib",
    "error[E0433]: failed to resolve: use of undeclared crate or module `serde_json`",
    # the shape alone, in wordings no table lists
    "fatal: unable to resolve module @acme/flags from /app/index.js",
    "loader: package 'ledger-exporters' could not be loaded",
]


@pytest.mark.parametrize("text", MISSING_CODE, ids=lambda text: text[:40])
def test_missing_code_in_any_runtime_is_a_missing_import(text):
    assert rules_say(text) == "missing_import"


PLAIN_BUGS = [
    # "not found" about data: a record, a user, a route, a key, a file a user asked for
    "Could not find user 'alice@example.com'",
    "ActiveRecord::RecordNotFound: Couldn't find Invoice with 'id'=4211",
    "GET /api/packages/acme 404 Not Found",
    "KeyError: 'module'",
    "Unable to find file 'exports/2025-01.xlsx'",
    "Errno::ENOENT: No such file or directory @ rb_sysopen - /srv/app/tmp/report.csv",
    # calls on the wrong thing are bugs in code that is there
    "TypeError: undefined is not a function",
    "TypeError: client.connect is not a function",
    "AttributeError: 'NoneType' object has no attribute 'load'",
    "NameError: uninitialized constant Order::STATUS_LIST",
    # a logging shim's fallback warning, and a Kubernetes object that is not there
    "SLF4J: Failed to load class \"org.slf4j.impl.StaticLoggerBinder\".",
    "Error from server (NotFound): namespaces \"payments\" not found",
]


@pytest.mark.parametrize("text", PLAIN_BUGS, ids=lambda text: text[:40])
def test_not_found_about_data_or_a_bad_call_stays_unknown(text):
    assert rules_say(text) == "unknown"


def test_the_loader_table_is_read_after_codes_yaml():
    """loaders.yaml is a table of its own: the loader reads its phrases after codes.yaml's."""
    patterns = [pattern.pattern for pattern, _, _ in signals.knowledge().phrases]
    loader_first = loader_entries()[0]["pattern"]
    assert patterns.index(loader_first) > patterns.index("Lock wait timeout exceeded")
