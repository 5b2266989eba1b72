/** What the udp-hello client sends when given nothing else (the lab's classic line). */
export const DEFAULT_MESSAGE = "I could tell you a UDP joke but I'm not sure you'll get it.";
