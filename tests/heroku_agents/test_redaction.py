"""heroku_agents.redaction: what the client side masks before text leaves it."""

from heroku_agents.redaction import redact, secret_values


def test_redact_masks_url_passwords_bearer_tokens_inference_keys_and_named_secrets() -> None:
    text = (
        "postgres://u:hunter22@db/x Authorization: Bearer abcdef123456 "
        "key inf-0123abcd-0000-1111-2222-333344445555 token s3cr3t-value"
    )
    assert redact(text, ["s3cr3t-value", "abc"]) == (
        "postgres://u:********@db/x Authorization: Bearer ******** key ******** token ********"
    )


def test_secret_values_takes_secret_named_vars_and_the_password_of_any_url() -> None:
    env = {
        "INFERENCE_KEY": "inf-key-1",
        "DATABASE_URL": "postgres://u:pw%40d@h/db",
        "OTHER_URL": "redis://:r3dis@h:6379",
        "PORT": "5000",
        "HEROKU_API_TOKEN": "abc",  # shorter than 4 characters: never masked on its own
    }
    assert secret_values(env) == ("inf-key-1", "postgres://u:pw%40d@h/db", "pw@d", "r3dis")
