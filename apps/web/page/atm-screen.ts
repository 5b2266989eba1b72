/**
 * The ATM screen: a terminal of the same bank as `netlab atm client` users. The page only says
 * what was pressed and shows what came back; the server's relay (atm-relay.ts) runs the
 * exactly-once ATM client, so a withdrawal under lost replies is retransmitted under the same
 * request id and applied once. The ledger and the journal are pushed by the server whenever the
 * bank's store changes. The PIN box is a password field and is cleared once sent.
 */

/** Journal entries kept on screen (the server sends at most 15). */
const MAX_JOURNAL = 50;

interface Account {
  readonly card: string;
  readonly holder: string;
  readonly balance: number;
  readonly locked: boolean;
}

interface JournalRow {
  readonly id: number;
  readonly at: number;
  readonly op: string;
  readonly card: string | null;
  readonly amount: number | null;
  readonly code: string;
  readonly balance: number | null;
  readonly request: string;
}

type FromServer =
  | { type: 'result'; op: string; ok: boolean; code: string; message: string; balance?: number; amount?: number; holder?: string; triesLeft?: number; dispensed?: number }
  | { type: 'progress'; op: string; attempt: number }
  | { type: 'stats'; sent: number; resent: number; lost: number; fromLog: number; loss: number }
  | { type: 'ledger'; available: true; accounts: Account[]; journal: JournalRow[]; entries: number }
  | { type: 'ledger'; available: false; why: string }
  | { type: 'chaos'; ms: number; total: number; finished: boolean; dispensed: number; failed: number; resent: number; lost: number }
  | { type: 'error'; message: string };

/** Points kept on the chaos chart (a run sends one every 100 ms). */
const MAX_POINTS = 600;

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`missing #${id}`);
  return element;
}

