import { HDKey } from "@scure/bip32";
import { mnemonicToSeedSync, validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { type Address, bytesToHex, type Hex, privateKeyToAddressBytes, toChecksumAddress } from "@zerog/core";
import { CliError, CliErrorCode } from "./config.js";

/** Hardhat's and anvil's default mnemonic: the devnet funds the same 10 accounts. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk";

export interface DerivedAccount {
  index: number;
  address: Address;
  privateKey: Hex;
}

/** BIP-44 Ethereum accounts m/44'/60'/0'/0/i. */
export function deriveAccounts(mnemonic: string, count: number, start = 0): DerivedAccount[] {
  if (!validateMnemonic(mnemonic, wordlist))
    throw new CliError({ code: CliErrorCode.BAD_ARGUMENT, detail: "mnemonic" }, "invalid BIP-39 mnemonic");
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic));
  const out: DerivedAccount[] = [];
  for (let i = start; i < start + count; i++) {
    const key = root.derive(`m/44'/60'/0'/0/${i}`).privateKey!;
    out.push({ index: i, address: toChecksumAddress(privateKeyToAddressBytes(key)), privateKey: bytesToHex(key) });
  }
  return out;
}
