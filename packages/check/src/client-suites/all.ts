/** The built-in client suites (netlab plays the server and the network). */
import { atmClientSuite } from '../atm/client-suite.js';
import type { ClientSuite } from '../case.js';
import { calculatorClientSuite, chatClientSuite, echoClientSuite } from './tcp-clients.js';
import { udpDatetimeClientSuite, udpHelloClientSuite } from './udp-clients.js';

export const CLIENT_SUITES: readonly ClientSuite[] = [echoClientSuite, udpHelloClientSuite, udpDatetimeClientSuite, calculatorClientSuite, chatClientSuite, atmClientSuite];
