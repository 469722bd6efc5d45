export { ComputeError, ComputeErrorCode, type ComputeErrorType } from "./errors.js";
