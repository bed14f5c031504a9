"""`reindex --re-embed`: every message's vector is made again the way the drain makes it now."""

import numpy as np

from db import Stores
from ingest.reembed import reembed
from ingest.vector_sync import drain
from ingest.writer import write_messages
from tests.helpers import assert_stores_agree, empty_workspace, numbered_messages

OLD, FRESH = "TREEMBED1", "TREEMBED2"
TEXTS = "message {i} about the deploy window, staging and production"


def _workspace(stores: Stores, workspace_id: str) -> dict[str, np.ndarray]:
    empty_workspace(stores, workspace_id)
    with stores.postgres.tenant(workspace_id) as conn:
        write_messages(conn, numbered_messages(workspace_id, 40, TEXTS))
    drain(stores, workspace_id)
    return _vectors(stores, workspace_id)


def _vectors(stores: Stores, workspace_id: str) -> dict[str, np.ndarray]:
    """Stored vectors by message ts."""
    got = stores.vectors.collection(workspace_id).get(include=["embeddings"])
    held = zip(got["ids"], got["embeddings"], strict=True)
    return {record_id.rsplit(":", 1)[1]: np.asarray(e) for record_id, e in held}


def test_every_message_is_embedded_again_as_a_fresh_store_would_be(stores: Stores):
    current = _workspace(stores, FRESH)
    _workspace(stores, OLD)
    # as an older version stored them: each message alone, without its context
    records = list(stores.vectors.scan(OLD))
    alone = stores.embedder.embed([r.document for r in records])
    stores.vectors.upsert(OLD, records, alone)
    stale = _vectors(stores, OLD)
    assert not any(np.allclose(stale[ts], current[ts], atol=1e-3) for ts in current)

    report = reembed(stores, OLD)

    assert (report.upserted, report.failed) == (40, 0)
    remade = _vectors(stores, OLD)
    assert remade.keys() == current.keys()
    for ts, vector in remade.items():
        assert np.allclose(vector, current[ts], atol=1e-4), ts
    assert_stores_agree(stores, OLD)
