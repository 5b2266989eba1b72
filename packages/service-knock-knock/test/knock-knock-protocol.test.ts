import { describe, expect, it } from 'vitest';
import { createKnockKnockProtocol } from '../src/index.js';

describe('knock-knock protocol state machine', () => {
  it('walks WAITING → SENTKNOCKKNOCK → SENTCLUE → ANOTHER → SENTKNOCKKNOCK', () => {
    const protocol = createKnockKnockProtocol();
    expect(protocol.state).toBe('WAITING');
    expect(protocol.processInput(null)).toBe('Knock! Knock!');
    expect(protocol.state).toBe('SENTKNOCKKNOCK');
    protocol.processInput("Who's there?");
    expect(protocol.state).toBe('SENTCLUE');
    protocol.processInput('Turnip who?');
    expect(protocol.state).toBe('ANOTHER');
    protocol.processInput('y');
    expect([protocol.state, protocol.jokeIndex]).toEqual(['SENTKNOCKKNOCK', 1]);
  });

  it('returns to WAITING after Bye., as the tutorial does', () => {
    const protocol = createKnockKnockProtocol();
    protocol.processInput(null);
    protocol.processInput("Who's there?");
    protocol.processInput('Turnip who?');
    expect(protocol.processInput('no')).toBe('Bye.');
    expect(protocol.state).toBe('WAITING');
  });

  it('goes back to SENTKNOCKKNOCK after a wrong clue answer', () => {
    const protocol = createKnockKnockProtocol();
    protocol.processInput(null);
    protocol.processInput("Who's there?");
    protocol.processInput('wrong');
    expect([protocol.state, protocol.jokeIndex]).toEqual(['SENTKNOCKKNOCK', 0]);
  });
});
