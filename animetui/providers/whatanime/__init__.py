"""whatanimeisthis.com: which anime, episode and moment a screenshot comes from — plus the most
searched anime, recent public searches, search credits, API keys and email sign-in.

Implements :class:`~animetui.providers.base.SceneSearcher`, :class:`RankingsSource` and
:class:`AccountProvider` over the documented endpoints (``seeds/whatanimeisthis-api.txt``,
research section B). The site documents paths, fields and quotas but **no response bodies**, so
every parser here is tolerant (research B.4): unknown fields are ignored, every field is optional,
and the shapes below are what we *assume*, modelled on trace.moe (B.2) and better-auth (B.3).

The package: :mod:`.provider` (requests, auth, retries, errors), :mod:`.answers` (the tolerant
parsers, constants and messages), :mod:`.session` (the cookie jar and its file).

Assumed bodies (the simulator, ``animetui.simulator.whatanime``, answers exactly these):

* **Search** — trace.moe-like: ``{"result": [{"anilist": {"id", "title": {"romaji", "english",
  "native"}, "isAdult"}, "episode", "from", "to", "at", "similarity", "image", "video"}],
  "credits": {"remaining", …}}``. Also read: a top-level list, or the list under ``results`` /
  ``result`` / ``matches`` / ``data``; ``similarity`` | ``score`` | ``confidence`` as 0–1 or
  0–100 (normalised to 0–1); ``from`` | ``start`` | ``timestamp`` | ``at`` and ``to`` | ``end``
  (seconds); ``episode`` as a number, a string, a list (``[3, 4]`` → "3–4") or null; the title as
  a plain ``title`` string or a ``title`` object on the item, its ``anilist`` or its ``anime``
  (English preferred, then romaji, then native); ``isAdult`` on the item or its anime object.
  Matches are sorted by similarity (best first) and capped at 5. Preview URLs live ~300 s.
  Credits left: ``credits.remaining``, ``remaining``, ``creditsRemaining`` or ``quota - quotaUsed``.
* **Rankings** — a list under ``rankings`` | ``data`` | ``results`` | ``items`` (or top level):
  ``rank``, title, ``searchCount`` | ``searches`` | ``count``, ``anilistId``, ``isAdult``,
  ``coverImage`` (a URL or an AniList-style ``{large, medium}`` object). Adult entries are also
  dropped here unless asked for, whatever the server did.
* **Recent searches** — a list under ``items`` | ``searches`` | ``data`` | ``results``:
  ``id``, title, ``episode``, ``similarity``, ``createdAt`` (ISO text or epoch s/ms), ``image``.
* **Credits** — ``{"freeCredits", "paidCredits", "totalCredits"}`` (also ``remaining`` /
  ``credits`` / ``balance``); remaining = total, else free + paid.
* **API keys** — list: ``items`` | ``keys`` | ``data`` with ``id``, ``title``, ``maskedKey`` |
  ``key`` (masked again here if it looks whole), ``createdAt`` and ``total``; create: the
  plaintext under ``key`` | ``apiKey`` | ``token`` — shown once, never stored by us.
* **Errors** — ``{"error": "…"}`` (the site, trace.moe style) or ``{"code", "message"}``
  (better-auth); both are read, and quoted only through :func:`server_text`.

Auth, in this order for a search: the signed-in session (the whole cookie jar in a ``Cookie``
header plus the ``Origin`` header from ``providers.whatanime.origin``), else ``Authorization:
Bearer <api_key>``, else a guest search (5 a day per IP). A 401 on the session during a search
ends the session (its file is deleted), sets :attr:`WhatAnimeProvider.session_expired` and the
search is sent once more with the API key, or as a guest. On the session-only endpoints (credits,
keys) a 401 ends the session and raises :class:`AuthError`.

The session is kept in ``<data dir>/whatanime-session.json`` (mode 0600, written atomically): the
whole cookie jar (better-auth sets ``session_token``, plus ``session_data`` with its cookie cache on; the names change
with the deployment — ``__Secure-`` behind HTTPS — so no name is hard-coded), the email and the
base URL it belongs to; it is never sent to another base URL. Cookies the server sets again
(better-auth slides a session daily) are merged and saved. Every cookie value, the API key and the
password are registered with :mod:`animetui.redact`, so no message can show them.

Uploads: JPEG/PNG only (documented); anything else is converted (first frame) in a thread, and
images with a long side over 1920 px are downscaled. The 25 MB limit is trace.moe's (B.2).

Retries: a search is retried only on 502/503/504 (a failed search is not charged) and on
failures to connect; reads (rankings, recent searches, credits, key list) are retried on network
errors, 5xx and 429 with backoff. Sign-in and key creation are never retried automatically.

Redirects: a search (it spends a credit and carries the photo plus the key or the session
cookies) never follows one — a 3xx answer is an error that may have been charged. Every other
request (rankings, recent searches, credits, keys, sign-in/out) follows a redirect only to the
same origin as ``base_url`` (at most ``net.MAX_REDIRECTS``); one to another host is refused, so
no ``Authorization``, ``Cookie``, ``Origin`` or password body leaves for another host. Every answer
is read within one whole-request deadline (the timeout) and capped at ``net.MAX_JSON_BYTES``.

Where the guest allowance comes from: the site has no endpoint for it, so :meth:`credits` for a
guest reports what the last search's body said today, else this machine's count (below), else
"guest: 5 searches/day".

Changed after the fidelity audit (issue 12), with the evidence:

* **Search limits counted once per machine** (:mod:`animetui.limits`): guests 5 a UTC day (the
  site counts by IP, so one count per machine) and signed-in users or keys 100 an hour (per
  account), shared by the TUI and every CLI run; a used-up allowance is refused before sending
  (nothing charged), with when it comes back, and a 429's wait blocks every process. Evidence:
  the same limits were tracked in one process's memory, so a batch started "unknown".
* **Cookies as a browser sends them.** Only unexpired cookies whose path matches the request are
  sent (RFC 6265), longest path first; each cookie's expiry is kept in the session file. Evidence:
  sign-in against a real better-auth 1.7 server on loopback (login, credits, logout, wrong
  password, 429 with ``x-retry-after``, untrusted Origin) — which also showed that better-auth
  sets only ``session_token`` at sign-in (``session_data`` needs its cookie cache), signs it with
  standard base64 and URL-encodes the value; the simulator now does the same.
* **Tolerant parsing, and a copy of what did not fit.** The bodies are undocumented (modelled on
  trace.moe): the result list is also read under ``candidates``/``hits``/``items``, the rankings
  and recent lists under more names. An answer that still does not fit is kept, redacted, in
  ``<data dir>/unexpected/`` (:mod:`animetui.unexpected`), and the message says where and that
  attaching it to a bug report lets the parser be fixed; ``animetui doctor`` lists the copies.
"""

