"""The whatanimeisthis provider: requests, auth, retries and errors for scene search, rankings,
recent searches, credits, API keys and sign-in (what each does is described in
:mod:`animetui.providers.whatanime`; the bodies are read by :mod:`.answers`, the session kept by
:mod:`.session`)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from animetui import unexpected
from animetui.errors import (
    AnimetuiError,
    AuthError,
    BadInput,
    NetworkError,
    NotFound,
    QuotaError,
    RateLimited,
    ServerError,
    SessionExpired,
    Unsupported,
)
from animetui.models import ApiKey, ApiKeyPage, Credits, ImageSource, Ranking, RecentSearch, SceneResult, Session
from animetui.net import json_body, parse_retry_after, retrying, send
from animetui.pictures import offload, sources
from animetui.providers.base import ProviderContext, server_text
from animetui.providers.whatanime.answers import (
    DEFAULT_ORIGIN,
    FREE_DAILY,
    GUEST_DAILY,
    GUEST_LIMIT,
    MAX_BYTES,
    MAX_SIDE,
    MAX_TITLE,
    NAME,
    NOT_SIGNED_IN,
    PERIODS,
    SEARCH_RETRY_STATUSES,
    SESSION_EXPIRED,
    SESSION_FILE,
    TITLE,
    UPLOAD_FORMATS,
    error_message,
    first,
    parse_credits,
    parse_key_page,
    parse_rankings,
    parse_recent,
    parse_search,
    wait_text,
    when,
)
from animetui.providers.whatanime.session import SessionStore, closed_jar, register_cookie, rows_of
from animetui.redact import mask, register_secret

if TYPE_CHECKING:
    from animetui.limits import SharedBucket

T = TypeVar("T")


class _SessionRejected(Exception):
    """A 401 while the session was in use (internal: never leaves this module)."""


def prepare(source: ImageSource) -> sources.PreparedImage:
    data = sources.read_source(source.path) if source.path is not None else source.data
    assert data is not None
    return sources.prepare_upload(
        data,
        label=source.label,
        formats=UPLOAD_FORMATS,
        max_bytes=MAX_BYTES,
        max_side=MAX_SIDE,
        service=TITLE,
    )


class WhatAnimeProvider:
    name = NAME

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        #: this provider's settings section; live — changes apply to the next request
        self.settings = ctx.settings
        #: set when a search found the session dead and fell back to the key or guest
        self.session_expired = False
        #: the cookie jar and its file
        self.session_store = SessionStore(
            None if ctx.data_dir is None else Path(ctx.data_dir) / SESSION_FILE, self._base_url)
        self._last_allowance: dict[str, tuple[str, int]] = {}  # mode → (UTC date, remaining)
        # The client would otherwise keep Set-Cookie on its own and send the session with guest
        # or API-key requests; our jar is explicit.
        ctx.client.cookies = closed_jar()
        register_secret(self._api_key())

    # ------------------------------------------------------------------ settings
    def _api_key(self) -> str:
        return str(self.settings.get("api_key") or "").strip()

    def _origin(self) -> str:
        return str(self.settings.get("origin") or "").strip()

    def _base_url(self) -> str:
        return str(self.ctx.client.base_url).rstrip("/")

    # ------------------------------------------------------------------ session
    @property
    def session(self) -> Session | None:
        """The current session, if signed in (loaded from disk on first use)."""
        return self.session_store.session

    # ------------------------------------------------------------------ requests
    def _headers(self, auth: str, path: str = "/") -> dict[str, str]:
        headers: dict[str, str] = {}
        if auth in ("session", "origin"):
            origin = self._origin()
            if origin:
                headers["Origin"] = origin
        if auth == "session" and self.session_store.jar is not None:
            cookie = self.session_store.cookie_header(path)
            if cookie:
                headers["Cookie"] = cookie
        elif auth == "key":
            headers["Authorization"] = f"Bearer {self._api_key()}"
        return headers

    async def _call(self, method: str, path: str, *, auth: str, charged: bool = False, **kwargs: Any) -> httpx.Response:
        await self.ctx.limiter.acquire()
        response = await send(self.ctx.client, method, path, provider=NAME, charged=charged,
                              headers=self._headers(auth, path), **kwargs)
        if auth == "session":
            await self.session_store.absorb(response)
        return response

    def _json(self, response: httpx.Response, *, what: str) -> object:
        body = json_body(response)
        if body is None:
            content_type = response.headers.get("content-type", "") or "no content type"
            kind = "malformed JSON" if "json" in content_type.lower() else f"not JSON ({server_text(content_type, limit=60)})"
            saved = self._keep_unexpected(what, response.content, status=response.status_code,
                                          content_type=content_type, problem=kind)
            raise ServerError(f"unexpected answer from whatanimeisthis to {what}: {kind} (HTTP {response.status_code})"
                              + unexpected.notice(saved), provider=NAME, code=response.status_code)
        return body

    def _keep_unexpected(self, what: str, body: object, **details: Any) -> Path | None:
        return unexpected.save(self.ctx.data_dir, provider=NAME, what=what, body=body, **details)

    def _parsed(self, parse: Callable[..., T], body: object, what: str, *args: Any, **kwargs: Any) -> T:
        """``parse(body, …)``; an answer it cannot read is kept (redacted) and the user told where."""
        try:
            return parse(body, *args, **kwargs)
        except ServerError as exc:
            saved = self._keep_unexpected(what, body, problem=exc.message)
            charged = what == "search"
            raise ServerError(exc.message + (" (the search may have been charged)" if charged else "")
                              + unexpected.notice(saved), provider=NAME, code=exc.code,
                              retryable=False, maybe_charged=charged or exc.maybe_charged) from None

    def _error(self, response: httpx.Response, *, auth: str, search: bool = False) -> AnimetuiError:
        """The error for a non-2xx answer (a session 401 is handled by the callers first)."""
        status = response.status_code
        body = json_body(response)
        message, code = error_message(body)
        suffix = f" ({message})" if message else ""
        retry_after = parse_retry_after(response.headers)
        if code in ("MISSING_OR_NULL_ORIGIN", "INVALID_ORIGIN"):
            origin = server_text(self._origin(), limit=120) or "not set"
            return AuthError(
                f"whatanimeisthis refused the Origin header ({code}; now: {origin}) — set "
                f"providers.whatanime.origin to the site's own address, e.g. {DEFAULT_ORIGIN}",
                provider=NAME, code=code)
        if status == 400:
            return BadInput(f"whatanimeisthis refused the request: {message or 'HTTP 400'}", provider=NAME, code=code or 400)
        if status == 401:
            if auth == "key":
                return AuthError("whatanimeisthis refused the API key (HTTP 401) — check providers.whatanime.api_key, "
                                 "or sign in and create a new key (animetui keys create)", provider=NAME, code=401)
            if auth == "session":
                return SessionExpired(SESSION_EXPIRED, provider=NAME, code=401)
            return AuthError(f"whatanimeisthis wants you to sign in (HTTP 401){suffix}", provider=NAME, code=401)
        if status == 402:
            return QuotaError(f"no search credits left — today's {FREE_DAILY} free credits are used and there are no "
                              "paid credits; they come back at midnight, or buy credits on whatanimeisthis.com",
                              provider=NAME, code=code or 402)
        if status == 403:
            if code == "EMAIL_NOT_VERIFIED":
                return AuthError("your email address is not verified yet — open the link whatanimeisthis sent you",
                                 provider=NAME, code=code)
            return AuthError(f"whatanimeisthis refused access (HTTP 403){suffix}", provider=NAME, code=code or 403)
        if status == 404:
            return NotFound(f"whatanimeisthis has no such endpoint (HTTP 404) — check providers.whatanime.base_url{suffix}",
                            provider=NAME, code=404)
        if status == 413:
            return Unsupported(f"the image is too large for whatanimeisthis (HTTP 413){suffix}", provider=NAME, code=413)
        if status == 415:
            return Unsupported(f"whatanimeisthis cannot take this image (HTTP 415){suffix}", provider=NAME, code=415)
        if status == 429:
            guest_daily = "GUEST" in code.upper() or (
                auth == "guest" and search and ("day" in message.lower() or (retry_after or 0) > 3600))
            if guest_daily:
                return QuotaError(GUEST_LIMIT + wait_text(retry_after), provider=NAME, code=code or 429)
            if retry_after is not None and retry_after <= self.ctx.retry.max_retry_after:
                self.ctx.limiter.block_for(retry_after)
            return RateLimited(f"too many requests to whatanimeisthis (HTTP 429){wait_text(retry_after)}{suffix}",
                               retry_after=retry_after, provider=NAME, code=code or 429)
        if status >= 500:
            retryable = status in SEARCH_RETRY_STATUSES if search else True
            return ServerError(f"whatanimeisthis had a server error (HTTP {status}){suffix}", provider=NAME,
                               code=status, retryable=retryable)
        return ServerError(f"whatanimeisthis answered HTTP {status}{suffix}", provider=NAME, code=status)

    @staticmethod
    def _read_retry(exc: AnimetuiError) -> bool:
        if isinstance(exc, NetworkError):
            return exc.retryable
        if isinstance(exc, RateLimited):
            return True
        if isinstance(exc, ServerError):
            return isinstance(exc.code, int) and exc.code >= 500
        return False

    @staticmethod
    def _search_retry(exc: AnimetuiError) -> bool:
        if isinstance(exc, NetworkError):
            return exc.retryable  # send() marks a request that reached the server as not retryable
        return isinstance(exc, ServerError) and exc.code in SEARCH_RETRY_STATUSES

    async def _read(self, path: str, *, params: dict[str, Any], auth: str, what: str) -> object:
        """A GET, retried on network errors, 5xx and 429. A session 401 ends the session."""

        async def attempt() -> object:
            response = await self._call("GET", path, auth=auth, params=params)
            if response.status_code == 401 and auth == "session":
                raise _SessionRejected()
            if response.status_code >= 400:
                raise self._error(response, auth=auth)
            return self._json(response, what=what)

        try:
            return await retrying(attempt, policy=self.ctx.retry, sleep=self.ctx.sleep, should_retry=self._read_retry)
        except _SessionRejected:
            self.session_store.forget()
            raise SessionExpired(SESSION_EXPIRED, provider=NAME, code=401) from None

    def _require_session(self) -> None:
        if self.session is None:
            raise AuthError(NOT_SIGNED_IN, provider=NAME)

    # ------------------------------------------------------------------ scene search
    async def search_scene(self, source: ImageSource) -> SceneResult:
        """Up to 5 matches, best first. Nothing found → empty ``matches``."""
        parts: dict[str, Any]
        if source.url is not None:
            url = source.url.strip()
            if not url.lower().startswith(("http://", "https://")):
                raise BadInput(f"not an http(s) URL: {server_text(url, limit=120)}", provider=NAME)
            parts = {"url": (None, url)}
        else:
            prepared = await offload.run(prepare, source)
            parts = {"image": (prepared.filename, prepared.data, prepared.content_type)}

        fallback = "key" if self._api_key() else "guest"
        auth = "session" if self.session is not None else fallback
        try:
            response = await self._search_once(parts, auth)
        except _SessionRejected:
            self.session_store.forget()
            self.session_expired = True
            auth = fallback
            response = await self._search_once(parts, auth)
        body = self._json(response, what="the search (it may have been charged)")
        result = self._parsed(parse_search, body, "search", self._base_url())
        if result.credits_left is not None:
            self._last_allowance[auth] = (dt.datetime.now(dt.UTC).date().isoformat(), result.credits_left)
        return result

    def _search_bucket(self, auth: str) -> SharedBucket | None:
        """The machine-wide count of this kind of search (``animetui.limits``), or None.

        Guests: 5 a day (by IP: one count per machine). Signed in or with a key: 100 an hour, per
        account (the session's email, else a hash of the key)."""
        shared = self.ctx.shared_limits
        if shared is None:
            return None
        from animetui import limits

        if auth == "guest":
            return limits.SharedBucket(shared, "whatanime.guest", limits.DOCUMENTED["whatanime.guest"], provider=NAME,
                                       title="whatanimeisthis", sleep=self.ctx.sleep)
        who = (self.session.email if auth == "session" and self.session is not None else None) or self._api_key()
        return limits.SharedBucket(shared, limits.bucket_name("whatanime.user", who), limits.DOCUMENTED["whatanime.user"],
                                   provider=NAME, title="whatanimeisthis", sleep=self.ctx.sleep, max_wait=0.0)

    def _guest_searches_left(self) -> float | None:
        """Guest searches left today by this machine's count, when the data dir has one."""
        shared = self.ctx.shared_limits
        if shared is None:
            return None
        from animetui import limits

        rule = limits.DOCUMENTED["whatanime.guest"][0]
        return float(max(0, rule.count - shared.used("whatanime.guest", rule)))

    async def _search_once(self, parts: dict[str, Any], auth: str) -> httpx.Response:
        bucket = self._search_bucket(auth)

        async def attempt() -> httpx.Response:
            if bucket is not None:
                try:
                    await bucket.acquire()
                except QuotaError as exc:  # used up on this machine: nothing was sent
                    wait = getattr(exc, "retry_after", None)
                    if auth == "guest":
                        raise QuotaError(GUEST_LIMIT + wait_text(wait), provider=NAME, code=exc.code) from None
                    raise RateLimited(f"100 searches an hour used on this machine{wait_text(wait)}",
                                      retry_after=wait, provider=NAME, code=exc.code) from None
            try:
                response = await self._call("POST", "/api/anime/search", auth=auth, charged=True, files=parts)
            finally:
                if bucket is not None:
                    await bucket.sent()  # counted from the answer: the site saw it by now
            if response.status_code == 429 and bucket is not None:
                wait = parse_retry_after(response.headers)
                if wait is not None:  # the service's count wins: every process on the machine waits
                    bucket.block(wait)
            if response.status_code == 401 and auth == "session":
                raise _SessionRejected()
            if response.status_code >= 400:
                raise self._error(response, auth=auth, search=True)
            return response

        return await retrying(attempt, policy=self.ctx.retry, sleep=self.ctx.sleep, should_retry=self._search_retry)

    # ------------------------------------------------------------------ rankings / recent
    async def rankings(self, *, period: str = "all", limit: int = 50, include_adult: bool = False) -> list[Ranking]:
        """Most searched anime for ``period`` (daily|weekly|monthly|yearly|all)."""
        if period not in PERIODS:
            raise BadInput(f"unknown period {server_text(period, limit=40)!r}; use one of {', '.join(PERIODS)}", provider=NAME)
        if limit < 1:
            raise BadInput(f"limit must be at least 1, got {limit}", provider=NAME)
        params = {"period": period, "limit": limit, "includeAdult": "true" if include_adult else "false"}
        body = await self._read("/api/anime/rankings", params=params, auth="none", what="the rankings")
        return self._parsed(parse_rankings, body, "rankings", include_adult=include_adult, base=self._base_url())[:limit]

    async def recent_searches(self, *, limit: int = 20, offset: int = 0) -> list[RecentSearch]:
        """Recently confirmed public searches, newest first; an empty list past the end."""
        if limit < 1:
            raise BadInput(f"limit must be at least 1, got {limit}", provider=NAME)
        if offset < 0:
            raise BadInput(f"offset cannot be negative, got {offset}", provider=NAME)
        params = {"limit": limit, "offset": offset}
        body = await self._read("/api/anime/recent-searches", params=params, auth="none", what="the recent searches")
        return self._parsed(parse_recent, body, "recent", self._base_url())[:limit]

    # ------------------------------------------------------------------ account
    async def sign_in(self, email: str, password: str) -> Session:
        """Sign in with email and password; the whole cookie jar is kept (0600 file)."""
        email = email.strip()
        if not email or "@" not in email:
            raise BadInput("enter the email address of your whatanimeisthis account", provider=NAME)
        if not password:
            raise BadInput("enter your password", provider=NAME)
        register_secret(password)
        payload = {"email": email, "password": password, "rememberMe": True}
        response = await self._call("POST", "/api/auth/sign-in/email", auth="origin", json=payload)
        if response.status_code == 401:
            raise AuthError("wrong email or password", provider=NAME, code="INVALID_EMAIL_OR_PASSWORD")
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers)
            raise RateLimited(f"too many sign-in attempts{wait_text(retry_after) or '; wait a little'} and try again",
                              retry_after=retry_after, provider=NAME, code=429)
        if response.status_code >= 400:
            raise self._error(response, auth="origin")
        body = self._json(response, what="the sign-in")
        jar = httpx.Cookies()
        jar.extract_cookies(response)
        rows = rows_of(jar)
        if not rows:
            raise ServerError("whatanimeisthis accepted the sign-in but set no session cookie", provider=NAME)
        for _name, value, _domain, _path in rows:
            register_cookie(value)
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            register_secret(body["token"])
        user = body.get("user") if isinstance(body, dict) else None
        user = user if isinstance(user, dict) else {}
        session = Session(
            email=server_text(user.get("email"), limit=200) or email,
            cookies=rows,
            user_id=server_text(user.get("id"), limit=80),
            name=server_text(user.get("name"), limit=80),
        )
        self.session_store.adopt(jar, session)
        self.session_expired = False
        await asyncio.to_thread(self.session_store.write)
        return session

    async def sign_out(self) -> None:
        """Tell the server (best effort) and forget the stored session."""
        if self.session is None:
            self.session_store.forget()
            return
        try:
            await self._call("POST", "/api/auth/sign-out", auth="session", json={})
        except AnimetuiError:
            pass  # offline or refused: the local session goes anyway
        finally:
            self.session_store.forget()

    async def credits(self) -> Credits:
        """Search credits left (signed in), or the guest allowance as last seen."""
        if self.session is not None:
            body = await self._read("/api/user/anime-credits", params={}, auth="session", what="the credits")
            return self._parsed(parse_credits, body, "credits")
        today = dt.datetime.now(dt.UTC).date().isoformat()
        if self._api_key():
            seen = self._last_allowance.get("key")
            if seen and seen[0] == today:
                return Credits(NAME, float(seen[1]), "credits", detail="API key: as of the last search (sign in for details)")
            return Credits(NAME, None, "credits", detail="API key set: sign in (animetui login) to see the credits")
        seen = self._last_allowance.get("guest")
        if seen and seen[0] == today:
            return Credits(NAME, float(seen[1]), "searches", total=float(GUEST_DAILY),
                           detail=f"guest: {GUEST_DAILY} searches/day (as of the last search)")
        left = self._guest_searches_left()
        if left is not None:
            return Credits(NAME, left, "searches", total=float(GUEST_DAILY),
                           detail=f"guest: {GUEST_DAILY} searches/day (counted on this machine)")
        return Credits(NAME, None, "searches", total=float(GUEST_DAILY), detail=f"guest: {GUEST_DAILY} searches/day")

    async def list_keys(self, *, page: int = 1, page_size: int = 20) -> ApiKeyPage:
        """The signed-in user's API keys, masked."""
        if page < 1 or page_size < 1:
            raise BadInput("page and page size must be at least 1", provider=NAME)
        self._require_session()
        body = await self._read("/api/apikeys", params={"page": page, "pageSize": page_size}, auth="session",
                                what="the key list")
        return self._parsed(parse_key_page, body, "keys", page=page, page_size=page_size)

    async def create_key(self, title: str) -> ApiKey:
        """A new key; ``plaintext`` is set this once (the server never shows it again)."""
        title = title.strip()
        if not title:
            raise BadInput("give the new key a title (e.g. the machine it is for)", provider=NAME)
        if len(title) > MAX_TITLE:
            raise BadInput(f"the key title is {len(title)} characters; at most {MAX_TITLE}", provider=NAME)
        self._require_session()
        response = await self._call("POST", "/api/apikeys", auth="session", json={"title": title})
        if response.status_code == 401:
            self.session_store.forget()
            raise SessionExpired(SESSION_EXPIRED, provider=NAME, code=401)
        if response.status_code >= 400:
            raise self._error(response, auth="session")
        body = self._json(response, what="the key creation")
        holder = body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), dict) else body
        plaintext = first(holder, "key", "apiKey", "token", "plaintext") if isinstance(holder, dict) else None
        if not isinstance(plaintext, str) or not plaintext.strip():
            raise ServerError("whatanimeisthis created a key but did not return it — check the key list on the site",
                              provider=NAME)
        plaintext = plaintext.strip()
        register_secret(plaintext)
        assert isinstance(holder, dict)
        return ApiKey(
            id=server_text(first(holder, "id", "keyId"), limit=80),
            title=server_text(holder.get("title"), limit=MAX_TITLE) or title,
            masked=mask(plaintext),
            created_at=when(first(holder, "createdAt", "created_at")),
            plaintext=plaintext,
        )



def create(ctx: ProviderContext) -> WhatAnimeProvider:
    return WhatAnimeProvider(ctx)
