// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStorageReward} from "./StorageTypes.sol";

/// The storage market at a fixed price per 256-byte sector. `Flow` pays each submission's fee into `chargeFee`, which
/// splits it between the zero padding in front of the file and the file itself, in proportion to their sectors, and
/// hands both parts to the reward pool. Anything else this contract holds (plain transfers) rides along with the next
/// upload's part as a bonus, as in 0G's `FixedPrice`. No owner: the price is fixed at deployment.
contract FixedPrice {
    address public immutable flow;
    address payable public immutable reward;
    uint256 public immutable pricePerSector;

    error OnlyFlow(address caller);

    constructor(address flow_, address payable reward_, uint256 pricePerSector_) {
        flow = flow_;
        reward = reward_;
        pricePerSector = pricePerSector_;
    }

    function chargeFee(uint256 beforeLength, uint256 uploadSectors, uint256 paddingSectors) external payable {
        if (msg.sender != flow) revert OnlyFlow(msg.sender);
        uint256 baseFee = pricePerSector * uploadSectors;
        uint256 balance = address(this).balance;
        uint256 bonus = balance > baseFee ? balance - baseFee : 0;
        uint256 base = balance - bonus;
        uint256 paddingPart = base * paddingSectors / (uploadSectors + paddingSectors);
        if (paddingPart > 0) IStorageReward(reward).fillReward{value: paddingPart}(beforeLength, paddingSectors);
        IStorageReward(reward).fillReward{value: base - paddingPart + bonus}(beforeLength + paddingSectors, uploadSectors);
    }

    receive() external payable {}
}
