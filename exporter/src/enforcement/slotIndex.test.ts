import { NO_SLOT, SlotIndex } from './slotIndex';

/** Every slot the index walks under `hash`. */
function slotsUnder(index: SlotIndex, hash: number): number[] {
  const found: number[] = [];
  for (let slot = index.first(hash); slot !== NO_SLOT; slot = index.next()) found.push(slot);
  return found.sort((a, b) => a - b);
}

describe('SlotIndex', () => {
  it('walks the slots stored under a hash, and only those', () => {
    const index = new SlotIndex();
    index.insert(3, 42);
    index.insert(9, 42);
    index.insert(4, -7);
    expect(slotsUnder(index, 42)).toEqual([3, 9]);
    expect(slotsUnder(index, -7)).toEqual([4]);
    expect(slotsUnder(index, 0)).toEqual([]);
    index.remove(3, 42);
    expect(slotsUnder(index, 42)).toEqual([9]);
  });

  it('agrees with a plain model over a long random run that splits its parts many times', () => {
    // Hashes from a small space collide often (equal hashes, equal low bits, equal high bits); from the full
    // space they spread over every part.
    let seed = 11;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const hashOf = new Map<number, number>();
    const live: number[] = [];
    const model = new Map<number, Set<number>>();
    const index = new SlotIndex();
    const draw = () => (random(4) === 0 ? (random(64) << 26) | random(8) : (random(2 ** 16) << 16) ^ random(2 ** 16));
    let nextSlot = 0;
    for (let step = 0; step < 60_000; step++) {
      if (random(10) < 7 || hashOf.size === 0) {
        const slot = nextSlot++;
        const hash = draw() | 0;
        hashOf.set(slot, hash);
        live.push(slot);
        if (!model.has(hash)) model.set(hash, new Set());
        model.get(hash)!.add(slot);
        index.insert(slot, hash);
      } else {
        const at = random(live.length);
        const slot = live[at]!;
        live[at] = live[live.length - 1]!;
        live.pop();
        const hash = hashOf.get(slot)!;
        hashOf.delete(slot);
        model.get(hash)!.delete(slot);
        index.remove(slot, hash);
      }
      if (step % 3_000 === 0 || step === 59_999)
        for (const [hash, slots] of model)
          expect([hash, slotsUnder(index, hash)]).toEqual([hash, [...slots].sort((a, b) => a - b)]);
    }
    expect(hashOf.size).toBeGreaterThan(10_000); // far past one part's thousand entries
  });

  it('stores any number of slots under one hash (a part that cannot split grows instead)', () => {
    const index = new SlotIndex();
    const n = 5_000;
    for (let slot = 0; slot < n; slot++) index.insert(slot, 123_456);
    for (let slot = 0; slot < n; slot++) index.insert(n + slot, Math.imul(slot, 0x9e3779b1));
    expect(slotsUnder(index, 123_456)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (let slot = 0; slot < n; slot += 2) index.remove(slot, 123_456);
    expect(slotsUnder(index, 123_456)).toEqual(Array.from({ length: n / 2 }, (_, i) => 2 * i + 1));
    expect(slotsUnder(index, Math.imul(7, 0x9e3779b1))).toContain(n + 7);
  });
});
