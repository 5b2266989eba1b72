import { describe, expect, it } from 'vitest';
import { useColor } from '../src/color.js';
import { CliError } from '../src/errors.js';
import { formatUrl, parseHost, parseHostPort, parseInteger, parsePort, parseProbability } from '../src/parse.js';

describe('parsePort', () => {
  it('accepts 0 through 65535', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('65535')).toBe(65535);
  });

  it('refuses anything else with a message naming the value', () => {
    for (const bad of ['65536', '-1', 'abc', '', '1.5', '80a']) {
      expect(() => parsePort(bad), bad).toThrow(CliError);
    }
    expect(() => parsePort('abc')).toThrow('invalid port "abc": expected an integer from 0 to 65535');
  });
});

describe('parseHost and parseHostPort', () => {
  it('accepts IPv4, IPv6 (bracketed or not) and hostnames', () => {
    expect(parseHost('127.0.0.1')).toBe('127.0.0.1');
    expect(parseHost('[::1]')).toBe('::1');
    expect(parseHost('::1')).toBe('::1');
    expect(parseHost('localhost')).toBe('localhost');
    expect(() => parseHost('bad host!')).toThrow(CliError);
  });

  it('splits HOST:PORT, [IPv6]:PORT and :PORT', () => {
    expect(parseHostPort('127.0.0.1:5000')).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(parseHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseHostPort(':7')).toEqual({ host: '127.0.0.1', port: 7 });
    expect(() => parseHostPort('127.0.0.1')).toThrow('expected HOST:PORT');
    expect(() => parseHostPort('::1:80')).toThrow(CliError);
  });
});

describe('number parsers', () => {
  it('parse integers within bounds', () => {
    expect(parseInteger('12', 'count', 1, 100)).toBe(12);
    expect(() => parseInteger('0', 'count', 1)).toThrow('invalid count "0": expected an integer at least 1');
    expect(() => parseInteger('1e3', 'count', 1)).toThrow(CliError);
  });

  it('parse probabilities as fractions or percentages', () => {
    expect(parseProbability('0.2', 'loss')).toBe(0.2);
    expect(parseProbability('20%', 'loss')).toBe(0.2);
    expect(() => parseProbability('120%', 'loss')).toThrow(CliError);
    expect(() => parseProbability('x', 'loss')).toThrow(CliError);
  });
});

describe('formatUrl', () => {
  it('brackets IPv6 hosts', () => {
    expect(formatUrl('tcp', '127.0.0.1', 5000)).toBe('tcp://127.0.0.1:5000');
    expect(formatUrl('udp', '::1', 53)).toBe('udp://[::1]:53');
  });
});

describe('useColor', () => {
  const stream = (isTTY: boolean): NodeJS.WriteStream => Object.create(process.stdout, { isTTY: { value: isTTY } }) as NodeJS.WriteStream;
  const tty = stream(true);
  const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
  const set = (name: 'NO_COLOR' | 'FORCE_COLOR', value: string | undefined): void => {
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  };

  it('turns colours off only for a non-empty NO_COLOR (no-color.org), and never off a terminal', () => {
    try {
      set('FORCE_COLOR', undefined);
      set('NO_COLOR', undefined);
      expect(useColor(tty)).toBe(true);
      set('NO_COLOR', '');
      expect(useColor(tty)).toBe(true);
      set('NO_COLOR', '1');
      expect(useColor(tty)).toBe(false);
      set('NO_COLOR', undefined);
      expect(useColor(stream(false))).toBe(false);
    } finally {
      set('NO_COLOR', saved.NO_COLOR);
      set('FORCE_COLOR', saved.FORCE_COLOR);
    }
  });
});
