/**
 * BFT consensus across real validator processes on 127.0.0.1: crash faults (one and two of four),
 * a 2|2 partition at the transport, a late full node, an equivocating validator whose evidence gets
 * committed, and garbage on the consensus channels. Safety is checked by comparing every height's
 * block hash across all nodes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { consensusNetworkId, parseGenesis } from "@zerog/chain";
import { createSilentLogger, hexToBytes } from "@zerog/core";
import { afterEach, describe, expect, it } from "vitest";
import { readValidatorKeyFile } from "../../../chain/src/consensus/blsKeys.js";
import { decodeCommit, encodeVote, signVote } from "../../../chain/src/consensus/signing.js";
import { VoteType } from "../../../chain/src/consensus/types.js";
import { VOTE } from "../../../chain/src/p2p/channels.js";
import { generateNodeKey } from "../../../chain/src/p2p/nodeKey.js";
import { PeerManager } from "../../../chain/src/p2p/peerManager.js";
import { assertNoFork, type NetNode, startNetwork, waitHeight } from "./helpers/network.js";
import { useE2ECleanup } from "./helpers/node.js";
import { until } from "./helpers/rpc.js";

useE2ECleanup();

const peers: PeerManager[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) await p.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function maxHeight(nodes: NetNode[]): Promise<number> {
  return Math.max(...(await Promise.all(nodes.map((n) => n.height().catch(() => 0)))));
}

/** Connects an in-process peer (the test itself) to the given nodes, on the network's id. */
async function joinAsPeer(genesisPath: string, nodes: NetNode[]): Promise<PeerManager> {
  const genesis = parseGenesis(JSON.parse(readFileSync(genesisPath, "utf8")));
  const pm = new PeerManager(
    { listen: { host: "127.0.0.1", port: 0 }, networkId: consensusNetworkId(genesis), persistentPeers: nodes.map((n) => n.plan.p2p) },
    { logger: createSilentLogger(), metrics: null, nodeKey: generateNodeKey() },
  );
  peers.push(pm);
  await pm.start();
  await until(
    "the test peer to connect",
    async () => (nodes.every((n) => pm.peers().some((p) => p.id === n.id)) ? true : undefined),
    15_000,
  );
  return pm;
}

