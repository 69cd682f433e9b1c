import {
  commitMutation,
  ConnectionHandler,
  type Environment,
  type GraphQLTaggedNode,
  type MutationParameters,
  type SelectorStoreUpdater,
} from "relay-runtime";

/** commitMutation as a promise: the flows (createUpload → PUT → completeUpload) read step by step. */
export function commitMutationAsync<TMutation extends MutationParameters>(
  environment: Environment,
  mutation: GraphQLTaggedNode,
  variables: TMutation["variables"],
  updater?: SelectorStoreUpdater<TMutation["response"]>,
): Promise<TMutation["response"]> {
  return new Promise((resolve, reject) => {
    commitMutation<TMutation>(environment, {
      mutation,
      variables,
      ...(updater ? { updater } : {}),
      onCompleted: (response) => resolve(response),
      onError: reject,
    });
  });
}

/**
 * An updater that puts the node at `rootField.nodeField` of the mutation's result first in the given
 * connections (their `__id`). What @prependNode does, but @prependNode takes the connection ids as a
 * variable, which Relay then sends to the server too: client store ids have no place on the wire.
 */
export function prependNode<TResponse>({
  rootField,
  nodeField,
  edgeType,
  connections,
}: {
  rootField: string;
  nodeField: string;
  edgeType: string;
  connections: readonly string[];
}): SelectorStoreUpdater<TResponse> {
  return (store) => {
    // Absent when the result is another member of the union (a UserError).
    const node = store.getRootField(rootField)?.getLinkedRecord(nodeField);
    if (!node) return;
    for (const id of connections) {
      const connection = store.get(id);
      if (!connection) continue;
      const edge = ConnectionHandler.createEdge(store, connection, node, edgeType);
      ConnectionHandler.insertEdgeBefore(connection, edge);
    }
  };
}
