import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorMessage, takeSettled } from './api';
import type { DossierType } from './types';

/**
 * Loads a GET resource; `reload` refetches. Errors are French messages from the API. On a page's first
 * render, an answer index.html already got for the same path is used at once (early-requests.ts).
 */
export function useResource<T>(path: string | null): { data: T | null; error: string | null; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | null>(() => (path ? (takeSettled<T>(path) ?? null) : null));
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(Boolean(path) && data === null);
  const [tick, setTick] = useState(0);
  const given = useRef(data !== null);
  useEffect(() => {
    if (!path) return;
    if (given.current) {
      given.current = false;
      return;
    }
    let live = true;
    setLoading(true);
    api<T>('GET', path)
      .then((d) => {
        if (live) {
          setData(d);
          setError(null);
        }
      })
      .catch((e: unknown) => {
        if (live) setError(errorMessage(e));
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

let typesCache: Promise<DossierType[]> | null = null;
/** Dossier types rarely change: fetched once per page load. */
export function useDossierTypes(): DossierType[] | null {
  const [types, setTypes] = useState<DossierType[] | null>(() => {
    const early = typesCache ? undefined : takeSettled<{ items: DossierType[] }>('/api/dossier-types')?.items;
    if (early) typesCache = Promise.resolve(early);
    return early ?? null;
  });
  useEffect(() => {
    typesCache ??= api<{ items: DossierType[] }>('GET', '/api/dossier-types').then((r) => r.items);
    typesCache.then(setTypes).catch(() => {
      typesCache = null;
      setTypes([]);
    });
  }, []);
  return types;
}

/** Sets the document title (read first by screen readers on navigation). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} — Paraphe`;
  }, [title]);
}

/** Moves focus to the page's main heading after a navigation, so keyboard and screen reader users start there. */
export function useFocusHeading<T extends HTMLElement>(): React.RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
