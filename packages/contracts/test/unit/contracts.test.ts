import { execFile } from "node:child_process";
import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createEVM, type EVM } from "@ethereumjs/evm";
import { type Address, bytesToHex, createAddressFromString, hexToBytes } from "@ethereumjs/util";
import {
  type Abi,
  decodeErrorResult,
  decodeFunctionResult,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  type Hex,
  keccak256,
  toHex,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileContracts } from "../../scripts/compile.mjs";
import {
  ContractsErrorCode,
  contracts,
  getContract,
  solcVersion,
  testEventsAbi,
  testEventsBytecode,
  testEventsChildBytecode,
  testTokenAbi,
  testTokenBytecode,
  testTokenDeployedBytecode,
} from "../../src/index.js";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const buildScript = join(packageDir, "scripts", "build.mjs");
const run = promisify(execFile);

function names(abi: Abi, type: "function" | "event" | "error"): string[] {
  return abi.flatMap((item) => (item.type === type ? [item.name] : []));
}

describe("ABIs and bytecode", () => {
  it("TestToken exposes the ERC-20 surface, mint and its custom errors", () => {
    expect(names(testTokenAbi, "function")).toEqual(
      expect.arrayContaining(["name", "symbol", "decimals", "totalSupply", "balanceOf", "transfer", "approve"]),
    );
    expect(names(testTokenAbi, "function")).toEqual(expect.arrayContaining(["allowance", "transferFrom", "mint", "owner"]));
    expect(names(testTokenAbi, "event").sort()).toEqual(["Approval", "Transfer"]);
    expect(names(testTokenAbi, "error")).toEqual(expect.arrayContaining(["InsufficientBalance", "InsufficientAllowance"]));
    const insufficient = testTokenAbi.find((i) => i.type === "error" && i.name === "InsufficientBalance");
    expect(insufficient?.inputs.map((i) => `${i.type} ${i.name}`)).toEqual(["address account", "uint256 balance", "uint256 needed"]);
  });

  it("TestEvents exposes every behaviour the RPC tests rely on", () => {
    expect(names(testEventsAbi, "function")).toEqual(
      expect.arrayContaining([
        "value",
        "setValue",
        "emitMany",
        "emitAnonymous",
        "revertWithReason",
        "revertWithCustom",
        "panicDivByZero",
        "assertFail",
        "revertIfGreater",
        "burnGas",
        "getBlockInfo",
        "deposit",
        "selfBalance",
        "deployChild",
        "callOther",
      ]),
    );
    expect(testEventsAbi.some((i) => i.type === "receive")).toBe(true);
    expect(names(testEventsAbi, "error")).toEqual(["Custom"]);
    const valueChanged = testEventsAbi.find((i) => i.type === "event" && i.name === "ValueChanged");
    expect(valueChanged?.inputs.map((i) => i.indexed)).toEqual([true, true, false]);
    const anonymous = testEventsAbi.filter((i) => i.type === "event" && i.anonymous);
    expect(anonymous).toHaveLength(1);
  });

  it("bytecode is non-empty hex and the registry matches the named exports", () => {
    for (const [name, c] of Object.entries(contracts)) {
      expect(c.bytecode, name).toMatch(/^0x([0-9a-f]{2})+$/);
      expect(c.deployedBytecode, name).toMatch(/^0x([0-9a-f]{2})+$/);
      expect(c.bytecode.length, name).toBeGreaterThan(c.deployedBytecode.length);
    }
    expect(getContract("TestToken")).toEqual({
      abi: testTokenAbi,
      bytecode: testTokenBytecode,
      deployedBytecode: testTokenDeployedBytecode,
    });
    expect(solcVersion).toMatch(/^0\.8\.37\+commit\.[0-9a-f]{8}$/);
  });

  it("getContract rejects a name outside the registry with a coded error", () => {
    expect(() => getContract("Nope" as never)).toThrow(expect.objectContaining({ code: ContractsErrorCode.UNKNOWN_CONTRACT }));
  });
});

