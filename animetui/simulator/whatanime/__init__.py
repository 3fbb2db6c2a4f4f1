"""Contract simulator of whatanimeisthis.com: scene search, rankings, recent searches, credits,
API keys and better-auth email sign-in.

Written from ``seeds/whatanimeisthis-api.txt`` and research section B (B.1 the site's docs, B.2
trace.moe as the closest documented analog, B.3 better-auth, B.4). What the docs say, the
simulator does:

* ``POST /api/anime/search`` with a multipart ``image`` (JPEG/PNG) or ``url`` field; "up to 5
  candidate matches with timestamps and similarity scores".
* Guests: 5 searches a day by IP. Signed-in users (better-auth session cookie, or
  ``Authorization: Bearer <key>``): 10 free credits a day (they expire at midnight), then 1 credit
  per search, and at most 100 searches an hour.
* ``GET /api/anime/rankings?period=daily|weekly|monthly|yearly|all&limit=50&includeAdult=false``.
* ``GET /api/anime/recent-searches?limit&offset``.
* ``GET /api/user/anime-credits`` and ``GET/POST /api/apikeys`` need a session; the plaintext of
  a new key is returned once.
* ``POST /api/auth/sign-in/email`` (better-auth): Origin checks, ``INVALID_EMAIL_OR_PASSWORD``,
  3 attempts per 10 s per IP with ``X-Retry-After``, session cookie ``<prefix>.session_token``
  (``<token>.<signature>``, URL-encoded) — and ``<prefix>.session_data`` only with
  :attr:`Simulator.cookie_cache` on; ``POST /api/auth/sign-out``.

Aligned with a real better-auth 1.7 server on loopback (issue 12): a request with neither Origin
nor cookie is not refused (the Origin check applies to cookie-bearing requests; an untrusted
Origin is refused whenever one is sent); the cookie's signature is standard base64 (HMAC-SHA256,
``=`` padded) and the whole ``<token>.<signature>`` value URL-encoded, as better-call signs
cookies; no ``session_data`` cookie at sign-in (better-auth sets it only with its cookie cache on).

Where the docs are silent, these are the choices (the provider must cope with all of them):

* **Search body** (undocumented; trace.moe-like)::

    {"frameCount": 41235678, "error": "",
     "result": [{"anilist": {"id", "idMal", "title": {"romaji", "english", "native"},
                             "synonyms": [], "isAdult"},
                 "filename", "episode" (int | "12" | [3, 4] | null), "duration",
                 "from", "to", "at" (seconds), "similarity" (0–1),
                 "image", "video" (absolute URLs, alive for 300 s)}],
     "credits": {"charged": "guest", "guestLimit": 5, "remaining": 4}}
               | {"charged": "free" | "paid", "freeRemaining", "paidCredits", "remaining"}

  Results are deterministic from the image's sha256 (or the URL text), best first, mostly 5;
  the lower ones are under 0.9 similarity. An image of one flat colour finds nothing
  (``result: []``). ``image`` is a real JPEG still; ``video`` is a short animated GIF standing in
  for trace.moe's MP4 clip (no video encoder here).
* **Search errors** use trace.moe's envelope ``{"error": "…"}`` (plus a ``code``): 400 neither
  field / unreadable image / bad or unfetchable URL; 415 another image format (WEBP, GIF, BMP …);
  413 over 25 MB (trace.moe's limit); 401 unknown key or dead session; 402
  ``INSUFFICIENT_CREDITS``; 429 ``GUEST_LIMIT_REACHED`` (``Retry-After`` until midnight UTC) or
  ``HOURLY_LIMIT_REACHED`` (``Retry-After`` until the next hour).
* **Order of checks** for search: credentials (401, 403 Origin for a cookie-bearing POST) →
  guest daily / hourly limit (429) → input (400/413/415) → credits (402) → 200. Only a 200 is
  charged (a guest search counts against the 5, a user's takes a free credit, else a paid one).
* A URL is never fetched: the result is derived from its text. A URL whose path contains
  ``404`` answers 400 "Failed to fetch image (HTTP 404)"; one containing ``blank`` finds nothing.
* **Session rules**: a cookie-bearing POST without ``Origin`` → 403 ``MISSING_OR_NULL_ORIGIN``;
  an ``Origin`` other than https://whatanimeisthis.com or the request's own base → 403
  ``INVALID_ORIGIN`` (better-auth's envelope ``{"code", "message"}``). Sign-in wants an Origin
  only when the request carries a cookie (as better-auth 1.7 does). Sessions live 7 simulated days and slide like better-auth's defaults: a session used
  more than a day after its last refresh is extended and its cookies are set again. A dead
  session on an endpoint → 401.
* **Client IP**: the first ``X-Forwarded-For`` entry, else 127.0.0.1.
* **Rankings body**: ``{"period", "includeAdult", "limit", "total", "rankings": [{"rank",
  "anilistId", "title": {…}, "coverImage", "searchCount", "isAdult"}]}``; a different list per
  period (deterministic from ``hub.seed``); adult entries are in the data and left out (ranks
  renumbered) unless ``includeAdult=true``. ``limit`` 1–100 (more is capped), else 400.
* **Recent searches body**: ``{"items": [{"id", "anilistId", "title": {…}, "episode",
  "similarity", "at", "image", "createdAt"}], "total", "limit", "offset"}``, 300 entries newest
  first; ``limit`` default 20 (1–100), past the end → ``items: []``.
* **Credits body**: ``{"freeCredits", "freeCreditsLimit": 10, "paidCredits", "totalCredits",
  "resetsAt"}``.
* **API keys**: list ``{"items": [{"id", "title", "maskedKey", "createdAt", "lastUsedAt"}],
  "total", "page", "pageSize", "totalPages"}`` (page ≥ 1, pageSize 1–100, default 10); create →
  201 ``{"id", "title", "key", "maskedKey", "createdAt"}``; a missing/blank/over-100-character
  title → 400. Keys look like ``wait_<32 hex>``.

The package: :mod:`.catalogue` (titles, limits, records, error envelopes), :mod:`.accounts`
(better-auth sign-in, sessions, credits, API keys), :mod:`.service` (:class:`Simulator`: search,
rankings, recent searches).

Test helpers: :meth:`Simulator.expire_sessions`, :meth:`Simulator.set_credits`,
:meth:`Simulator.guest_remaining`, :meth:`Simulator.add_user`, :attr:`Simulator.uploads` (every
image the search endpoint received), :attr:`Simulator.cookie_prefix`.
"""

from __future__ import annotations

from animetui.simulator.whatanime.accounts import Accounts
from animetui.simulator.whatanime.catalogue import (
    CATALOGUE,
    DEMO_EMAIL,
    DEMO_NAME,
    DEMO_PAID_CREDITS,
    DEMO_PASSWORD,
    FREE_DAILY,
    GUEST_DAILY,
    HOURLY,
    Anime,
    Caller,
    Guest,
    KeyRecord,
    SessionRecord,
    User,
)
from animetui.simulator.whatanime.service import Simulator

__all__ = [
    "CATALOGUE", "DEMO_EMAIL", "DEMO_NAME", "DEMO_PAID_CREDITS", "DEMO_PASSWORD", "FREE_DAILY", "GUEST_DAILY",
    "HOURLY", "Accounts", "Anime", "Caller", "Guest", "KeyRecord", "SessionRecord", "Simulator", "User",
]