/** Minor units → `1000.00`. */
function money(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${String(Math.floor(abs / 100))}.${String(abs % 100).padStart(2, '0')}`;
}

export function startAtmScreen(url: string): void {
  const loginForm = byId('atm-login-form') as HTMLFormElement;
  const card = byId('atm-card') as HTMLInputElement;
  const pin = byId('atm-pin') as HTMLInputElement;
  const loginButton = byId('atm-login') as HTMLButtonElement;
  const logoutButton = byId('atm-logout') as HTMLButtonElement;
  const amountForm = byId('atm-amount-form') as HTMLFormElement;
  const amount = byId('atm-amount') as HTMLInputElement;
  const balanceButton = byId('atm-balance') as HTMLButtonElement;
  const withdrawButton = byId('atm-withdraw') as HTMLButtonElement;
  const depositButton = byId('atm-deposit') as HTMLButtonElement;
  const loss = byId('atm-loss') as HTMLInputElement;
  const lossValue = byId('atm-loss-value') as HTMLOutputElement;
  const status = byId('atm-status') as HTMLParagraphElement;
  const ledgerRows = byId('ledger-rows') as HTMLTableSectionElement;
  const ledgerNote = byId('ledger-note') as HTMLParagraphElement;
  const journal = byId('journal') as HTMLOListElement;
  const chaosButton = byId('atm-chaos') as HTMLButtonElement;
  const chartDispensed = byId('chart-dispensed') as unknown as SVGPolylineElement;
  const chartResent = byId('chart-resent') as unknown as SVGPolylineElement;
  const legend = byId('atm-chaos-text');
  let points: { ms: number; dispensed: number; resent: number }[] = [];
  let chaosBase = 0;

  let socket: WebSocket | undefined;
  let loggedIn = false;
  let busy = false;
  let lastBalances = new Map<string, number>();

  const say = (text: string, tone: 'ok' | 'bad' | 'info'): void => {
    status.textContent = text;
    status.className = `atm-status${tone === 'info' ? '' : ` ${tone}`}`;
  };

  const sync = (): void => {
    const open = socket?.readyState === WebSocket.OPEN;
    loginButton.disabled = busy || !open;
    chaosButton.disabled = busy || !open;
    card.disabled = busy;
    pin.disabled = busy;
    logoutButton.disabled = busy || !loggedIn;
    for (const control of [amount, balanceButton, withdrawButton, depositButton]) control.disabled = busy || !loggedIn;
  };

  const send = (message: Record<string, unknown>, working?: string): void => {
    if (socket?.readyState !== WebSocket.OPEN) {
      say('Not connected to netlab web (reload the page).', 'bad');
      return;
    }
    socket.send(JSON.stringify(message));
    if (working !== undefined) {
      busy = true;
      say(working, 'info');
      sync();
    }
  };

  const renderLedger = (message: Extract<FromServer, { type: 'ledger' }>): void => {
    if (!message.available) {
      ledgerNote.textContent = message.why;
      ledgerRows.replaceChildren();
      return;
    }
    ledgerNote.textContent = `${String(message.accounts.length)} accounts; ${String(message.entries)} journal entries in the store.`;
    const next = new Map<string, number>();
    ledgerRows.replaceChildren(
      ...message.accounts.map((account) => {
        next.set(account.card, account.balance);
        const row = document.createElement('tr');
        const before = lastBalances.get(account.card);
        if (before !== undefined && before !== account.balance) row.className = 'changed';
        for (const [text, cls] of [
          [account.card, ''],
          [account.holder, ''],
          [money(account.balance), 'num'],
          [account.locked ? 'locked' : 'ok', ''],
        ] as const) {
          const cell = document.createElement('td');
          cell.textContent = text;
          if (cls !== '') cell.className = cls;
          row.append(cell);
        }
        return row;
      }),
    );
    lastBalances = next;
    journal.replaceChildren(
      ...message.journal.slice(0, MAX_JOURNAL).map((entry) => {
        const item = document.createElement('li');
        const time = new Date(entry.at).toLocaleTimeString();
        const what = [entry.op, entry.card ?? '', entry.amount === null ? '' : money(entry.amount), entry.code, entry.balance === null ? '' : `balance ${money(entry.balance)}`].filter((part) => part !== '').join(' ');
        item.textContent = `#${String(entry.id)} ${time} ${what}`;
        item.title = `request ${entry.request}`;
        if (entry.code !== 'APPROVED') item.className = 'declined';
        return item;
      }),
    );
  };

  const drawChart = (message: Extract<FromServer, { type: 'chaos' }>): void => {
    points.push({ ms: message.ms, dispensed: message.dispensed, resent: message.resent - chaosBase });
    if (points.length > MAX_POINTS) points = points.slice(-MAX_POINTS);
    const span = Math.max(1000, points[points.length - 1]?.ms ?? 0);
    const top = Math.max(message.total, ...points.map((point) => point.resent));
    const line = (value: (point: (typeof points)[number]) => number): string =>
      points.map((point) => `${(300 * point.ms / span).toFixed(1)},${(100 - (100 * value(point)) / top).toFixed(1)}`).join(' ');
    chartDispensed.setAttribute('points', line((point) => point.dispensed));
    chartResent.setAttribute('points', line((point) => point.resent));
    const text = `${String(message.dispensed)} of ${String(message.total)} dispensed, ${String(message.failed)} failed, ${String(message.resent - chaosBase)} resent, ${String(message.lost)} replies lost`;
    legend.textContent = `${text}${message.finished ? ' (done)' : '…'}`;
  };

  const onResult = (message: Extract<FromServer, { type: 'result' }>): void => {
    busy = false;
    const balance = message.balance === undefined ? '' : ` Balance ${money(message.balance)}.`;
    if (message.op === 'chaos') {
      say(`Chaos run: ${message.message}.`, message.ok ? 'ok' : 'bad');
    } else if (message.op === 'login') {
      loggedIn = message.ok;
      if (message.ok) say(`Welcome, ${message.holder ?? card.value}.${balance}`, 'ok');
      else say(`Login declined: ${message.code} (${message.message})${message.triesLeft === undefined ? '' : `; ${String(message.triesLeft)} tries left`}.`, 'bad');
    } else if (message.op === 'logout') {
      loggedIn = false;
      say('Logged out. Take your card.', 'info');
    } else if (message.ok) {
      if (message.op === 'withdraw') say(`Dispensed ${money(message.amount ?? 0)} (once).${balance}`, 'ok');
      else if (message.op === 'deposit') say(`Deposited ${money(message.amount ?? 0)}.${balance}`, 'ok');
      else say(`Balance ${money(message.balance ?? 0)}.`, 'ok');
    } else {
      if (message.code === 'ERR_NOT_LOGGED_IN' || message.code === 'UNKNOWN_SESSION' || message.code === 'SESSION_EXPIRED' || message.code === 'PIN_TRIES_EXCEEDED') loggedIn = false;
      say(`${message.op}: ${message.code} (${message.message}).`, 'bad');
    }
    sync();
    if (message.op === 'chaos') return;
    if (loggedIn && (message.op === 'login' || message.op === 'withdraw' || message.op === 'deposit')) amount.focus();
    if (!loggedIn) card.focus();
  };

  const onMessage = (message: FromServer): void => {
    switch (message.type) {
      case 'result':
        onResult(message);
        return;
      case 'progress':
        say(`Working: no reply yet, resending ${message.op} (attempt ${String(message.attempt)})…`, 'info');
        return;
      case 'stats':
        for (const key of ['sent', 'resent', 'lost', 'fromLog'] as const) byId(`atm-count-${key}`).textContent = String(message[key]);
        return;
      case 'ledger':
        renderLedger(message);
        return;
      case 'chaos':
        drawChart(message);
        return;
      case 'error':
        busy = false;
        sync();
        say(`Error: ${message.message}.`, 'bad');
        return;
    }
  };

  const connect = (): void => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener('open', () => {
      sync();
      const percent = Number(loss.value);
      if (percent > 0) ws.send(JSON.stringify({ type: 'loss', percent }));
    });
    ws.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data !== 'string') return;
      try {
        onMessage(JSON.parse(event.data) as FromServer);
      } catch {
        // a frame this page does not understand: ignored
      }
    });
    ws.addEventListener('close', (event) => {
      if (socket !== ws) return;
      socket = undefined;
      loggedIn = false;
      busy = false;
      sync();
      say(`Disconnected from netlab web (${String(event.code)}${event.reason === '' ? '' : `: ${event.reason}`}). Reload the page to use the ATM again.`, 'bad');
    });
  };

  loginForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    const cardNumber = card.value.trim();
    const pinValue = pin.value;
    pin.value = '';
    send({ type: 'login', card: cardNumber, pin: pinValue }, 'Checking the PIN…');
  });
  logoutButton.addEventListener('click', () => {
    send({ type: 'logout' }, 'Logging out…');
  });
  balanceButton.addEventListener('click', () => {
    send({ type: 'balance' }, 'Asking the bank for the balance…');
  });
  amountForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    send({ type: 'withdraw', amount: amount.value.trim() }, `Withdrawing ${amount.value.trim()}…`);
  });
  depositButton.addEventListener('click', () => {
    send({ type: 'deposit', amount: amount.value.trim() }, `Depositing ${amount.value.trim()}…`);
  });
  chaosButton.addEventListener('click', () => {
    points = [];
    chaosBase = Number(byId('atm-count-resent').textContent);
    send({ type: 'chaos' }, 'Chaos run: 4 ATMs withdrawing at once…');
  });
  loss.addEventListener('input', () => {
    const percent = Number(loss.value);
    lossValue.textContent = `${String(percent)} %`;
    loss.setAttribute('aria-valuetext', `${String(percent)} %`);
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'loss', percent }));
  });

  sync();
  connect();
}
