/**
 * Scenario files: proxies and toxics declared up front, and a timeline of changes.
 *
 * Format (YAML, or JSON, which is YAML too). Either toxiproxy's `-config` shape, a list of
 * proxies, or an object with `proxies` and an optional `timeline`:
 *
 * ```yaml
 * proxies:
 *   - name: datetime            # toxiproxy fields: name, listen, upstream, enabled
 *     protocol: udp             # netlab: tcp (default) or udp
 *     listen: 127.0.0.1:9000
 *     upstream: 127.0.0.1:7160
 *     seed: 7                   # netlab: every decision replays from it
 *     toxics:                   # netlab: toxics from the start (toxiproxy's toxic JSON)
 *       - { type: delay, stream: downstream, attributes: { delay: 20, jitter: 5 } }
 * timeline:                     # netlab: changes at times from the start of the run
 *   - { at: 5s, proxy: datetime, add: { name: burst, type: loss, stream: both, attributes: { probability: 0.3 } }, for: 10s }
 *   - { at: 15s, proxy: datetime, add: { type: partition }, for: 2s }
 * ```
 *
 * A step has `at` (a duration: `250ms`, `5s`, `1.5s`, `2m`, or a number of ms), `proxy`, and
 * exactly one action: `add` (a toxic; with `for`, removed again that long after), `remove` (a toxic
 * name), `update` (`{name, attributes?, toxicity?}`), `enable: true`, `disable: true`, `hold: true`,
 * `step: N`, `resume: true`. Steps at the same time run in file order.
 *
 * Every error is an ERR_CONFIG naming the file, the line and the field.
 * Limits: at most {@link MAX_TIMELINE_STEPS} steps, times up to {@link MAX_TIMELINE_MS}.
 */
import * as v from 'valibot';
import { type Document, LineCounter, isMap, isNode, isPair, isScalar, parseDocument } from 'yaml';
import { FaultError } from './errors.js';
import { parseAddress, parseProxyInput, type ProxyInput, type ProxyRegistry } from './proxy-registry.js';
import { type Toxic, describeIssue, parseToxic, updateToxic } from './toxics.js';

export const MAX_TIMELINE_STEPS = 1000;
export const MAX_TIMELINE_MS = 24 * 3600 * 1000;

/** One timeline action, validated. */
export type TimelineAction =
  | { readonly kind: 'add'; readonly toxic: Toxic; readonly forMs?: number }
  | { readonly kind: 'remove'; readonly name: string }
  | { readonly kind: 'update'; readonly name: string; readonly update: Readonly<Record<string, unknown>> }
  | { readonly kind: 'enable' | 'disable' | 'hold' | 'resume' }
  | { readonly kind: 'step'; readonly count: number };

export interface TimelineStep {
  readonly atMs: number;
  readonly proxy: string;
  readonly action: TimelineAction;
  /** Line in the file, for messages. */
  readonly line: number;
}

export interface Scenario {
  readonly proxies: readonly ProxyInput[];
  readonly timeline: readonly TimelineStep[];
}