describe("BFT consensus with four validator processes", () => {
  it("keeps committing with one validator killed; the restarted one catches up and signs again", async () => {
    const net = await startNetwork({ validators: 4 });
    const [v0, v1, v2, v3] = net.validators as [NetNode, NetNode, NetNode, NetNode];
    await waitHeight(net.validators, 3);
    await v3.kill("SIGKILL");
    const before = await maxHeight([v0, v1, v2]);
    await waitHeight([v0, v1, v2], before + 3);
    await v3.start();
    const target = (await maxHeight([v0, v1, v2])) + 2;
    await waitHeight([v3], target, 60_000);
    // Its precommit is in a later commit: it is back in consensus, not just following.
    await until(
      "validator-3 to sign a commit again",
      async () => {
        const h = await v0.height();
        const c = await v0.call<{ commit: string } | null>("zg_getCommit", [`0x${h.toString(16)}`]);
        if (!c) return undefined;
        const signers = decodeCommit(hexToBytes(c.commit)).signers;
        return signers[0]! & (1 << 3) ? true : undefined;
      },
      30_000,
      200,
    );
    await assertNoFork(net.validators, await maxHeight(net.validators));
    expect(await v0.call("zg_getMisbehavior", ["0x1", "latest"])).toEqual([]);
  });

  it("stops with two of four killed (no commit, no fork) and resumes when they return", async () => {
    const net = await startNetwork({ validators: 4 });
    const [v0, v1, v2, v3] = net.validators as [NetNode, NetNode, NetNode, NetNode];
    await waitHeight(net.validators, 2);
    await Promise.all([v2.kill("SIGKILL"), v3.kill("SIGKILL")]);
    await sleep(1_000);
    const stuck = await maxHeight([v0, v1]);
    await sleep(4_000);
    expect(await maxHeight([v0, v1])).toBeLessThanOrEqual(stuck + 1);
    await Promise.all([v2.start(), v3.start()]);
    await waitHeight(net.validators, stuck + 3, 60_000);
    await assertNoFork(net.validators, await maxHeight(net.validators));
    // Killed mid-round and restarted from their WAL, they signed nothing that conflicts.
    expect(await v0.call("zg_getMisbehavior", ["0x1", "latest"])).toEqual([]);
  });

  it("a validator killed after precommitting, before a decision, restarts from its WAL past the votes it signed", async () => {
    // v3 down and the v1-v2 link cut (votes are not relayed): only v0 hears three prevotes, so only v0 precommits,
    // and nobody decides. Restarted, v0 replays the height from its WAL; its double-sign guard has already signed the
    // precommit and refuses the prevote again, which the node must take as "already signed", not as a fatal error.
    const net = await startNetwork({ validators: 4 });
    const [v0, v1, v2, v3] = net.validators as [NetNode, NetNode, NetNode, NetNode];
    await waitHeight(net.validators, 2);
    const link = async (blocked: boolean) => {
      await v1.call("admin_setPeerBlocked", [v2.id, blocked]);
      await v2.call("admin_setPeerBlocked", [v1.id, blocked]);
    };
    await v3.kill("SIGKILL");
    await link(true);
    await sleep(4_000);
    const stuck = await maxHeight([v0, v1, v2]);
    await v0.kill("SIGKILL");
    await v0.start();
    await sleep(2_000);
    expect(v0.alive).toBe(true);
    await link(false);
    await v3.start();
    await waitHeight(net.validators, stuck + 2, 60_000);
    await assertNoFork(net.validators, await maxHeight(net.validators));
    expect(await v1.call("zg_getMisbehavior", ["0x1", "latest"])).toEqual([]);
  });

  it("survives a 2|2 partition at the transport: no conflicting commits, progress after healing", async () => {
    const net = await startNetwork({ validators: 4 });
    const [v0, v1, v2, v3] = net.validators as [NetNode, NetNode, NetNode, NetNode];
    await waitHeight(net.validators, 2);
    const sides: [NetNode[], NetNode[]] = [
      [v0, v1],
      [v2, v3],
    ];
    const setPartition = async (blocked: boolean) => {
      for (const [a, b] of [sides, [sides[1], sides[0]]] as [NetNode[], NetNode[]][]) {
        for (const x of a) for (const y of b) await x.call("admin_setPeerBlocked", [y.id, blocked]);
      }
    };
    await setPartition(true);
    await sleep(1_000);
    const during = await maxHeight(net.validators);
    await sleep(4_000);
    expect(await maxHeight(net.validators)).toBeLessThanOrEqual(during + 1);
    await setPartition(false);
    await waitHeight(net.validators, during + 3, 60_000);
    await assertNoFork(net.validators, await maxHeight(net.validators));
  });

  it("commits a client's transaction that reached only the RPC node while its traffic was lost", async () => {
    const net = await startNetwork({ validators: 4, fullNode: true });
    const rpcNode = net.nodes.find((n) => n.plan.role === "rpc")!;
    const v0 = net.validators[0]!;
    await waitHeight([...net.validators, rpcNode], 2);
    const block = async (blocked: boolean) => {
      for (const v of net.validators) {
        await rpcNode.call("admin_setPeerBlocked", [v.id, blocked]);
        await v.call("admin_setPeerBlocked", [rpcNode.id, blocked]);
      }
    };
    await block(true);
    const raw = await signedTransfer();
    const hash = await rpcNode.call<string>("eth_sendRawTransaction", [raw]);
    // Its one gossip went nowhere; the validators never saw it.
    await sleep(1_000);
    expect(await v0.call("eth_getTransactionByHash", [hash])).toBeNull();
    await block(false);
    // Re-gossiped once stale (3 s) at the next check (every 2 s), then committed.
    const receipt = await until(
      "the transaction committed",
      async () => (await v0.call<{ status: string } | null>("eth_getTransactionReceipt", [hash])) ?? undefined,
      20_000,
    );
    expect(receipt.status).toBe("0x1");
  });

  it("proposers send block previews; the others build each block ahead and accept its proposal without executing it again", async () => {
    const net = await startNetwork({ validators: 4 });
    await waitHeight(net.validators, 2);
    const v0 = net.validators[0]!;
    // Transfers spread over several heights, so several proposers have a non-empty block to preview.
    const hashes: string[] = [];
    for (let i = 0; i < 12; i++) {
      hashes.push(await v0.call<string>("eth_sendRawTransaction", [await signedTransfer(BigInt(i))]));
      await sleep(150);
    }
    for (const hash of hashes) {
      const receipt = await until(
        "the transfer committed",
        async () => (await v0.call<{ status: string } | null>("eth_getTransactionReceipt", [hash])) ?? undefined,
        20_000,
      );
      expect(receipt.status).toBe("0x1");
    }
    const previews = { sent: 0, built: 0, used: 0 };
    for (const v of net.validators) {
      const text = await (await fetch(`${v.url}/metrics`)).text();
      for (const outcome of ["sent", "built", "used"] as const) {
        const m = text.match(new RegExp(`^zg_consensus_block_previews_total\\{outcome="${outcome}"\\} (\\d+)`, "m"));
        previews[outcome] += m ? Number(m[1]) : 0;
      }
    }
    expect(previews.sent).toBeGreaterThan(0);
    expect(previews.built).toBeGreaterThan(0);
    expect(previews.used).toBeGreaterThan(0);
    expect(previews.used).toBeLessThanOrEqual(previews.built);
    await assertNoFork(net.validators, await maxHeight(net.validators));
  });

  it("a full node started late syncs to the head and serves the validators' state root", async () => {
    const net = await startNetwork({ validators: 4, fullNode: true, startFullNode: false });
    const rpcNode = net.nodes.find((n) => n.plan.role === "rpc")!;
    const v0 = net.validators[0]!;
    // Some state to sync: a transfer through a validator.
    await v0.call("eth_sendRawTransaction", [
      // A pre-signed legacy transfer from the first test account (chain id 31337, nonce 0).
      await signedTransfer(),
    ]);
    await waitHeight(net.validators, 6);
    await rpcNode.start();
    const target = await v0.height();
    await waitHeight([rpcNode], target, 60_000);
    const [a, b] = await Promise.all(
      [v0, rpcNode].map((n) => n.call<{ stateRoot: string; hash: string }>("eth_getBlockByNumber", [`0x${target.toString(16)}`, false])),
    );
    expect(b.hash).toBe(a.hash);
    expect(b.stateRoot).toBe(a.stateRoot);
    expect(await rpcNode.call<string>("eth_getBalance", ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "latest"])).toBe(
      await v0.call<string>("eth_getBalance", ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "latest"]),
    );
  });
});