from __future__ import annotations

from animetui.providers.whatanime.answers import (
    DEFAULT_ORIGIN,
    FREE_DAILY,
    GUEST_DAILY,
    GUEST_LIMIT,
    MAX_BYTES,
    MAX_MATCHES,
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
    adult_of,
    anilist_id_of,
    credits_left_of,
    parse_credits,
    parse_key,
    parse_key_page,
    parse_match,
    parse_rankings,
    parse_recent,
    parse_search,
    similarity_of,
    title_of,
    url_of,
)
from animetui.providers.whatanime.provider import WhatAnimeProvider, create
from animetui.providers.whatanime.session import SessionStore

__all__ = [
    "DEFAULT_ORIGIN", "FREE_DAILY", "GUEST_DAILY", "GUEST_LIMIT", "MAX_BYTES", "MAX_MATCHES", "MAX_SIDE",
    "MAX_TITLE", "NAME", "NOT_SIGNED_IN", "PERIODS", "SEARCH_RETRY_STATUSES", "SESSION_EXPIRED",
    "SESSION_FILE", "TITLE", "UPLOAD_FORMATS", "SessionStore", "WhatAnimeProvider", "adult_of",
    "anilist_id_of", "create", "credits_left_of", "parse_credits", "parse_key", "parse_key_page",
    "parse_match", "parse_rankings", "parse_recent", "parse_search", "similarity_of", "title_of", "url_of",
]
