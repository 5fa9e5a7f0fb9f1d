import type { Pricer } from '../pricing/pricer';
import type { Ledger } from './ledger';

/**
 * Prices the ledger's unpriced records (this node's) whose model now has a price in `pricer`'s book; `onPriced`
 * hears of each, so the cost counters rise accordingly. Returns how many records were priced.
 */
export function repriceWith(
  ledger: Ledger,
  pricer: Pricer,
  onPriced: (labels: string[], costPusd: bigint) => void = () => undefined
): Promise<number> {
  return ledger.repriceUnpriced(
    (r) => pricer.price(r),
    pricer.book.version,
    onPriced
  );
}
