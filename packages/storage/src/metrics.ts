import type { Counter, Gauge, Metrics } from "@zerog/core";

/** The storage node's Prometheus instruments (names end in their unit). */
export interface StorageMetrics {
  uploadBytes: Counter<"source">;
  uploadSegments: Counter<"source">;
  downloadBytes: Counter;
  downloadSegments: Counter;
  finalizedFiles: Counter;
  logSyncHeight: Gauge;
  nextTxSeq: Gauge;
  cachedBytes: Gauge;
}

export function createStorageMetrics(m: Metrics): StorageMetrics {
  return {
    uploadBytes: m.counter("zg_storage_upload_bytes_total", "Segment bytes written (source: upload, sync, dedup, cache)", ["source"]),
    uploadSegments: m.counter("zg_storage_upload_segments_total", "Segments written (source: upload, sync, dedup, cache)", ["source"]),
    downloadBytes: m.counter("zg_storage_download_bytes_total", "Segment bytes served"),
    downloadSegments: m.counter("zg_storage_download_segments_total", "Segments served"),
    finalizedFiles: m.counter("zg_storage_finalized_files_total", "Files finalized on this node"),
    logSyncHeight: m.gauge("zg_storage_log_sync_height_blocks", "Last chain block whose Submit logs are applied"),
    nextTxSeq: m.gauge("zg_storage_next_tx_seq", "Next expected flow submission index"),
    cachedBytes: m.gauge("zg_storage_chunk_cache_bytes", "Bytes of segments waiting for their Submit log"),
  };
}
