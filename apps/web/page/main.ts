/**
 * The page of `netlab web`. No framework: a few screens of forms and lists, updated from
 * WebSocket messages; the DOM API does it in a few hundred lines, and the page then has no
 * runtime dependency, builds in about a second, and loads nothing from the network but its own
 * origin. The per-run token arrives in the URL once; the server answers with an HttpOnly,
 * SameSite=Strict cookie that every later request (assets, WebSockets) carries, so the token is
 * removed from the address bar.
 */
import { startChatScreen } from './chat-screen.js';
import { startLiveScreen } from './live-screen.js';
import { startAtmScreen } from './atm-screen.js';

if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', location.pathname);

const screens = new Map<string, HTMLElement>();
for (const section of document.querySelectorAll<HTMLElement>('section.screen')) screens.set(section.id.replace(/^screen-/, ''), section);
const tabs = [...document.querySelectorAll<HTMLButtonElement>('nav button[data-screen]')];

function show(name: string): void {
  for (const [key, section] of screens) section.hidden = key !== name;
  for (const tab of tabs) {
    if (tab.dataset.screen === name) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
}
for (const tab of tabs) {
  tab.addEventListener('click', () => {
    show(tab.dataset.screen ?? 'chat');
  });
}
show('chat');

export function socketUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

startChatScreen(socketUrl('/ws/chat'));
startLiveScreen(socketUrl('/ws/live'));
startAtmScreen(socketUrl('/ws/atm'));
