"""redact_text: the one place secrets are masked before text leaves a server."""

import pytest

from mcp_servers.common.redact import MASK, redact_text

SECRET = "s3cr3t-Pw"


@pytest.mark.parametrize(
    "text",
    [
        f"ALTER ROLE bob WITH PASSWORD '{SECRET}' VALID UNTIL 'infinity'",
        f"ALTER ROLE bob PASSWORD '{SECRET} with ''quotes'''",
        f"create user bob encrypted password $${SECRET}$$ login",
        f"ALTER USER bob PASSWORD $x${SECRET}$x$",
        f"ALTER ROLE bob PASSWORD E'{SECRET}\\'more'",
        f"ALTER ROLE bob PASSWORD '{SECRET}",  # pg_stat_activity cut the text here
        f"CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'u', password '{SECRET}')",
        f'ALTER USER MAPPING FOR u SERVER s OPTIONS (SET "password" \'{SECRET}\')',
        f"CREATE SUBSCRIPTION s CONNECTION 'host=h user=u password={SECRET} dbname=d' PUBLICATION p",
        f"ALTER SUBSCRIPTION s CONNECTION 'host=h password=''{SECRET} x'''",
        f"SELECT dblink_connect('host=h password={SECRET} dbname=d')",
        f"SELECT dblink_connect('host=h password=''{SECRET} two'' dbname=d')",
        f"host=h password='{SECRET} spaced' user=u",
        f"postgres://u:{SECRET}@h:5432/db",
    ],
)
def test_password_literals_and_conninfo_secrets_are_masked(text: str) -> None:
    masked = redact_text(text)
    assert SECRET not in masked
    assert MASK in masked


@pytest.mark.parametrize(
    "text",
    ["SET password_encryption = 'scram-sha-256'", "SELECT 'password reset' AS subject", "SELECT connection_count FROM t"],
)
def test_text_without_a_secret_is_left_alone(text: str) -> None:
    assert redact_text(text) == text
