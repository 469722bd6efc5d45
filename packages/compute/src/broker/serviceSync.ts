import type { Logger } from "@zerog/core";
import { ComputeError, ComputeErrorCode } from "../errors.js";
import type { BrokerChain, BrokerService, ServiceParams } from "./brokerChain.js";

/** The fields of `ServiceParams` where the chain differs from `want` (addresses compared case-insensitively). */
export function serviceDiff(have: BrokerService, want: ServiceParams): string[] {
  const out: string[] = [];
  for (const k of Object.keys(want) as (keyof ServiceParams)[]) {
    const a = have[k];
    const b = want[k];
    const same = typeof a === "string" && typeof b === "string" && k === "teeSignerAddress" ? a.toLowerCase() === b.toLowerCase() : a === b;
    if (!same) out.push(k);
  }
  return out;
}

/**
 * 0G's SyncService: makes the provider's service on chain what `want` says — registered with `stake` the first time,
 * updated (no value) when any field differs — and returns it as the chain now has it. With `write` false it only
 * checks, and refuses to serve under a service that is missing or signed by another key.
 */
export async function syncService(
  chain: BrokerChain,
  want: ServiceParams,
  o: { stake: bigint; write: boolean; logger: Logger },
): Promise<BrokerService> {
  const provider = chain.providerAddress;
  const have = await chain.getService(provider);
  if (o.write) {
    if (!have) {
      await chain.addOrUpdateService(want, o.stake);
      o.logger.info({ provider, model: want.model, stake: o.stake.toString() }, "service registered");
    } else {
      const diff = serviceDiff(have, want);
      if (diff.length > 0) {
        await chain.addOrUpdateService(want, 0n);
        o.logger.info({ provider, changed: diff }, "service updated");
      }
    }
  }
  const now = await chain.getService(provider);
  if (!now)
    throw new ComputeError(
      { code: ComputeErrorCode.UNKNOWN_SERVICE, provider },
      `provider ${provider} has no service on chain; start the broker with service sync on, or register it (addOrUpdateService)`,
    );
  if (now.teeSignerAddress.toLowerCase() !== want.teeSignerAddress.toLowerCase())
    throw new ComputeError(
      { code: ComputeErrorCode.UNKNOWN_SERVICE, provider },
      `the service's signer on chain is ${now.teeSignerAddress} but this broker signs with ${want.teeSignerAddress}; ` +
        "settlements would be refused — update the service (service sync) or use its signer key",
    );
  if (!now.teeSignerAcknowledged)
    o.logger.warn({ provider }, "the service's signer is not acknowledged (revoked by the owner): settlements will be refused");
  return now;
}
