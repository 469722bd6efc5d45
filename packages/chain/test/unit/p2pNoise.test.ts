import { describe, expect, it } from "vitest";
import { P2PErrorCode } from "../../src/p2p/errors.js";
import { generateNodeKey, keyPairFromSecret, nodeIdFromKey } from "../../src/p2p/nodeKey.js";
import { CipherState, NoiseXX } from "../../src/p2p/noise.js";

const hex = (s: string) => Buffer.from(s, "hex");

// Noise_XX_25519_ChaChaPoly_SHA256 from the cacophony vectors (vectors/cacophony.txt).
const vector = {
  prologue: "4a6f686e2047616c74",
  initStatic: "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
  initEphemeral: "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
  respStatic: "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
  respEphemeral: "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
  handshakeHash: "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e",
  messages: [
    [
      "4c756477696720766f6e204d69736573",
      "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573",
    ],
    [
      "4d757272617920526f746862617264",
      "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad",
    ],
    [
      "462e20412e20486179656b",
      "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030",
    ],
    ["4361726c204d656e676572", "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"],
    ["4a65616e2d426170746973746520536179", "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"],
    ["457567656e2042f6686d20766f6e2042617765726b", "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f"],
  ] as const,
};

function vectorPair() {
  const prologue = hex(vector.prologue);
  const initiator = new NoiseXX({
    initiator: true,
    prologue,
    staticKey: keyPairFromSecret(hex(vector.initStatic)),
    ephemeralKey: keyPairFromSecret(hex(vector.initEphemeral)),
  });
  const responder = new NoiseXX({
    initiator: false,
    prologue,
    staticKey: keyPairFromSecret(hex(vector.respStatic)),
    ephemeralKey: keyPairFromSecret(hex(vector.respEphemeral)),
  });
  return { initiator, responder };
}

describe("p2p Noise XX", () => {
  it("reproduces the cacophony Noise_XX_25519_ChaChaPoly_SHA256 vector", () => {
    const { initiator, responder } = vectorPair();
    const m = vector.messages;
    const msg1 = initiator.writeMessage(hex(m[0][0]));
    expect(msg1.toString("hex")).toBe(m[0][1]);
    expect(responder.readMessage(msg1).toString("hex")).toBe(m[0][0]);
    const msg2 = responder.writeMessage(hex(m[1][0]));
    expect(msg2.toString("hex")).toBe(m[1][1]);
    expect(initiator.readMessage(msg2).toString("hex")).toBe(m[1][0]);
    const msg3 = initiator.writeMessage(hex(m[2][0]));
    expect(msg3.toString("hex")).toBe(m[2][1]);
    expect(responder.readMessage(msg3).toString("hex")).toBe(m[2][0]);
    expect(initiator.handshakeHash.toString("hex")).toBe(vector.handshakeHash);
    expect(responder.handshakeHash.toString("hex")).toBe(vector.handshakeHash);
    expect(initiator.remoteStatic).toEqual(keyPairFromSecret(hex(vector.respStatic)).publicKey);
    expect(responder.remoteStatic).toEqual(keyPairFromSecret(hex(vector.initStatic)).publicKey);

    // Transport messages alternate, starting with the responder.
    const i = initiator.split();
    const r = responder.split();
    expect(r.send.seal(hex(m[3][0])).toString("hex")).toBe(m[3][1]);
    expect(i.receive.open(hex(m[3][1])).toString("hex")).toBe(m[3][0]);
    expect(i.send.seal(hex(m[4][0])).toString("hex")).toBe(m[4][1]);
    expect(r.receive.open(hex(m[4][1])).toString("hex")).toBe(m[4][0]);
    expect(r.send.seal(hex(m[5][0])).toString("hex")).toBe(m[5][1]);
  });

  it("fails the handshake when the prologues (networks) differ", () => {
    const a = new NoiseXX({ initiator: true, prologue: Buffer.from("net-a"), staticKey: keyPairFromSecret(generateNodeKey()) });
    const b = new NoiseXX({ initiator: false, prologue: Buffer.from("net-b"), staticKey: keyPairFromSecret(generateNodeKey()) });
    b.readMessage(a.writeMessage(new Uint8Array()));
    expect(() => a.readMessage(b.writeMessage(new Uint8Array()))).toThrow(expect.objectContaining({ code: P2PErrorCode.HANDSHAKE_FAILED }));
  });

  it("refuses a low-order ephemeral key and tampered transport messages", () => {
    const b = new NoiseXX({ initiator: false, prologue: new Uint8Array(), staticKey: keyPairFromSecret(generateNodeKey()) });
    b.readMessage(new Uint8Array(32)); // the all-zero point
    expect(() => b.writeMessage(new Uint8Array())).toThrow(expect.objectContaining({ code: P2PErrorCode.HANDSHAKE_FAILED }));

    const key = Buffer.alloc(32, 7);
    const sealed = new CipherState(key).seal(Buffer.from("vote"));
    sealed[0]! ^= 1;
    expect(() => new CipherState(key).open(sealed)).toThrow(expect.objectContaining({ code: P2PErrorCode.PROTOCOL_VIOLATION }));
  });

  it("derives the node id from the node key", () => {
    const key = hex(vector.respStatic);
    expect(nodeIdFromKey(key)).toBe(keyPairFromSecret(key).publicKey.toString("hex"));
    expect(nodeIdFromKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(() => nodeIdFromKey(new Uint8Array(31))).toThrow(expect.objectContaining({ code: P2PErrorCode.INVALID_NODE_KEY }));
  });
});
