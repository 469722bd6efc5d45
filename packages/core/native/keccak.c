// Batch Keccak-256 for 0G Storage Merkle hashing (N-API addon zg_keccak.node).
//
// Why native: hashing a 256 KiB segment is 1024 leaf hashes of 256 B plus 1023 pair hashes of 64 B; through
// hash-wasm each one pays a JS -> wasm round trip. Here a whole segment is one N-API call, with 64-bit lanes.
// Keccak-256 as Ethereum uses it: rate 136 bytes, domain padding 0x01 ... 0x80, little-endian lanes.
// Bulk hashing (leaves, tree levels) runs four independent hashes per vector on x86-64 with AVX2 (AVX-512VL when
// present: native 64-bit rotates), picked at load time; elsewhere the scalar permutation. Everything below the
// N-API layer is pure apart from that one choice, so async work may run on any libuv thread.

#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 136
#define PAD_LAST 0x8000000000000000ULL
#define CHUNK 256
#define SEGMENT_CHUNKS 1024
// Upper bound for segmentRoot/promotionRoot leaf counts (2^24 leaves = 512 MiB of leaf hashes would be absurd; a
// segment has 1024). Keeps the scratch allocation bounded whatever the caller passes.
#define MAX_LEAVES (1u << 22)

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL, 0x000000000000808bULL,
    0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL, 0x0000000000000088ULL,
    0x0000000080008009ULL, 0x000000008000000aULL, 0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

// keccak(256 zero bytes): the ZERO[0] leaf that pads a segment (checked against the wasm path by the loader).
static const uint8_t ZERO_LEAF[32] = {
    0xd3, 0x97, 0xb3, 0xb0, 0x43, 0xd8, 0x7f, 0xcd, 0x6f, 0xad, 0x12, 0x91, 0xff, 0x0b, 0xfd, 0x16,
    0x40, 0x1c, 0x27, 0x48, 0x96, 0xd8, 0xc6, 0x3a, 0x92, 0x37, 0x27, 0xf0, 0x77, 0xb8, 0xe0, 0xb5,
};

#define ROL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

static inline void store64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  memcpy(p, &v, 8);
}

// keccak-f[1600] with the 25 lanes in named locals, two rounds per loop iteration (A -> E -> A) so nothing is
// copied between rounds and the compiler keeps the state in registers; full unrolling measured slower (i-cache).
// One round from lanes A## into lanes E##. Lanes are named by row (b g k m s = y 0..4) and column (a e i o u = x
// 0..4), as in the Keccak team's reference code; pi is folded into which lane feeds which position.
#define CHI(E, row, b0, b1, b2, b3, b4) \
  E##row##a = b0 ^ (~b1 & b2);          \
  E##row##e = b1 ^ (~b2 & b3);          \
  E##row##i = b2 ^ (~b3 & b4);          \
  E##row##o = b3 ^ (~b4 & b0);          \
  E##row##u = b4 ^ (~b0 & b1)
