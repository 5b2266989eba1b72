/** Addresses as the UDP server, client and peer report them. */

/** A bound or remote UDP address. */
export interface UdpAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** A `UdpAddress` from Node's `AddressInfo`/`RemoteInfo` fields. */
export function udpAddressOf(info: { readonly address: string; readonly port: number; readonly family: string }): UdpAddress {
  return { host: info.address, port: info.port, family: info.family === 'IPv6' ? 'IPv6' : 'IPv4' };
}
