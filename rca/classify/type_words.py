"""An exception type named as a refused login or as a throttle, in any runtime (issue 28, classify23).

The tables (rules/knowledge/) know the types of the libraries the project has met; a service's SDK it has not
met names the same failure in its type's last words: Stripe's `StripeAuthenticationError`, telepot's
`UnauthorizedError`, KnpLabs' `ApiLimitExceedException`, a `RateLimitedError`. docs/CLASSES.md: a refused
credential is `auth_rejection` and a throttle `rate_limited` whatever raised them, so a type no table knows is
read by its short name's last words, as rca.classify.callers reads a time limit's. Only the type's own name
counts (a word in a message, an argument or a handler's name is not a type), and only these words: a size
limit (`SizeLimitExceededException`, `MaxUploadSizeExceededException`) is data validation, a plain bug, and a
quota of storage (`QuotaExceededError` of a browser's storage) is no throttle.
"""

from __future__ import annotations

import re

# Case-sensitive: each word starts a CamelCase word of the name (`NotAuthenticatedError`, not `Unauthenticatedness`)
REFUSED_LOGIN_TYPE = re.compile(
    r"(?:Authentication(?:Failed)?|Unauthori[sz]ed|Unauthenticated|NotAuthenticated|(?:Invalid|Bad)Credentials?)"
    r"(?:Error|Exception|Failure)?$")
THROTTLE_TYPE = re.compile(r"(?:RateLimit(?:ed|Exceeded|Reached)?|Throttl(?:ed|ing)|TooManyRequests|(?:Api|Request)LimitExceed(?:ed)?)"
                           r"(?:Error|Exception)?$")


def class_by_type_name(exception: str) -> str | None:
    """The class an exception type's own name says (its short name's last words), or None."""
    short = exception.rsplit(".", 1)[-1].rsplit("\\", 1)[-1]
    if REFUSED_LOGIN_TYPE.search(short):
        return "auth_rejection"
    if THROTTLE_TYPE.search(short):
        return "rate_limited"
    return None
