import { IndexedHeap } from "./indexedHeap.js";
import type { PoolTx } from "./senderQueue.js";

interface Group {
  byTip: IndexedHeap<PoolTx>;
  byFeeCap: IndexedHeap<PoolTx>;
}

function createGroup(): Group {
  // Cheapest first; on equal prices the latest arrival goes first.
  return {
    byTip: new IndexedHeap<PoolTx>((a, b) => {
      const x = a.tx.maxPriorityFeePerGas;
      const y = b.tx.maxPriorityFeePerGas;
      return x < y || (x === y && a.seq > b.seq);
    }),
    byFeeCap: new IndexedHeap<PoolTx>((a, b) => {
      const x = a.tx.maxFeePerGas;
      const y = b.tx.maxFeePerGas;
      return x < y || (x === y && a.seq > b.seq);
    }),
  };
}

/**
 * Each sender's last (highest-nonce) tx, cheapest first, so the pool evicts without opening a nonce
 * gap. Senders whose last tx is queued go first. At base fee b the lowest effective tip among txs is
 * min(lowest priority fee, lowest fee cap − b), so two heaps on fields that do not depend on b find
 * it in O(1) at any base fee, and every update is O(log n).
 */
export class EvictionIndex {
  private readonly queued = createGroup();
  private readonly pending = createGroup();

  add(ptx: PoolTx, queued: boolean): void {
    const g = queued ? this.queued : this.pending;
    g.byTip.push(ptx);
    g.byFeeCap.push(ptx);
  }

  delete(ptx: PoolTx, queued: boolean): void {
    const g = queued ? this.queued : this.pending;
    g.byTip.remove(ptx);
    g.byFeeCap.remove(ptx);
  }

  /** The tx to evict next at `baseFee`: a queued one if any, else the cheapest pending run's last. */
  cheapest(baseFee: bigint): PoolTx | undefined {
    const g = this.queued.byTip.size > 0 ? this.queued : this.pending;
    const a = g.byTip.peek();
    const b = g.byFeeCap.peek();
    if (a === undefined || b === undefined) return undefined;
    return a.tx.maxPriorityFeePerGas <= b.tx.maxFeePerGas - baseFee ? a : b;
  }
}
