import { NetworkError } from "../api/network";

export const DEV_TOKEN_ENDPOINT = "/__dev/token";
export const DEV_SESSION_STORAGE_KEY = "foundry.devSession";
/** Refresh this long before expiry, or at half the token's lifetime when that is shorter. */
export const MAX_REFRESH_MARGIN_SECONDS = 60;

export interface DevSessionRecord {
  user: string;
  token: string;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds, as sent by the twin in `expires_at`. */
  expiresAt: number;
}

export class DevSignInError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = "DevSignInError";
    this.status = status;
  }
}

export interface DevSessionOptions {
  storage?: Storage;
  fetchFn?: typeof fetch;
  /** Current time in unix seconds. */
  now?: () => number;
}

type Listener = () => void;

/**
 * The local twin's sign-in: POST {"user": NAME} to /__dev/token on this origin, keep the token in
 * sessionStorage (gone with the tab, like a real session cookie) and fetch a new one before expiry.
 */
export class DevSession {
  private readonly storage: Storage;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private readonly listeners = new Set<Listener>();
  private record: DevSessionRecord | null;
  private refreshing: Promise<DevSessionRecord | null> | null = null;

  constructor({
    storage = globalThis.sessionStorage,
    fetchFn = (...args) => globalThis.fetch(...args),
    now = () => Date.now() / 1000,
  }: DevSessionOptions = {}) {
    this.storage = storage;
    this.fetchFn = fetchFn;
    this.now = now;
    this.record = readRecord(storage);
  }

  /** The stored session (a stable object until it changes), or null when signed out. */
  get current(): DevSessionRecord | null {
    return this.record;
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  async signIn(user: string): Promise<DevSessionRecord> {
    const name = user.trim();
    if (!name) throw new DevSignInError("Enter a user name.", 0);
    const record = await this.fetchToken(name);
    this.save(record);
    return record;
  }

  signOut(): void {
    this.refreshing = null;
    this.save(null);
  }

  /** Seconds until the token should be refreshed (0 when it is due now), or null when signed out. */
  secondsUntilRefresh(): number | null {
    if (!this.record) return null;
    return Math.max(0, refreshAt(this.record) - this.now());
  }

  async getToken(): Promise<string | null> {
    const record = this.record;
    if (!record) return null;
    if (this.now() < refreshAt(record)) return record.token;
    const refreshed = await this.refresh();
    return refreshed?.token ?? null;
  }

  /** Fetch a new token for the same user; concurrent callers share one request. */
  refresh(): Promise<DevSessionRecord | null> {
    const record = this.record;
    if (!record) return Promise.resolve(null);
    this.refreshing ??= this.fetchToken(record.user)
      .then(
        (fresh) => {
          if (this.record?.user === record.user) this.save(fresh);
          return this.record;
        },
        (error: unknown) => {
          if (error instanceof DevSignInError) {
            this.save(null);
            return null;
          }
          // A network blip: keep using the old token while it is still valid.
          if (this.now() < record.expiresAt) return record;
          throw error;
        },
      )
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private async fetchToken(user: string): Promise<DevSessionRecord> {
    let response: Response;
    try {
      response = await this.fetchFn(DEV_TOKEN_ENDPOINT, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ user }),
      });
    } catch {
      throw new NetworkError();
    }
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      throw new DevSignInError(errorText(body) ?? `Sign-in failed (HTTP ${response.status}).`, response.status);
    }
    if (!isTokenResponse(body)) {
      throw new DevSignInError("Sign-in failed: the server sent no token.", response.status);
    }
    return { user, token: body.token, issuedAt: this.now(), expiresAt: body.expires_at };
  }

  private save(record: DevSessionRecord | null): void {
    this.record = record;
    if (record) this.storage.setItem(DEV_SESSION_STORAGE_KEY, JSON.stringify(record));
    else this.storage.removeItem(DEV_SESSION_STORAGE_KEY);
    for (const listener of this.listeners) listener();
  }
}

function refreshAt(record: DevSessionRecord): number {
  const lifetime = Math.max(0, record.expiresAt - record.issuedAt);
  return record.expiresAt - Math.min(MAX_REFRESH_MARGIN_SECONDS, lifetime / 2);
}

function isTokenResponse(body: unknown): body is { token: string; expires_at: number } {
  if (typeof body !== "object" || body === null) return false;
  const { token, expires_at } = body as Record<string, unknown>;
  return typeof token === "string" && token.length > 0 && typeof expires_at === "number";
}

function errorText(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const { error, message, detail } = body as Record<string, unknown>;
  const text = [error, message, detail].find((value) => typeof value === "string" && value.length > 0);
  return typeof text === "string" ? text : null;
}

function readRecord(storage: Storage): DevSessionRecord | null {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(DEV_SESSION_STORAGE_KEY) ?? "null");
    if (typeof parsed !== "object" || parsed === null) return null;
    const { user, token, issuedAt, expiresAt } = parsed as Record<string, unknown>;
    if (typeof user !== "string" || typeof token !== "string") return null;
    if (typeof issuedAt !== "number" || typeof expiresAt !== "number") return null;
    return { user, token, issuedAt, expiresAt };
  } catch {
    return null;
  }
}
