from __future__ import annotations

import strawberry

from foundry_api.context import Info
from foundry_api.core.types import field
from foundry_api.users.permissions import IsAuthenticated
from foundry_api.users.types import Viewer


@strawberry.type
class UserQueries:
    @field(permission_classes=[IsAuthenticated], description="The signed-in user.")
    async def viewer(self, *, info: Info) -> Viewer:
        user = await info.context.viewer()
        return Viewer(id=str(user.id))
