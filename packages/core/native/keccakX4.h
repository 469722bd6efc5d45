// Four-way keccak-f[1600]: lane i of four independent states in one 256-bit vector (GCC vector extensions), so
// 1024 independent leaf hashes, and the independent pairs of each tree level, go four at a time. Included once per
// target ISA by keccak.c with X4(name) (function suffix) and X4_TARGET (the target attribute) defined; the round is
// the same ROUND macro as the scalar permutation.

static __attribute__((target(X4_TARGET))) void X4(keccak_f1600)(v4 st[25]) {
  v4 LANES(A), LANES(E), Ca, Ce, Ci, Co, Cu, Da, De, Di, Do, Du, B0, B1, B2, B3, B4;
  LOAD_LANES(st);
  for (int round = 0; round < 24; round += 2) {
    v4 rc0 = {RC[round], RC[round], RC[round], RC[round]};
    v4 rc1 = {RC[round + 1], RC[round + 1], RC[round + 1], RC[round + 1]};
    ROUND(A, E, rc0);
    ROUND(E, A, rc1);
  }
  STORE_LANES(st);
}

// Lane at byte `off` of four messages `stride` bytes apart.
static inline __attribute__((target(X4_TARGET))) v4 X4(load)(const uint8_t *p, size_t stride, size_t off) {
  return (v4){load64(p + off), load64(p + stride + off), load64(p + 2 * stride + off), load64(p + 3 * stride + off)};
}

// The four 32-byte digests, consecutive at `out` (written only after every input lane was read: `out` may alias).
static inline __attribute__((target(X4_TARGET))) void X4(squeeze)(const v4 st[25], uint8_t *out) {
  for (int j = 0; j < 4; j++)
    for (int i = 0; i < 4; i++) store64(out + 32 * j + 8 * i, st[i][j]);
}

static __attribute__((target(X4_TARGET))) void X4(hash_chunks)(const uint8_t *in, size_t n, uint8_t *out) {
  const v4 one = {1, 1, 1, 1}, last = {PAD_LAST, PAD_LAST, PAD_LAST, PAD_LAST};
  size_t k = 0;
  for (; k + 4 <= n; k += 4, in += 4 * CHUNK, out += 128) {
    v4 st[25] = {0};
    for (int i = 0; i < 17; i++) st[i] = X4(load)(in, CHUNK, 8 * i);
    X4(keccak_f1600)(st);
    for (int i = 0; i < 15; i++) st[i] ^= X4(load)(in, CHUNK, RATE + 8 * i);
    st[15] ^= one;
    st[16] ^= last;
    X4(keccak_f1600)(st);
    X4(squeeze)(st, out);
  }
  for (; k < n; k++, in += CHUNK, out += 32) hash_chunk(in, out);
}

static __attribute__((target(X4_TARGET))) void X4(hash_pairs)(const uint8_t *in, size_t n, uint8_t *out) {
  const v4 one = {1, 1, 1, 1}, last = {PAD_LAST, PAD_LAST, PAD_LAST, PAD_LAST};
  size_t k = 0;
  for (; k + 4 <= n; k += 4, in += 256, out += 128) {
    v4 st[25] = {0};
    for (int i = 0; i < 8; i++) st[i] = X4(load)(in, 64, 8 * i);
    st[8] = one;
    st[16] = last;
    X4(keccak_f1600)(st);
    X4(squeeze)(st, out);
  }
  for (; k < n; k++, in += 64, out += 32) hash_pair(in, out);
}
