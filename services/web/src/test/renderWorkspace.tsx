import { render } from "@testing-library/react";
import { RelayEnvironmentProvider } from "react-relay";
import { vi } from "vitest";
import { createRelayEnvironment } from "../api/environment";
import { ErrorBanner, ErrorProvider } from "../ui/errors";
import { LoadBoundary } from "../ui/LoadBoundary";
import { Workspace } from "../Workspace";
import { fakeBackend } from "./fakes";

/** The signed-in page as SignedInApp renders it, on a fresh Relay store over the fake backend. */
export function renderWorkspace(handlers: Parameters<typeof fakeBackend>[0]) {
  const backend = fakeBackend(handlers);
  const environment = createRelayEnvironment({
    getToken: async () => "tok",
    onUnauthorized: vi.fn(),
    fetchFn: backend.fetchFn,
  });
  render(
    <ErrorProvider>
      <ErrorBanner />
      <RelayEnvironmentProvider environment={environment}>
        <LoadBoundary>{(fetchKey) => <Workspace fetchKey={fetchKey} />}</LoadBoundary>
      </RelayEnvironmentProvider>
    </ErrorProvider>,
  );
  return { ...backend, environment };
}
