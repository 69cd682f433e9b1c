import { Component, Suspense, useState, type ErrorInfo, type ReactNode } from "react";
import { useErrorReporter } from "./errors";

interface BoundaryProps {
  onError: (error: unknown) => void;
  fallback: (retry: () => void) => ReactNode;
  children: ReactNode;
}

class ErrorBoundary extends Component<BoundaryProps, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: unknown, _info: ErrorInfo): void {
    this.props.onError(error);
  }

  override render(): ReactNode {
    if (this.state.failed) return this.props.fallback(() => this.setState({ failed: false }));
    return this.props.children;
  }
}

/**
 * A loading page while a query suspends; a failed load goes to the app-wide error banner, with a
 * retry that fetches again (a new fetchKey for the query inside).
 */
export function LoadBoundary({ children }: { children: (fetchKey: number) => ReactNode }) {
  const { report, clear } = useErrorReporter();
  const [fetchKey, setFetchKey] = useState(0);
  return (
    <ErrorBoundary
      onError={report}
      fallback={(retry) => (
        <main className="app-main">
          <p className="muted">Your data could not be loaded.</p>
          <button
            type="button"
            onClick={() => {
              clear();
              setFetchKey((key) => key + 1);
              retry();
            }}
            data-testid="load-retry"
          >
            Try again
          </button>
        </main>
      )}
    >
      <Suspense fallback={<p className="muted">Loading…</p>}>{children(fetchKey)}</Suspense>
    </ErrorBoundary>
  );
}
