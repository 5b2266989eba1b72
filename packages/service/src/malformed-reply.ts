/**
 * The one-line answer text services give to input the codec rejected. Matches on the codec's
 * stable error codes (`@netlab/codec`'s `CODEC_ERROR_CODES`) by value, so services need no codec
 * dependency.
 */
export function malformedReply(error: { readonly code?: string }): string {
  switch (error.code) {
    case 'ERR_LINE_TOO_LONG':
      return 'ERROR line too long';
    case 'ERR_INVALID_UTF8':
      return 'ERROR invalid UTF-8';
    case 'ERR_DATAGRAM_TOO_LARGE':
      return 'ERROR datagram too large';
    default:
      return 'ERROR malformed input';
  }
}
