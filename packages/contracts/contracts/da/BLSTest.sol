// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BLS12381} from "./BLS12381.sol";

/// @title BLSTest
/// @notice Test-only entry points into `BLS12381`, taking keys and signatures as blst serialises them uncompressed
/// (96-byte G1 public keys, 192-byte G2 signatures) or as EIP-2537 points.
contract BLSTest {
    function hashToG2(bytes calldata message, bytes calldata dst) external view returns (BLS12381.G2Point memory) {
        return BLS12381.hashToG2(message, dst);
    }

    function verify(bytes calldata pk, bytes calldata message, bytes calldata sig, bytes calldata dst)
        external
        view
        returns (bool)
    {
        return BLS12381.verify(BLS12381.g1FromBytes(pk), message, BLS12381.g2FromBytes(sig), dst);
    }

    /// As `verify`, on points already in the precompile encoding (for keys and signatures blst would not produce).
    function verifyPoints(
        BLS12381.G1Point calldata pk,
        bytes calldata message,
        BLS12381.G2Point calldata sig,
        bytes calldata dst
    ) external view returns (bool) {
        return BLS12381.verify(pk, message, sig, dst);
    }

    /// Sums the public keys on chain, then verifies `sig` (an aggregate over one message) against the sum.
    function verifyAggregate(bytes[] calldata pks, bytes calldata message, bytes calldata sig, bytes calldata dst)
        external
        view
        returns (bool)
    {
        return BLS12381.fastAggregateVerify(decodeKeys(pks), message, BLS12381.g2FromBytes(sig), dst);
    }

    function aggregate(bytes[] calldata pks) external view returns (BLS12381.G1Point memory) {
        return BLS12381.aggregateG1(decodeKeys(pks));
    }

    function g1FromBytes(bytes calldata b) external pure returns (BLS12381.G1Point memory) {
        return BLS12381.g1FromBytes(b);
    }

    function g2FromBytes(bytes calldata b) external pure returns (BLS12381.G2Point memory) {
        return BLS12381.g2FromBytes(b);
    }

    function decodeKeys(bytes[] calldata pks) private pure returns (BLS12381.G1Point[] memory points) {
        points = new BLS12381.G1Point[](pks.length);
        for (uint256 i = 0; i < pks.length; ++i) {
            points[i] = BLS12381.g1FromBytes(pks[i]);
        }
    }
}
