/**
 * The accounts a new store is seeded with (the lab's demo data). Balances in minor units.
 * Every PIN is 1234; they are hashed (scrypt, random salt) when a store is created and never
 * kept anywhere else.
 */

/** An account to seed a new store with. */
export interface SeedAccount {
  readonly card: string;
  readonly holder: string;
  /** The PIN, hashed at seeding time. */
  readonly pin: string;
  /** Opening balance, minor units. */
  readonly balance: number;
}

/** The five demo accounts. */
export const DEMO_ACCOUNTS: readonly SeedAccount[] = [
  { card: '123456789', holder: 'Lab User', pin: '1234', balance: 100_000 },
  { card: '1000000001', holder: 'Farhan', pin: '1234', balance: 116_900 },
  { card: '1000000002', holder: 'Sami', pin: '1234', balance: 4_572_000 },
  { card: '1000000003', holder: 'Moyeed', pin: '1234', balance: 7_000_000 },
  { card: '1000000004', holder: 'Kader', pin: '1234', balance: 120_000 },
];
