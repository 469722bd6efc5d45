// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SECTORS_PER_PRICE} from "./StorageTypes.sol";

/// The reward pool behind the market, in the shape of 0G's `ChunkLinearReward`: fees are booked per 8 GiB pricing
/// chunk (2^25 sectors) in proportion to the sectors each chunk receives, and a chunk's release clock (`startTime`)
/// starts when the chunk is completely filled. Release and mining claims come with the PoRA miner; until then fees
/// stay locked. No owner.
contract StorageReward {
    struct ChunkReward {
        uint128 lockedReward;
        uint128 claimableReward;
        uint128 distributedReward;
        uint40 startTime;
        uint40 lastUpdate;
    }

    address public immutable market;
    /// Per pricing chunk index (flow position / 2^25).
    mapping(uint256 => ChunkReward) public rewards;
    /// Every fee received, in wei.
    uint256 public totalReward;
    /// Pricing chunks with `startTime` set are those below this index.
    uint256 public filledChunks;

    event RewardFilled(uint256 indexed pricingIndex, uint256 amount, uint256 sectors, bool filled);

    error OnlyMarket(address caller);
    error ChunkAlreadyFilled(uint256 pricingIndex);

    constructor(address market_) {
        market = market_;
    }

    /// Books `msg.value` for the flow range `[beforeLength, beforeLength + chargedSectors)`; the last touched chunk
    /// takes the rounding remainder, so every wei is accounted for.
    function fillReward(uint256 beforeLength, uint256 chargedSectors) external payable {
        if (msg.sender != market) revert OnlyMarket(msg.sender);
        if (chargedSectors == 0) return;
        totalReward += msg.value;
        uint256 end = beforeLength + chargedSectors;
        uint256 pos = beforeLength;
        uint256 paid = 0;
        while (pos < end) {
            uint256 index = pos / SECTORS_PER_PRICE;
            uint256 chunkEnd = (index + 1) * SECTORS_PER_PRICE;
            uint256 upTo = chunkEnd < end ? chunkEnd : end;
            uint256 amount = upTo == end ? msg.value - paid : msg.value * (upTo - pos) / chargedSectors;
            paid += amount;
            _addReward(index, amount, upTo - pos, upTo == chunkEnd);
            pos = upTo;
        }
    }

    function _addReward(uint256 index, uint256 amount, uint256 sectors, bool filled) private {
        ChunkReward storage r = rewards[index];
        if (r.startTime != 0) revert ChunkAlreadyFilled(index);
        r.lockedReward += uint128(amount);
        if (filled) {
            r.startTime = uint40(block.timestamp);
            r.lastUpdate = uint40(block.timestamp);
            filledChunks = index + 1;
        }
        emit RewardFilled(index, amount, sectors, filled);
    }

    /// Total fees booked for pricing chunk `index` so far.
    function chunkReward(uint256 index) external view returns (uint256) {
        ChunkReward storage r = rewards[index];
        return uint256(r.lockedReward) + r.claimableReward + r.distributedReward;
    }
}
