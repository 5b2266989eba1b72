/**
 * The Live view: a sequence diagram of the bench's exercise, one lane per endpoint, newest at the
 * bottom; lost datagrams drawn as lost. Click a message for its bytes (hex and text).
 *
 * Keeping up at 1,000 messages a second: batches from the server (10 a second) go into a ring of
 * the last {@link HISTORY} events, and the diagram is redrawn at most once per animation frame,
 * only its {@link VISIBLE} visible rows (a fixed pool of elements whose text is rewritten: the DOM
 * never grows with the run). The Time slider moves that window back through the ring; Live
 * returns to following the newest events.
 */

/** Events the page keeps for the Time slider (older ones are dropped). */
export const HISTORY = 10_000;
/** Rows of the diagram drawn at once (its height, 396 px, over 22 px a row). */
const VISIBLE = 18;

interface LiveEvent {
  readonly id: number;
  readonly kind: 'message' | 'lost' | 'duplicated' | 'reordered' | 'held' | 'released' | 'reset' | 'note';
  readonly direction: 'up' | 'down';
  readonly time: number;
  readonly n: number;
  readonly text?: string;
  readonly bytes?: string;
  readonly len?: number;
}

interface Batch {
  readonly type: 'batch';
  readonly events: readonly LiveEvent[];
  readonly skipped: number;
  readonly counters: Readonly<Record<string, number | boolean>>;
}

interface State {
  readonly type: 'state';
  readonly exercise: string;
  readonly protocol: 'udp' | 'tcp';
  readonly server: 'up' | 'down';
  readonly rate: number;
  readonly loss: number;
  readonly delay: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly latency: number;
  readonly slicer: number;
  /** Present when `netlab web --proxy-api` watches a running proxy (live-attach.ts). */
  readonly attached?: { readonly api: string; readonly proxy: string; readonly listen: string; readonly upstream: string; readonly status: 'attached' | 'detached'; readonly reason: string };
}

/** A fixed-capacity ring: push drops the oldest once full; `at(i)` counts from the oldest. */
class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  length = 0;
  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }
  push(item: T): void {
    if (this.length < this.capacity) {
      this.items[(this.start + this.length) % this.capacity] = item;
      this.length += 1;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }
  at(index: number): T | undefined {
    return index < 0 || index >= this.length ? undefined : this.items[(this.start + index) % this.capacity];
  }
  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.length = 0;
  }
}

function el(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`missing #${id}`);
  return element;
}

/** A message as one line: newlines as ⏎, other control characters as ·. */
function printable(text: string): string {
  let out = '';
  for (const c of text.replace(/\r?\n/g, '⏎')) out += c.charCodeAt(0) < 0x20 || c === '\u007f' ? '·' : c;
  return out;
}

