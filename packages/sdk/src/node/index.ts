export { createFileSink, type FileSink } from "./fileSink.js";
export { type FileSource, openFileSource } from "./fileSource.js";