describe("byzantine and malformed peers", () => {
  it("commits evidence of a validator that votes twice at one height", async () => {
    // Three honest processes; the test itself holds validator-3's key and equivocates.
    const net = await startNetwork({ validators: 4, startOnly: 3 });
    const honest = net.validators.slice(0, 3);
    await waitHeight(honest, 2);
    const pm = await joinAsPeer(net.genesisPath, honest);
    const key = readValidatorKeyFile(join(net.dir, "validator-3", "validator_key.json"));
    const index = validatorIndex(net.genesisPath, key.address);
    const found = await until(
      "evidence of validator-3 to be committed",
      async () => {
        const info = await honest[0]!.call<{ consensus: { height: number; round: number } }>("admin_nodeInfo");
        const height = BigInt(info.consensus.height);
        for (const byte of [1, 2]) {
          const vote = signVote(
            31337n,
            {
              type: VoteType.Prevote,
              height,
              round: info.consensus.round,
              blockHash: new Uint8Array(32).fill(byte),
              validatorIndex: index,
            },
            key,
          );
          pm.broadcast(VOTE, encodeVote(vote));
        }
        const latest = await honest[0]!.height();
        const records = await honest[0]!.call<{ validator: string }[]>("zg_getMisbehavior", ["0x1", `0x${latest.toString(16)}`]);
        return records.length > 0 ? records : undefined;
      },
      40_000,
      300,
    );
    expect(found[0]!.validator.toLowerCase()).toBe(`0x${Buffer.from(key.address).toString("hex")}`);
    await assertNoFork(honest, await maxHeight(honest));
  });

  it("scores down and drops a peer sending bad signatures, wrong heights and garbage; the node stays up", async () => {
    const net = await startNetwork({ validators: 4 });
    const v0 = net.validators[0]!;
    await waitHeight(net.validators, 2);
    const pm = await joinAsPeer(net.genesisPath, [v0]);
    const ourId = pm.id;
    const scoreOf = async () => (await v0.call<{ id: string; score: number }[]>("admin_peers")).find((p) => p.id === ourId)?.score;
    const start = await scoreOf();
    // A vote signed by the wrong key, one for a far height, and bytes that are not a vote.
    const key = readValidatorKeyFile(join(net.dir, "validator-1", "validator_key.json"));
    // Signed with validator-1's key but claiming another validator's index: a bad signature.
    const forgedAt = (height: bigint) =>
      signVote(
        31337n,
        {
          type: VoteType.Prevote,
          height,
          round: 0,
          blockHash: new Uint8Array(32).fill(7),
          validatorIndex: (validatorIndex(net.genesisPath, key.address) + 1) % 4,
        },
        key,
      );
    // The bad signature alone first: votes are checked in batches, and its verdict must still reach the score. It is
    // sent again for the node's current height while waiting: one for a height decided meanwhile is only ignored.
    await until(
      "the bad signature to cost the peer score",
      async () => {
        pm.broadcast(VOTE, encodeVote(forgedAt(BigInt(await v0.height()) + 1n)));
        const score = await scoreOf();
        return score === undefined || score < (start ?? 0) ? true : undefined;
      },
      15_000,
    );
    const h = BigInt(await v0.height()) + 1n;
    pm.broadcast(VOTE, encodeVote(forgedAt(h + 1000n)));
    for (let i = 0; i < 30; i++) pm.broadcast(VOTE, Uint8Array.of(0xde, 0xad, i));
    await until("the node to drop the bad peer", async () => ((await scoreOf()) === undefined ? true : undefined), 15_000);
    expect(v0.alive).toBe(true);
    const h0 = await v0.height();
    await waitHeight([v0], h0 + 2);
  });
});

/** A validator's index in the genesis set, which is sorted by address. */
function validatorIndex(genesisPath: string, address: Uint8Array): number {
  const genesis = parseGenesis(JSON.parse(readFileSync(genesisPath, "utf8")));
  const sorted = [...genesis.validators].sort((a, b) => Buffer.compare(a.address, b.address));
  const i = sorted.findIndex((v) => Buffer.compare(v.address, address) === 0);
  if (i < 0) throw new Error("not a genesis validator");
  return i;
}

/** A type-0 EIP-155 transfer of 1 ZG from test account 0 to account 1, signed offline. */
async function signedTransfer(nonce = 0n): Promise<string> {
  const { signTx } = await import("@zerog/chain");
  const tx = signTx(
    {
      type: 0,
      chainId: 31337n,
      nonce,
      maxPriorityFeePerGas: 10n ** 10n,
      maxFeePerGas: 10n ** 10n,
      gasLimit: 21_000n,
      to: hexToBytes("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
      value: 10n ** 18n,
      data: new Uint8Array(0),
      accessList: [],
    },
    hexToBytes("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
  );
  return `0x${Buffer.from(tx.raw).toString("hex")}`;
}