/** `250ms`, `5s`, `1.5s`, `2m` or a number of ms → ms; undefined when not a duration. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
  if (match === null) return undefined;
  const n = Number(match[1]);
  return Math.round(match[2] === 's' ? n * 1000 : match[2] === 'm' ? n * 60_000 : n);
}

const Duration = v.pipe(
  v.union([v.number(), v.string()], 'must be a duration: 250ms, 5s, 2m or a number of ms'),
  v.check((value) => {
    const ms = parseDurationMs(value);
    return ms !== undefined && ms <= MAX_TIMELINE_MS;
  }, 'must be a duration from 0 to 24 h: 250ms, 5s, 2m or a number of ms'),
);

const StepInput = v.strictObject({
  at: Duration,
  proxy: v.string('proxy must be the name of a proxy in this file'),
  add: v.optional(v.unknown()),
  for: v.optional(Duration),
  remove: v.optional(v.string('remove takes a toxic name')),
  update: v.optional(v.record(v.string(), v.unknown(), 'update takes {name, attributes?, toxicity?}')),
  enable: v.optional(v.literal(true, 'enable takes true')),
  disable: v.optional(v.literal(true, 'disable takes true')),
  hold: v.optional(v.literal(true, 'hold takes true')),
  step: v.optional(v.pipe(v.number('step takes a count'), v.integer('step takes a whole count'), v.minValue(1, 'step takes a count of at least 1'))),
  resume: v.optional(v.literal(true, 'resume takes true')),
});

const FileInput = v.union([
  v.array(v.unknown()),
  v.strictObject({ proxies: v.array(v.unknown(), 'proxies must be a list'), timeline: v.optional(v.array(v.unknown(), 'timeline must be a list')) }),
]);

const ACTIONS = ['add', 'remove', 'update', 'enable', 'disable', 'hold', 'step', 'resume'] as const;

/** Parses and validates a scenario; throws ERR_CONFIG naming `source`, the line and the field. */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const line = firstError.linePos?.[0].line ?? 1;
    throw new FaultError('ERR_CONFIG', `${source}:${line}: ${firstError.message.split('\n')[0] ?? 'cannot parse'}`, { details: { line } });
  }
  const lineOf = (path: readonly (string | number)[]): number => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range !== undefined && node.range !== null) {
        // For a key that is not allowed, point at the key itself.
        const parent = depth > 0 ? doc.getIn(path.slice(0, depth - 1), true) : undefined;
        if (isMap(parent)) {
          const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === path[depth - 1]);
          if (pair !== undefined && isScalar(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0]).line;
        }
        return lines.linePos(node.range[0]).line;
      }
    }
    return 1;
  };
  const fail = (path: readonly (string | number)[], message: string): FaultError => {
    const line = lineOf(path);
    const where = path.length === 0 ? '' : `${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '')}: `;
    return new FaultError('ERR_CONFIG', `${source}:${line}: ${where}${message}`, { details: { line, path } });
  };
  const issuePath = (issues: readonly v.BaseIssue<unknown>[]): (string | number)[] =>
    (issues[0]?.path ?? []).map((item) => (typeof item.key === 'number' ? item.key : String(item.key)));

  const data: unknown = doc.toJS();
  const file = v.safeParse(FileInput, data);
  if (!file.success) {
    const path = issuePath(file.issues);
    throw fail(path, Array.isArray(data) || (typeof data === 'object' && data !== null) ? describeIssue(file.issues, 'the file') : 'expected a list of proxies, or {proxies, timeline}');
  }
  const root = Array.isArray(file.output) ? { proxies: file.output, timeline: [] } : { proxies: file.output.proxies, timeline: file.output.timeline ?? [] };
  const prefix = Array.isArray(file.output) ? [] : ['proxies'];
  const proxies: ProxyInput[] = [];
  const protocols = new Map<string, 'tcp' | 'udp'>();
  for (const [index, item] of root.proxies.entries()) {
    const at = [...prefix, index];
    let proxy: ProxyInput;
    try {
      proxy = parseProxyInput(item);
    } catch (error) {
      const parsed = v.safeParse(v.record(v.string(), v.unknown()), item);
      const key = parsed.success ? /"([^"]+)"/.exec((error as Error).message)?.[1] : undefined;
      throw fail(key !== undefined && parsed.success && key in parsed.output ? [...at, key] : at, (error as Error).message);
    }
    if (proxy.name === undefined) throw fail(at, 'missing required field: name');
    if (proxy.upstream === undefined) throw fail(at, 'missing required field: upstream');
    try {
      parseAddress(proxy.upstream, 'upstream', false);
      parseAddress(proxy.listen ?? '127.0.0.1:0', 'listen', true);
    } catch (error) {
      throw fail([...at, (error as Error).message.startsWith('listen') ? 'listen' : 'upstream'], (error as Error).message);
    }
    if (protocols.has(proxy.name)) throw fail([...at, 'name'], `a proxy named "${proxy.name}" is declared twice`);
    const protocol = proxy.protocol ?? 'tcp';
    protocols.set(proxy.name, protocol);
    const names = new Set<string>();
    for (const [t, toxic] of (proxy.toxics ?? []).entries()) {
      let parsed: Toxic;
      try {
        parsed = parseToxic(toxic, protocol);
      } catch (error) {
        throw fail([...at, 'toxics', t], (error as Error).message);
      }
      if (names.has(parsed.name)) throw fail([...at, 'toxics', t], `toxic already exists: ${parsed.name}`);
      names.add(parsed.name);
    }
    proxies.push(proxy);
  }
  if (root.timeline.length > MAX_TIMELINE_STEPS) throw fail(['timeline'], `at most ${MAX_TIMELINE_STEPS} steps`);
  const timeline: TimelineStep[] = [];
  for (const [index, item] of root.timeline.entries()) {
    const at = ['timeline', index];
    const parsed = v.safeParse(StepInput, item);
    if (!parsed.success) throw fail([...at, ...issuePath(parsed.issues)], describeIssue(parsed.issues, 'a timeline step', false));
    const step = parsed.output;
    const protocol = protocols.get(step.proxy);
    if (protocol === undefined) throw fail([...at, 'proxy'], `no proxy named "${step.proxy}" in this file`);
    const given = ACTIONS.filter((action) => step[action] !== undefined);
    if (given.length !== 1) throw fail(at, `a step takes exactly one of ${ACTIONS.join(', ')} (got ${given.length === 0 ? 'none' : given.join(' and ')})`);
    if (step.for !== undefined && step.add === undefined) throw fail([...at, 'for'], '"for" goes with "add" only');
    const atMs = parseDurationMs(step.at) ?? 0;
    const line = lineOf(at);
    let action: TimelineAction;
    const kind = given[0];
    if (kind === 'add') {
      let toxic: Toxic;
      try {
        toxic = parseToxic(step.add, protocol);
      } catch (error) {
        throw fail([...at, 'add'], (error as Error).message);
      }
      const forMs = step.for === undefined ? undefined : parseDurationMs(step.for);
      action = forMs === undefined ? { kind, toxic } : { kind, toxic, forMs };
    } else if (kind === 'remove') {
      action = { kind, name: step.remove ?? '' };
    } else if (kind === 'update') {
      const { name, ...update } = step.update ?? {};
      if (typeof name !== 'string') throw fail([...at, 'update'], 'update takes the toxic name in "name"');
      action = { kind, name, update };
    } else if (kind === 'step') {
      action = { kind, count: step.step ?? 1 };
    } else if (kind !== undefined) {
      action = { kind };
    } else {
      throw fail(at, 'no action');
    }
    timeline.push({ atMs, proxy: step.proxy, action, line });
  }
  timeline.sort((a, b) => a.atMs - b.atMs);
  return { proxies, timeline };
}

