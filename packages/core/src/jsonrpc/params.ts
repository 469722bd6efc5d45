import type { Address } from "../address.js";
import { type Hex, hexToBytes } from "../bytes.js";
import { ParamError, RpcError } from "./errors.js";

/**
 * Validates one JSON value and turns it into what the handler wants (quantity -> bigint). Failures
 * throw `ParamError` with geth's wording, so Ethereum tooling shows familiar messages.
 */
export interface ParamSchema<T> {
  /** Short name for messages: "quantity", "address", "quantity | hash". */
  readonly name: string;
  /** May be omitted (or null); parses to undefined. */
  readonly optional: boolean;
  /** Accepts null as a value. */
  readonly nullable: boolean;
  parse(value: unknown): T;
}

export type InferParam<S> = S extends ParamSchema<infer T> ? T : never;
export type InferParams<S extends readonly ParamSchema<unknown>[]> = { -readonly [K in keyof S]: InferParam<S[K]> };

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ObjectShape = Record<string, ParamSchema<unknown>>;
export type InferObject<F extends ObjectShape, O extends keyof F> = Simplify<
  { -readonly [K in Exclude<keyof F, O>]: InferParam<F[K]> } & { -readonly [K in O]?: InferParam<F[K]> }
>;

export const BLOCK_TAGS = ["latest", "pending", "safe", "finalized", "earliest"] as const;
export type BlockTag = (typeof BLOCK_TAGS)[number];

const HEX_DIGITS = /^[0-9a-fA-F]*$/;

function schema<T>(name: string, parse: (v: unknown) => T, flags: { optional?: boolean; nullable?: boolean } = {}): ParamSchema<T> {
  return { name, optional: flags.optional ?? false, nullable: flags.nullable ?? false, parse };
}

