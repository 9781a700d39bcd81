"""The failure classes (see DESIGN.md). A class is data: a rule pack names it, training examples teach it."""

CAUSE_CLASSES = (
    "missing_import", "auth_rejection", "db_session_failure", "dependency_connection_failure",
    "timeout", "resource_exhaustion", "config_error", "rate_limited",
)
SYMPTOM_CLASSES = ("startup_failure", "service_unavailable")
UNKNOWN = "unknown"
KNOWN_CLASSES = CAUSE_CLASSES + SYMPTOM_CLASSES + (UNKNOWN,)
