import { createHash } from "node:crypto";
import { keccak256 as ethersKeccak, getBytes, hashMessage, recoverAddress, TypedDataEncoder, verifyMessage, Wallet } from "ethers";
import fc from "fast-check";
import { type Hex, hashTypedData } from "viem";
import { describe, expect, it } from "vitest";
import {
  chatSignatureText,
  type InferenceReceipt,
  inferenceReceiptDigest,
  receiptFromJSON,
  receiptToJSON,
  recoverChatTextSigner,
  recoverInferenceReceiptSigner,
  recoverTeeSettlementSigner,
  requestsHashOf,
  signChatText,
  signInferenceReceipt,
  signTeeSettlement,
  type TEESettlement,
  teeSettlementDigest,
  verifyChatSignature,
} from "../../src/client/chatSignature.js";
import { INFERENCE_RECEIPT_TYPES, inferenceEip712Domain, TEE_SETTLEMENT_TYPES } from "../../src/client/inferenceTypedData.js";

const KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const wallet = new Wallet(KEY);
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}` as Hex;
const domain = inferenceEip712Domain(16602, "0x0000000000000000000000000000000000003001");
const ethersDomain = { ...domain };

const receipt: InferenceReceipt = {
  user: "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  provider: wallet.address.toLowerCase() as Hex,
  requestHash: new Uint8Array(32).fill(1),
  responseHash: new Uint8Array(32).fill(2),
  inputTokens: 12n,
  outputTokens: 34n,
  fee: 12n * 1000n + 34n * 2000n,
  createdAt: 1_760_000_000n,
};

describe("chat signature (0G's text, EIP-191)", () => {
  it("text is sha256hex(request):sha256hex(response) over the exact bytes", () => {
    const req = new TextEncoder().encode('{"model":"m","messages":[]}');
    const res = new TextEncoder().encode("data: [DONE]\n\n");
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    expect(chatSignatureText(req, res)).toBe(`${sha(req)}:${sha(res)}`);
  });

  it("signs like ethers signMessage(text) and verifies both ways", async () => {
    const text = chatSignatureText(new Uint8Array([1, 2]), new Uint8Array([3]));
    const ours = signChatText(text, getBytes(KEY));
    expect(ours).toBe(await wallet.signMessage(text));
    expect(verifyMessage(text, ours)).toBe(wallet.address);
    expect(recoverChatTextSigner(text, ours)).toBe(wallet.address.toLowerCase());
    const req = new Uint8Array([1, 2]);
    const res = new Uint8Array([3]);
    const good = { requestBytes: req, responseBytes: res, text, signature: ours, signingAddress: wallet.address };
    expect(verifyChatSignature(good)).toBe(true);
    expect(verifyChatSignature({ ...good, responseBytes: new Uint8Array([4]) })).toBe(false);
    expect(verifyChatSignature({ ...good, signingAddress: "0x0000000000000000000000000000000000000001" })).toBe(false);
    expect(verifyChatSignature({ ...good, signature: "0x00" })).toBe(false);
  });
});

describe("EIP-712 receipts and settlements", () => {
  it("receipt digest matches ethers and viem; signature matches ethers signTypedData", async () => {
    const message = { ...receiptToJSON(receipt), requestHash: hex(receipt.requestHash), responseHash: hex(receipt.responseHash) };
    const digest = inferenceReceiptDigest(receipt, domain);
    expect(hex(digest)).toBe(TypedDataEncoder.hash(ethersDomain, { ...INFERENCE_RECEIPT_TYPES } as never, message));
    expect(hex(digest)).toBe(
      hashTypedData({
        domain,
        types: INFERENCE_RECEIPT_TYPES,
        primaryType: "InferenceReceipt",
        message: { ...receipt, requestHash: message.requestHash, responseHash: message.responseHash },
      }),
    );
    const sig = signInferenceReceipt(receipt, domain, getBytes(KEY));
    expect(hex(sig)).toBe(await wallet.signTypedData(ethersDomain, { ...INFERENCE_RECEIPT_TYPES } as never, message));
    expect(recoverInferenceReceiptSigner(receipt, domain, sig)).toBe(wallet.address.toLowerCase());
    expect(recoverAddress(hex(digest), hex(sig))).toBe(wallet.address);
    // Another chain or contract is another digest.
    expect(hex(inferenceReceiptDigest(receipt, inferenceEip712Domain(1, domain.verifyingContract)))).not.toBe(hex(digest));
  });

  it("settlement digest matches ethers (0G's TEESettlement) and requestsHash is keccak(concat digests)", async () => {
    const d1 = inferenceReceiptDigest(receipt, domain);
    const d2 = inferenceReceiptDigest({ ...receipt, fee: 1n }, domain);
    const requestsHash = requestsHashOf([d1, d2]);
    expect(hex(requestsHash)).toBe(ethersKeccak(new Uint8Array([...d1, ...d2])));
    const s: TEESettlement = {
      requestsHash,
      nonce: 17_600_000_000_000_000n,
      provider: receipt.provider,
      user: receipt.user,
      totalFee: 99n,
    };
    const message = { requestsHash: hex(requestsHash), nonce: s.nonce, provider: s.provider, user: s.user, totalFee: s.totalFee };
    expect(hex(teeSettlementDigest(s, domain))).toBe(TypedDataEncoder.hash(ethersDomain, { ...TEE_SETTLEMENT_TYPES } as never, message));
    const sig = signTeeSettlement(s, domain, getBytes(KEY));
    expect(hex(sig)).toBe(await wallet.signTypedData(ethersDomain, { ...TEE_SETTLEMENT_TYPES } as never, message));
    expect(recoverTeeSettlementSigner(s, domain, hex(sig))).toBe(wallet.address.toLowerCase());
    expect(recoverAddress(hashMessage("x"), await wallet.signMessage("x"))).toBe(wallet.address);
  });

  it("receipt JSON round-trips and refuses bad fields", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        fc.bigInt({ min: 0n, max: 1n << 64n }),
        (h, fee, n) => {
          const r = { ...receipt, requestHash: h, fee, inputTokens: n };
          const back = receiptFromJSON(JSON.parse(JSON.stringify(receiptToJSON(r))));
          expect(back).toEqual(r);
          expect(hex(inferenceReceiptDigest(back, domain))).toBe(hex(inferenceReceiptDigest(r, domain)));
        },
      ),
      { numRuns: 100, seed: 7 },
    );
    const j = receiptToJSON(receipt);
    expect(() => receiptFromJSON({ ...j, fee: "-1" })).toThrow(/uint256/);
    expect(() => receiptFromJSON({ ...j, fee: "01" })).toThrow(/uint256/);
    expect(() => receiptFromJSON({ ...j, requestHash: "0x12" })).toThrow(/32 bytes/);
    expect(() => receiptFromJSON({ ...j, user: "0x12" as Hex })).toThrow(/address/);
  });
});
