/**
 * The listeners of one proxy's events. `wantsData` is true only while a listener asked for data
 * events, so the proxy builds them (a copy of every forwarded chunk) only then, and `wantsFaults`
 * only while one wants fault decisions: zero cost when nobody listens.
 */
import type { EventSubscription, ProxyEvent } from './proxy-events.js';

export interface EventHub {
  emit(event: ProxyEvent): void;
  /** A listener wants every forwarded chunk/datagram. */
  readonly wantsData: boolean;
  /** A listener wants every fault decision. */
  readonly wantsFaults: boolean;
  subscribe(listener: (event: ProxyEvent) => void, options?: EventSubscription): () => void;
}

/**
 * Creates a hub, with `initial` (the `onEvent` option) as a first listener that never wants data;
 * `onChange` runs whenever a listener comes or goes (the proxies then attach or detach observers).
 */
export function createEventHub(initial?: (event: ProxyEvent) => void, onChange?: () => void): EventHub {
  const listeners = new Map<(event: ProxyEvent) => void, { readonly data: boolean; readonly faults: boolean }>();
  let dataListeners = 0;
  let faultListeners = 0;
  if (initial !== undefined) listeners.set(initial, { data: false, faults: false });
  return {
    emit(event) {
      for (const [listener, wants] of listeners) {
        if ((event.type === 'data' && !wants.data) || (event.type === 'fault' && !wants.faults)) continue;
        listener(event);
      }
    },
    get wantsData() {
      return dataListeners > 0;
    },
    get wantsFaults() {
      return faultListeners > 0;
    },
    subscribe(listener, options = {}) {
      if (listeners.has(listener)) return () => undefined;
      const wants = { data: options.data === true, faults: options.faults !== false };
      listeners.set(listener, wants);
      if (wants.data) dataListeners++;
      if (wants.faults) faultListeners++;
      onChange?.();
      return () => {
        if (!listeners.delete(listener)) return;
        if (wants.data) dataListeners--;
        if (wants.faults) faultListeners--;
        onChange?.();
      };
    },
  };
}
