/** The built-in client suites (netlab plays the server and the network). */
import type { ClientSuite } from '../case.js';

export const CLIENT_SUITES: readonly ClientSuite[] = [];
