// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Shared types, constants and the submission validity rules of the 0G Storage log layer (reference storage.md §1.2,
// §2.1). Struct and field names are part of the ABI that 0G's SDKs encode by name: keep them.

/// One Merkle subtree of a file: `2^height` sectors whose promotion-tree root is `root`.
struct SubmissionNode {
    bytes32 root;
    uint256 height;
}

/// What the old `submit` ABI takes and what every `Submit` event carries.
struct SubmissionData {
    uint256 length;
    bytes tags;
    SubmissionNode[] nodes;
}

/// The new `submit` ABI (0G contracts after Dec 2025): the data plus who the upload is for.
struct Submission {
    SubmissionData data;
    address submitter;
}

struct MineContext {
    uint256 epoch;
    uint256 mineStart;
    bytes32 flowRoot;
    uint256 flowLength;
    bytes32 blockDigest;
    bytes32 digest;
}

struct EpochRange {
    uint128 start;
    uint128 end;
}

struct EpochRangeWithContextDigest {
    uint128 start;
    uint128 end;
    bytes32 digest;
}

uint256 constant BYTES_PER_SECTOR = 256;
uint256 constant SECTORS_PER_SEGMENT = 1024;
// A pricing chunk: 8 GiB.
uint256 constant SECTORS_PER_PRICE = 1 << 25;
uint256 constant MAX_NODE_HEIGHT = 64;
uint256 constant MAX_HEIGHT_SPAN = 4;

error InvalidSubmitter();
error EmptySubmission();
error NodeHeightTooLarge(uint256 height);
error NodeHeightsNotDecreasing(uint256 index, uint256 previous, uint256 height);
error NodeHeightSpanTooLarge(uint256 first, uint256 last);
error LengthExceedsNodes(uint256 length, uint256 capacityBytes);
error LengthOverPadded(uint256 length, uint256 minExclusiveBytes);

interface IFixedPrice {
    function pricePerSector() external view returns (uint256);
    function chargeFee(uint256 beforeLength, uint256 uploadSectors, uint256 paddingSectors) external payable;
}

interface IStorageReward {
    function fillReward(uint256 beforeLength, uint256 chargedSectors) external payable;
}

/// Reverts with the first rule of §1.2 that `s` breaks; returns its size in sectors (Σ 2^height) otherwise.
/// Order: nodes present, first height in range, heights strictly decreasing (so the span below cannot underflow),
/// height span, then the byte length against the nodes' capacity and against over-padding.
function checkSubmission(SubmissionData calldata s) pure returns (uint256 size) {
    uint256 n = s.nodes.length;
    if (n == 0) revert EmptySubmission();
    uint256 first = s.nodes[0].height;
    if (first >= MAX_NODE_HEIGHT) revert NodeHeightTooLarge(first);
    size = 1 << first;
    uint256 previous = first;
    for (uint256 i = 1; i < n; ++i) {
        uint256 h = s.nodes[i].height;
        if (h >= previous) revert NodeHeightsNotDecreasing(i, previous, h);
        size += 1 << h;
        previous = h;
    }
    if (first - previous >= MAX_HEIGHT_SPAN) revert NodeHeightSpanTooLarge(first, previous);
    if (s.length > size * BYTES_PER_SECTOR) revert LengthExceedsNodes(s.length, size * BYTES_PER_SECTOR);
    uint256 lastCapacity;
    if (size < 16) lastCapacity = size - 1;
    else if (n == 1) lastCapacity = size - (size >> 4);
    else lastCapacity = size - (1 << (first - 3));
    if (s.length <= lastCapacity * BYTES_PER_SECTOR) revert LengthOverPadded(s.length, lastCapacity * BYTES_PER_SECTOR);
}

/// `keccak256(abi.encodePacked(nodeRoots))`: the `identity` topic of `Submit` (not the file root).
function submissionDigest(SubmissionData calldata s) pure returns (bytes32) {
    uint256 n = s.nodes.length;
    bytes32[] memory roots = new bytes32[](n);
    for (uint256 i = 0; i < n; ++i) roots[i] = s.nodes[i].root;
    return keccak256(abi.encodePacked(roots));
}
