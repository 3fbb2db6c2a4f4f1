"""Tests against a hostile loopback server of our own (``hostile_server.HostileServer``)."""
