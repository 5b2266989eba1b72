/**
 * The seeded PRNG lives on the ground floor (`@netlab/ground`), where `@netlab/testing` and the
 * request log reach it without depending on fault injection. `@netlab/faults` keeps exporting it
 * so its API and its own modules are unchanged.
 */
export { createPrng } from '@netlab/ground';
export type { Prng } from '@netlab/ground';
