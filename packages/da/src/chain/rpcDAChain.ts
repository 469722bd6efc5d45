import { PublicKey } from "@chainsafe/blst";
import {
  DA_SYSTEM_CONTRACTS,
  daEntranceAbi,
  daEpochRegistrationMessage,
  daRegistrationMessage,
  daRegistryAbi,
  daSignersAbi,
  type G1Point,
  g1PointFromBytes,
  g2PointFromBytes,
} from "@zerog/contracts";
import {
  type Account,
  type Chain,
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { SignedTx } from "../disperser/blobRecord.js";
import type { CommitRootSubmission, DisperserChain, ReceiptInfo, RegisteredSigner } from "../disperser/disperserChain.js";
import { DaError, DaErrorCode } from "../errors.js";
import type { SignerChainView } from "../signer/checkSignRequest.js";
import { type DASignerKey, signWithDASignerKey } from "../signer/signerKey.js";

export interface DAContracts {
  DASigners: Hex;
  DARegistry: Hex;
  DAEntrance: Hex;
}

export interface RpcDAChainOptions {
  rpcUrl: string;
  /** The account that sends transactions (disperser, or a signer's registration); none: read-only. */
  privateKey?: Hex;
  /** Default: `zg_systemContracts` of the chain, else `DA_SYSTEM_CONTRACTS`. */
  contracts?: DAContracts;
}

const toHex = (b: Uint8Array): Hex => `0x${Buffer.from(b).toString("hex")}`;

const CONFIRM_BASE_GAS = 100_000n;
const CONFIRM_GAS_PER_SUBMISSION = 450_000n;

/**
 * The DA contracts over the chain's Ethereum JSON-RPC, for signers (`SignerChainView`, registration) and the
 * disperser (`DisperserChain`). Transactions are signed locally (legacy gas price from `eth_gasPrice`, gas from
 * `eth_estimateGas` + 30 % as 0G's client does) and sent as raw bytes.
 */
export class RpcDAChain implements SignerChainView, DisperserChain {
  readonly contracts: DAContracts;
  readonly account: Account | undefined;
  private readonly client: PublicClient;
  private readonly wallet: WalletClient | undefined;
  private readonly quorums = new Map<string, string[]>();

  private constructor(
    readonly chainId: number,
    contracts: DAContracts,
    client: PublicClient,
    wallet: WalletClient | undefined,
  ) {
    this.contracts = contracts;
    this.client = client;
    this.wallet = wallet;
    this.account = wallet?.account;
  }

  static async connect(o: RpcDAChainOptions): Promise<RpcDAChain> {
    const transport = http(o.rpcUrl, { timeout: 30_000, retryCount: 2 });
    let chainId: number;
    try {
      chainId = await createPublicClient({ transport }).getChainId();
    } catch (e) {
      throw new DaError(
        { code: DaErrorCode.NODE_UNREACHABLE, url: o.rpcUrl },
        `cannot reach the chain at ${o.rpcUrl}: ${(e as Error).message}`,
      );
    }
    const chain: Chain = defineChain({
      id: chainId,
      name: "zerog",
      nativeCurrency: { name: "ZG", symbol: "ZG", decimals: 18 },
      rpcUrls: { default: { http: [o.rpcUrl] } },
    });
    const client = createPublicClient({ chain, transport }) as PublicClient;
    let contracts = o.contracts;
    if (!contracts) {
      const listed = (await client.request({ method: "zg_systemContracts" as never }).catch(() => ({}))) as Record<string, Hex>;
      contracts = {
        DASigners: listed.DASigners ?? DA_SYSTEM_CONTRACTS.DASigners,
        DARegistry: listed.DARegistry ?? DA_SYSTEM_CONTRACTS.DARegistry,
        DAEntrance: listed.DAEntrance ?? DA_SYSTEM_CONTRACTS.DAEntrance,
      };
    }
    if (!(await client.getCode({ address: contracts.DAEntrance }))) {
      throw new DaError(
        { code: DaErrorCode.NODE_REFUSED, url: o.rpcUrl, status: 0, nodeCode: "NO_DA_CONTRACTS" },
        `the chain at ${o.rpcUrl} has no DAEntrance at ${contracts.DAEntrance}; start a devnet with DA (zg devnet --reset) or pass the contracts`,
      );
    }
    const wallet = o.privateKey ? createWalletClient({ chain, transport, account: privateKeyToAccount(o.privateKey) }) : undefined;
    return new RpcDAChain(chainId, contracts, client, wallet);
  }

  // --- reads ---------------------------------------------------------------------------------------------------------

  async epochNumber(): Promise<number> {
    return Number(await this.read(this.contracts.DASigners, daSignersAbi, "epochNumber", []));
  }

  async quorum(epoch: number, quorumId: number): Promise<string[] | null> {
    const key = `${epoch}/${quorumId}`;
    const cached = this.quorums.get(key);
    if (cached) return cached;
    if (epoch > (await this.epochNumber())) return null;
    const count = Number(await this.read(this.contracts.DASigners, daSignersAbi, "quorumCount", [BigInt(epoch)]));
    if (quorumId >= count) return null;
    const members = (await this.read(this.contracts.DASigners, daSignersAbi, "getQuorum", [BigInt(epoch), BigInt(quorumId)])) as Hex[];
    const out = members.map((m) => m.toLowerCase());
    this.quorums.set(key, out); // a formed quorum never changes
    return out;
  }

  async dataUploaded(dataRoot: Uint8Array, epoch: number, quorumId: number): Promise<boolean> {
    return (await this.read(this.contracts.DAEntrance, daEntranceAbi, "dataUploaded", [
      toHex(dataRoot),
      BigInt(epoch),
      BigInt(quorumId),
    ])) as boolean;
  }

  async signers(addresses: readonly string[]): Promise<RegisteredSigner[]> {
    if (addresses.length === 0) return [];
    const details = (await this.read(this.contracts.DASigners, daSignersAbi, "getSigner", [addresses as Hex[]])) as {
      signer: Hex;
      socket: string;
      pk: G1Point;
    }[];
    return details.map((d) => ({ address: d.signer.toLowerCase(), url: d.socket, publicKey: compressG1(d.pk) }));
  }

  async finalizedBlock(): Promise<number> {
    const b = await this.client.getBlock({ blockTag: "finalized" }).catch(() => this.client.getBlock({ blockTag: "latest" }));
    return Number(b.number);
  }

  async blobPrice(): Promise<bigint> {
    return (await this.read(this.contracts.DAEntrance, daEntranceAbi, "blobPrice", [])) as bigint;
  }

  // --- the disperser's transactions ----------------------------------------------------------------------------------

  async signUpload(dataRoots: readonly Uint8Array[]): Promise<SignedTx> {
    const data = encodeFunctionData({ abi: daEntranceAbi, functionName: "submitOriginalData", args: [dataRoots.map(toHex)] });
    return this.signTx(this.contracts.DAEntrance, data, (await this.blobPrice()) * BigInt(dataRoots.length));
  }

  async signConfirm(submissions: readonly CommitRootSubmission[]): Promise<SignedTx> {
    const args = submissions.map((s) => ({
      dataRoot: toHex(s.dataRoot),
      epoch: BigInt(s.epoch),
      quorumId: BigInt(s.quorumId),
      commitmentsHash: toHex(s.commitmentsHash),
      quorumBitmap: toHex(s.bitmap),
      signature: g2PointFromBytes(s.signature),
    }));
    const data = encodeFunctionData({ abi: daEntranceAbi, functionName: "submitVerifiedCommitRoots", args: [args] });
    // Measured ~297k of execution per submission (pairing, key aggregation): a fixed limit with room spares the node
    // a second run of every pairing in eth_estimateGas, ~0.1 s per batch. The aggregates were checked off chain.
    return this.signTx(this.contracts.DAEntrance, data, 0n, CONFIRM_BASE_GAS + CONFIRM_GAS_PER_SUBMISSION * BigInt(submissions.length));
  }

  async send(tx: SignedTx): Promise<void> {
    try {
      await this.client.sendRawTransaction({ serializedTransaction: tx.raw });
    } catch (e) {
      // Sent before a crash: known to the pool or mined; anything else is a real failure.
      if (await this.client.getTransaction({ hash: tx.hash }).catch(() => null)) return;
      throw e;
    }
  }

  async receipt(hash: Hex): Promise<ReceiptInfo | null> {
    const r = await this.client.getTransactionReceipt({ hash }).catch(() => null);
    if (!r) return null;
    const out: ReceiptInfo = { ok: r.status === "success", blockNumber: Number(r.blockNumber), dataUploads: [], verified: [] };
    if (!out.ok) out.revert = "the transaction reverted";
    for (const log of r.logs) {
      if (log.address.toLowerCase() !== this.contracts.DAEntrance.toLowerCase()) continue;
      try {
        const ev = decodeEventLog({ abi: daEntranceAbi, data: log.data, topics: log.topics });
        const args = ev.args as unknown as { dataRoot: Hex; epoch: bigint; quorumId: bigint };
        const dataRoot = Buffer.from(args.dataRoot.slice(2), "hex");
        if (ev.eventName === "DataUpload") out.dataUploads.push({ dataRoot, epoch: Number(args.epoch), quorumId: Number(args.quorumId) });
        if (ev.eventName === "ErasureCommitmentVerified") out.verified.push(dataRoot);
      } catch {
        // another event of the contract
      }
    }
    return out;
  }

  // --- a signer's registration ---------------------------------------------------------------------------------------

  /**
   * Makes this account a signer of `key` at `socket` with `stake` wei staked: stakes what is missing, registers with a
   * proof of possession if it is not a signer, updates the socket if it moved. Returns what it did.
   */
  async ensureSigner(key: DASignerKey, socket: string, stake: bigint): Promise<string[]> {
    const me = this.requireAccount().address;
    const done: string[] = [];
    const staked = (await this.read(this.contracts.DARegistry, daRegistryAbi, "staked", [me])) as bigint;
    if (staked < stake) {
      await this.write(this.contracts.DARegistry, encodeFunctionData({ abi: daRegistryAbi, functionName: "stake" }), stake - staked);
      done.push(`staked ${stake - staked} wei`);
    }
    const pk = g1PointFromBytes(key.publicKeyUncompressed);
    if (!(await this.read(this.contracts.DASigners, daSignersAbi, "isSigner", [me]))) {
      const pop = g2PointFromBytes(signWithDASignerKey(key, daRegistrationMessage(me, BigInt(this.chainId), pk), false));
      const data = encodeFunctionData({ abi: daRegistryAbi, functionName: "registerSigner", args: [{ signer: me, socket, pk }, pop] });
      await this.write(this.contracts.DARegistry, data, 0n);
      done.push("registered");
    } else {
      const [detail] = await this.signers([me]);
      if (detail && detail.url !== socket) {
        await this.write(
          this.contracts.DASigners,
          encodeFunctionData({ abi: daSignersAbi, functionName: "updateSocket", args: [socket] }),
          0n,
        );
        done.push(`socket ${detail.url} → ${socket}`);
      }
    }
    return done;
  }

  /** Registers for the next epoch unless already registered; the epoch registered for, or null. */
  async registerNextEpoch(key: DASignerKey): Promise<number | null> {
    const me = this.requireAccount().address;
    const next = (await this.epochNumber()) + 1;
    if (await this.read(this.contracts.DASigners, daSignersAbi, "registeredEpoch", [me, BigInt(next)])) return null;
    const sig = g2PointFromBytes(signWithDASignerKey(key, daEpochRegistrationMessage(me, BigInt(next), BigInt(this.chainId)), false));
    await this.write(
      this.contracts.DARegistry,
      encodeFunctionData({ abi: daRegistryAbi, functionName: "registerNextEpoch", args: [sig] }),
      0n,
    );
    return next;
  }

  // --- plumbing ------------------------------------------------------------------------------------------------------

  private read(address: Hex, abi: readonly unknown[], functionName: string, args: readonly unknown[]): Promise<unknown> {
    return this.client.readContract({ address, abi: abi as never, functionName: functionName as never, args: args as never });
  }

  private requireAccount(): Account & { address: Hex } {
    if (!this.account)
      throw new DaError({ code: DaErrorCode.BAD_REQUEST, detail: "no key" }, "this needs a private key to send transactions");
    return this.account as Account & { address: Hex };
  }

  /** Signs a call; `gasLimit` skips `eth_estimateGas` (which re-runs the call, BLS pairing included, on the node). */
  private async signTx(to: Hex, data: Hex, value: bigint, gasLimit?: bigint): Promise<SignedTx> {
    const account = this.requireAccount();
    const [nonce, gasPrice, estimated] = await Promise.all([
      this.client.getTransactionCount({ address: account.address, blockTag: "pending" }),
      this.client.getGasPrice(),
      gasLimit === undefined ? this.client.estimateGas({ account: account.address, to, data, value }) : Promise.resolve(0n),
    ]);
    const gas = gasLimit ?? (estimated * 13n) / 10n;
    const raw = await this.wallet!.signTransaction({
      account,
      chain: this.wallet!.chain,
      to,
      data,
      value,
      nonce,
      gas,
      gasPrice: gasPrice * 2n,
    } as never);
    return { raw, hash: keccak256(raw) };
  }

  /** Sends a transaction and waits for its receipt; throws with the revert reason when it fails. */
  private async write(to: Hex, data: Hex, value: bigint): Promise<void> {
    const tx = await this.signTx(to, data, value);
    await this.send(tx);
    const r = await this.client.waitForTransactionReceipt({ hash: tx.hash, timeout: 60_000 });
    if (r.status !== "success")
      throw new DaError(
        { code: DaErrorCode.NODE_REFUSED, url: "chain", status: 0, nodeCode: "REVERTED" },
        `transaction ${tx.hash} to ${to} reverted`,
      );
  }
}

/** blst's compressed (48-byte) G1 key from the contracts' EIP-2537 words. */
function compressG1(p: G1Point): Uint8Array {
  const word = (w: bigint, bytes: number) => Buffer.from(w.toString(16).padStart(bytes * 2, "0"), "hex");
  const raw = Buffer.concat([word(p.xHi, 16), word(p.xLo, 32), word(p.yHi, 16), word(p.yLo, 32)]);
  return PublicKey.fromBytes(raw).toBytes(true);
}
