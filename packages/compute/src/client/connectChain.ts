import { type Chain, createPublicClient, defineChain, type Hex, type HttpTransport, http, type PublicClient } from "viem";
import { ComputeError, ComputeErrorCode } from "../errors.js";

/** A chain reached over JSON-RPC: its id, a viem chain and client for it, and the transport for wallet clients. */
export interface ConnectedChain {
  chainId: number;
  chain: Chain;
  transport: HttpTransport;
  client: PublicClient;
  /** `zg_systemContracts` (name → address); empty when the node does not serve it. */
  systemContracts(): Promise<Record<string, Hex>>;
  /** Throws COMPUTE_CHAIN_FAILED naming `name` unless `address` holds code. */
  requireCode(address: Hex, name: string): Promise<void>;
}

/** Asks the chain at `rpcUrl` its id and builds the viem client the compute adapters (user, provider, verifier) share. */
export async function connectChain(rpcUrl: string): Promise<ConnectedChain> {
  const transport = http(rpcUrl, { timeout: 30_000, retryCount: 2 });
  let chainId: number;
  try {
    chainId = await createPublicClient({ transport }).getChainId();
  } catch (e) {
    throw new ComputeError(
      { code: ComputeErrorCode.CHAIN_FAILED, detail: `unreachable: ${rpcUrl}` },
      `cannot reach the chain at ${rpcUrl}: ${(e as Error).message}`,
    );
  }
  const chain = defineChain({
    id: chainId,
    name: "zerog",
    nativeCurrency: { name: "ZG", symbol: "ZG", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const client = createPublicClient({ chain, transport }) as PublicClient;
  return {
    chainId,
    chain,
    transport,
    client,
    systemContracts: async () => (await client.request({ method: "zg_systemContracts" as never }).catch(() => ({}))) as Record<string, Hex>,
    requireCode: async (address, name) => {
      if (!(await client.getCode({ address })))
        throw new ComputeError(
          { code: ComputeErrorCode.CHAIN_FAILED, detail: `no ${name}` },
          `the chain at ${rpcUrl} has no ${name} at ${address}; start a devnet with compute (zg devnet --reset) or pass the contracts`,
        );
    },
  };
}
