import { CHUNK_SLOTS, Reservations } from './reservations';

// Sums per budget as reservations come and go: settled ones leave only at a read after their commit,
// expired ones at their TTL, and a request checked again replaces its reservation.

describe('Reservations', () => {
  it('sums and counts per budget, and a request checked again replaces its reservation', () => {
    const r = new Reservations();
    r.reserve('a', 5n, ['team/eng', 'global'], 100);
    r.reserve('b', 7n, ['team/eng'], 100);
    r.reserve('a', 3n, ['team/eng', 'global'], 100);
    expect([r.reservedPusd('team/eng'), r.openCount('team/eng')]).toEqual([10n, 2]);
    expect([r.reservedPusd('global'), r.openCount('global')]).toEqual([3n, 1]);
    expect(r.size).toBe(2);
    expect(r.heldBy('a')).toEqual({ amountPusd: 3n, budgets: ['team/eng', 'global'] });
    expect(r.heldBy('b')).toEqual({ amountPusd: 7n, budgets: ['team/eng'] });
    expect(r.heldBy('c')).toBeUndefined();
  });

  it('drops settled reservations only up to the commit a read followed, and not one made again since', () => {
    const r = new Reservations();
    r.reserve('a', 1n, ['b1'], 100);
    r.reserve('b', 2n, ['b1'], 100);
    r.reserve('c', 4n, ['b1'], 100);
    r.settle(['a', 'unknown'], 1);
    r.settle(['b'], 2);
    r.dropSettled(1);
    expect(r.reservedPusd('b1')).toBe(6n);
    r.settle(['c'], 3);
    r.reserve('c', 8n, ['b1'], 100); // the same request id checked again after its record: a new reservation
    r.dropSettled(3);
    expect([r.reservedPusd('b1'), r.openCount('b1')]).toEqual([8n, 1]);
  });

  it('expires reservations whose TTL ran out, oldest first', () => {
    const r = new Reservations();
    r.reserve('a', 1n, ['b1'], 10);
    r.reserve('b', 2n, ['b1'], 20);
    r.reserve('c', 4n, ['b1'], 30);
    expect(r.expire(9)).toBe(0);
    expect(r.expire(20)).toBe(2);
    expect([r.reservedPusd('b1'), r.openCount('b1')]).toEqual([4n, 1]);
    expect(r.expire(30)).toBe(1);
    expect([r.reservedPusd('b1'), r.openCount('b1'), r.size]).toEqual([0n, 0, 0]);
  });

  it('expires at most `limit` at a time, oldest first, and the rest at the next call', () => {
    const r = new Reservations();
    for (const [id, at] of [
      ['a', 10],
      ['b', 20],
      ['c', 30],
      ['d', 40],
    ] as const)
      r.reserve(id, 1n, ['b1'], at);
    expect(r.expire(30, 2)).toBe(2);
    expect([r.reservedPusd('b1'), r.openCount('b1')]).toEqual([2n, 2]);
    expect(r.expire(30, 2)).toBe(1);
    expect(r.expire(30, 2)).toBe(0);
    expect(r.size).toBe(1);
  });
});

