// ECDSA public-key recovery through the system's libsecp256k1 (N-API addon zg_secp256k1.node).
//
// Why: the npm `secp256k1` package (v5) bundles libsecp256k1 as of November 2019. Debian's libsecp256k1 (0.2.0)
// has the later field and scalar arithmetic (safegcd inversions, C int128 field code) and recovers ~20 % faster on
// this machine. Every validator recovers the sender of every transaction once, so this is a fixed cost per transfer
// per node. Built only where the library and its headers are installed (Debian: libsecp256k1-dev); core falls back
// to the npm package otherwise, and checks this addon against it on known vectors before using it.

#include <node_api.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define ITEM 97  // digest 32 ‖ r 32 ‖ s 32 ‖ recovery id 1
#define OUT 65   // ok 1 ‖ public key x 32 ‖ y 32

#define CALL(env, call)                                  \
  do {                                                   \
    if ((call) != napi_ok) {                             \
      napi_throw_error((env), NULL, "N-API call failed"); \
      return NULL;                                       \
    }                                                    \
  } while (0)

static napi_value type_error(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_ZG_SECP256K1_ARG", msg);
  return NULL;
}

static napi_value range_error(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_ZG_SECP256K1_ARG", msg);
  return NULL;
}

// Points *data at a Uint8Array argument's bytes (NULL when it is empty); false when the argument is not a Uint8Array.
static bool u8_arg(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type t;
  void *p;
  if (napi_get_typedarray_info(env, v, &t, len, &p, NULL, NULL) != napi_ok || t != napi_uint8_array) return false;
  *data = (uint8_t *)p;
  return true;
}

// Recovers the 64-byte uncompressed public key (no 0x04 prefix) into out; 0 when the signature does not recover.
static int recover_one(const secp256k1_context *ctx, const uint8_t *digest, const uint8_t *sig64, int recid,
                       uint8_t *out64) {
  if (recid < 0 || recid > 3) return 0;
  secp256k1_ecdsa_recoverable_signature sig;
  secp256k1_pubkey pub;
  uint8_t ser[65];
  size_t len = sizeof ser;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, sig64, recid)) return 0;
  if (!secp256k1_ecdsa_recover(ctx, &pub, &sig, digest)) return 0;
  if (!secp256k1_ec_pubkey_serialize(ctx, ser, &len, &pub, SECP256K1_EC_UNCOMPRESSED) || len != 65) return 0;
  memcpy(out64, ser + 1, 64);
  return 1;
}

static const secp256k1_context *context(napi_env env) {
  void *ctx = NULL;
  if (napi_get_instance_data(env, &ctx) != napi_ok) return NULL;
  return (const secp256k1_context *)ctx;
}

// recover(digest: Uint8Array(32), signature: Uint8Array(64), recovery: number): Uint8Array(64) | null
static napi_value js_recover(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 3) return type_error(env, "recover(digest, signature, recovery) takes 3 arguments");
  size_t dlen, slen;
  uint8_t *digest, *sig;
  if (!u8_arg(env, argv[0], &digest, &dlen)) return type_error(env, "digest must be a Uint8Array");
  if (!u8_arg(env, argv[1], &sig, &slen)) return type_error(env, "signature must be a Uint8Array");
  if (dlen != 32) return range_error(env, "digest must be 32 bytes");
  if (slen != 64) return range_error(env, "signature must be 64 bytes");
  int32_t recid;
  if (napi_get_value_int32(env, argv[2], &recid) != napi_ok) return type_error(env, "recovery must be a number");
  uint8_t pub[64];
  napi_value result;
  if (!recover_one(context(env), digest, sig, recid, pub)) {
    CALL(env, napi_get_null(env, &result));
    return result;
  }
  napi_value ab;
  void *data;
  CALL(env, napi_create_arraybuffer(env, 64, &data, &ab));
  memcpy(data, pub, 64);
  CALL(env, napi_create_typedarray(env, napi_uint8_array, 64, ab, 0, &result));
  return result;
}

// recoverBatch(items: Uint8Array(n × 97), out: Uint8Array(n × 65)): void
// Item: digest 32 ‖ r 32 ‖ s 32 ‖ recovery 1. Out: ok 1 (1 or 0) ‖ public key 64 (zero when not ok).
static napi_value js_recover_batch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 2) return type_error(env, "recoverBatch(items, out) takes 2 arguments");
  size_t ilen, olen;
  uint8_t *items, *out;
  if (!u8_arg(env, argv[0], &items, &ilen)) return type_error(env, "items must be a Uint8Array");
  if (!u8_arg(env, argv[1], &out, &olen)) return type_error(env, "out must be a Uint8Array");
  if (ilen % ITEM != 0) return range_error(env, "items must be a multiple of 97 bytes");
  size_t n = ilen / ITEM;
  if (olen != n * OUT) return range_error(env, "out must be 65 bytes per item");
  const secp256k1_context *ctx = context(env);
  for (size_t i = 0; i < n; i++) {
    const uint8_t *it = items + i * ITEM;
    uint8_t *o = out + i * OUT;
    if (recover_one(ctx, it, it + 32, it[96], o + 1)) {
      o[0] = 1;
    } else {
      memset(o, 0, OUT);
    }
  }
  return NULL;
}

static void destroy_context(napi_env env, void *data, void *hint) { secp256k1_context_destroy(data); }

static napi_value init(napi_env env, napi_value exports) {
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  if (ctx == NULL) {
    napi_throw_error(env, NULL, "secp256k1_context_create failed");
    return NULL;
  }
  CALL(env, napi_set_instance_data(env, ctx, destroy_context, NULL));
  napi_property_descriptor props[] = {
      {"recover", NULL, js_recover, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recoverBatch", NULL, js_recover_batch, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CALL(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
