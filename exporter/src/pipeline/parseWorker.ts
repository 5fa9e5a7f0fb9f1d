/**
 * The parse worker: does the per-line work (BatchPart) for the reads the main thread sends it, and hands
 * back its part of each batch when the main thread cuts one. Messages arrive in order, so a cut covers
 * exactly the reads sent before it.
 */
import { parentPort } from 'node:worker_threads';
import { emptyPriceBook } from '../pricing/priceBook';
import { IdentityMap } from '../pricing/identityMap';
import { Pricer } from '../pricing/pricer';
import { BatchPart, parsingSource, ParsingSource, Pricing } from './batchPart';
import type { FromWorker, ToWorker } from './parseThread';

const port = parentPort;
if (!port) throw new Error('parseWorker.ts runs as a worker thread (see parseThread.ts)');

const sources = new Map<number, ParsingSource>();
let pricing: Pricing = { pricer: new Pricer(emptyPriceBook()), identities: new IdentityMap([], undefined) };
/** Made on the main thread's first message, which says how the ledger wants rows encoded, and where. */
let part: BatchPart | undefined;

const reply = (m: FromWorker): void => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  switch (m.kind) {
    case 'settings':
      part = new BatchPart(m.settings);
      break;
    case 'pricing':
      pricing = { pricer: new Pricer(m.book), identities: new IdentityMap(m.identities, m.defaultTier) };
      break;
    case 'source':
      sources.set(m.id, parsingSource(m.context));
      break;
    case 'texts':
      part!.add(sources.get(m.source)!, m.path, m.texts, m.seqBase, pricing);
      reply({ kind: 'parsed' });
      break;
    case 'cut': {
      const done = part!.done();
      part = new BatchPart(part!.settings);
      reply({ kind: 'part', part: done });
      break;
    }
  }
});
