"""The guard's function allowlist knows every side-effect-free built-in of each PostgreSQL version Heroku runs."""

from __future__ import annotations

import psycopg
import pytest

from mcp_servers.postgres.guard._catalog_functions import NAMES
from mcp_servers.postgres.guard._generate import CATALOG_FUNCTIONS_SQL
from tests.conftest import PgCluster

pytestmark = pytest.mark.slow


def test_every_side_effect_free_builtin_of_the_version_is_on_the_allowlist(versioned_pg: PgCluster) -> None:
    # A name missing here is a false refusal on that version: regenerate with `_generate` from every version.
    with psycopg.connect(versioned_pg.admin_url) as conn:
        names = {row[0] for row in conn.execute(CATALOG_FUNCTIONS_SQL)}
    assert names - set(NAMES.split()) == set()
