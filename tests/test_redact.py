from animetui.errors import AuthError
from animetui.redact import mask, redact, register_secret


def test_mask_is_fixed_shape():
    assert mask("ank_0123456789abcdef9f3c") == "ank_…9f3c"
    assert mask("ank_0123456789abcdefabcdefabcdef9f3c") == "ank_…9f3c"
    assert mask("short") == "…"
    assert mask("") == "(not set)"


def test_registered_secret_is_redacted_everywhere():
    register_secret("s3cr3t-value-123456")
    assert "s3cr3t" not in redact("failed with key s3cr3t-value-123456 in header")


def test_patterns_catch_unregistered_secrets():
    text = redact("Authorization: Bearer abcdef123456 cookie better-auth.session_token=tok.sig; ank_zzzzzzzzzzzz")
    assert "abcdef123456" not in text and "tok.sig" not in text and "zzzzzzzzzzzz" not in text


def test_errors_are_redacted():
    register_secret("wait_supersecretkey")
    exc = AuthError("invalid key wait_supersecretkey", provider="whatanimeisthis")
    assert "supersecret" not in str(exc)
