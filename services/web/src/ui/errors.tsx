import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

interface ErrorReporter {
  report: (error: unknown) => void;
  clear: () => void;
}

const ErrorReporterContext = createContext<ErrorReporter | null>(null);
const ErrorMessageContext = createContext<string | null>(null);

export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === "string" && error) return error;
  return "Something went wrong. Please try again.";
}

/** One app-wide error banner, so every failure shows in the same, predictable place. */
export function ErrorProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState<string | null>(null);
  const report = useCallback((error: unknown) => setMessage(errorMessage(error)), []);
  const clear = useCallback(() => setMessage(null), []);
  const reporter = useMemo(() => ({ report, clear }), [report, clear]);
  return (
    <ErrorReporterContext.Provider value={reporter}>
      <ErrorMessageContext.Provider value={message}>{children}</ErrorMessageContext.Provider>
    </ErrorReporterContext.Provider>
  );
}

export function useErrorReporter(): ErrorReporter {
  const reporter = useContext(ErrorReporterContext);
  if (!reporter) throw new Error("useErrorReporter must be used inside <ErrorProvider>");
  return reporter;
}

export function ErrorBanner() {
  const message = useContext(ErrorMessageContext);
  const { clear } = useErrorReporter();
  if (!message) return null;
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <span data-testid="error-message">{message}</span>
      <button type="button" className="link-button" onClick={clear} aria-label="Dismiss error">
        Dismiss
      </button>
    </div>
  );
}
