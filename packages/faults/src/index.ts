export { createPrng } from './prng.js';
export type { Prng } from './prng.js';
