"""Who may see, complete or download an upload: only its owner, by every path (node, list, mutation).

Ownership is part of every SQL WHERE clause; these checks repeat it on the objects themselves so a
future query that forgets the clause still cannot leak a download URL.
"""

from __future__ import annotations

from uuid import UUID

from foundry_api.uploads.keys import user_prefix


def can_access_upload(*, viewer_id: UUID, viewer_sub: str, owner_id: UUID, object_key: str) -> bool:
    return viewer_id == owner_id and object_key.startswith(user_prefix(viewer_sub))