describe("bytecode on the EVM", () => {
  const deployer = createAddressFromString("0x1000000000000000000000000000000000000001");
  const alice = createAddressFromString("0x2000000000000000000000000000000000000002");
  let evm: EVM;

  beforeAll(async () => {
    evm = await createEVM();
  });

  async function call(caller: Address, to: Address | undefined, data: Hex, value = 0n) {
    const { execResult, createdAddress } = await evm.runCall({
      caller,
      ...(to !== undefined && { to }),
      data: hexToBytes(data),
      value,
      gasLimit: 10_000_000n,
      skipBalance: true,
    });
    return {
      ok: execResult.exceptionError === undefined,
      ret: bytesToHex(execResult.returnValue),
      logs: execResult.logs ?? [],
      createdAddress,
    };
  }

  async function deploy(data: Hex): Promise<Address> {
    const { ok, createdAddress } = await call(deployer, undefined, data);
    expect(ok).toBe(true);
    return createdAddress!;
  }

  it("deploys TestToken, transfers, and reverts with both encodings", async () => {
    const supply = 1_000_000n * 10n ** 18n;
    const token = await deploy(encodeDeployData({ abi: testTokenAbi, bytecode: testTokenBytecode, args: ["Test", "TST", supply] }));
    const balanceOf = async (who: Address) => {
      const { ret } = await call(
        deployer,
        token,
        encodeFunctionData({ abi: testTokenAbi, functionName: "balanceOf", args: [who.toString()] }),
      );
      return decodeFunctionResult({ abi: testTokenAbi, functionName: "balanceOf", data: ret });
    };

    const transfer = encodeFunctionData({ abi: testTokenAbi, functionName: "transfer", args: [alice.toString(), 5n] });
    const sent = await call(deployer, token, transfer);
    expect(sent.ok).toBe(true);
    expect(sent.logs).toHaveLength(1);
    expect(await balanceOf(alice)).toBe(5n);
    expect(await balanceOf(deployer)).toBe(supply - 5n);

    const tooMuch = await call(
      alice,
      token,
      encodeFunctionData({ abi: testTokenAbi, functionName: "transfer", args: [deployer.toString(), 6n] }),
    );
    expect(tooMuch.ok).toBe(false);
    const custom = decodeErrorResult({ abi: testTokenAbi, data: tooMuch.ret });
    expect(custom).toMatchObject({ errorName: "InsufficientBalance", args: [alice.toString(), 5n, 6n] });

    const mint = await call(alice, token, encodeFunctionData({ abi: testTokenAbi, functionName: "mint", args: [alice.toString(), 1n] }));
    expect(mint.ok).toBe(false);
    expect(decodeErrorResult({ abi: testTokenAbi, data: mint.ret })).toMatchObject({
      errorName: "Error",
      args: ["TestToken: caller is not the owner"],
    });
  });

  it("TestEvents returns Error(string), custom errors and panics as revert data", async () => {
    const events = await deploy(testEventsBytecode);
    const revertData = async (data: Hex) => {
      const r = await call(deployer, events, data);
      expect(r.ok).toBe(false);
      return decodeErrorResult({ abi: testEventsAbi, data: r.ret });
    };
    const enc = encodeFunctionData;

    expect(await revertData(enc({ abi: testEventsAbi, functionName: "revertWithReason", args: ["boom"] }))).toMatchObject({
      errorName: "Error",
      args: ["boom"],
    });
    expect(await revertData(enc({ abi: testEventsAbi, functionName: "revertWithCustom", args: [7n] }))).toMatchObject({
      errorName: "Custom",
      args: [7n, "custom error"],
    });
    expect(await revertData(enc({ abi: testEventsAbi, functionName: "panicDivByZero", args: [1n] }))).toMatchObject({
      errorName: "Panic",
      args: [0x12n],
    });
    expect(await revertData(enc({ abi: testEventsAbi, functionName: "assertFail" }))).toMatchObject({ errorName: "Panic", args: [0x01n] });
    expect(await revertData(enc({ abi: testEventsAbi, functionName: "revertIfGreater", args: [1n] }))).toMatchObject({
      errorName: "Error",
      args: ["TestEvents: x exceeds value"],
    });

    // callOther bubbles the callee's revert data byte for byte.
    const inner = enc({ abi: testEventsAbi, functionName: "revertWithCustom", args: [9n] });
    expect(await revertData(enc({ abi: testEventsAbi, functionName: "callOther", args: [events.toString() as Hex, inner] }))).toMatchObject(
      { errorName: "Custom", args: [9n, "custom error"] },
    );
  });

  it("TestEvents emits logs and CREATE2s its child at the predicted address", async () => {
    const events = await deploy(testEventsBytecode);
    const many = await call(deployer, events, encodeFunctionData({ abi: testEventsAbi, functionName: "emitMany", args: [3n] }));
    expect(many.logs).toHaveLength(3);

    const anon = await call(deployer, events, encodeFunctionData({ abi: testEventsAbi, functionName: "emitAnonymous" }));
    const [, topics] = anon.logs[0]!;
    expect(topics).toHaveLength(1); // anonymous: no signature topic, just the indexed sender

    const salt = keccak256(toHex("child"));
    const created = await call(deployer, events, encodeFunctionData({ abi: testEventsAbi, functionName: "deployChild", args: [salt] }));
    expect(created.ok).toBe(true);
    const child = decodeFunctionResult({ abi: testEventsAbi, functionName: "deployChild", data: created.ret });
    const initCode = encodeDeployData({ abi: contracts.TestEventsChild.abi, bytecode: testEventsChildBytecode, args: [salt] });
    const predicted = getContractAddress({ opcode: "CREATE2", from: events.toString() as Hex, salt, bytecode: initCode });
    expect(child.toLowerCase()).toBe(predicted.toLowerCase());
    const code = await evm.stateManager.getCode(createAddressFromString(child));
    // deployedBytecode holds zeros where the constructor writes immutables (parent, salt); the live code has them filled in.
    const live = bytesToHex(code);
    expect(live.length).toBe(contracts.TestEventsChild.deployedBytecode.length);
    expect(live).toContain(events.toString().slice(2));
    expect(live).toContain(salt.slice(2));
  });
});

