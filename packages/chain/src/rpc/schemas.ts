import { ParamError, type ParamSchema, p } from "@zerog/core";
import type { CallParams, StateOverrides } from "../execution/simulate.js";
import type { AccessListItem } from "../tx/transaction.js";

const bytes = (hex: string): Uint8Array => Buffer.from(hex.slice(2), "hex");

/** A block number or tag, or an EIP-1898 `{blockHash}` / `{blockNumber}` object. */
export const blockParam = () => p.optional(blockParamRequired());

export const blockParamRequired = () =>
  p.oneOf(
    p.blockTag(),
    p.object({ blockHash: p.optional(p.hash()), blockNumber: p.optional(p.blockTag()), requireCanonical: p.optional(p.bool()) }),
  );

export const accessListSchema = (): ParamSchema<AccessListItem[]> =>
  p.custom("access list", (v) =>
    p
      .array(p.object({ address: p.address(), storageKeys: p.optional(p.array(p.hash(), { max: 10_000 })) }), { max: 10_000 })
      .parse(v)
      .map((e) => ({ address: bytes(e.address), storageKeys: (e.storageKeys ?? []).map(bytes) })),
  );

const callObject = p.object(
  {
    from: p.optional(p.address()),
    to: p.optional(p.address()),
    gas: p.optional(p.quantity({ bits: 64 })),
    gasPrice: p.optional(p.quantity()),
    maxFeePerGas: p.optional(p.quantity()),
    maxPriorityFeePerGas: p.optional(p.quantity()),
    value: p.optional(p.quantity()),
    data: p.optional(p.hexData()),
    input: p.optional(p.hexData()),
    nonce: p.optional(p.quantity({ bits: 64 })),
    accessList: p.optional(accessListSchema()),
    type: p.optional(p.quantity({ bits: 8 })),
    chainId: p.optional(p.quantity()),
  },
  {
    optional: [
      "from",
      "to",
      "gas",
      "gasPrice",
      "maxFeePerGas",
      "maxPriorityFeePerGas",
      "value",
      "data",
      "input",
      "nonce",
      "accessList",
      "type",
      "chainId",
    ],
  },
);

/** The transaction object of eth_call / eth_estimateGas (geth's TransactionArgs). */
export const callParams = (): ParamSchema<CallParams> =>
  p.custom("transaction call object", (v) => {
    const o = callObject.parse(v);
    if (o.data && o.input && Buffer.compare(o.data, o.input) !== 0) {
      throw new ParamError(`both "data" and "input" are set and not equal. Please use "input" to pass transaction call data`);
    }
    const out: CallParams = {};
    if (o.from) out.from = bytes(o.from);
    out.to = o.to ? bytes(o.to) : null;
    if (o.gas !== undefined) out.gas = o.gas;
    if (o.gasPrice !== undefined) out.gasPrice = o.gasPrice;
    if (o.maxFeePerGas !== undefined) out.maxFeePerGas = o.maxFeePerGas;
    if (o.maxPriorityFeePerGas !== undefined) out.maxPriorityFeePerGas = o.maxPriorityFeePerGas;
    if (o.value !== undefined) out.value = o.value;
    const data = o.input ?? o.data;
    if (data) out.data = data;
    if (o.accessList) out.accessList = o.accessList;
    return out;
  });

const overrideObject = p.object(
  {
    balance: p.optional(p.quantity()),
    nonce: p.optional(p.quantity({ bits: 64 })),
    code: p.optional(p.hexData()),
    state: p.optional(p.any()),
    stateDiff: p.optional(p.any()),
  },
  { optional: ["balance", "nonce", "code", "state", "stateDiff"] },
);

const slotMap = (v: unknown): Map<Uint8Array, Uint8Array> => {
  const m = new Map<Uint8Array, Uint8Array>();
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ParamError("storage override must be an object of slot → value");
  for (const [k, val] of Object.entries(v)) m.set(bytes(p.hash().parse(k)), bytes(p.hash().parse(val)));
  return m;
};

/** geth's state override set: `{address: {balance, nonce, code, state, stateDiff}}`. */
export const stateOverrides = (): ParamSchema<StateOverrides | undefined> =>
  p.optional(
    p.custom("state override set", (v) => {
      if (typeof v !== "object" || v === null || Array.isArray(v))
        throw new ParamError(`expected object, got ${Array.isArray(v) ? "array" : typeof v}`);
      const out: StateOverrides = new Map();
      for (const [addr, o] of Object.entries(v)) {
        const address = bytes(p.address().parse(addr));
        const parsed = overrideObject.parse(o);
        const entry: StateOverrides extends Map<unknown, infer V> ? V : never = {};
        if (parsed.balance !== undefined) entry.balance = parsed.balance;
        if (parsed.nonce !== undefined) entry.nonce = parsed.nonce;
        if (parsed.code !== undefined) entry.code = parsed.code;
        if (parsed.state !== undefined) entry.state = slotMap(parsed.state);
        if (parsed.stateDiff !== undefined) entry.stateDiff = slotMap(parsed.stateDiff);
        out.set(address, entry);
      }
      return out;
    }),
  );
