import { useCallback, useEffect, useRef, useState } from "react";
import type { Connection } from "./types";

export interface PaginatedList<TNode> {
  items: TNode[];
  hasNextPage: boolean;
  loading: boolean;
  loadMore: () => Promise<void>;
  reload: () => Promise<void>;
}

/** A Relay connection read page by page ("load more"), newest page first. */
export function usePaginatedList<TNode extends { id: string }>(
  loadPage: (after: string | null) => Promise<Connection<TNode>>,
  onError: (error: unknown) => void,
): PaginatedList<TNode> {
  const [items, setItems] = useState<TNode[]>([]);
  const [endCursor, setEndCursor] = useState<string | null>(null);
  const [hasNextPage, setHasNextPage] = useState(false);
  const [loading, setLoading] = useState(false);
  const generation = useRef(0);

  const fetchPage = useCallback(
    async (after: string | null) => {
      const current = ++generation.current;
      setLoading(true);
      try {
        const page = await loadPage(after);
        if (current !== generation.current) return;
        const nodes = page.edges.map((edge) => edge.node);
        setItems((previous) => {
          if (after === null) return nodes;
          const seen = new Set(previous.map((item) => item.id));
          return [...previous, ...nodes.filter((node) => !seen.has(node.id))];
        });
        setEndCursor(page.pageInfo.endCursor);
        setHasNextPage(page.pageInfo.hasNextPage);
      } catch (error) {
        if (current === generation.current) onError(error);
      } finally {
        if (current === generation.current) setLoading(false);
      }
    },
    [loadPage, onError],
  );

  const reload = useCallback(() => fetchPage(null), [fetchPage]);
  const loadMore = useCallback(() => fetchPage(endCursor), [fetchPage, endCursor]);

  useEffect(() => {
    void reload();
  }, [reload]);

  return { items, hasNextPage, loading, loadMore, reload };
}