describe('Reservations store', () => {
  it('keeps order, sums and settlement across slots reused and chunks added', () => {
    const n = CHUNK_SLOTS; // slots a chunk has: 3n reservations take three chunks
    const r = new Reservations();
    for (let i = 0; i < 3 * n; i++) r.reserve(`r${i}`, BigInt(i), ['b1'], i);
    expect(r.expire(n - 1)).toBe(n); // r0 .. r(n-1): their slots are free again
    for (let i = 3 * n; i < 4 * n; i++) r.reserve(`r${i}`, 1n, ['b1'], 10 * n + i); // into the freed slots
    r.settle([`r${n + 500}`, `r${3 * n + 500}`], 1);
    expect(r.expire(3 * n - 1)).toBe(2 * n); // r(n) .. r(3n-1), r(n+500) (settled) among them
    r.reserve(`r${n + 500}`, 7n, ['b1'], 20 * n); // made again: a new reservation, in a reused slot
    r.dropSettled(1); // only r(3n+500)'s: r(n+500)'s settled reservation has gone
    expect([r.size, r.openCount('b1'), r.reservedPusd('b1')]).toEqual([n, n, BigInt(n - 1) + 7n]);
    expect(r.expire(20 * n - 1)).toBe(n - 1);
    expect([r.size, r.reservedPusd('b1')]).toEqual([1, 7n]);
  });

  it('finds an id again whatever characters it has and however long it is, and no other id', () => {
    const r = new Reservations();
    const long = 'x'.repeat(64);
    const ids = ['a-ž', 'a-~', 'a-\u007e\u0000', 'zoë', 'zoe', long, `${long}1`, `${long}2`, '', 'ab', 'ba'];
    for (const id of ids) r.reserve(id, 1n, ['b'], 10);
    for (const id of ids) r.reserve(id, 2n, ['b'], 10); // each replaces its own, and only its own
    expect([r.size, r.reservedPusd('b')]).toEqual([ids.length, 2n * BigInt(ids.length)]);
    r.settle(['a-ž', `${long}2`, 'zoe', ''], 1);
    r.dropSettled(1);
    expect(r.size).toBe(ids.length - 4);
    r.settle(ids, 2);
    r.dropSettled(2);
    expect(r.size).toBe(0);
  });

  it('refuses an amount a pico-USD BIGINT cannot hold rather than wrapping it', () => {
    const r = new Reservations();
    expect(() => r.reserve('a', 1n << 63n, ['b1'], 10)).toThrow(RangeError);
    expect(() => r.reserve('a', -1n, ['b1'], 10)).toThrow(RangeError);
    r.reserve('a', (1n << 63n) - 1n, ['b1', 'b2'], 10);
    r.reserve('b', (1n << 63n) - 1n, ['b1'], 10);
    expect(r.reservedPusd('b1')).toBe((1n << 64n) - 2n); // sums are BigInts: exact beyond 64 bits
  });

  it('agrees with a plain model of reservations over a long random run', () => {
    // The model: what the store must mean, kept in the most direct way.
    const model = new Map<string, { amount: bigint; budgets: string[]; expires: number; settledAt: number }>();
    const r = new Reservations();
    const budgetSets = [['g'], ['g', 't1'], ['g', 't2', 'u1']];
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    // Ids as gateways make them, and some the store keeps as strings: longer than a slot holds, or with a
    // character past U+00FF (ë fits in a byte, ž does not).
    const anId = () => {
      const n = random(1500);
      if (n % 7 === 0) return `${'x'.repeat(70)}${n}`;
      return n % 11 === 0 ? `zoë-${n}${n % 2 ? '-ž' : ''}` : `id${n}`;
    };
    let now = 0;
    let sequence = 0;
    for (let step = 0; step < 20_000; step++) {
      now += random(3);
      const op = random(10);
      if (op < 6) {
        const id = anId();
        const amount = BigInt(random(1_000_000)) * 1_000_003n;
        const shared = budgetSets[random(budgetSets.length)]!;
        // Mostly the shared arrays (as the enforcer passes them); sometimes a copy, numbered apart and let go.
        const budgets = random(4) === 0 ? [...shared] : shared;
        const expires = now + 50 + random(2000);
        model.delete(id);
        model.set(id, { amount, budgets, expires, settledAt: 0 });
        r.reserve(id, amount, budgets, expires);
      } else if (op < 8) {
        const ids = Array.from({ length: random(20) }, anId);
        sequence++;
        for (const id of ids) {
          const m = model.get(id);
          if (m && !m.settledAt) m.settledAt = sequence;
        }
        r.settle(ids, sequence);
      } else if (op < 9) {
        const upTo = sequence - random(3);
        for (const [id, m] of model) if (m.settledAt && m.settledAt <= upTo) model.delete(id);
        r.dropSettled(upTo);
      } else {
        const limit = 1 + random(100);
        let n = 0;
        for (const [id, m] of model) {
          if (m.expires > now || n >= limit) break;
          model.delete(id);
          n++;
        }
        expect(r.expire(now, limit)).toBe(n);
      }
      const probe = anId();
      const held = model.get(probe);
      expect([probe, r.heldBy(probe)]).toEqual([probe, held && { amountPusd: held.amount, budgets: held.budgets }]);
      if (step % 500 === 0 || step === 19_999) {
        expect(r.size).toBe(model.size);
        for (const b of ['g', 't1', 't2', 'u1']) {
          const open = [...model.values()].filter((m) => m.budgets.includes(b));
          expect([b, r.openCount(b), r.reservedPusd(b)]).toEqual([
            b,
            open.length,
            open.reduce((sum, m) => sum + m.amount, 0n),
          ]);
        }
      }
    }
  });
});
