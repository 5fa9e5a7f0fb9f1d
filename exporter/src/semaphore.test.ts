import { QueueFullError, Semaphore } from './semaphore';

describe('Semaphore', () => {
  it('lets `limit` holders run, queues the next in order, and refuses beyond the queue bound', async () => {
    const s = new Semaphore(2, 1);
    const order: string[] = [];
    const a = await s.acquire();
    const b = await s.acquire();
    const c = s.acquire().then((release) => {
      order.push('c');
      return release;
    });
    await expect(s.acquire()).rejects.toBeInstanceOf(QueueFullError);
    expect(s.queued).toBe(1);
    order.push('a released');
    a();
    a(); // a second release of the same slot changes nothing
    const releaseC = await c;
    expect(order).toEqual(['a released', 'c']);
    // b and c hold the two slots: one more waits
    let dRan = false;
    const d = s.acquire().then((release) => ((dRan = true), release));
    await Promise.resolve();
    expect(dRan).toBe(false);
    b();
    (await d)();
    releaseC();
    // all free again: two acquire at once
    const [x, y] = await Promise.all([s.acquire(), s.acquire()]);
    x();
    y();
  });
});
