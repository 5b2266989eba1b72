#!/usr/bin/env python3
"""A minimal ATM client for `netlab atm server`, standard library only (Python 3.8+).

Usage:
    python3 atm_client.py HOST PORT CARD PIN                  # balance
    python3 atm_client.py HOST PORT CARD PIN withdraw MINOR   # withdraw MINOR units, then confirm
    python3 atm_client.py HOST PORT CARD PIN deposit MINOR

It speaks the protocol of docs/protocols/atm.md over TCP: every message is a request envelope
(JSON) in a frame of a 4-byte big-endian length and the UTF-8 bytes; one reply frame comes back
per request. A login is the first request of a fresh client id (seq 1, ack 0) and carries a
Diffie-Hellman value; the approved reply carries the session token, the bank's value and the
session key wrapped under the shared secret. Every later envelope carries a MAC under that key.
Each request is retransmitted with the same id until a reply comes (here: after a reconnect).
"""
import hashlib
import hmac
import json
import secrets
import socket
import struct
import sys
import uuid

# RFC 3526 group 14: the 2048-bit MODP prime, generator 2.
P = int(
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf05"
    "98da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb"
    "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3b"
    "e39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf695581718"
    "3995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff",
    16,
)


def canonical(payload):
    """RFC 8785 canonical JSON, for payloads of ASCII strings and integers (all ATM payloads)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Bank:
    """One TCP connection; `request` sends an envelope and returns the reply envelope."""

    def __init__(self, host, port):
        self.address = (host, port)
        self.sock = socket.create_connection(self.address, timeout=10)

    def request(self, envelope):
        data = json.dumps(envelope).encode("utf-8")
        for attempt in range(5):
            try:
                self.sock.sendall(struct.pack(">I", len(data)) + data)
                (length,) = struct.unpack(">I", self._read(4))
                return json.loads(self._read(length))
            except OSError:
                # Lost connection: reconnect and send the same envelope again (same id).
                self.sock = socket.create_connection(self.address, timeout=10)
        raise RuntimeError("no reply")

    def _read(self, n):
        chunks = b""
        while len(chunks) < n:
            chunk = self.sock.recv(n - len(chunks))
            if not chunk:
                raise ConnectionError("closed")
            chunks += chunk
        return chunks


class Terminal:
    """One ATM session: a fresh client id, its login, then MACed requests."""

    def __init__(self, bank):
        self.bank = bank
        self.client_id = "py-" + uuid.uuid4().hex
        self.seq = 0
        self.key = None
        self.session = None

    def send(self, payload):
        self.seq += 1
        envelope = {"kind": "request", "clientId": self.client_id, "seq": self.seq, "ack": self.seq - 1, "payload": payload}
        if self.key is not None:
            text = "netlab-request-mac-v1\n%s\n%d\n%d\n%s" % (self.client_id, self.seq, self.seq - 1, canonical(payload))
            envelope["mac"] = hmac.new(self.key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        reply = self.bank.request(envelope)
        if reply["status"] != "done":
            raise RuntimeError("%s: %s" % (reply["code"], reply["message"]))
        body = json.loads(reply["body"])  # the body is the stored record's text: JSON inside a string
        if not body["ok"]:
            raise RuntimeError(body["error"]["message"])
        return body["value"]

    def login(self, card, pin):
        pin_block = hmac.new(b"netlab-atm-pin-block-v1", ("%s:%s" % (card, pin)).encode(), hashlib.sha256).hexdigest()
        a = secrets.randbelow(P - 3) + 2
        mine = format(pow(2, a, P), "0512x")
        value = self.send({"op": "login", "card": card, "pinBlock": pin_block, "dh": mine})
        if value["code"] == "APPROVED":
            shared = pow(int(value["dh"], 16), a, P).to_bytes(256, "big")
            mask = hmac.new(shared, ("netlab-atm-session-key-v1\n" + value["session"]).encode(), hashlib.sha256).digest()
            self.key = bytes(x ^ y for x, y in zip(bytes.fromhex(value["wrappedKey"]), mask))
            self.session = value["session"]
        return value

    def op(self, payload):
        return self.send(dict(payload, session=self.session))


def main(argv):
    if len(argv) not in (5, 7):
        print("usage: atm_client.py HOST PORT CARD PIN [withdraw|deposit MINOR]", file=sys.stderr)
        return 1
    host, port, card, pin = argv[1], int(argv[2]), argv[3], argv[4]
    atm = Terminal(Bank(host, port))
    login = atm.login(card, pin)
    if login["code"] != "APPROVED":
        print("DECLINED %s %s" % (login["code"], login["message"]))
        return 2
    if len(argv) == 5:
        reply = atm.op({"op": "balance"})
        print("%s balance %d" % (reply["code"], reply["balance"]))
    elif argv[5] == "withdraw":
        withdrawal = "w-py-" + secrets.token_hex(8)
        reply = atm.op({"op": "withdraw", "withdrawal": withdrawal, "amount": int(argv[6])})
        if reply["code"] != "APPROVED":
            print("DECLINED %s %s" % (reply["code"], reply["message"]))
            return 2
        confirmation = atm.op({"op": "confirm", "withdrawal": withdrawal})  # the cash came out
        print("%s withdrew %d balance %d" % (confirmation["code"], reply["amount"], reply["balance"]))
    else:
        reply = atm.op({"op": "deposit", "amount": int(argv[6])})
        print("%s deposited %d balance %d" % (reply["code"], reply["amount"], reply["balance"]))
    atm.op({"op": "logout"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
