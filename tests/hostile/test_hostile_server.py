"""The hostile server itself does what the other tests rely on (plain httpx, no animetui)."""

from __future__ import annotations

import socket

import httpx
import pytest

from .hostile_server import HostileServer, Reply


def test_routes_record_and_404(hostile):
    hostile.route("/x", status=201, json={"ok": True})
    response = httpx.post(hostile.url + "/x?a=1", content=b"payload", headers={"X-Custom": "v"})
    assert response.status_code == 201 and response.json() == {"ok": True}
    assert httpx.get(hostile.url + "/nowhere").status_code == 404
    first = hostile.requests_to("/x")[0]
    assert first.method == "POST" and first.body == b"payload" and first.query == {"a": ["1"]}
    assert first.header("x-custom") == "v" and first.port == hostile.port
    assert len(hostile.wait_for(2)) == 2


def test_redirect_to_another_server_is_seen_there(hostile, elsewhere):
    hostile.redirect("/go", elsewhere.url + "/land", status=307)
    elsewhere.route("/land", json={"landed": True})
    response = httpx.post(hostile.url + "/go", content=b"photo", follow_redirects=True)
    assert response.json() == {"landed": True}
    assert elsewhere.requests_to("/land")[0].body == b"photo"  # httpx resends the body on a 307


def test_lying_gzip_cannot_be_decoded(hostile):
    hostile.lying_gzip("/lie")
    with pytest.raises(httpx.DecodingError):
        httpx.get(hostile.url + "/lie")
    assert len(hostile.requests_to("/lie")) == 1


def test_endless_body_streams_until_the_client_stops(hostile):
    hostile.endless("/forever")
    read = 0
    with httpx.stream("GET", hostile.url + "/forever") as response:
        for chunk in response.iter_raw():
            read += len(chunk)
            if read > 1 << 20:
                break
    assert read > 1 << 20


def test_drip_sends_one_byte_at_a_time(hostile):
    hostile.drip("/slow", every=0.05, byte=b"z")
    with httpx.stream("GET", hostile.url + "/slow") as response:
        got = b""
        for chunk in response.iter_raw():
            got += chunk
            if len(got) >= 3:
                break
    assert set(got) == {ord("z")}


def test_drop_and_drop_after(hostile):
    hostile.drop("/gone")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(hostile.url + "/gone")
    hostile.route("/half", handler=lambda _r: Reply(200, {}, b"0123456789", drop_after=4))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(hostile.url + "/half")


def test_chunked_upload_is_recorded(hostile):
    hostile.route("/up", json={})
    httpx.post(hostile.url + "/up", content=iter([b"ab", b"cd"]))
    assert hostile.requests_to("/up")[0].body == b"abcd"


def test_two_servers_are_two_origins(hostile, elsewhere):
    assert hostile.port != elsewhere.port
    with socket.create_connection(("127.0.0.1", elsewhere.port)):
        pass


def test_close_stops_a_drip():
    server = HostileServer()
    server.drip("/slow", every=30, length=1000)
    with httpx.stream("GET", server.url + "/slow", timeout=5) as response:
        chunks = response.iter_raw()
        next(chunks)
        server.close()
        with pytest.raises(httpx.HTTPError):  # the declared length never arrives
            for _chunk in chunks:
                pass
