// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// BLS signatures over BLS12-381 on the EIP-2537 precompiles (Prague), for the "min-pk" scheme that blst (chainsafe's
/// TypeScript binding) and Ethereum consensus use: public keys in G1, signatures and message hashes in G2.
///
/// Encodings. EIP-2537 writes an Fp element as 64 bytes: 16 zero bytes, then the 48-byte big-endian value. Here each
/// element is two words, `Hi` (the zero padding and the top 16 bytes, so always < 2^128) and `Lo` (the low 32 bytes).
/// The structs hold only such words, so a `G1Point`/`G2Point` in memory (or ABI-encoded) is byte for byte the
/// precompile encoding and goes to a precompile without repacking: G1 = x ‖ y (128 bytes), G2 = x.c0 ‖ x.c1 ‖ y.c0 ‖
/// y.c1 (256 bytes), where an Fp2 element is c0 + c1·u. The point at infinity is all zeros.
///
/// blst's uncompressed serialisation (the ZCash/IETF format) differs: 48-byte coordinates without padding, the Fp2
/// coefficient c1 before c0, and flag bits in the top three bits of byte 0 (0x80 compressed, 0x40 infinity, 0x20 sign).
/// `g1FromBytes`/`g2FromBytes` convert; compressed input is rejected, decompression being a square root that is cheaper
/// off chain.
///
/// Failures. A precompile rejects a point that is off the curve, outside the prime-order subgroup (pairing and MSM
/// only), or non-canonically encoded (a coordinate >= p, non-zero padding). `verify` reports any such key or signature
/// as an invalid signature (false): the pairing is called with exactly its price in gas, so a rejected input costs that
/// and no more. It reverts only for a bad DST or too little gas to run the pairing, so that a caller can never be made
/// to read a valid signature as invalid by starving the call. `addG1`/`aggregateG1` (hence `fastAggregateVerify`)
/// revert on a key off the curve; they do not check the subgroup (EIP-2537 G1ADD does not), so keys must be checked
/// when they are registered, which is also where the proof of possession that makes same-message aggregation safe
/// belongs.
library BLS12381 {
    struct G1Point {
        uint256 xHi;
        uint256 xLo;
        uint256 yHi;
        uint256 yLo;
    }

    /// x = x0 + x1·u and y = y0 + y1·u.
    struct G2Point {
        uint256 x0Hi;
        uint256 x0Lo;
        uint256 x1Hi;
        uint256 x1Lo;
        uint256 y0Hi;
        uint256 y0Lo;
        uint256 y1Hi;
        uint256 y1Lo;
    }

    error BLSPrecompileFailed(address precompile);
    error BLSInvalidDST(uint256 length);
    error BLSInvalidEncoding(uint256 length);
    error BLSInsufficientGas(uint256 needed);

    /// Ethereum's proof-of-possession ciphersuite, the DST blst's `sign` uses.
    bytes internal constant DST_POP = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

    address private constant MODEXP = address(0x05);
    address private constant G1ADD = address(0x0b);
    address private constant G2ADD = address(0x0d);
    address private constant PAIRING_CHECK = address(0x0f);
    address private constant MAP_FP2_TO_G2 = address(0x11);

    /// EIP-2537 pairing price for two pairs: 37,700 + 2 × 32,600.
    uint256 private constant PAIRING_2_GAS = 102_900;
    /// Gas left before the pairing call such that it still receives all of PAIRING_2_GAS under the 63/64 rule.
    uint256 private constant PAIRING_2_GAS_NEEDED = PAIRING_2_GAS + PAIRING_2_GAS / 63 + 1_000;

    /// The base field modulus p, split as the precompile words are.
    uint256 private constant P_HI = 0x1a0111ea397fe69a4b1ba7b6434bacd7;
    uint256 private constant P_LO = 0x64774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab;

    /// −G1: the negated generator of G1 (y replaced by p − y).
    uint256 private constant NEG_G1_X_HI = 0x17f1d3a73197d7942695638c4fa9ac0f;
    uint256 private constant NEG_G1_X_LO = 0xc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb;
    uint256 private constant NEG_G1_Y_HI = 0x114d1d6855d545a8aa7d76c8cf2e21f2;
    uint256 private constant NEG_G1_Y_LO = 0x67816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca;

    /// The three flag bits of a ZCash-format encoding, as they sit in a `Hi` word.
    uint256 private constant FLAG_MASK = 0xe0 << 120;
    uint256 private constant FLAG_INFINITY = 0x40 << 120;

    /// RFC 9380 hash_to_curve for BLS12381G2_XMD:SHA-256_SSWU_RO_: expand_message_xmd (SHA-256) to 256 bytes, four
    /// 64-byte integers reduced mod p as u0, u1 in Fp2, each mapped by MAP_FP2_TO_G2 (SSWU, isogeny and cofactor
    /// clearing), summed by G2ADD. Clearing the cofactor of each term instead of the sum gives the same point: it is
    /// multiplication by a scalar.
    function hashToG2(bytes memory message, bytes memory dst) internal view returns (G2Point memory h) {
        bytes32[8] memory uniform = expandMessageXMD(message, dst);
        uint256[8] memory u; // u0.c0, u0.c1, u1.c0, u1.c1: 64 bytes each, EIP-2537 Fp encoding
        for (uint256 i = 0; i < 4; ++i) {
            (u[2 * i], u[2 * i + 1]) = reduceModP(uniform[2 * i], uniform[2 * i + 1]);
        }
        uint256[16] memory q; // Q0 ‖ Q1, the G2ADD input
        bool ok;
        // A precompile absent on a pre-Prague chain "succeeds" with no output, hence the returndatasize checks, each
        // in its own statement: Yul evaluates arguments right to left, so nested in and(..) it would run first.
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x11, u, 0x80, q, 0x100)
            ok := and(ok, eq(returndatasize(), 0x100))
            if ok {
                ok := staticcall(gas(), 0x11, add(u, 0x80), 0x80, add(q, 0x100), 0x100)
                ok := and(ok, eq(returndatasize(), 0x100))
            }
        }
        if (!ok) revert BLSPrecompileFailed(MAP_FP2_TO_G2);
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x0d, q, 0x200, h, 0x100)
            ok := and(ok, eq(returndatasize(), 0x100))
        }
        if (!ok) revert BLSPrecompileFailed(G2ADD);
    }

    /// Whether `sig` is a signature by `pk` over `message`: e(pk, H(message)) · e(−G1, sig) == 1 in one PAIRING_CHECK.
    /// False for the key at infinity (which would accept the signature at infinity for any message) and for any key
    /// or signature the precompile rejects.
    function verify(G1Point memory pk, bytes memory message, G2Point memory sig, bytes memory dst)
        internal
        view
        returns (bool)
    {
        if (isInfinity(pk)) return false;
        return pairing2(pk, hashToG2(message, dst), sig);
    }

    /// IETF FastAggregateVerify: `sig` is the aggregate of signatures over one `message` by all of `pks`. Only sound
    /// for keys whose proof of possession was checked.
    function fastAggregateVerify(G1Point[] memory pks, bytes memory message, G2Point memory sig, bytes memory dst)
        internal
        view
        returns (bool)
    {
        return verify(aggregateG1(pks), message, sig, dst);
    }

    function addG1(G1Point memory a, G1Point memory b) internal view returns (G1Point memory sum) {
        bool ok;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mcopy(buf, a, 0x80)
            mcopy(add(buf, 0x80), b, 0x80)
            ok := staticcall(gas(), 0x0b, buf, 0x100, sum, 0x80)
            ok := and(ok, eq(returndatasize(), 0x80))
        }
        if (!ok) revert BLSPrecompileFailed(G1ADD);
    }

    /// The sum of `points` by G1ADD, in place in one buffer; infinity for none.
    function aggregateG1(G1Point[] memory points) internal view returns (G1Point memory sum) {
        uint256 n = points.length;
        if (n == 0) return sum;
        bool ok = true;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mcopy(buf, mload(add(points, 0x20)), 0x80)
            for { let i := 1 } lt(i, n) { i := add(i, 1) } {
                mcopy(add(buf, 0x80), mload(add(points, mul(add(i, 1), 0x20))), 0x80)
                ok := staticcall(gas(), 0x0b, buf, 0x100, buf, 0x80)
                ok := and(ok, eq(returndatasize(), 0x80))
                if iszero(ok) { break }
            }
            mcopy(sum, buf, 0x80)
        }
        if (!ok) revert BLSPrecompileFailed(G1ADD);
    }

    function isInfinity(G1Point memory p) internal pure returns (bool) {
        return (p.xHi | p.xLo | p.yHi | p.yLo) == 0;
    }

    /// blst's uncompressed public key (96 bytes: x ‖ y, 48 bytes each, big-endian) as a G1Point. Infinity (flag 0x40,
    /// all else zero) becomes the zero point; the compression flag, the sign flag or a stray bit reverts.
    function g1FromBytes(bytes memory b) internal pure returns (G1Point memory p) {
        if (b.length != 96) revert BLSInvalidEncoding(b.length);
        assembly ("memory-safe") {
            let d := add(b, 0x20)
            mstore(p, shr(128, mload(d)))
            mstore(add(p, 0x20), mload(add(d, 0x10)))
            mstore(add(p, 0x40), shr(128, mload(add(d, 0x30))))
            mstore(add(p, 0x60), mload(add(d, 0x40)))
        }
        uint256 flags = p.xHi & FLAG_MASK;
        p.xHi ^= flags;
        if (flags == FLAG_INFINITY && isInfinity(p)) return p;
        if (flags != 0) revert BLSInvalidEncoding(b.length);
    }

    /// blst's uncompressed signature (192 bytes: x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0, 48 bytes each, big-endian; c1 first, as in
    /// the ZCash format) as a G2Point. Flags as in `g1FromBytes`, in the first byte of x.c1.
    function g2FromBytes(bytes memory b) internal pure returns (G2Point memory p) {
        if (b.length != 192) revert BLSInvalidEncoding(b.length);
        assembly ("memory-safe") {
            let d := add(b, 0x20)
            mstore(p, shr(128, mload(add(d, 0x30)))) // x.c0
            mstore(add(p, 0x20), mload(add(d, 0x40)))
            mstore(add(p, 0x40), shr(128, mload(d))) // x.c1
            mstore(add(p, 0x60), mload(add(d, 0x10)))
            mstore(add(p, 0x80), shr(128, mload(add(d, 0x90)))) // y.c0
            mstore(add(p, 0xa0), mload(add(d, 0xa0)))
            mstore(add(p, 0xc0), shr(128, mload(add(d, 0x60)))) // y.c1
            mstore(add(p, 0xe0), mload(add(d, 0x70)))
        }
        uint256 flags = p.x1Hi & FLAG_MASK;
        p.x1Hi ^= flags;
        if (flags == FLAG_INFINITY && isInfinityG2(p)) return p;
        if (flags != 0) revert BLSInvalidEncoding(b.length);
    }

    function isInfinityG2(G2Point memory p) internal pure returns (bool) {
        return (p.x0Hi | p.x0Lo | p.x1Hi | p.x1Lo | p.y0Hi | p.y0Lo | p.y1Hi | p.y1Lo) == 0;
    }

    /// e(a1, a2) · e(−G1, b2) == 1. A rejected point makes the precompile fail, which reads as false; the call gets
    /// exactly the pairing's price, and this reverts first if that much is not left.
    function pairing2(G1Point memory a1, G2Point memory a2, G2Point memory b2) private view returns (bool result) {
        if (gasleft() < PAIRING_2_GAS_NEEDED) revert BLSInsufficientGas(PAIRING_2_GAS_NEEDED);
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mcopy(buf, a1, 0x80)
            mcopy(add(buf, 0x80), a2, 0x100)
            mstore(add(buf, 0x180), NEG_G1_X_HI)
            mstore(add(buf, 0x1a0), NEG_G1_X_LO)
            mstore(add(buf, 0x1c0), NEG_G1_Y_HI)
            mstore(add(buf, 0x1e0), NEG_G1_Y_LO)
            mcopy(add(buf, 0x200), b2, 0x100)
            mstore(0x00, 0)
            let ok := staticcall(PAIRING_2_GAS, 0x0f, buf, 0x300, 0x00, 0x20)
            ok := and(ok, eq(returndatasize(), 0x20))
            result := and(ok, eq(mload(0x00), 1))
        }
    }

    /// RFC 9380 §5.3.1 with H = SHA-256 (b_in_bytes 32, s_in_bytes 64) and len_in_bytes = 256 (ell = 8).
    function expandMessageXMD(bytes memory message, bytes memory dst) private pure returns (bytes32[8] memory b) {
        uint256 dstLength = dst.length;
        if (dstLength == 0 || dstLength > 255) revert BLSInvalidDST(dstLength);
        bytes memory dstPrime = abi.encodePacked(dst, uint8(dstLength));
        // msg_prime = Z_pad (64 zero bytes) ‖ msg ‖ I2OSP(256, 2) ‖ I2OSP(0, 1) ‖ DST_prime
        bytes32 b0 = sha256(abi.encodePacked(bytes32(0), bytes32(0), message, uint16(256), uint8(0), dstPrime));
        b[0] = sha256(abi.encodePacked(b0, uint8(1), dstPrime));
        for (uint256 i = 1; i < 8; ++i) {
            b[i] = sha256(abi.encodePacked(b0 ^ b[i - 1], uint8(i + 1), dstPrime));
        }
    }

    /// (hi ‖ lo) mod p by MODEXP with exponent 1. The modulus is passed as 64 bytes (16 zero bytes ‖ p), so the result
    /// comes back already in the EIP-2537 Fp encoding.
    function reduceModP(bytes32 hi, bytes32 lo) private view returns (uint256 rHi, uint256 rLo) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 0x40) // base length
            mstore(add(m, 0x20), 0x01) // exponent length
            mstore(add(m, 0x40), 0x40) // modulus length
            mstore(add(m, 0x60), hi)
            mstore(add(m, 0x80), lo)
            mstore8(add(m, 0xa0), 0x01)
            mstore(add(m, 0xa1), P_HI)
            mstore(add(m, 0xc1), P_LO)
            ok := staticcall(gas(), 0x05, m, 0xe1, m, 0x40)
            ok := and(ok, eq(returndatasize(), 0x40))
            rHi := mload(m)
            rLo := mload(add(m, 0x20))
        }
        if (!ok) revert BLSPrecompileFailed(MODEXP);
    }
}
