/**
 * The live toxics of one proxy and their counters: which toxics apply to which link (toxicity
 * decided once per link and toxic from the link's PRNG), what each toxic decided and when it first
 * and last took effect, and the proxy-wide `drop_first` budgets.
 *
 * A link is one direction of one TCP connection or UDP client. The board never touches sockets;
 * the proxies ask it which toxics apply and report decisions to it.
 */
import type { Direction } from './counters.js';
import type { FaultDecision } from './fault-decision.js';
import type { Prng } from './prng.js';
import { type Toxic, affects, causeType } from './toxics.js';

/** Counters of one toxic, for `GET /proxies/{name}/stats`. */
export interface ToxicStats {
  readonly name: string;
  readonly type: string;
  readonly stream: string;
  readonly toxicity: number;
  /** When it was added, and last changed (ms since the Unix epoch). */
  readonly addedAt: number;
  readonly updatedAt: number;
  /** Open links it applies to now. */
  readonly links: number;
  /** Decisions attributed to it (dropped, delayed, sliced...), by kind, and in total. */
  readonly decisions: Readonly<Record<string, number>>;
  readonly hits: number;
  /** When it first and last decided anything (ms since the Unix epoch), or null. */
  readonly firstHitAt: number | null;
  readonly lastHitAt: number | null;
}

interface Entry {
  toxic: Toxic;
  readonly addedAt: number;
  updatedAt: number;
  decisions: Record<string, number>;
  hits: number;
  firstHitAt: number | null;
  lastHitAt: number | null;
  /** drop_first: units or connections dropped so far. */
  dropped: number;
}

/** Which toxics apply to one link pair (both directions of a connection or client). */
export interface LinkToxics {
  /** The toxics that apply in `direction`, in order. */
  applying(direction: Direction): Toxic[];
}

export interface ToxicBoard {
  list(): readonly Toxic[];
  /** Replaces the list (order kept); returns the names added, changed and removed. */
  set(toxics: readonly Toxic[], now: number): void;
  /** A link's view, drawing toxicity from `prng`. */
  forLink(prng: Prng): LinkToxics;
  /** Attributes a decision to the applying toxics of its cause; returns their names. */
  record(link: LinkToxics, direction: Direction, decision: FaultDecision, now: number): string[];
  /** drop_first: true (and counted) when a `drop_first` toxic applying here still has budget. */
  takeDropFirst(link: LinkToxics, direction: Direction, now: number): string | undefined;
  stats(links: (toxic: Toxic) => number): ToxicStats[];
}

/** Creates an empty board. */
export function createToxicBoard(): ToxicBoard {
  let entries: Entry[] = [];
  const byName = new Map<string, Entry>();

  const hit = (entry: Entry, kind: string, now: number): void => {
    entry.decisions[kind] = (entry.decisions[kind] ?? 0) + 1;
    entry.hits++;
    entry.firstHitAt ??= now;
    entry.lastHitAt = now;
  };

  return {
    list: () => entries.map((entry) => entry.toxic),
    set(toxics, now) {
      const next: Entry[] = [];
      for (const toxic of toxics) {
        const old = byName.get(toxic.name);
        if (old?.toxic.type === toxic.type) {
          if (JSON.stringify(old.toxic) !== JSON.stringify(toxic)) old.updatedAt = now;
          old.toxic = toxic;
          next.push(old);
        } else {
          next.push({ toxic, addedAt: now, updatedAt: now, decisions: {}, hits: 0, firstHitAt: null, lastHitAt: null, dropped: 0 });
        }
      }
      entries = next;
      byName.clear();
      for (const entry of entries) byName.set(entry.toxic.name, entry);
    },
    forLink(prng) {
      const draws = new Map<string, number>();
      const applies = (toxic: Toxic): boolean => {
        if (toxic.toxicity >= 1) return true;
        let u = draws.get(toxic.name);
        if (u === undefined) {
          u = prng.fork(`toxicity:${toxic.name}`).next();
          draws.set(toxic.name, u);
        }
        return u < toxic.toxicity;
      };
      return {
        applying: (direction) => entries.map((entry) => entry.toxic).filter((toxic) => affects(toxic, direction) && applies(toxic)),
      };
    },
    record(link, direction, decision, now) {
      const type = causeType(decision.cause);
      if (type === undefined) return [];
      const names: string[] = [];
      for (const toxic of link.applying(direction)) {
        if (toxic.type !== type) continue;
        const entry = byName.get(toxic.name);
        if (entry === undefined) continue;
        hit(entry, decision.decision, now);
        names.push(toxic.name);
      }
      return names;
    },
    takeDropFirst(link, direction, now) {
      for (const toxic of link.applying(direction)) {
        if (toxic.type !== 'drop_first') continue;
        const entry = byName.get(toxic.name);
        if (entry === undefined || entry.dropped >= (toxic.attributes.count ?? 0)) continue;
        entry.dropped++;
        hit(entry, 'dropped', now);
        return toxic.name;
      }
      return undefined;
    },
    stats(links) {
      return entries.map((entry) => ({
        name: entry.toxic.name,
        type: entry.toxic.type,
        stream: entry.toxic.stream,
        toxicity: entry.toxic.toxicity,
        addedAt: entry.addedAt,
        updatedAt: entry.updatedAt,
        links: links(entry.toxic),
        decisions: { ...entry.decisions },
        hits: entry.hits,
        firstHitAt: entry.firstHitAt,
        lastHitAt: entry.lastHitAt,
      }));
    },
  };
}