function jsonType(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function expectType<T>(v: unknown, type: string, what = type): T {
  if (jsonType(v) !== type) throw new ParamError(`expected ${what}, got ${jsonType(v)}`);
  return v as T;
}

/** Digits after the 0x of a byte string, checked for prefix and parity only (geth `checkText`). */
function rawHexDigits(v: unknown): string {
  const s = expectType<string>(v, "string", "hex string");
  if (s === "") return "";
  if (s[0] !== "0" || (s[1] !== "x" && s[1] !== "X")) throw new ParamError("hex string without 0x prefix");
  const digits = s.slice(2);
  if (digits.length % 2 !== 0) throw new ParamError("hex string of odd length");
  return digits;
}

function checkDigits(digits: string): string {
  if (!HEX_DIGITS.test(digits)) throw new ParamError("invalid hex string");
  return digits;
}

function fixedHex(bytes: number, name: string): ParamSchema<Hex> {
  return schema(name, (v) => {
    const digits = rawHexDigits(v);
    if (digits.length !== bytes * 2) throw new ParamError(`hex string has length ${digits.length}, want ${bytes * 2} for ${name}`);
    return `0x${checkDigits(digits).toLowerCase()}` as Hex;
  });
}

/** A quantity per the Ethereum JSON-RPC (geth `hexutil.Big` rules), at most `bits` wide. */
export function parseQuantity(v: unknown, bits = 256): bigint {
  const s = expectType<string>(v, "string", "hex string");
  if (s === "") throw new ParamError("empty hex string");
  if (s[0] !== "0" || (s[1] !== "x" && s[1] !== "X")) throw new ParamError("hex string without 0x prefix");
  const digits = s.slice(2);
  if (digits === "") throw new ParamError('hex string "0x"');
  if (digits.length > 1 && digits[0] === "0") throw new ParamError("hex number with leading zero digits");
  if (digits.length > Math.ceil(bits / 4)) throw new ParamError(`hex number > ${bits} bits`);
  const n = BigInt(`0x${checkDigits(digits)}`);
  if (n >> BigInt(bits) !== 0n) throw new ParamError(`hex number > ${bits} bits`);
  return n;
}

/** Schema combinators: `params: [p.address(), p.blockTag()]`. */
export const p = {
  /** 20 bytes; returned lower-case (checksums are not enforced, as in geth). */
  address: (): ParamSchema<Address> => fixedHex(20, "address"),
  /** 32 bytes; returned lower-case. */
  hash: (): ParamSchema<Hex> => fixedHex(32, "hash"),
  /** 0x + even-length hex, decoded. "" is accepted as empty, as geth does. */
  hexData: (opts: { maxBytes?: number } = {}): ParamSchema<Uint8Array> =>
    schema("hex data", (v) => {
      const digits = checkDigits(rawHexDigits(v));
      if (opts.maxBytes !== undefined && digits.length / 2 > opts.maxBytes)
        throw new ParamError(`hex data of ${digits.length / 2} bytes, want at most ${opts.maxBytes}`);
      return hexToBytes(`0x${digits}`);
    }),
  quantity: (opts: { bits?: number } = {}): ParamSchema<bigint> => schema("quantity", (v) => parseQuantity(v, opts.bits ?? 256)),
  /** A block number (uint64 quantity) or one of `latest|pending|safe|finalized|earliest`. */
  blockTag: (): ParamSchema<bigint | BlockTag> =>
    schema("block tag", (v) => ((BLOCK_TAGS as readonly unknown[]).includes(v) ? (v as BlockTag) : parseQuantity(v, 64))),
  bool: (): ParamSchema<boolean> => schema("boolean", (v) => expectType<boolean>(v, "boolean")),
  string: (opts: { maxLength?: number } = {}): ParamSchema<string> =>
    schema("string", (v) => {
      const s = expectType<string>(v, "string");
      if (opts.maxLength !== undefined && s.length > opts.maxLength) throw new ParamError(`string longer than ${opts.maxLength}`);
      return s;
    }),
  number: (opts: { integer?: boolean; min?: number; max?: number } = {}): ParamSchema<number> =>
    schema("number", (v) => {
      const n = expectType<number>(v, "number");
      if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n)))
        throw new ParamError(`expected ${opts.integer ? "integer" : "number"}, got ${n}`);
      if (opts.min !== undefined && n < opts.min) throw new ParamError(`number ${n} below minimum ${opts.min}`);
      if (opts.max !== undefined && n > opts.max) throw new ParamError(`number ${n} above maximum ${opts.max}`);
      return n;
    }),
  /** One of fixed values: `p.literal("newHeads", "logs")`. */
  literal: <const V extends readonly (string | number | boolean)[]>(...values: V): ParamSchema<V[number]> => {
    const name = values.map((x) => JSON.stringify(x)).join(" | ");
    return schema(name, (v) => {
      if (values.includes(v as V[number])) return v as V[number];
      throw new ParamError(`expected one of ${name}, got ${String(JSON.stringify(v)).slice(0, 64)}`);
    });
  },
  array: <T>(item: ParamSchema<T>, opts: { min?: number; max?: number } = {}): ParamSchema<T[]> =>
    schema(`${item.name}[]`, (v) => {
      const arr = expectType<unknown[]>(v, "array");
      if (opts.max !== undefined && arr.length > opts.max)
        throw new ParamError(`too many elements (${arr.length}), want at most ${opts.max}`);
      if (opts.min !== undefined && arr.length < opts.min)
        throw new ParamError(`too few elements (${arr.length}), want at least ${opts.min}`);
      return arr.map((x, i) => within(i, () => item.parse(x)));
    }),
  /** Unknown fields are ignored, as Go's JSON decoder does; keys in `optional` may be absent or null. */
  object: <F extends ObjectShape, const O extends keyof F & string = never>(
    fields: F,
    opts: { optional?: readonly O[] } = {},
  ): ParamSchema<InferObject<F, O>> => {
    const optional = new Set<string>(opts.optional ?? []);
    return schema("object", (v) => {
      const input = expectType<Record<string, unknown>>(v, "object");
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(fields)) {
        const raw = Object.hasOwn(input, key) ? input[key] : undefined;
        const absent = raw === undefined || (raw === null && !field.nullable);
        if (absent && optional.has(key)) continue;
        if (absent && !field.optional) throw new ParamError("missing required field", [key]);
        out[key] = within(key, () => field.parse(raw));
      }
      return out as InferObject<F, O>;
    });
  },
  /** The first schema that accepts the value wins. */
  oneOf: <const S extends readonly ParamSchema<unknown>[]>(...schemas: S): ParamSchema<InferParam<S[number]>> => {
    const name = schemas.map((s) => s.name).join(" | ");
    const nullable = schemas.some((s) => s.nullable);
    return schema(
      name,
      (v) => {
        const reasons: string[] = [];
        for (const s of schemas) {
          try {
            return s.parse(v) as InferParam<S[number]>;
          } catch (e) {
            if (!(e instanceof ParamError)) throw e;
            reasons.push(e.message);
          }
        }
        throw new ParamError(`expected ${name}: ${reasons.join("; ")}`);
      },
      { nullable },
    );
  },
  /** Missing or null parses to undefined. */
  optional: <T>(s: ParamSchema<T>): ParamSchema<T | undefined> =>
    schema(s.name, (v) => (v === undefined || v === null ? undefined : s.parse(v)), { optional: true, nullable: true }),
  nullable: <T>(s: ParamSchema<T>): ParamSchema<T | null> => schema(s.name, (v) => (v === null ? null : s.parse(v)), { nullable: true }),
  any: (): ParamSchema<unknown> => schema("any", (v) => v, { nullable: true }),
  /** Escape hatch: `parse` throws `ParamError` to reject. */
  custom: <T>(name: string, parse: (v: unknown) => T): ParamSchema<T> => schema(name, parse),
};

function within<T>(segment: string | number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof ParamError ? e.within(segment) : e;
  }
}

/**
 * Checks positional params against a method's schemas, with geth's messages: missing trailing
 * optional params are filled with undefined; by-name (object) params are rejected.
 */
export function parseParams<const S extends readonly ParamSchema<unknown>[]>(schemas: S, params: unknown): InferParams<S> {
  const args = params === undefined || params === null ? [] : params;
  if (!Array.isArray(args)) throw RpcError.invalidParams("non-array args: params must be an array of positional arguments");
  if (args.length > schemas.length) throw RpcError.invalidParams(`too many arguments, want at most ${schemas.length}`);
  const out: unknown[] = [];
  for (let i = 0; i < schemas.length; i++) {
    const s = schemas[i]!;
    const value: unknown = args[i];
    if ((i >= args.length || (value === null && !s.nullable)) && !s.optional) {
      throw RpcError.invalidParams(`missing value for required argument ${i}`);
    }
    try {
      out.push(s.parse(value));
    } catch (e) {
      if (e instanceof ParamError) throw RpcError.invalidParams(`invalid argument ${i}: ${e.message}`);
      throw e;
    }
  }
  return out as InferParams<S>;
}
