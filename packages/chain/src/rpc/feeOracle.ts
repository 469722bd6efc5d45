import type { CommittedBlock } from "../execution/engine.js";
import type { Execution } from "../execution/execution.js";
import type { StoredBlock } from "../store/chainStore.js";
import { effectiveTip } from "../tx/transaction.js";

interface BlockFees {
  number: bigint;
  baseFee: bigint;
  gasUsed: bigint;
  gasLimit: bigint;
  /** (tip, gasUsed) of every transaction, by tip ascending. */
  tips: { tip: bigint; gas: bigint }[];
}

const KEEP = 1024;
const DEFAULT_TIP = 1_000_000_000n;

/**
 * Fee statistics per block for eth_feeHistory and the tip suggestion. Fed by commits (no decoding),
 * falling back to the store for blocks from before this process started.
 */
export class FeeOracle {
  private readonly ex: Execution;
  private readonly recent = new Map<bigint, BlockFees>();

  constructor(ex: Execution) {
    this.ex = ex;
    ex.onCommit((c) => this.record(c));
  }

  private record(c: CommittedBlock): void {
    const h = c.block.header;
    const tips = c.block.txs.map((tx, i) => ({ tip: effectiveTip(tx, h.baseFeePerGas), gas: c.receipts[i]!.gasUsed }));
    tips.sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0));
    this.recent.set(h.number, { number: h.number, baseFee: h.baseFeePerGas, gasUsed: h.gasUsed, gasLimit: h.gasLimit, tips });
    this.recent.delete(h.number - BigInt(KEEP));
  }

  fees(n: bigint): BlockFees | undefined {
    const cached = this.recent.get(n);
    if (cached) return cached;
    const b = this.ex.store.blockByNumber(n);
    return b ? this.fromStore(b) : undefined;
  }

  private fromStore(b: StoredBlock): BlockFees {
    const receipts = this.ex.store.receipts(b.header.number) ?? [];
    const tips = b.txHashes.map((hash, i) => {
      const t = this.ex.store.tx(hash);
      return { tip: t ? effectiveTip(t.tx, b.header.baseFeePerGas) : 0n, gas: receipts[i]?.gasUsed ?? 0n };
    });
    tips.sort((a, c) => (a.tip < c.tip ? -1 : a.tip > c.tip ? 1 : 0));
    return { number: b.header.number, baseFee: b.header.baseFeePerGas, gasUsed: b.header.gasUsed, gasLimit: b.header.gasLimit, tips };
  }

  /** geth's reward rule: the tip at which the cumulative gas reaches each percentile of the block's gas. */
  rewards(f: BlockFees, percentiles: readonly number[]): bigint[] {
    if (f.tips.length === 0) return percentiles.map(() => 0n);
    const out: bigint[] = [];
    let i = 0;
    let cumulative = f.tips[0]!.gas;
    for (const pct of percentiles) {
      const threshold = (Number(f.gasUsed) * pct) / 100;
      while (Number(cumulative) < threshold && i < f.tips.length - 1) cumulative += f.tips[++i]!.gas;
      out.push(f.tips[i]!.tip);
    }
    return out;
  }

  /** A tip that recent blocks accepted: 60th percentile of each block's cheapest tips over 20 blocks. */
  suggestTip(): bigint {
    const head = this.ex.head.header.number;
    const samples: bigint[] = [];
    for (let n = head; n >= 0n && n > head - 20n; n--) {
      const f = this.recent.get(n);
      if (!f) continue;
      for (const t of f.tips.slice(0, 3)) samples.push(t.tip);
    }
    if (samples.length === 0) return DEFAULT_TIP;
    samples.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const tip = samples[Math.floor(((samples.length - 1) * 60) / 100)]!;
    return tip > 0n ? tip : 1n;
  }
}
