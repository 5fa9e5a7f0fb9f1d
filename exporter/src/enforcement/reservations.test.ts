import { Reservations } from './reservations';

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
