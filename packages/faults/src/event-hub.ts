/**
 * The listeners of one proxy's events. `wantsData` is true only while a listener asked for data
 * events, so the proxy builds them (a copy of every forwarded chunk) only then: zero cost when
 * nobody listens.
 */
import type { EventSubscription, ProxyEvent } from './proxy-events.js';

export interface EventHub {
  emit(event: ProxyEvent): void;
  /** A listener wants every forwarded chunk/datagram. */
  readonly wantsData: boolean;
  /** Anyone listens at all. */
  readonly active: boolean;
  subscribe(listener: (event: ProxyEvent) => void, options?: EventSubscription): () => void;
}

/**
 * Creates a hub, with `initial` (the `onEvent` option) as a first listener that never wants data;
 * `onChange` runs whenever a listener comes or goes (the proxies then attach or detach observers).
 */
export function createEventHub(initial?: (event: ProxyEvent) => void, onChange?: () => void): EventHub {
  const listeners = new Map<(event: ProxyEvent) => void, boolean>();
  let dataListeners = 0;
  if (initial !== undefined) listeners.set(initial, false);
  return {
    emit(event) {
      for (const [listener, data] of listeners) {
        if (event.type === 'data' && !data) continue;
        listener(event);
      }
    },
    get wantsData() {
      return dataListeners > 0;
    },
    get active() {
      return listeners.size > 0;
    },
    subscribe(listener, options = {}) {
      if (listeners.has(listener)) return () => undefined;
      const data = options.data === true;
      listeners.set(listener, data);
      if (data) dataListeners++;
      onChange?.();
      return () => {
        if (!listeners.delete(listener)) return;
        if (data) dataListeners--;
        onChange?.();
      };
    },
  };
}