/** What the timeline did, for logs and the event stream. */
export interface TimelineReport {
  readonly atMs: number;
  readonly proxy: string;
  readonly action: string;
  readonly toxic?: string;
  readonly line: number;
  /** The error when the step could not be applied (the timeline goes on). */
  readonly error?: string;
}

export interface TimelineRun {
  /** Resolves when the last step (and every `for` removal) has run. */
  readonly done: Promise<void>;
  /** Cancels the steps still waiting. */
  stop(): void;
}

/** Runs a scenario's timeline against `registry`, from now. */
export function runTimeline(timeline: readonly TimelineStep[], registry: ProxyRegistry, onStep?: (report: TimelineReport) => void): TimelineRun {
  const timers = new Set<NodeJS.Timeout>();
  let pending = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const start = performance.now();
  const schedule = (atMs: number, work: () => Promise<void>): void => {
    pending++;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void work().finally(() => {
        if (--pending === 0) finish();
      });
    }, Math.max(0, atMs - (performance.now() - start)));
    timers.add(timer);
  };
  const apply = async (step: TimelineStep, action: TimelineAction, atMs: number): Promise<void> => {
    const report = (extra: Partial<TimelineReport> = {}): void => {
      const summary: TimelineReport = { atMs, proxy: step.proxy, action: action.kind, line: step.line, ...extra };
      onStep?.(summary);
      registry.announce({ type: 'timeline', proxy: step.proxy, action: action.kind, ...(summary.toxic === undefined ? {} : { toxic: summary.toxic }), atMs, line: step.line, time: Date.now(), ...(summary.error === undefined ? {} : { error: summary.error }) });
    };
    try {
      const toxics = registry.toxics(step.proxy);
      switch (action.kind) {
        case 'add':
          registry.setToxics(step.proxy, [...toxics.filter((t) => t.name !== action.toxic.name), action.toxic]);
          report({ toxic: action.toxic.name });
          if (action.forMs !== undefined) schedule(atMs + action.forMs, () => apply(step, { kind: 'remove', name: action.toxic.name }, atMs + (action.forMs ?? 0)));
          return;
        case 'remove':
          registry.setToxics(step.proxy, toxics.filter((t) => t.name !== action.name));
          report({ toxic: action.name });
          return;
        case 'update': {
          const index = toxics.findIndex((t) => t.name === action.name);
          const current = toxics[index];
          if (current === undefined) throw new FaultError('ERR_NOT_FOUND', `toxic not found: ${action.name}`);
          const updated = updateToxic(current, action.update, registry.protocolOf(step.proxy));
          registry.setToxics(step.proxy, toxics.map((t, i) => (i === index ? updated : t)));
          report({ toxic: action.name });
          return;
        }
        case 'enable':
        case 'disable':
          await registry.update(step.proxy, { enabled: action.kind === 'enable' });
          report();
          return;
        case 'hold':
        case 'resume':
        case 'step': {
          const proxy = registry.running(step.proxy);
          if (proxy === undefined) throw new FaultError('ERR_CONFLICT', `proxy ${step.proxy} is disabled`);
          if (action.kind === 'step') proxy.step(action.count);
          else if (action.kind === 'hold') proxy.hold();
          else proxy.resume();
          report();
          return;
        }
      }
    } catch (error) {
      report({ error: (error as Error).message });
    }
  };
  for (const step of timeline) schedule(step.atMs, () => apply(step, step.action, step.atMs));
  if (pending === 0) finish();
  return {
    done,
    stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      finish();
    },
  };
}

/** Creates the scenario's proxies in `registry` (toxiproxy's populate semantics). */
export async function loadScenario(scenario: Scenario, registry: ProxyRegistry): Promise<void> {
  await registry.populate(scenario.proxies);
}
