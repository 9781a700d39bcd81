"""The failure classes (see docs/DESIGN.md). A class is data: a rule pack names it, training examples teach it."""

CAUSE_CLASSES = (
    "missing_import", "auth_rejection", "db_session_failure", "dependency_connection_failure",
    "timeout", "resource_exhaustion", "config_error", "rate_limited",
)
SYMPTOM_CLASSES = ("startup_failure", "service_unavailable")
UNKNOWN = "unknown"
KNOWN_CLASSES = CAUSE_CLASSES + SYMPTOM_CLASSES + (UNKNOWN,)
ROLES = ("cause", "symptom")


def role_of(cls: str, declared: str | None = None) -> str:
    """A class's role, decided here only. A class rca knows has a fixed role; a class a user's pack
    introduces takes the role its rules declare (cause when they declare none). `unknown` is a cause:
    an application bug that no class fits can still be what broke the service."""
    if cls in SYMPTOM_CLASSES:
        return "symptom"
    if cls in KNOWN_CLASSES:
        return "cause"
    return declared or "cause"
