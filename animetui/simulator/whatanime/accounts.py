"""The account side of the whatanimeisthis simulator: better-auth email sign-in with signed,
sliding session cookies and Origin checks, the credits endpoint and API keys (the rules are in
:mod:`animetui.simulator.whatanime`). :class:`~.service.Simulator` adds the searches."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import urllib.parse
from typing import Any

import httpx

from animetui.simulator.base import SimService, json_response, parse_body
from animetui.simulator.whatanime.catalogue import (
    DEMO_EMAIL,
    FREE_DAILY,
    MAX_LIMIT,
    SESSION_SECONDS,
    SESSION_UPDATE_AGE,
    SIGN_IN_LIMIT,
    SIGN_IN_WINDOW,
    SITE_ORIGIN,
    KeyRecord,
    SessionRecord,
    User,
    auth_error_response,
    b64,
    error_response,
    iso,
    mask_key,
    positive_int,
)


class Accounts(SimService):
    """Users, their sessions and API keys, and the endpoints that need only those."""

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)
        #: cookie name prefix (better-auth's default; "__Secure-better-auth" behind HTTPS in production)
        self.cookie_prefix = "better-auth"
        #: better-auth's session cookie cache (off by default there): also set ``session_data``
        self.cookie_cache = False
        self.site_origin = SITE_ORIGIN
        self._secret = hashlib.sha256(f"whatanime-sim-{hub.seed}".encode()).digest()
        self.users: dict[str, User] = {}
        self.sessions: dict[str, SessionRecord] = {}
        self.keys: dict[str, KeyRecord] = {}
        self._sign_in_hits: dict[str, list[float]] = {}

    # ------------------------------------------------------------------ test/demo helpers
    def add_user(self, email: str, password: str, *, name: str = "", paid_credits: int = 0) -> User:
        user = User(
            id=b64(hashlib.sha256(f"user:{email}".encode()).digest())[:24],
            email=email,
            password=password,
            name=name or email.split("@")[0],
            paid_credits=paid_credits,
            created_at=self.clock.now() - 90 * 86400,
        )
        self.users[email.lower()] = user
        return user

    def set_credits(self, email: str = DEMO_EMAIL, *, paid: int | None = None, free_used: int | None = None) -> None:
        user = self.users[email.lower()]
        if paid is not None:
            user.paid_credits = paid
        if free_used is not None:
            user.free_day = self.clock.day()
            user.free_used = free_used

    def user(self, email: str = DEMO_EMAIL) -> User:
        return self.users[email.lower()]

    def expire_sessions(self) -> None:
        """Every session ends now (the next use of its cookie gets 401)."""
        past = self.clock.now() - 1
        for record in self.sessions.values():
            record.expires_at = past

    def free_remaining(self, user: User) -> int:
        if user.free_day != self.clock.day():
            return FREE_DAILY
        return max(0, FREE_DAILY - user.free_used)

    def _add_key(self, user: User, title: str, key: str, *, created_at: float) -> KeyRecord:
        record = KeyRecord(id="key_" + hashlib.sha256(key.encode()).hexdigest()[:12], key=key, title=title,
                           email=user.email.lower(), created_at=created_at)
        self.keys[key] = record
        return record

    # ------------------------------------------------------------------ request helpers
    @staticmethod
    def client_ip(request: httpx.Request) -> str:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        return first or "127.0.0.1"

    def _cookies(self, request: httpx.Request) -> dict[str, str]:
        jar: dict[str, str] = {}
        for header in request.headers.get_list("cookie"):
            for part in header.split(";"):
                name, sep, value = part.strip().partition("=")
                if sep:
                    jar[name.strip()] = value.strip()
        return jar

    def _sign(self, token: str) -> str:
        """better-call's cookie signature: HMAC-SHA256, standard base64 with padding."""
        return base64.b64encode(hmac.new(self._secret, token.encode(), hashlib.sha256).digest()).decode("ascii")

    def _signed(self, value: str) -> str:
        """``<value>.<signature>``, URL-encoded as better-call writes a signed cookie."""
        return urllib.parse.quote(f"{value}.{self._sign(value)}", safe="")

    @property
    def _token_cookie(self) -> str:
        return f"{self.cookie_prefix}.session_token"

    @property
    def _data_cookie(self) -> str:
        return f"{self.cookie_prefix}.session_data"

    def _has_session_cookie(self, request: httpx.Request) -> bool:
        return self._token_cookie in self._cookies(request)

    def _session_of(self, request: httpx.Request) -> tuple[SessionRecord | None, list[str]]:
        """The live session the cookie names (or None), and cookies to set again if it slid."""
        raw = self._cookies(request).get(self._token_cookie)
        if not raw:
            return None, []
        token, _, signature = urllib.parse.unquote(raw).rpartition(".")
        if not token or not hmac.compare_digest(signature, self._sign(token)):
            return None, []
        record = self.sessions.get(token)
        now = self.clock.now()
        if record is None or now >= record.expires_at:
            return None, []
        if now - record.updated_at >= SESSION_UPDATE_AGE:
            record.updated_at = now
            record.expires_at = now + SESSION_SECONDS
            return record, self._session_cookies(record)
        return record, []

    def _session_cookies(self, record: SessionRecord) -> list[str]:
        user = self.users[record.email]
        max_age = f"; Max-Age={int(SESSION_SECONDS)}" if record.remember else ""
        data = json.dumps(
            {"session": {"userId": user.id, "expiresAt": iso(record.expires_at)},
             "updatedAt": int(record.updated_at * 1000)},
            separators=(",", ":"),
        ).encode()
        payload = b64(data)
        cookies = [f"{self._token_cookie}={self._signed(record.token)}{max_age}; Path=/; HttpOnly; SameSite=Lax"]
        if self.cookie_cache:
            cookies.append(f"{self._data_cookie}={self._signed(payload)}{max_age}; Path=/; HttpOnly; SameSite=Lax")
        return cookies

    def _expired_cookies(self) -> list[str]:
        return [f"{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
                for name in (self._token_cookie, self._data_cookie, f"{self.cookie_prefix}.dont_remember")]

    def _origin_problem(self, request: httpx.Request, *, required: bool) -> httpx.Response | None:
        origin = request.headers.get("origin")
        if origin is None or origin.strip() in ("", "null"):
            if required:
                return auth_error_response(403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
            if origin is None or not origin.strip():
                return None  # no Origin and no cookie: nothing to check (better-auth 1.7)
            return auth_error_response(403, "INVALID_ORIGIN", "Invalid origin")  # "null" is no trusted origin
        trusted = {self.site_origin, self.hub.base_of(request)}
        if origin.strip().rstrip("/") not in trusted:
            return auth_error_response(403, "INVALID_ORIGIN", "Invalid origin")
        return None

    def _respond(self, status: int, payload: Any, *, cookies: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> httpx.Response:
        raw_headers: list[tuple[str, str]] = [("content-type", "application/json; charset=utf-8")]
        raw_headers += list((headers or {}).items())
        raw_headers += [("set-cookie", c) for c in cookies or []]
        return httpx.Response(status, content=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                              headers=raw_headers)

    def _require_session(self, request: httpx.Request) -> tuple[SessionRecord | None, list[str], httpx.Response | None]:
        record, cookies = self._session_of(request)
        if record is None:
            return None, [], error_response(401, "Unauthorized: sign in first", "UNAUTHORIZED")
        return record, cookies, None

    async def _realistic_pause(self, seconds: float) -> None:
        if self.hub.realistic:
            await asyncio.sleep(seconds)

    # ------------------------------------------------------------------ account
    async def _credits(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        record, cookies, problem = self._require_session(request)
        if problem is not None:
            return problem
        assert record is not None
        user = self.users[record.email]
        free = self.free_remaining(user)
        midnight = (self.clock.day() + 1) * 86400
        return self._respond(200, {
            "freeCredits": free,
            "freeCreditsLimit": FREE_DAILY,
            "paidCredits": user.paid_credits,
            "totalCredits": free + user.paid_credits,
            "resetsAt": iso(midnight),
        }, cookies=cookies)

    async def _list_keys(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        record, cookies, problem = self._require_session(request)
        if problem is not None:
            return problem
        assert record is not None
        query = request.url.params
        page = positive_int(query.get("page"), default=1, name="page")
        if isinstance(page, str):
            return error_response(400, page, "INVALID_PAGE")
        size = positive_int(query.get("pageSize"), default=10, name="pageSize")
        if isinstance(size, str):
            return error_response(400, size, "INVALID_PAGE_SIZE")
        if size > MAX_LIMIT:
            return error_response(400, f"pageSize must be at most {MAX_LIMIT}", "INVALID_PAGE_SIZE")
        mine = sorted((k for k in self.keys.values() if k.email == record.email),
                      key=lambda k: k.created_at, reverse=True)
        chunk = mine[(page - 1) * size: page * size]
        items = [{
            "id": k.id,
            "title": self.text(k.title, i),
            "maskedKey": mask_key(k.key),
            "createdAt": iso(k.created_at),
            "lastUsedAt": None if k.last_used_at is None else iso(k.last_used_at),
        } for i, k in enumerate(chunk)]
        return self._respond(200, {"items": items, "total": len(mine), "page": page, "pageSize": size,
                                   "totalPages": max(1, math.ceil(len(mine) / size))}, cookies=cookies)

    async def _create_key(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        if self._has_session_cookie(request):
            problem = self._origin_problem(request, required=True)
            if problem is not None:
                return problem
        record, cookies, problem = self._require_session(request)
        if problem is not None:
            return problem
        assert record is not None
        form = parse_body(request)
        payload = form.json if isinstance(form.json, dict) else form.fields
        title = payload.get("title") if isinstance(payload, dict) else None
        if form.error or not isinstance(title, str) or not title.strip():
            return error_response(400, "title is required", "INVALID_TITLE")
        if len(title) > 100:
            return error_response(400, "title must be at most 100 characters", "INVALID_TITLE")
        key = "wait_" + secrets.token_hex(16)
        created = self._add_key(self.users[record.email], title.strip(), key, created_at=self.clock.now())
        return self._respond(201, {"id": created.id, "title": created.title, "key": key,
                                   "maskedKey": mask_key(key), "createdAt": iso(created.created_at)},
                             cookies=cookies)

    # ------------------------------------------------------------------ better-auth
    async def _sign_in(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        ip = self.client_ip(request)
        now = self.clock.now()
        hits = [t for t in self._sign_in_hits.get(ip, []) if now - t < SIGN_IN_WINDOW]
        if len(hits) >= SIGN_IN_LIMIT:
            wait = max(1, math.ceil(hits[0] + SIGN_IN_WINDOW - now))
            self._sign_in_hits[ip] = hits
            return json_response(429, {"message": "Too many requests. Please try again later."},
                                 {"X-Retry-After": str(wait)})
        hits.append(now)
        self._sign_in_hits[ip] = hits
        problem = self._origin_problem(request, required=bool(request.headers.get("cookie")))
        if problem is not None:
            return problem
        form = parse_body(request)
        payload: Any = form.json if form.json is not None else form.fields
        if form.error or not isinstance(payload, dict):
            return auth_error_response(400, "VALIDATION_ERROR", "Invalid body: expected a JSON object")
        email, password = payload.get("email"), payload.get("password")
        for name, value in (("email", email), ("password", password)):
            if not isinstance(value, str):
                return auth_error_response(400, "VALIDATION_ERROR", f"[body.{name}] Invalid input: expected string")
        assert isinstance(email, str) and isinstance(password, str)
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email.strip()):
            return auth_error_response(400, "INVALID_EMAIL", "Invalid email")
        user = self.users.get(email.strip().lower())
        await self._realistic_pause(0.3)
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            return auth_error_response(401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
        remember = payload.get("rememberMe", True) is not False
        token = secrets.token_urlsafe(24)
        record = SessionRecord(token, user.email.lower(), now, now, now + SESSION_SECONDS, remember)
        self.sessions[token] = record
        cookies = self._session_cookies(record)
        if not remember:
            cookies.append(f"{self.cookie_prefix}.dont_remember={self._signed('true')}; Path=/; HttpOnly; SameSite=Lax")
        body = {
            "redirect": False,
            "token": token,
            "url": None,
            "user": {
                "id": user.id,
                "email": user.email,
                "name": self.text(user.name),
                "image": None,
                "emailVerified": True,
                "createdAt": iso(user.created_at),
                "updatedAt": iso(user.created_at),
            },
        }
        return self._respond(200, body, cookies=cookies)

    async def _sign_out(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        problem = self._origin_problem(request, required=self._has_session_cookie(request))
        if problem is not None:
            return problem
        record, _ = self._session_of(request)
        if record is None:
            return auth_error_response(400, "FAILED_TO_GET_SESSION", "Failed to get session")
        self.sessions.pop(record.token, None)
        return self._respond(200, {"success": True}, cookies=self._expired_cookies())

    async def _get_session(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        record, cookies = self._session_of(request)
        if record is None:
            return json_response(200, None)
        user = self.users[record.email]
        return self._respond(200, {
            "session": {"id": record.token[:12], "userId": user.id, "expiresAt": iso(record.expires_at),
                        "createdAt": iso(record.created_at), "updatedAt": iso(record.updated_at)},
            "user": {"id": user.id, "email": user.email, "name": self.text(user.name)},
        }, cookies=cookies)

