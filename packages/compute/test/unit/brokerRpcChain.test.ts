import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { COMPUTE_SYSTEM_CONTRACTS, computeGenesisDeployments, DEVNET_COMPUTE_PARAMS, ledgerManagerAbi } from "@zerog/contracts";
import { createLogger, createSilentLogger, hexToBytes } from "@zerog/core";
import { type Abi, createPublicClient, createWalletClient, defineChain, getContractAddress, type Hex, http, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EchoBackend } from "../../src/broker/backends/echoBackend.js";
import { Broker } from "../../src/broker/broker.js";
import type { BrokerChain, SignedTx } from "../../src/broker/brokerChain.js";
import { RpcBrokerChain } from "../../src/broker/rpcBrokerChain.js";
import { createSessionToken } from "../../src/client/sessionToken.js";
import { chatBody, echoFee, post } from "./brokerHarness.js";

// anvil's published dev accounts 0..2 (the mnemonic every dev chain funds).
const DEPLOYER = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as Hex;
const PROVIDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as Hex;
const USER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a" as Hex;
const E = 10n ** 18n;
const PRICES = { inputPrice: 10n ** 9n, outputPrice: 3n * 10n ** 9n };

async function freePort(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await free(port)) return port;
  }
}

describe("RpcBrokerChain on anvil with zerog's compute contracts", () => {
  let anvil: ChildProcess;
  let rpcUrl: string;
  let client: PublicClient;
  let serving: Hex;
  let ledger: Hex;
  const dataDir = mkdtempSync(join(tmpdir(), "zg-broker-rpc-"));

  beforeAll(async () => {
    const port = await freePort();
    const bin = join(dirname(createRequire(import.meta.url).resolve("@foundry-rs/anvil-linux-amd64/package.json")), "bin/anvil");
    anvil = spawn(bin, ["--port", String(port), "--accounts", "3", "--silent"], { stdio: "ignore" });
    rpcUrl = `http://127.0.0.1:${port}`;
    const chain = defineChain({
      id: 31337,
      name: "anvil",
      nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl] } },
    });
    client = createPublicClient({ chain, transport: http(rpcUrl) }) as PublicClient;
    for (let i = 0; ; i++) {
      if (
        await client.getChainId().then(
          () => true,
          () => false,
        )
      )
        break;
      if (i > 200) throw new Error("anvil did not start");
      await new Promise((r) => setTimeout(r, 25));
    }
    // The three contracts by CREATE from the deployer, naming each other by their predicted addresses.
    const deployer = privateKeyToAccount(DEPLOYER);
    const wallet = createWalletClient({ chain, transport: http(rpcUrl), account: deployer });
    const nonce = await client.getTransactionCount({ address: deployer.address });
    const at = (k: number) => getContractAddress({ from: deployer.address, nonce: BigInt(nonce + k) });
    const addresses = { InferenceServing: at(0), InferenceDisputes: at(1), LedgerManager: at(2) };
    const deployments = computeGenesisDeployments({ ...DEVNET_COMPUTE_PARAMS, owner: deployer.address }, addresses);
    expect(deployments.map((d) => d.name)).toEqual(["InferenceServing", "InferenceDisputes", "LedgerManager"]);
    for (const d of deployments) {
      const hash = await wallet.sendTransaction({ data: d.initCode, gas: 15_000_000n });
      expect((await client.waitForTransactionReceipt({ hash })).status).toBe("success");
    }
    serving = addresses.InferenceServing;
    ledger = addresses.LedgerManager;
    expect(COMPUTE_SYSTEM_CONTRACTS.InferenceServing).not.toBe(serving);
  }, 60_000);

  afterAll(() => {
    anvil?.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("registers, serves, settles; a restart after a kill mid-send settles once", async () => {
    const chain = await RpcBrokerChain.connect({ rpcUrl, privateKey: PROVIDER_KEY, servingContract: serving });
    const provider = chain.providerAddress;
    // A chain whose first settlement send never returns, as if the process died while sending (armed after start:
    // RpcBrokerChain's own service registration goes through send too).
    let hang = false;
    let sentOnce: () => void = () => {};
    const sent = new Promise<void>((r) => {
      sentOnce = r;
    });
    const flaky: BrokerChain = Object.assign(Object.create(chain) as RpcBrokerChain, {
      send: (tx: SignedTx) => {
        if (!hang) return chain.send(tx);
        hang = false;
        sentOnce();
        return new Promise<void>(() => {});
      },
    });
    const options = {
      port: 0,
      dataDir,
      ...PRICES,
      settlement: { pollMs: 20, checkMs: 3_600_000, intervalMs: 3_600_000, thresholdWei: E * E },
    };
    const deps = {
      backend: new EchoBackend(),
      signerKey: hexToBytes(PROVIDER_KEY),
      logger: process.env.ZG_DEBUG ? createLogger({ level: "debug", file: "/tmp/prof/rpc.log" }) : createSilentLogger(),
    };
    const b1 = new Broker(options, { ...deps, chain: flaky });
    await b1.start();
    const service = await chain.getService(provider);
    expect(service).toMatchObject({ model: "echo", teeSignerAddress: provider, teeSignerAcknowledged: true, ...PRICES });

    const user = privateKeyToAccount(USER_KEY);
    const userWallet = createWalletClient({ chain: client.chain, transport: http(rpcUrl), account: user });
    const write = async (functionName: string, args: unknown[], value = 0n) => {
      const hash = await userWallet.writeContract({ address: ledger, abi: ledgerManagerAbi as Abi, functionName, args, value } as never);
      expect((await client.waitForTransactionReceipt({ hash })).status).toBe("success");
    };
    await write("addLedger", [""], 10n * E);
    await write("transferFund", [provider, "inference-v1.0", 5n * E]);
    expect(await chain.getAccount(user.address.toLowerCase() as Hex)).toMatchObject({ balance: 5n * E, nonce: 0n });
    expect(await chain.getAccount("0x000000000000000000000000000000000000dead")).toBeNull();

    const token = await createSessionToken({ privateKey: hexToBytes(USER_KEY), provider });
    let fee = 0n;
    for (const c of ["one", "two two", "three three three"]) {
      expect((await post(b1.url, "/v1/proxy/chat/completions", chatBody(c), token.authorization)).status).toBe(200);
      fee += echoFee(c, PRICES.inputPrice, PRICES.outputPrice);
    }
    hang = true;
    void b1.settleNow().catch(() => {});
    await sent;
    await b1.halt();

    const before = await client.getBalance({ address: provider });
    const b2 = new Broker(options, { ...deps, chain });
    await b2.start();
    // The stored transaction goes out again at start (before the service update that the new URL causes could take its
    // nonce); the background round or this call sees it mined.
    expect(await b2.settleNow()).toMatchObject({ remainingUsers: 0 });
    const account = (await chain.getAccount(user.address.toLowerCase() as Hex))!;
    expect(account.balance).toBe(5n * E - fee);
    expect(account.nonce > 0n).toBe(true);
    // The provider got the fee, minus the gas of the one settlement transaction.
    const after = await client.getBalance({ address: provider });
    expect(after - before <= fee && after - before > fee - 10n ** 16n).toBe(true);
    expect(await b2.settleNow()).toMatchObject({ batches: 0, remainingUsers: 0 });
    await b2.stop();
  }, 60_000);
});
