import { installNativeMerkleBackend } from "@zerog/core/native";

// In Node, hash segments with the native keccak addon (~10x hash-wasm) when it was built; the browser entry point keeps
// hash-wasm. Installing is idempotent and self-checked against hash-wasm.
installNativeMerkleBackend();

export { createFileSink, type FileSink } from "./fileSink.js";
export { type FileSource, openFileSource } from "./fileSource.js";