#define ROUND(A, E, rc)                                                                      \
  Ca = A##ba ^ A##ga ^ A##ka ^ A##ma ^ A##sa;                                                \
  Ce = A##be ^ A##ge ^ A##ke ^ A##me ^ A##se;                                                \
  Ci = A##bi ^ A##gi ^ A##ki ^ A##mi ^ A##si;                                                \
  Co = A##bo ^ A##go ^ A##ko ^ A##mo ^ A##so;                                                \
  Cu = A##bu ^ A##gu ^ A##ku ^ A##mu ^ A##su;                                                \
  Da = Cu ^ ROL(Ce, 1);                                                                      \
  De = Ca ^ ROL(Ci, 1);                                                                      \
  Di = Ce ^ ROL(Co, 1);                                                                      \
  Do = Ci ^ ROL(Cu, 1);                                                                      \
  Du = Co ^ ROL(Ca, 1);                                                                      \
  B0 = A##ba ^ Da;                                                                           \
  B1 = ROL(A##ge ^ De, 44);                                                                  \
  B2 = ROL(A##ki ^ Di, 43);                                                                  \
  B3 = ROL(A##mo ^ Do, 21);                                                                  \
  B4 = ROL(A##su ^ Du, 14);                                                                  \
  CHI(E, b, B0, B1, B2, B3, B4);                                                             \
  E##ba ^= (rc);                                                                             \
  B0 = ROL(A##bo ^ Do, 28);                                                                  \
  B1 = ROL(A##gu ^ Du, 20);                                                                  \
  B2 = ROL(A##ka ^ Da, 3);                                                                   \
  B3 = ROL(A##me ^ De, 45);                                                                  \
  B4 = ROL(A##si ^ Di, 61);                                                                  \
  CHI(E, g, B0, B1, B2, B3, B4);                                                             \
  B0 = ROL(A##be ^ De, 1);                                                                   \
  B1 = ROL(A##gi ^ Di, 6);                                                                   \
  B2 = ROL(A##ko ^ Do, 25);                                                                  \
  B3 = ROL(A##mu ^ Du, 8);                                                                   \
  B4 = ROL(A##sa ^ Da, 18);                                                                  \
  CHI(E, k, B0, B1, B2, B3, B4);                                                             \
  B0 = ROL(A##bu ^ Du, 27);                                                                  \
  B1 = ROL(A##ga ^ Da, 36);                                                                  \
  B2 = ROL(A##ke ^ De, 10);                                                                  \
  B3 = ROL(A##mi ^ Di, 15);                                                                  \
  B4 = ROL(A##so ^ Do, 56);                                                                  \
  CHI(E, m, B0, B1, B2, B3, B4);                                                             \
  B0 = ROL(A##bi ^ Di, 62);                                                                  \
  B1 = ROL(A##go ^ Do, 55);                                                                  \
  B2 = ROL(A##ku ^ Du, 39);                                                                  \
  B3 = ROL(A##ma ^ Da, 41);                                                                  \
  B4 = ROL(A##se ^ De, 2);                                                                   \
  CHI(E, s, B0, B1, B2, B3, B4)

#define LANES(P) \
  P##ba, P##be, P##bi, P##bo, P##bu, P##ga, P##ge, P##gi, P##go, P##gu, P##ka, P##ke, P##ki, P##ko, P##ku, \
  P##ma, P##me, P##mi, P##mo, P##mu, P##sa, P##se, P##si, P##so, P##su

/* The 25 lanes of a state array into the A-named locals and back (scalar and four-way permutations alike). */
#define LOAD_LANES(st)                                                          \
  Aba = st[0], Abe = st[1], Abi = st[2], Abo = st[3], Abu = st[4];              \
  Aga = st[5], Age = st[6], Agi = st[7], Ago = st[8], Agu = st[9];              \
  Aka = st[10], Ake = st[11], Aki = st[12], Ako = st[13], Aku = st[14];         \
  Ama = st[15], Ame = st[16], Ami = st[17], Amo = st[18], Amu = st[19];         \
  Asa = st[20], Ase = st[21], Asi = st[22], Aso = st[23], Asu = st[24]
#define STORE_LANES(st)                                                         \
  st[0] = Aba, st[1] = Abe, st[2] = Abi, st[3] = Abo, st[4] = Abu;              \
  st[5] = Aga, st[6] = Age, st[7] = Agi, st[8] = Ago, st[9] = Agu;              \
  st[10] = Aka, st[11] = Ake, st[12] = Aki, st[13] = Ako, st[14] = Aku;         \
  st[15] = Ama, st[16] = Ame, st[17] = Ami, st[18] = Amo, st[19] = Amu;         \
  st[20] = Asa, st[21] = Ase, st[22] = Asi, st[23] = Aso, st[24] = Asu

static void keccak_f1600(uint64_t st[25]) {
  uint64_t LANES(A), LANES(E), Ca, Ce, Ci, Co, Cu, Da, De, Di, Do, Du, B0, B1, B2, B3, B4;
  LOAD_LANES(st);
  for (int round = 0; round < 24; round += 2) {
    ROUND(A, E, RC[round]);
    ROUND(E, A, RC[round + 1]);
  }
  STORE_LANES(st);
}

static inline void squeeze32(const uint64_t st[25], uint8_t out[32]) {
  store64(out, st[0]);
  store64(out + 8, st[1]);
  store64(out + 16, st[2]);
  store64(out + 24, st[3]);
}

// Keccak-256 of any length. `out` may alias the input (the digest is written after absorbing).
static void keccak256(const uint8_t *in, size_t len, uint8_t out[32]) {
  uint64_t st[25] = {0};
  while (len >= RATE) {
    for (int i = 0; i < RATE / 8; i++) st[i] ^= load64(in + 8 * i);
    keccak_f1600(st);
    in += RATE;
    len -= RATE;
  }
  uint8_t last[RATE] = {0};
  if (len > 0) memcpy(last, in, len);
  last[len] ^= 0x01;
  last[RATE - 1] ^= 0x80;
  for (int i = 0; i < RATE / 8; i++) st[i] ^= load64(last + 8 * i);
  keccak_f1600(st);
  squeeze32(st, out);
}

// A 256-byte chunk: one full block (136 B) then 120 B + padding.
static inline void hash_chunk(const uint8_t *in, uint8_t out[32]) {
  uint64_t st[25] = {0};
  for (int i = 0; i < 17; i++) st[i] = load64(in + 8 * i);
  keccak_f1600(st);
  for (int i = 0; i < 15; i++) st[i] ^= load64(in + RATE + 8 * i);
  st[15] ^= 0x01;
  st[16] ^= PAD_LAST;
  keccak_f1600(st);
  squeeze32(st, out);
}

// A 64-byte pair, hashed in place-safe fashion (`out` may be `in`).
static inline void hash_pair(const uint8_t *in, uint8_t out[32]) {
  uint64_t st[25] = {0};
  for (int i = 0; i < 8; i++) st[i] = load64(in + 8 * i);
  st[8] = 0x01;
  st[16] = PAD_LAST;
  keccak_f1600(st);
  squeeze32(st, out);
}

static void hash_chunks_scalar(const uint8_t *in, size_t n, uint8_t *out) {
  for (size_t k = 0; k < n; k++) hash_chunk(in + CHUNK * k, out + 32 * k);
}

static void hash_pairs_scalar(const uint8_t *in, size_t n, uint8_t *out) {
  for (size_t k = 0; k < n; k++) hash_pair(in + 64 * k, out + 32 * k);
}

// A bulk implementation: n chunks (256 B) or n pairs (64 B) from `in` to n digests at `out`. `out` may equal `in`
// (each digest is written after the input bytes it overwrites were read).
typedef struct {
  const char *name;
  void (*hash_chunks)(const uint8_t *in, size_t n, uint8_t *out);
  void (*hash_pairs)(const uint8_t *in, size_t n, uint8_t *out);
} keccak_impl;

static const keccak_impl IMPL_SCALAR = {"scalar", hash_chunks_scalar, hash_pairs_scalar};

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_X4 1
typedef uint64_t v4 __attribute__((vector_size(32)));
#define X4(name) name##_avx2
#define X4_TARGET "avx2"
#include "keccakX4.h"
#undef X4
#undef X4_TARGET
#define X4(name) name##_avx512
#define X4_TARGET "avx2,avx512f,avx512vl"
#include "keccakX4.h"
#undef X4
#undef X4_TARGET
static const keccak_impl IMPL_AVX2 = {"avx2", hash_chunks_avx2, hash_pairs_avx2};
static const keccak_impl IMPL_AVX512 = {"avx512", hash_chunks_avx512, hash_pairs_avx512};
#endif

// The implementation new calls use; set once at load (best the CPU supports) and by useImplementation (tests).
static const keccak_impl *current_impl = &IMPL_SCALAR;

static const keccak_impl *impl_by_name(const char *name) {
  if (strcmp(name, "scalar") == 0) return &IMPL_SCALAR;
#ifdef HAVE_X4
  __builtin_cpu_init();
  if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2")) return &IMPL_AVX2;
  if (strcmp(name, "avx512") == 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512vl"))
    return &IMPL_AVX512;
#endif
  return NULL;
}

static const keccak_impl *impl_get(void) { return __atomic_load_n(&current_impl, __ATOMIC_RELAXED); }

// Runs once when the shared object is loaded (dlopen is serialised), before any JS thread can call in.
__attribute__((constructor)) static void pick_impl(void) {
  const char *forced = getenv("ZG_KECCAK_IMPL");
  const keccak_impl *impl = forced ? impl_by_name(forced) : NULL;
  if (impl == NULL) impl = impl_by_name("avx512");
  if (impl == NULL) impl = impl_by_name("avx2");
  if (impl == NULL) impl = &IMPL_SCALAR;
  __atomic_store_n(&current_impl, impl, __ATOMIC_RELAXED);
}

// Promotion-tree reduce of n packed 32-byte hashes, in place (parents over left children, odd last node promoted).
static void reduce_in_place(const keccak_impl *impl, uint8_t *buf, size_t n) {
  while (n > 1) {
    size_t pairs = n >> 1;
    impl->hash_pairs(buf, pairs, buf);
    if (n & 1) memmove(buf + 32 * pairs, buf + 32 * (n - 1), 32);
    n = pairs + (n & 1);
  }
}

// Segment root: leaf hashes of `chunks` data chunks, ZERO[0] up to `padded` leaves, then reduce. `scratch` holds
// padded * 32 bytes.
static void segment_root(const keccak_impl *impl, const uint8_t *data, size_t chunks, size_t padded, uint8_t *scratch,
                         uint8_t out[32]) {
  impl->hash_chunks(data, chunks, scratch);
  for (size_t i = chunks; i < padded; i++) memcpy(scratch + 32 * i, ZERO_LEAF, 32);
  reduce_in_place(impl, scratch, padded);
  memcpy(out, scratch, 32);
}

// ---- N-API layer ----------------------------------------------------------------------------------------------

#define CALL(env, expr)                                                   \
  do {                                                                    \
    if ((expr) != napi_ok) {                                              \
      const napi_extended_error_info *info_ = NULL;                       \
      napi_get_last_error_info((env), &info_);                            \
      bool pending_ = false;                                              \
      napi_is_exception_pending((env), &pending_);                        \
      if (!pending_)                                                      \
        napi_throw_error((env), "ERR_ZG_KECCAK_NAPI",                     \
                         info_ && info_->error_message ? info_->error_message : "N-API call failed"); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

static napi_value type_error(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_ZG_KECCAK_ARG", msg);
  return NULL;
}

static napi_value range_error(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_ZG_KECCAK_RANGE", msg);
  return NULL;
}

// Reads a Uint8Array (a Buffer is one). Returns false with a TypeError pending otherwise.
static bool get_bytes(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a Uint8Array", what);
    type_error(env, msg);
    return false;
  }
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a Uint8Array", what);
    type_error(env, msg);
    return false;
  }
  *data = (uint8_t *)ptr;
  return true;
}

// Reads an integer count in [min, max]. Returns false with a TypeError/RangeError pending otherwise.
static bool get_count(napi_env env, napi_value v, const char *what, double min, double max, size_t *out) {
  napi_valuetype t;
  double d;
  char msg[160];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok) {
    snprintf(msg, sizeof msg, "%s must be a number", what);
    type_error(env, msg);
    return false;
  }
  if (!(d >= min && d <= max) || d != (double)(uint64_t)d) {
    snprintf(msg, sizeof msg, "%s must be an integer in [%.0f, %.0f]", what, min, max);
    range_error(env, msg);
    return false;
  }
  *out = (size_t)d;
  return true;
}

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < want) {
    char msg[64];
    snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", want, argc);
    type_error(env, msg);
    return false;
  }
  return true;
}

// A new Uint8Array holding a copy of 32 bytes.
static napi_value new_hash(napi_env env, const uint8_t h[32]) {
  napi_value ab, ta;
  void *mem = NULL;
  CALL(env, napi_create_arraybuffer(env, 32, &mem, &ab));
  memcpy(mem, h, 32);
  CALL(env, napi_create_typedarray(env, napi_uint8_array, 32, ab, 0, &ta));
  return ta;
}

// Validates segmentRoot arguments; on success sets data/len/chunks/padded.
static bool segment_args(napi_env env, napi_value *argv, uint8_t **data, size_t *len, size_t *chunks, size_t *padded) {
  if (!get_bytes(env, argv[0], "data", data, len)) return false;
  if (!get_count(env, argv[1], "paddedChunks", 1, MAX_LEAVES, padded)) return false;
  if (*len % CHUNK != 0) {
    range_error(env, "data length must be a multiple of 256 bytes");
    return false;
  }
  *chunks = *len / CHUNK;
  if (*chunks > *padded) {
    range_error(env, "data holds more chunks than paddedChunks");
    return false;
  }
  return true;
}

// segmentRoot(data: Uint8Array, paddedChunks: number): Uint8Array
static napi_value js_segment_root(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint8_t *data, out[32];
  size_t len, chunks, padded;
  if (!get_args(env, info, 2, argv) || !segment_args(env, argv, &data, &len, &chunks, &padded)) return NULL;
  uint8_t stack[SEGMENT_CHUNKS * 32];
  uint8_t *scratch = padded <= SEGMENT_CHUNKS ? stack : malloc(padded * 32);
  if (scratch == NULL) {
    napi_throw_error(env, "ERR_ZG_KECCAK_OOM", "out of memory");
    return NULL;
  }
  segment_root(impl_get(), data, chunks, padded, scratch, out);
  if (scratch != stack) free(scratch);
  return new_hash(env, out);
}

// hashChunks(src: Uint8Array /* N x 256 */, dst: Uint8Array /* N x 32 */): undefined
static napi_value js_hash_chunks(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint8_t *src, *dst;
  size_t slen, dlen;
  if (!get_args(env, info, 2, argv) || !get_bytes(env, argv[0], "src", &src, &slen) || !get_bytes(env, argv[1], "dst", &dst, &dlen)) {
    return NULL;
  }
  if (slen % CHUNK != 0) return range_error(env, "src length must be a multiple of 256 bytes");
  if (dlen != slen / CHUNK * 32) return range_error(env, "dst length must be 32 bytes per 256-byte chunk of src");
  impl_get()->hash_chunks(src, slen / CHUNK, dst);
  return NULL;
}

// hashPairs(src: Uint8Array /* N x 64 */, dst: Uint8Array /* N x 32 */): undefined — one tree level.
static napi_value js_hash_pairs(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint8_t *src, *dst;
  size_t slen, dlen;
  if (!get_args(env, info, 2, argv) || !get_bytes(env, argv[0], "src", &src, &slen) || !get_bytes(env, argv[1], "dst", &dst, &dlen)) {
    return NULL;
  }
  if (slen % 64 != 0) return range_error(env, "src length must be a multiple of 64 bytes");
  if (dlen != slen / 2) return range_error(env, "dst length must be 32 bytes per 64-byte pair of src");
  // dst may start at src: digest i overwrites bytes of pairs <= i only, already read.
  impl_get()->hash_pairs(src, slen / 64, dst);
  return NULL;
}

// promotionRoot(leaves: Uint8Array /* N x 32, N >= 1 */): Uint8Array — leaves are not modified.
static napi_value js_promotion_root(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint8_t *leaves;
  size_t len;
  if (!get_args(env, info, 1, argv) || !get_bytes(env, argv[0], "leaves", &leaves, &len)) return NULL;
  if (len == 0 || len % 32 != 0) return range_error(env, "leaves must be a non-empty multiple of 32 bytes");
  if (len / 32 > MAX_LEAVES) return range_error(env, "too many leaves");
  uint8_t stack[SEGMENT_CHUNKS * 32];
  uint8_t *scratch = len <= sizeof stack ? stack : malloc(len);
  if (scratch == NULL) {
    napi_throw_error(env, "ERR_ZG_KECCAK_OOM", "out of memory");
    return NULL;
  }
  memcpy(scratch, leaves, len);
  reduce_in_place(impl_get(), scratch, len / 32);
  napi_value r = new_hash(env, scratch);
  if (scratch != stack) free(scratch);
  return r;
}

// keccak256(data: Uint8Array): Uint8Array
static napi_value js_keccak256(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint8_t *data, out[32];
  size_t len;
  if (!get_args(env, info, 1, argv) || !get_bytes(env, argv[0], "data", &data, &len)) return NULL;
  keccak256(len ? data : out, len, out);
  return new_hash(env, out);
}

// segmentRootAsync: the input is copied on the JS thread (the caller may reuse or transfer its buffer), hashed on
// the libuv threadpool, and the promise resolved on the JS thread.
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  const keccak_impl *impl;
  uint8_t *data;  // chunks * 256 bytes, then padded * 32 bytes of scratch
  size_t chunks, padded;
  uint8_t out[32];
} segment_job;

static void segment_execute(napi_env env, void *p) {
  (void)env;
  segment_job *job = p;
  segment_root(job->impl, job->data, job->chunks, job->padded, job->data + CHUNK * job->chunks, job->out);
}

static void segment_complete(napi_env env, napi_status status, void *p) {
  segment_job *job = p;
  napi_value v = NULL;
  if (status == napi_ok) v = new_hash(env, job->out);
  if (v != NULL) {
    napi_resolve_deferred(env, job->deferred, v);
  } else {
    napi_value msg, err;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) napi_get_and_clear_last_exception(env, &err);
    else {
      napi_create_string_utf8(env, status == napi_cancelled ? "segmentRootAsync cancelled" : "segmentRootAsync failed", NAPI_AUTO_LENGTH, &msg);
      napi_create_error(env, NULL, msg, &err);
    }
    napi_reject_deferred(env, job->deferred, err);
  }
  napi_delete_async_work(env, job->work);
  free(job->data);
  free(job);
}

// segmentRootAsync(data: Uint8Array, paddedChunks: number): Promise<Uint8Array>. Bad arguments throw synchronously.
static napi_value js_segment_root_async(napi_env env, napi_callback_info info) {
  napi_value argv[2], promise, name;
  uint8_t *data;
  size_t len, chunks, padded;
  if (!get_args(env, info, 2, argv) || !segment_args(env, argv, &data, &len, &chunks, &padded)) return NULL;
  segment_job *job = calloc(1, sizeof *job);
  if (job != NULL) job->data = malloc(len + padded * 32);
  if (job == NULL || job->data == NULL) {
    free(job);
    napi_throw_error(env, "ERR_ZG_KECCAK_OOM", "out of memory");
    return NULL;
  }
  if (len > 0) memcpy(job->data, data, len);
  job->chunks = chunks;
  job->padded = padded;
  job->impl = impl_get();
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "zg_keccak.segmentRoot", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, segment_execute, segment_complete, job, &job->work) != napi_ok) {
    free(job->data);
    free(job);
    napi_throw_error(env, "ERR_ZG_KECCAK_NAPI", "could not create async work");
    return NULL;
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    free(job->data);
    free(job);
    napi_throw_error(env, "ERR_ZG_KECCAK_NAPI", "could not queue async work");
    return NULL;
  }
  return promise;
}

// implementation(): string — the bulk implementation in use ("avx512", "avx2" or "scalar").
static napi_value js_implementation(napi_env env, napi_callback_info info) {
  napi_value v;
  CALL(env, napi_create_string_utf8(env, impl_get()->name, NAPI_AUTO_LENGTH, &v));
  return v;
}

// useImplementation(name: string): undefined — for tests and benchmarks; RangeError when this CPU lacks it.
static napi_value js_use_implementation(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_valuetype t;
  char name[16];
  size_t len;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_string) return type_error(env, "name must be a string");
  CALL(env, napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len));
  const keccak_impl *impl = impl_by_name(name);
  if (impl == NULL) return range_error(env, "unknown implementation or not supported by this CPU");
  __atomic_store_n(&current_impl, impl, __ATOMIC_RELAXED);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"segmentRoot", NULL, js_segment_root, NULL, NULL, NULL, napi_enumerable, NULL},
      {"segmentRootAsync", NULL, js_segment_root_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hashChunks", NULL, js_hash_chunks, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hashPairs", NULL, js_hash_pairs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"promotionRoot", NULL, js_promotion_root, NULL, NULL, NULL, napi_enumerable, NULL},
      {"keccak256", NULL, js_keccak256, NULL, NULL, NULL, napi_enumerable, NULL},
      {"implementation", NULL, js_implementation, NULL, NULL, NULL, napi_enumerable, NULL},
      {"useImplementation", NULL, js_use_implementation, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CALL(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
