/**
 * A seeded pseudo-random generator (mulberry32): a fault run is reproduced exactly by its seed, which every
 * run prints. `TOKENLEDGER_FAULTS_SEED` sets it; without it a seed is drawn from the clock.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

export const SEED_ENV = 'TOKENLEDGER_FAULTS_SEED';

/** The seed from `TOKENLEDGER_FAULTS_SEED` (a non-negative integer), else one drawn from the clock. */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[SEED_ENV];
  if (text === undefined || text === '') return (Date.now() ^ (process.pid << 16)) >>> 0;
  if (!/^\d+$/.test(text) || Number(text) > 0xffffffff)
    throw new Error(`${SEED_ENV}=${text}: expected an integer from 0 to 4294967295`);
  return Number(text);
}