function label(event: LiveEvent, protocol: 'udp' | 'tcp'): string {
  // The proxy numbers datagrams from 0; the page from 1, as the client numbers its pings.
  const datagram = String(event.n + 1);
  switch (event.kind) {
    case 'lost':
      // TCP never loses bytes silently: the proxy drops them only for a reset or a stall.
      return protocol === 'tcp' ? `✗ dropped (bytes at ${String(event.n)})` : `✗ lost (datagram ${datagram})`;
    case 'duplicated':
      return `⧉ duplicated (datagram ${datagram})`;
    case 'reordered':
      return `↯ reordered (datagram ${datagram})`;
    case 'reset':
      return '✗ connection reset';
    case 'held':
      return `held #${String(event.n)}`;
    case 'released':
      return `released #${String(event.n)}`;
    case 'note':
      return `— ${event.text ?? ''} —`;
    default:
      return printable(event.text ?? `datagram ${String(event.n)}`);
  }
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** `0000  70 69 6e 67 20 31 …  ping 1…`: 16 bytes a line, offset, hex, printable ASCII. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const slice = bytes.subarray(offset, offset + 16);
    const hex = [...slice].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = [...slice].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}  ${text}`);
  }
  return lines.join('\n');
}

export function startLiveScreen(url: string): void {
  const rows = el('diagram-rows');
  const status = el('live-status');
  const exercise = el('live-exercise') as HTMLSelectElement;
  const time = el('live-time') as HTMLInputElement;
  const timeValue = el('live-time-value');
  const follow = el('live-follow');
  const kill = el('live-kill') as HTMLButtonElement;
  const restart = el('live-restart') as HTMLButtonElement;
  const serverBadge = el('live-server');
  const bytesSummary = el('bytes-summary');
  const bytesDump = el('bytes-dump');
  const history = new Ring<LiveEvent>(HISTORY);
  let socket: WebSocket | undefined;
  let frame = 0;
  let skipped = 0;
  let following = true;
  /** Run time (ms since the run's first event) the window ends at, while not following. */
  let reviewAt = 0;
  let t0: number | undefined;
  let selected: LiveEvent | undefined;
  let currentExercise = exercise.value;
  let protocol: 'udp' | 'tcp' = 'udp';

  // The row pool: VISIBLE rows, each a lane, an arrow (a button: click for the bytes), a lane.
  const pool: { row: HTMLLIElement; arrow: HTMLButtonElement; event: LiveEvent | undefined }[] = [];
  for (let i = 0; i < VISIBLE; i += 1) {
    const row = document.createElement('li');
    const arrow = document.createElement('button');
    arrow.type = 'button';
    arrow.className = 'arrow';
    row.append(document.createElement('span'), arrow, document.createElement('span'));
    row.hidden = true;
    rows.append(row);
    const slot = { row, arrow, event: undefined as LiveEvent | undefined };
    arrow.addEventListener('click', () => {
      if (slot.event !== undefined) select(slot.event);
    });
    pool.push(slot);
  }

  const select = (event: LiveEvent): void => {
    selected = event;
    const where = event.direction === 'up' ? 'client → server' : 'server → client';
    if (event.bytes === undefined) {
      bytesSummary.textContent = `${label(event, protocol)}, ${where}: ${event.len === undefined ? 'no bytes' : `${String(event.len)} bytes, not kept (not delivered)`}.`;
      bytesDump.textContent = '';
    } else {
      const bytes = decodeBase64(event.bytes);
      const len = event.len ?? bytes.length;
      bytesSummary.textContent = `${where}, ${String(len)} bytes${len > bytes.length ? ` (the first ${String(bytes.length)} shown)` : ''}: ${JSON.stringify(new TextDecoder().decode(bytes))}`;
      bytesDump.textContent = hexDump(bytes);
    }
    schedule();
  };

  /** Index just past the last event at or before run time `at` (binary search on time). */
  const endIndexAt = (at: number): number => {
    let lo = 0;
    let hi = history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const event = history.at(mid);
      if (event !== undefined && event.time - (t0 ?? 0) <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

  const draw = (): void => {
    frame = 0;
    const oldest = history.at(0);
    const newest = history.at(history.length - 1);
    const span = oldest === undefined || newest === undefined || t0 === undefined ? { min: 0, max: 0 } : { min: Math.floor((oldest.time - t0) / 10) * 10, max: Math.ceil((newest.time - t0) / 10) * 10 };
    time.min = String(span.min);
    time.max = String(span.max);
    let end: number;
    if (following) {
      end = history.length;
      time.value = String(span.max);
      timeValue.textContent = 'live';
      time.setAttribute('aria-valuetext', `live, ${seconds(span.max)}`);
    } else {
      reviewAt = Math.min(Math.max(reviewAt, span.min), span.max);
      end = endIndexAt(reviewAt);
      time.value = String(reviewAt);
      timeValue.textContent = seconds(reviewAt);
      time.setAttribute('aria-valuetext', seconds(reviewAt));
    }
    const first = Math.max(0, end - VISIBLE);
    for (let i = 0; i < VISIBLE; i += 1) {
      const slot = pool[i];
      if (slot === undefined) continue;
      const event = first + i < end ? history.at(first + i) : undefined;
      slot.event = event;
      if (event === undefined) {
        slot.row.hidden = true;
        continue;
      }
      slot.row.hidden = false;
      const up = event.direction === 'up';
      const className = `${event.kind}${selected?.id === event.id ? ' selected' : ''}`;
      if (slot.row.className !== className) slot.row.className = className;
      const text = event.kind === 'note' ? label(event, protocol) : `${up ? '' : '← '}${label(event, protocol)}${up ? ' →' : ''}`;
      if (slot.arrow.textContent !== text) slot.arrow.textContent = text;
      slot.row.title = event.kind === 'note' ? '' : up ? 'client → server' : 'server → client';
    }
    if (skipped > 0) status.textContent = `${String(skipped)} events not drawn (the view keeps up by skipping).`;
  };

  const schedule = (): void => {
    if (frame === 0) frame = requestAnimationFrame(draw);
  };

  const setFollowing = (on: boolean): void => {
    following = on;
    follow.setAttribute('aria-pressed', String(on));
    schedule();
  };

  const onBatch = (batch: Batch): void => {
    for (const event of batch.events) {
      t0 ??= event.time;
      history.push(event);
    }
    skipped += batch.skipped;
    for (const [name, value] of Object.entries(batch.counters)) {
      const cell = document.getElementById(`count-${name}`);
      if (cell !== null) cell.textContent = String(value);
    }
    if (batch.events.length > 0) schedule();
  };

  const sliders: Record<string, { input: HTMLInputElement; output: HTMLElement; text: (value: number) => string }> = {};
  const slider = (name: string, text: (value: number) => string, command: (value: number) => object): void => {
    const input = el(`live-${name}`) as HTMLInputElement;
    const output = el(`live-${name}-value`);
    sliders[name] = { input, output, text };
    input.addEventListener('input', () => {
      show(name, Number(input.value));
      send(command(Number(input.value)));
    });
  };
  const show = (name: string, value: number): void => {
    const entry = sliders[name];
    if (entry === undefined) return;
    entry.input.value = String(value);
    entry.output.textContent = entry.text(value);
    entry.input.setAttribute('aria-valuetext', entry.text(value));
  };

  const onState = (state: State): void => {
    if (state.exercise !== currentExercise) {
      // A new run: its own history.
      history.clear();
      t0 = undefined;
      selected = undefined;
      bytesSummary.textContent = 'Click a message in the diagram.';
      bytesDump.textContent = '';
    }
    currentExercise = state.exercise;
    protocol = state.protocol;
    exercise.value = state.exercise;
    el('udp-controls').hidden = state.protocol !== 'udp';
    el('tcp-controls').hidden = state.protocol !== 'tcp';
    const attached = state.attached;
    const banner = el('live-attach');
    banner.hidden = attached === undefined;
    // Attached: the client and server are someone else's; only the proxy's controls apply.
    el('live-bench-controls').hidden = attached !== undefined;
    for (const id of ['export-pcapng', 'export-mermaid', 'export-trace']) el(id).hidden = attached !== undefined;
    if (attached !== undefined) {
      const detached = attached.status === 'detached';
      banner.className = detached ? 'attach detached' : 'attach';
      banner.textContent = `${detached ? 'Detached from' : 'Attached to'} proxy ${attached.proxy} (${state.protocol.toUpperCase()} ${attached.listen} → ${attached.upstream}) at ${attached.api}${detached ? `: ${attached.reason}; netlab web retries` : ''}. The traffic of whatever client and server use it is drawn; the exercise picker, rate, kill/restart and exports are off in this mode.`;
      el('live-hint').textContent = 'A running fault proxy, watched through its control API: every datagram or chunk it passes is drawn; lost ones are marked lost. The fault controls and Pause, Step, Resume act on that proxy. Click a message to see its bytes.';
      el('lane-server').textContent = `upstream ${attached.upstream} (via proxy ${attached.proxy})`;
      for (const name of ['loss', 'delay', 'duplicate', 'reorder', 'latency', 'slicer'] as const) show(name, state[name]);
      status.textContent = `${detached ? 'Detached from' : 'Watching'} proxy ${attached.proxy} (${state.protocol.toUpperCase()}).`;
      schedule();
      return;
    }
    el('lane-server').textContent = `${state.exercise.replace('-', ' ')} server (via the proxy)`;
    const up = state.server === 'up';
    serverBadge.textContent = up ? 'server up' : 'server down';
    serverBadge.className = up ? 'badge' : 'badge down';
    kill.disabled = !up;
    restart.disabled = up;
    for (const name of ['rate', 'loss', 'delay', 'duplicate', 'reorder', 'latency', 'slicer'] as const) show(name, state[name]);
    status.textContent = `Watching ${state.exercise.replace('-', ' ')} (${state.protocol.toUpperCase()}), server ${state.server}.`;
    schedule();
  };

  const send = (command: object): void => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(command));
  };

  const connect = (): void => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener('open', () => {
      status.textContent = 'Watching.';
    });
    ws.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data !== 'string') return;
      const message = JSON.parse(event.data) as { type?: string; message?: string };
      if (message.type === 'batch') onBatch(message as Batch);
      else if (message.type === 'state') onState(message as State);
      else if (message.type === 'error') status.textContent = `Refused: ${message.message ?? ''}`;
    });
    ws.addEventListener('close', (event) => {
      if (socket === ws) socket = undefined;
      status.textContent = `Disconnected (${String(event.code)}).`;
    });
  };

  const percent = (value: number): string => `${String(value)} %`;
  const ms = (value: number): string => `${String(value)} ms`;
  slider('rate', (value) => `${String(value)}/s`, (value) => ({ type: 'rate', perSecond: value }));
  slider('loss', percent, (value) => ({ type: 'loss', percent: value }));
  slider('delay', ms, (value) => ({ type: 'delay', ms: value }));
  slider('duplicate', percent, (value) => ({ type: 'duplicate', percent: value }));
  slider('reorder', percent, (value) => ({ type: 'reorder', percent: value }));
  slider('latency', ms, (value) => ({ type: 'latency', ms: value }));
  slider('slicer', (value) => (value === 0 ? 'off' : `${String(value)} B`), (value) => ({ type: 'slicer', bytes: value }));
  time.addEventListener('input', () => {
    reviewAt = Number(time.value);
    setFollowing(false);
  });
  follow.addEventListener('click', () => {
    setFollowing(true);
  });
  exercise.addEventListener('change', () => {
    send({ type: 'exercise', name: exercise.value });
  });
  const button = (id: string, command: object): void => {
    el(id).addEventListener('click', () => {
      send(command);
    });
  };
  button('live-pause', { type: 'pause' });
  button('live-resume', { type: 'resume' });
  button('live-step', { type: 'step' });
  button('live-kill', { type: 'kill' });
  button('live-restart', { type: 'restart' });
  button('live-reset', { type: 'reset' });
  connect();
}
