"""One error family, every member carrying the text a user should read.

Modelled on httpx's single exception tree: callers catch by meaning, not by status number.

    AnimetuiError
    ├── BadInput          the user's input is wrong (file, prompt, option); fix it and retry
    ├── ConfigError       the config file is unreadable or invalid (names file and line)
    ├── ProviderError     the service answered with an error
    │   ├── AuthError         missing/invalid key, expired session
    │   │   └── SessionExpired    the signed-in session died: sign in again
    │   ├── QuotaError        daily allowance, credits or balance used up (not worth retrying now)
    │   ├── RateLimited       slow down; ``retry_after`` seconds when the service said so
    │   ├── Busy              service busy / overloaded / maintenance; retry later
    │   ├── Unsupported       the service refuses this input (format, size, too many people …)
    │   ├── NotFound          no such task / model / resource
    │   └── ServerError       5xx or an unexpected answer; ``maybe_charged`` for paid calls
    └── NetworkError      no answer at all (DNS, refused, timeout, dropped)

Messages never contain secrets: ``redact`` (animetui.redact) is applied to every message built
from server text, and provider code never formats a key into a message.
"""

from __future__ import annotations


class AnimetuiError(Exception):
    """Base of every error animetui shows to a user."""

    #: CLI exit code for this error (see animetui.cli)
    exit_code: int = 3
    #: safe to retry the same request automatically (no side effects, transient)
    retryable: bool = False
    #: a paid request may have been done (and charged) anyway: never resend it on its own
    maybe_charged: bool = False

    def __init__(self, message: str, *, provider: str = "", code: str | int | None = None) -> None:
        from animetui.redact import redact

        self.message = redact(message)
        self.provider = provider
        self.code = code
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.provider:
            return f"{self.provider}: {self.message}"
        return self.message


class BadInput(AnimetuiError):
    pass


class ConfigError(AnimetuiError):
    exit_code = 2


class ProviderError(AnimetuiError):
    pass


class AuthError(ProviderError):
    pass


class SessionExpired(AuthError):
    """The signed-in session is no longer accepted (the stored one was forgotten): sign in again."""


class QuotaError(ProviderError):
    pass


class _TryLater(ProviderError):
    """A transient refusal; ``retry_after`` is the wait the service asked for, when it said."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        provider: str = "",
        code: str | int | None = None,
    ) -> None:
        super().__init__(message, provider=provider, code=code)
        self.retry_after = retry_after


class RateLimited(_TryLater):
    pass


class Busy(_TryLater):
    pass


class Unsupported(ProviderError):
    pass


class NotFound(ProviderError):
    pass


class ServerError(ProviderError):
    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        code: str | int | None = None,
        retryable: bool = False,
        maybe_charged: bool = False,
    ) -> None:
        super().__init__(message, provider=provider, code=code)
        self.retryable = retryable
        self.maybe_charged = maybe_charged


class NetworkError(AnimetuiError):
    exit_code = 4
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        maybe_charged: bool = False,
        timeout: bool = False,
    ) -> None:
        super().__init__(message, provider=provider)
        self.maybe_charged = maybe_charged
        self.timeout = timeout
