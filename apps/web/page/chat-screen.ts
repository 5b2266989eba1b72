/**
 * The Chat screen: a member of the same room as the TCP members (the server relays this
 * WebSocket to the chat server, one line per text frame). The members list is kept from the
 * room's own lines: `/who` once joined, then joins, leaves and renames.
 */

/** Lines kept in the message list; older ones are dropped (the page must not grow without bound). */
const MAX_LINES = 500;

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`missing #${id}`);
  return element;
}

export function startChatScreen(url: string): void {
  const joinForm = byId('join-form') as HTMLFormElement;
  const nameInput = byId('chat-name') as HTMLInputElement;
  const joinButton = byId('join-button') as HTMLButtonElement;
  const sendForm = byId('send-form') as HTMLFormElement;
  const messageInput = byId('chat-message') as HTMLInputElement;
  const sendButton = byId('send-button') as HTMLButtonElement;
  const status = byId('chat-status') as HTMLParagraphElement;
  const membersList = byId('members') as HTMLUListElement;
  const messages = byId('messages') as HTMLOListElement;

  let socket: WebSocket | undefined;
  let joined = false;
  let members: string[] = [];
  // The /who the page sends on joining fills the members list; its answer is not shown as a message.
  let who: 'none' | 'pending' | 'continuing' = 'none';

  const renderMembers = (): void => {
    membersList.replaceChildren(
      ...members.map((name) => {
        const item = document.createElement('li');
        item.textContent = name;
        return item;
      }),
    );
  };

  const addLine = (text: string, kind: 'message' | 'system' | 'error'): void => {
    const item = document.createElement('li');
    item.textContent = text;
    if (kind !== 'message') item.className = kind;
    messages.append(item);
    while (messages.childElementCount > MAX_LINES) messages.firstElementChild?.remove();
    messages.scrollTop = messages.scrollHeight;
  };

  const setJoined = (value: boolean): void => {
    joined = value;
    nameInput.disabled = value;
    joinButton.disabled = value;
    messageInput.disabled = !value;
    sendButton.disabled = !value;
    if (value) messageInput.focus();
  };

  const onLine = (line: string): void => {
    let match: RegExpExecArray | null;
    if (!joined) {
      if ((match = /^Welcome, (.+)!$/.exec(line)) !== null) {
        setJoined(true);
        status.textContent = `Joined as ${match[1] ?? ''}.`;
        who = 'pending';
        socket?.send('/who');
        return;
      }
      if (line.startsWith('ERROR')) {
        status.textContent = `Not joined: ${line}`;
        joinButton.disabled = false;
        nameInput.disabled = false;
        nameInput.focus();
        return;
      }
    }
    if ((match = /^Members \((\d+)\): (.*)$/.exec(line)) !== null) {
      members = (match[2] ?? '').split(', ').filter((name) => name !== '');
      renderMembers();
      if (who === 'pending') {
        who = 'continuing';
        return;
      }
    } else if ((match = /^Members \(continued\): (.*)$/.exec(line)) !== null) {
      members.push(...(match[1] ?? '').split(', ').filter((name) => name !== ''));
      renderMembers();
      if (who === 'continuing') return;
    } else if (who === 'continuing') {
      who = 'none';
    }
    if ((match = /^(.+) has joined the chat\.$/.exec(line)) !== null) {
      const name = match[1] ?? '';
      if (!members.includes(name)) members.push(name);
      renderMembers();
      addLine(line, 'system');
      return;
    }
    if ((match = /^(.+) has left the chat\.$/.exec(line)) !== null) {
      const name = match[1] ?? '';
      members = members.filter((member) => member !== name);
      renderMembers();
      addLine(line, 'system');
      return;
    }
    if ((match = /^(.+) is now known as (.+)\.$/.exec(line)) !== null) {
      const [, from = '', to = ''] = match;
      members = members.map((member) => (member === from ? to : member));
      renderMembers();
      addLine(line, 'system');
      return;
    }
    addLine(line, line.startsWith('ERROR') ? 'error' : 'message');
  };

  const connect = (name: string): void => {
    const ws = new WebSocket(url);
    socket = ws;
    status.textContent = 'Connecting…';
    ws.addEventListener('open', () => {
      ws.send(name);
    });
    ws.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (typeof event.data === 'string') onLine(event.data);
    });
    ws.addEventListener('close', (event) => {
      if (socket !== ws) return;
      socket = undefined;
      setJoined(false);
      members = [];
      renderMembers();
      status.textContent = `Disconnected (${String(event.code)}${event.reason === '' ? '' : `: ${event.reason}`}). Join again to come back.`;
    });
  };

  joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (name === '') return;
    joinButton.disabled = true;
    if (socket?.readyState === WebSocket.OPEN) socket.send(name);
    else connect(name);
  });

  sendForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = messageInput.value;
    if (text === '' || socket?.readyState !== WebSocket.OPEN) return;
    socket.send(text);
    messageInput.value = '';
  });
}
