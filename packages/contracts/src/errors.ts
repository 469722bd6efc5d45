import { ZgError } from "@zerog/core";

/** Codes of the errors raised by `contracts`. */
export enum ContractsErrorCode {
  /** `getContract` was given a name that is not in the registry (only reachable from untyped callers). */
  UNKNOWN_CONTRACT = "CONTRACTS_UNKNOWN_CONTRACT",
  /** A constructor argument out of range for its ABI type (`storageGenesisDeployments`). */
  INVALID_ARGUMENT = "CONTRACTS_INVALID_ARGUMENT",
}

export type ContractsErrorType =
  | { code: ContractsErrorCode.UNKNOWN_CONTRACT; name: string; known: string[] }
  | { code: ContractsErrorCode.INVALID_ARGUMENT; value: string };

export class ContractsError extends ZgError<ContractsErrorType> {}
