import { Environment, Network, RecordSource, Store } from "relay-runtime";
import { createFetchFunction, type NetworkOptions } from "./network";

/** One Relay store per signed-in session: signing out unmounts it, so no user sees another's records. */
export function createRelayEnvironment(options: NetworkOptions): Environment {
  return new Environment({
    network: Network.create(createFetchFunction(options)),
    store: new Store(new RecordSource()),
  });
}