describe("build", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "zerog-contracts-"));
    await cp(join(packageDir, "contracts"), join(dir, "contracts"), { recursive: true });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function snapshot(outDir: string) {
    const files = (await readdir(outDir)).sort();
    return Promise.all(
      files.map(async (f) => ({ f, content: await readFile(join(outDir, f), "utf8"), mtimeMs: (await stat(join(outDir, f))).mtimeMs })),
    );
  }

  it("is idempotent: a second run is 'up to date' and leaves every output untouched", async () => {
    const outDir = join(dir, "generated");
    const args = [buildScript, "--contracts", join(dir, "contracts"), "--out", outDir];
    const first = await run(process.execPath, args);
    expect(first.stdout).toMatch(
      /compiled BLS12381, BLSTest, DAEntrance, DARegistry, DASigners, FixedPrice, Flow, InferenceDisputes, InferenceServing, LedgerManager, StorageReward, TestEvents, TestEventsChild, TestEventsEphemeral, TestToken/,
    );
    const before = await snapshot(outDir);
    expect(before.map((s) => s.f)).toEqual([
      ".build-stamp.json",
      "BLS12381.ts",
      "BLSTest.ts",
      "DAEntrance.ts",
      "DARegistry.ts",
      "DASigners.ts",
      "FixedPrice.ts",
      "Flow.ts",
      "InferenceDisputes.ts",
      "InferenceServing.ts",
      "LedgerManager.ts",
      "StorageReward.ts",
      "TestEvents.ts",
      "TestEventsChild.ts",
      "TestEventsEphemeral.ts",
      "TestToken.ts",
      "index.ts",
      "solcVersion.ts",
    ]);

    const second = await run(process.execPath, args);
    expect(second.stdout).toMatch(/up to date/);
    expect(await snapshot(outDir)).toEqual(before);

    // Same sources, same compiler, same settings: byte-identical to the package's own build.
    const ours = await readFile(join(packageDir, "src", "generated", "TestToken.ts"), "utf8").catch(() => null);
    if (ours !== null) {
      expect(before.find((s) => s.f === "TestToken.ts")?.content, "src/generated is stale: npm run build -w @zerog/contracts").toBe(ours);
    }
  });

  it("reports solc's errors for a syntax error, and the script exits non-zero", async () => {
    const broken = join(dir, "broken");
    await cp(join(dir, "contracts"), broken, { recursive: true });
    await appendFile(join(broken, "TestToken.sol"), "\ncontract Broken { function f( }\n");

    const result = await compileContracts(broken);
    expect(result.contracts).toEqual([]);
    expect(result.errors.length).toBeGreaterThan(0);
    expect(result.errors[0]?.formattedMessage).toMatch(/ParserError/);
    expect(result.errors[0]?.formattedMessage).toMatch(/TestToken\.sol/);

    const cli = await run(process.execPath, [buildScript, "--contracts", broken, "--out", join(dir, "broken-out")]).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(cli?.code).toBe(1);
    expect(cli?.stderr).toMatch(/ParserError[\s\S]*compilation of .* failed with 1 error/);
  });
});
