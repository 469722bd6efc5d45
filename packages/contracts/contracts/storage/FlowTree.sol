// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SECTORS_PER_SEGMENT} from "./StorageTypes.sol";

// The flow tree (reference storage.md §1.5): one append-only Merkle tree over 256-byte sectors. Entry 0 is a dummy
// leaf hashed 0x00…00; every position at or past `length`, and every gap skipped for alignment, is zero data, so a
// missing subtree of height i hashes to ZERO[i] (ZERO[0] = keccak256(256 zero bytes), ZERO[i+1] = H(ZERO[i], ZERO[i])).
// The root covers 2^H leaves for the least H with 2^H >= length.
//
// Kept as an incremental tree: for every set bit i of `length`, `left[i]` is the root of the complete subtree of
// height i that ends at `length` with its lower i bits cleared. Appending a subtree only touches the levels it
// carries through; the root is folded from those at most 64 words.

struct FlowTree {
    uint256 length;
    bytes32[64] left;
}

bytes32 constant ZERO_LEAF = 0xd397b3b043d87fcd6fad1291ff0bfd16401c274896d8c63a923727f077b8e0b5;

function hashPair(bytes32 a, bytes32 b) pure returns (bytes32 h) {
    assembly ("memory-safe") {
        mstore(0x00, a)
        mstore(0x20, b)
        h := keccak256(0x00, 0x40)
    }
}

/// ZERO[height]: the root of 2^height zero sectors.
function zeroHash(uint256 height) pure returns (bytes32 z) {
    z = ZERO_LEAF;
    for (uint256 i = 0; i < height; ++i) z = hashPair(z, z);
}

/// Rounds `length` up to a multiple of 2^exp.
function nextAlign(uint256 length, uint256 exp) pure returns (uint256) {
    if (length == 0) return 0;
    return (((length - 1) >> exp) + 1) << exp;
}

/// Where a submission of `size` sectors whose first node has height `firstHeight` starts when the flow holds `length`
/// sectors: aligned to its first node, and moved to the next segment if it would otherwise straddle a segment boundary
/// without starting on one.
function submissionStart(uint256 length, uint256 firstHeight, uint256 size) pure returns (uint256 start) {
    start = nextAlign(length, firstHeight);
    if (start % SECTORS_PER_SEGMENT != 0 && start / SECTORS_PER_SEGMENT != (start + size - 1) / SECTORS_PER_SEGMENT) {
        start = (start / SECTORS_PER_SEGMENT + 1) * SECTORS_PER_SEGMENT;
    }
}

/// Appends a subtree of `height` with `root` at the current end, which must be aligned to 2^height.
function appendAligned(FlowTree storage tree, bytes32 root, uint256 height) {
    uint256 pos = tree.length;
    bytes32 node = root;
    uint256 i = height;
    while ((pos >> i) & 1 == 1) {
        node = hashPair(tree.left[i], node);
        ++i;
    }
    tree.left[i] = node;
    tree.length = pos + (1 << height);
}

/// Pads the tree with zero sectors up to `target` (a gap in front of an aligned node), largest aligned blocks first.
function padTo(FlowTree storage tree, uint256 target) {
    uint256 pos = tree.length;
    while (pos < target) {
        uint256 k = lowestBit(pos);
        while ((1 << k) > target - pos) --k;
        appendAligned(tree, zeroHash(k), k);
        pos += 1 << k;
    }
}

/// Appends `root` (a subtree of `height`) at the next position aligned to 2^height, zero-padding the gap; returns
/// where it landed.
function appendNode(FlowTree storage tree, bytes32 root, uint256 height) returns (uint256 start) {
    start = nextAlign(tree.length, height);
    if (start > tree.length) padTo(tree, start);
    appendAligned(tree, root, height);
}

/// The root over 2^H leaves, H the least with 2^H >= length; a full tree's root is the carried top node.
function computeRoot(FlowTree storage tree) view returns (bytes32) {
    uint256 length = tree.length;
    uint256 height = treeHeight(length);
    if (length == 1 << height) return tree.left[height];
    bytes32 zero = ZERO_LEAF;
    bytes32 node;
    bool empty = true;
    for (uint256 i = 0; i < height; ++i) {
        if ((length >> i) & 1 == 1) {
            node = hashPair(tree.left[i], empty ? zero : node);
            empty = false;
        } else if (!empty) {
            node = hashPair(node, zero);
        }
        zero = hashPair(zero, zero);
    }
    return node;
}

/// The least H with 2^H >= length (length >= 1).
function treeHeight(uint256 length) pure returns (uint256 h) {
    while ((1 << h) < length) ++h;
}

function lowestBit(uint256 x) pure returns (uint256 k) {
    while ((x >> k) & 1 == 0) ++k;
}
