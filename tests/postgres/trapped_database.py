"""A throwaway database laid with traps that write a marker file when user code runs, plus the analyst tables."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from redteam_corpus import ANALYST_SETUP_SQL

__all__ = ["trapped_database"]


@contextmanager
def trapped_database(cluster: Any, name: str, traps_sql: str) -> Iterator[tuple[str, Path]]:
    """Yield the new database's URL and a folder the server may write in; `{marker}` in `traps_sql` is
    `<folder>/marker`. Both are removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"pg{name}-"))
    folder.chmod(0o777)  # the server runs as another system user
    try:
        with cluster.database(name, traps_sql.replace("{marker}", str(folder / "marker")), ANALYST_SETUP_SQL) as url:
            yield url, folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
