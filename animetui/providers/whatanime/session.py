"""The signed-in whatanimeisthis session: the whole cookie jar, kept in
``<data dir>/whatanime-session.json`` (mode 0600, written atomically) with the email and the base
URL it belongs to — never sent to another base URL.

No cookie name is hard-coded (better-auth sets ``session_token``, plus ``session_data`` with its
cookie cache on, ``__Secure-`` prefixed behind HTTPS). Cookies are sent as a browser sends them:
only unexpired ones whose path matches the request (RFC 6265), longest path first; each cookie's
expiry is kept in the file. Cookies the server sets again (a sliding session) are merged and
saved. Every cookie value is registered with :mod:`animetui.redact`.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Callable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx

from animetui.config import atomic_write_bytes
from animetui.errors import AuthError
from animetui.models import Session
from animetui.providers.whatanime.answers import NAME
from animetui.redact import register_secret

#: (name, value, domain, path) of each cookie
CookieRow = tuple[str, str, str, str]


def path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def closed_jar() -> CookieJar:
    """A cookie jar that accepts nothing (for the shared client: auth is explicit per request)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def register_cookie(value: str) -> None:
    """Redact a cookie value, URL-decoded too, and its token without the signature."""
    for form in {value, urllib.parse.unquote(value)}:  # better-auth URL-encodes the signed value
        register_secret(form)
        token, _, _signature = form.rpartition(".")
        register_secret(token)


def rows_of(jar: httpx.Cookies) -> tuple[CookieRow, ...]:
    return tuple((c.name, c.value or "", c.domain, c.path) for c in jar.jar)


class SessionStore:
    """The session and its cookie jar, loaded from ``path`` on first use (None: kept in memory only).

    ``base_url()`` is the client's base URL: a stored session for another one is ignored."""

    def __init__(self, path: Path | None, base_url: Callable[[], str]) -> None:
        self.path = path
        self._base_url = base_url
        self.jar: httpx.Cookies | None = None
        self._session: Session | None = None
        self._loaded = False

    @property
    def session(self) -> Session | None:
        """The current session, if signed in (loaded from disk on first use)."""
        self._ensure_loaded()
        return self._session

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        path = self.path
        if path is None:
            return
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return  # no session, or an unreadable file: signed out (the next sign-in overwrites it)
        if not isinstance(document, dict) or document.get("base_url") != self._base_url():
            return  # a session for another host is never sent here
        cookies = document.get("cookies")
        if not isinstance(cookies, list):
            return
        jar = httpx.Cookies()
        rows: list[CookieRow] = []
        for entry in cookies:
            if not isinstance(entry, dict):
                continue
            name, value = entry.get("name"), entry.get("value")
            domain, cookie_path = entry.get("domain") or "", entry.get("path") or "/"
            if not isinstance(name, str) or not isinstance(value, str) or not name:
                continue
            jar.set(name, value, domain=str(domain), path=str(cookie_path))
            expires = entry.get("expires")
            if isinstance(expires, (int, float)) and not isinstance(expires, bool):
                for cookie in jar.jar:
                    if cookie.name == name and cookie.domain == str(domain) and cookie.path == str(cookie_path):
                        cookie.expires = int(expires)
            rows.append((name, value, str(domain), str(cookie_path)))
            register_cookie(value)
        if not rows:
            return
        self.jar = jar
        self._session = Session(
            email=str(document.get("email") or ""),
            cookies=tuple(rows),
            user_id=str(document.get("user_id") or ""),
            name=str(document.get("name") or ""),
        )

    def adopt(self, jar: httpx.Cookies, session: Session) -> None:
        """A new sign-in's cookies and session (saved by :meth:`write`)."""
        self.jar, self._session, self._loaded = jar, session, True

    def _rows(self) -> tuple[CookieRow, ...]:
        return () if self.jar is None else rows_of(self.jar)

    def write(self) -> None:
        """Save the session (0600, atomically); AuthError when the file cannot be written."""
        path = self.path
        if path is None or self._session is None:
            return
        document = {
            "version": 1,
            "base_url": self._base_url(),
            "email": self._session.email,
            "user_id": self._session.user_id,
            "name": self._session.name,
            "cookies": [{"name": n, "value": v, "domain": d, "path": p, **self._expiry(n, d, p)}
                        for n, v, d, p in self._session.cookies],
        }
        try:
            atomic_write_bytes(path, json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"), mode=0o600)
        except OSError as exc:
            raise AuthError(f"signed in, but the session could not be saved to {path} ({exc.strerror})",
                            provider=NAME) from None

    def _expiry(self, name: str, domain: str, path: str) -> dict[str, int]:
        """``{"expires": epoch seconds}`` when the server gave the cookie a lifetime, else {}."""
        for cookie in self.jar.jar if self.jar is not None else ():
            if cookie.name == name and cookie.domain == domain and cookie.path == path and cookie.expires is not None:
                return {"expires": int(cookie.expires)}
        return {}

    def forget(self) -> None:
        """Signed out: the session, the jar and the file go."""
        self._session = None
        self.jar = None
        self._loaded = True
        path = self.path
        if path is not None:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass

    async def absorb(self, response: httpx.Response) -> None:
        """Merge cookies the server set again (a sliding session) into the jar, and save them."""
        if self.jar is None or self._session is None or not response.headers.get_list("set-cookie"):
            return
        before = self._rows()
        self.jar.extract_cookies(response)
        after = self._rows()
        if after == before:
            return
        for _name, value, _domain, _path in after:
            register_cookie(value)
        if not after:
            self.forget()
            return
        self._session = Session(self._session.email, after, self._session.user_id, self._session.name)
        try:
            await asyncio.to_thread(self.write)
        except AuthError:
            pass  # the session still works in memory; the next refresh tries again

    def cookie_header(self, path: str) -> str:
        """The session cookies for a request to ``path``: only unexpired ones whose path matches
        (RFC 6265 5.1.4), as a browser sends them — a stale or foreign cookie is never sent."""
        if self.jar is None:
            return ""
        now = int(time.time())
        request_path = urllib.parse.urlsplit(path).path or "/"
        chosen = [c for c in self.jar.jar if not c.is_expired(now) and path_matches(request_path, c.path or "/")]
        chosen.sort(key=lambda c: -len(c.path or "/"))  # longer paths first, as RFC 6265 5.4 asks
        return "; ".join(f"{c.name}={c.value}" for c in chosen)
