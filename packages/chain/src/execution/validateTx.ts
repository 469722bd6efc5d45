import { TxError, TxErrorCode } from "../errors.js";
import { MAX_INITCODE_SIZE } from "../params.js";
import { type AccountData, hasCode } from "../state/account.js";
import { minimumGasLimit } from "../tx/intrinsicGas.js";
import type { UnsignedTx } from "../tx/transaction.js";

/** Checks a transaction can pay for itself and fits a block with the given base fee and gas limit. */
export function validateTxStatic(tx: UnsignedTx, opts: { chainId: bigint; blockGasLimit: bigint }): void {
  if (tx.chainId !== null && tx.chainId !== opts.chainId) {
    throw new TxError(
      { code: TxErrorCode.WRONG_CHAIN_ID, expected: opts.chainId, actual: tx.chainId },
      `invalid chain id for signer: have ${tx.chainId} want ${opts.chainId}`,
    );
  }
  if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) {
    throw new TxError(
      { code: TxErrorCode.TIP_ABOVE_FEE_CAP, maxPriorityFeePerGas: tx.maxPriorityFeePerGas, maxFeePerGas: tx.maxFeePerGas },
      `max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas ${tx.maxPriorityFeePerGas}, maxFeePerGas ${tx.maxFeePerGas}`,
    );
  }
  if (tx.gasLimit > opts.blockGasLimit) {
    throw new TxError(
      { code: TxErrorCode.GAS_LIMIT_EXCEEDS_BLOCK, gasLimit: tx.gasLimit, blockGasLimit: opts.blockGasLimit },
      `exceeds block gas limit: gas ${tx.gasLimit}, block gas limit ${opts.blockGasLimit}`,
    );
  }
  const min = minimumGasLimit(tx);
  if (tx.gasLimit < min) {
    throw new TxError(
      { code: TxErrorCode.INTRINSIC_GAS_TOO_LOW, gasLimit: tx.gasLimit, intrinsic: min },
      `intrinsic gas too low: gas ${tx.gasLimit}, minimum needed ${min}`,
    );
  }
  if (tx.to === null && tx.data.length > MAX_INITCODE_SIZE) {
    throw new TxError(
      { code: TxErrorCode.INITCODE_TOO_LARGE, size: tx.data.length, max: MAX_INITCODE_SIZE },
      `max initcode size exceeded: code size ${tx.data.length}, limit ${MAX_INITCODE_SIZE}`,
    );
  }
}

/** The most a transaction can cost its sender: gas limit at the fee cap, plus value. */
export function maxTxCost(tx: UnsignedTx): bigint {
  return tx.gasLimit * tx.maxFeePerGas + tx.value;
}

/** Checks a transaction against its sender's account at the point it would execute. */
export function validateTxAgainstAccount(
  tx: UnsignedTx,
  account: AccountData | undefined,
  baseFee: bigint,
  opts: { exactNonce: boolean },
): void {
  const nonce = account?.nonce ?? 0n;
  if (tx.nonce < nonce) {
    throw new TxError(
      { code: TxErrorCode.NONCE_TOO_LOW, nonce: tx.nonce, accountNonce: nonce },
      `nonce too low: next nonce ${nonce}, tx nonce ${tx.nonce}`,
    );
  }
  if (opts.exactNonce && tx.nonce > nonce) {
    throw new TxError(
      { code: TxErrorCode.NONCE_TOO_HIGH, nonce: tx.nonce, accountNonce: nonce },
      `nonce too high: next nonce ${nonce}, tx nonce ${tx.nonce}`,
    );
  }
  if (account && hasCode(account)) {
    throw new TxError({ code: TxErrorCode.SENDER_NOT_EOA }, "sender not an eoa: the sender account has code (EIP-3607)");
  }
  if (tx.maxFeePerGas < baseFee) {
    throw new TxError(
      { code: TxErrorCode.FEE_CAP_BELOW_BASE_FEE, maxFeePerGas: tx.maxFeePerGas, baseFee },
      `max fee per gas less than block base fee: maxFeePerGas ${tx.maxFeePerGas}, baseFee ${baseFee}`,
    );
  }
  const cost = maxTxCost(tx);
  const balance = account?.balance ?? 0n;
  if (balance < cost) {
    throw new TxError(
      { code: TxErrorCode.INSUFFICIENT_FUNDS, cost, balance },
      `insufficient funds for gas * price + value: balance ${balance}, tx cost ${cost}, overshot ${cost - balance}`,
    );
  }
}
