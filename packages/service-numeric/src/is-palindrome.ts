/** True when the decimal digits of `n` read the same backwards. Negative numbers are not palindromes. */
export function isPalindrome(n: bigint): boolean {
  if (n < 0n) return false;
  const digits = n.toString();
  for (let i = 0, j = digits.length - 1; i < j; i++, j--) {
    if (digits[i] !== digits[j]) return false;
  }
  return true;
}
