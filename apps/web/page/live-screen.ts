/**
 * The Live view: a sequence diagram of the bench's UDP exercise, one lane per endpoint, newest
 * at the bottom; lost datagrams drawn as lost. Batches from the server (10 a second) are drawn
 * once per animation frame, and only the last {@link MAX_ROWS} rows stay in the DOM, so the page
 * keeps up at 1,000 messages a second.
 */

const MAX_ROWS = 300;

interface LiveEvent {
  readonly kind: 'message' | 'lost' | 'held' | 'released';
  readonly direction: 'up' | 'down';
  readonly n: number;
  readonly text?: string;
}

interface Batch {
  readonly type: 'batch';
  readonly events: readonly LiveEvent[];
  readonly skipped: number;
  readonly counters: Readonly<Record<string, number | boolean>>;
}

function el(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`missing #${id}`);
  return element;
}

function label(event: LiveEvent): string {
  const what = event.text ?? `datagram ${String(event.n)}`;
  switch (event.kind) {
    case 'lost':
      return `✗ lost (datagram ${String(event.n)})`;
    case 'held':
      return `held #${String(event.n)}`;
    case 'released':
      return `released #${String(event.n)}`;
    default:
      return what;
  }
}

export function startLiveScreen(url: string): void {
  const rows = el('diagram-rows');
  const loss = el('live-loss') as HTMLInputElement;
  const lossValue = el('live-loss-value');
  const delay = el('live-delay') as HTMLInputElement;
  const delayValue = el('live-delay-value');
  const status = el('live-status');
  let socket: WebSocket | undefined;
  let queue: LiveEvent[] = [];
  let frame = 0;
  let skipped = 0;

  const draw = (): void => {
    frame = 0;
    const fragment = document.createDocumentFragment();
    for (const event of queue.slice(-MAX_ROWS)) {
      const row = document.createElement('li');
      row.className = event.kind;
      const left = document.createElement('span');
      const arrow = document.createElement('span');
      const right = document.createElement('span');
      arrow.className = 'arrow';
      const up = event.direction === 'up';
      arrow.textContent = `${up ? '' : '← '}${label(event)}${up ? ' →' : ''}`;
      row.title = up ? 'client → server' : 'server → client';
      row.append(left, arrow, right);
      fragment.append(row);
    }
    queue = [];
    rows.append(fragment);
    while (rows.childElementCount > MAX_ROWS) rows.firstElementChild?.remove();
    rows.scrollTop = rows.scrollHeight;
    if (skipped > 0) status.textContent = `${String(skipped)} events not drawn (the view keeps up by skipping).`;
  };

  const onBatch = (batch: Batch): void => {
    queue.push(...batch.events);
    if (queue.length > MAX_ROWS) queue = queue.slice(-MAX_ROWS);
    skipped += batch.skipped;
    for (const [name, value] of Object.entries(batch.counters)) {
      const cell = document.getElementById(`count-${name}`);
      if (cell !== null) cell.textContent = String(value);
    }
    if (frame === 0) frame = requestAnimationFrame(draw);
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
      else if (message.type === 'error') status.textContent = `Refused: ${message.message ?? ''}`;
    });
    ws.addEventListener('close', (event) => {
      if (socket === ws) socket = undefined;
      status.textContent = `Disconnected (${String(event.code)}).`;
    });
  };

  loss.addEventListener('input', () => {
    lossValue.textContent = `${loss.value} %`;
    loss.setAttribute('aria-valuetext', `${loss.value} %`);
    send({ type: 'loss', percent: Number(loss.value) });
  });
  delay.addEventListener('input', () => {
    delayValue.textContent = `${delay.value} ms`;
    delay.setAttribute('aria-valuetext', `${delay.value} ms`);
    send({ type: 'delay', ms: Number(delay.value) });
  });
  el('live-pause').addEventListener('click', () => {
    send({ type: 'pause' });
  });
  el('live-resume').addEventListener('click', () => {
    send({ type: 'resume' });
  });
  el('live-step').addEventListener('click', () => {
    send({ type: 'step' });
  });
  connect();
}
