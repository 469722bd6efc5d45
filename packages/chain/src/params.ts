/** Protocol constants of the zerog chain's execution layer (runtime settings live in options). */

/** Gas. */
export const TX_GAS = 21_000n;
export const TX_CREATE_GAS = 32_000n;
export const TX_DATA_ZERO_GAS = 4n;
export const TX_DATA_NONZERO_GAS = 16n;
export const TX_ACCESS_LIST_ADDRESS_GAS = 2_400n;
export const TX_ACCESS_LIST_STORAGE_KEY_GAS = 1_900n;
/** EIP-3860: per 32-byte word of initcode. */
export const INITCODE_WORD_GAS = 2n;
export const MAX_INITCODE_SIZE = 49_152;
/** EIP-7623 (Prague): calldata floor, per token (zero byte = 1 token, non-zero = 4). */
export const TOTAL_COST_FLOOR_PER_TOKEN = 10n;
/** EIP-3529: refunds are capped at gasUsed / 5. */
export const MAX_REFUND_QUOTIENT = 5n;

/** EIP-1559. */
export const BASE_FEE_MAX_CHANGE_DENOMINATOR = 8n;
export const ELASTICITY_MULTIPLIER = 2n;
/** The base fee never drops below this (neurons); keeps tools' 1559 arithmetic meaningful. */
export const MIN_BASE_FEE_PER_GAS = 1n;

/** Transactions. */
export const MAX_TX_SIZE_BYTES = 128 * 1024;
export const MAX_UINT64 = 2n ** 64n - 1n;
export const MAX_UINT256 = 2n ** 256n - 1n;

/** Block header constants of a post-merge style chain. */
export const EMPTY_UNCLES_HASH = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
/** sha256 of nothing: EIP-7685 requests hash of a block without requests. */
export const EMPTY_REQUESTS_HASH = "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
