"""The root Query and Mutation compose the domains' classes; the SDL is committed as schema.graphql."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.schema.config import StrawberryConfig

from foundry_api.ai_requests.mutations import AiRequestMutations
from foundry_api.ai_requests.types import AiRequest
from foundry_api.context import Info
from foundry_api.core.graphql import schema_extensions
from foundry_api.core.pagination import MAX_PAGE_SIZE
from foundry_api.core.types import field
from foundry_api.uploads.mutations import UploadMutations
from foundry_api.uploads.types import Upload
from foundry_api.users.permissions import IsAuthenticated
from foundry_api.users.queries import UserQueries
from foundry_api.users.types import Viewer

_NODE_TYPES: dict[str, type[Upload] | type[AiRequest] | type[Viewer]] = {
    "Upload": Upload,
    "AiRequest": AiRequest,
    "Viewer": Viewer,
}


@strawberry.type
class Query(UserQueries):
    @field(
        permission_classes=[IsAuthenticated],
        description="Fetch any object by global id; null when it does not exist or is not yours.",
    )
    async def node(
        self, *, info: Info, id_: Annotated[strawberry.ID, strawberry.argument(name="id")]
    ) -> relay.Node | None:
        try:
            global_id = relay.GlobalID.from_id(id_)
        except (ValueError, TypeError):
            return None
        node_type = _NODE_TYPES.get(global_id.type_name)
        if node_type is None:
            return None
        return await node_type.load_owned(info=info, node_id=global_id.node_id)


@strawberry.type
class Mutation(UploadMutations, AiRequestMutations):
    pass


def build_schema(*, allow_introspection: bool = True) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[Upload, AiRequest, Viewer],
        extensions=schema_extensions(allow_introspection=allow_introspection),
        config=StrawberryConfig(disable_field_suggestions=True, relay_max_results=MAX_PAGE_SIZE),
    )
