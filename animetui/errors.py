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
    │   │   └── ResultExpired     the task and its result are older than the service keeps them
    │   └── ServerError       5xx or an unexpected answer; ``maybe_charged`` for paid calls
    │       ├── ResponseTooLarge  an API body passed ``net.MAX_JSON_BYTES``; reading stopped there
    │       └── ResultUnavailable a result/preview link that will never give an image (permanent)
    └── NetworkError      no answer at all (DNS, refused, timeout, dropped)

Three attributes every error has (real attributes, read them directly, never with ``getattr``):

* ``maybe_charged`` — the request may have cost money or credits: the server may have acted on it
  (it answered with a status line, or the connection failed after the request was sent, or the
  answer could not be read). Such an error is never retryable, and its message always says
  "may have been charged". Only paid or credit-spending calls (``net.send(..., charged=True)``)
  set it.
* ``permanent`` — asking again can never help (the link redirects to ``file://`` or in a loop, or
  gives something that is not an image). A job holding such an error ends with its message;
  :class:`ResultUnavailable` is the one class that sets it (``net.download`` raises it).
* ``retry_after`` — the wait in seconds the service asked for before trying again (None: it did
  not say); set by :class:`RateLimited` and :class:`Busy`.

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
    #: the server may have acted on a paid/credit-spending request (never retried; see module doc)
    maybe_charged: bool = False
    #: asking again can never succeed (see :class:`ResultUnavailable`)
    permanent: bool = False
    #: seconds the service asked to wait before trying again (None: it did not say)
    retry_after: float | None = None

    def __init__(self, message: str, *, provider: str = "", code: str | int | None = None) -> None:
        from animetui.redact import redact

        self.message = redact(message)
        self.provider = provider
        self.code = code
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.provider:
            name = SERVICE_NAMES.get(self.provider, self.provider)  # the name users know, not ours
            if self.message.startswith(name):
                return self.message  # "whatanimeisthis refused …" names it already
            return f"{name}: {self.message}"
        return self.message


#: internal provider name → the service's own name, as messages show it
SERVICE_NAMES = {"whatanime": "whatanimeisthis", "animetrace": "AnimeTrace", "animeapi": "AnimeAPI", "ailab": "AILabTools"}


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


class ResultExpired(NotFound):
    """A task (and its result) is older than the service keeps them: asking again cannot help;
    a job waiting for it is expired, not failed."""


CHARGED_HINT = "the request may have been charged — check your balance before trying again"


def _with_charge_hint(message: str, maybe_charged: bool) -> str:
    if maybe_charged and "may have been charged" not in message:
        return f"{message}; {CHARGED_HINT}"
    return message


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
        super().__init__(_with_charge_hint(message, maybe_charged), provider=provider, code=code)
        self.retryable = retryable and not maybe_charged
        self.maybe_charged = maybe_charged


class ResponseTooLarge(ServerError):
    """An API answer passed the body cap (``animetui.net.MAX_JSON_BYTES``); reading stopped at the cap.

    Not retryable: a body that big is not an answer we can use, and asking again would read as much.
    """


class ResultUnavailable(ServerError):
    """A result (or preview) link that can never give the image: ``permanent`` is True.

    Raised by ``animetui.net.download`` when the link redirects to a non-http(s) URL (``file://``
    …), redirects in a loop or more than ``net.MAX_REDIRECTS`` times, or answers with something that
    is not an image (an HTML page, say). Retrying the download cannot help; a job holding this
    error should end (failed) with its message. Not retryable, never ``maybe_charged`` by itself.
    """

    permanent = True


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
        super().__init__(_with_charge_hint(message, maybe_charged), provider=provider)
        self.maybe_charged = maybe_charged
        self.timeout = timeout
        if maybe_charged:
            self.retryable = False
