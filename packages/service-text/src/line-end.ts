/**
 * Lines of the text exercises end in LF; the codec takes one CR before the LF as part of the
 * terminator. A line may still end in further CRs (`x\r\r\n`, from clients that add `\r\n` to
 * a line that already had one): docs/protocols/echo.md makes every CR at the end of a line part
 * of its terminator. Without this the reply would end in CR, which the line encoder refuses
 * (a reply cannot end in CR: the peer would read the CR LF as the terminator), and the
 * connection would close with no answer (reliability review, defect 10).
 */

/** `line` without the CRs at its end (linear: no regular expression that could backtrack). */
export function stripTrailingCarriageReturns(line: string): string {
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === 0x0d) end--;
  return end === line.length ? line : line.slice(0, end);
}
