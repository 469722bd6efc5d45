// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BLS12381} from "./BLS12381.sol";
import {IDASigners} from "./IDASigners.sol";

/// 0G's DARegistry (reference §5.2): the staking gate in front of `DASigners`. Accounts stake the native token; a
/// staked account registers its BLS key (proof of possession checked by `DASigners`) and, every epoch, registers for
/// the next one with min(staked / tokensPerVote, maxVotes) votes. Stake leaves all at once, and only while the account
/// is registered for neither the current nor the next epoch. No owner: the parameters are fixed at deployment (0G's
/// `setParams` is left out). Only externally owned accounts take part (`msg.sender == tx.origin`), as in 0G.
contract DARegistry {
    uint256 public constant MAX_SOCKET_LENGTH = 96;

    IDASigners public immutable daSigners;
    uint256 public immutable tokensPerVote;
    uint256 public immutable maxVotes;

    mapping(address => uint256) public staked;

    event Staked(address indexed account, uint256 amount);
    event Withdraw(address indexed account, uint256 amount);

    error NotOrigin(address sender);
    error NotSignerAccount(address sender, address signer);
    error SocketTooLong(uint256 length);
    error InsufficientStake(uint256 staked, uint256 needed);
    error NothingStaked(address account);
    error RegisteredCurrentOrNextEpoch(address account);
    error TransferFailed(address account, uint256 amount);
    error InvalidParams();

    constructor(IDASigners daSigners_, uint256 tokensPerVote_, uint256 maxVotes_) {
        if (tokensPerVote_ == 0 || maxVotes_ == 0) revert InvalidParams();
        daSigners = daSigners_;
        tokensPerVote = tokensPerVote_;
        maxVotes = maxVotes_;
    }

    modifier onlyOrigin() {
        if (msg.sender != tx.origin) revert NotOrigin(msg.sender);
        _;
    }

    function params() external view returns (uint256, uint256) {
        return (tokensPerVote, maxVotes);
    }

    function stake() external payable onlyOrigin {
        staked[msg.sender] += msg.value;
        emit Staked(msg.sender, msg.value);
    }

    function withdraw() external {
        uint256 amount = staked[msg.sender];
        if (amount == 0) revert NothingStaked(msg.sender);
        uint256 epoch = daSigners.epochNumber();
        if (daSigners.registeredEpoch(msg.sender, epoch) || daSigners.registeredEpoch(msg.sender, epoch + 1)) {
            revert RegisteredCurrentOrNextEpoch(msg.sender);
        }
        staked[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
        emit Withdraw(msg.sender, amount);
    }

    function registerSigner(IDASigners.SignerDetail calldata signer, BLS12381.G2Point calldata popSignature)
        external
        onlyOrigin
    {
        if (signer.signer != msg.sender) revert NotSignerAccount(msg.sender, signer.signer);
        if (bytes(signer.socket).length > MAX_SOCKET_LENGTH) revert SocketTooLong(bytes(signer.socket).length);
        if (staked[msg.sender] < tokensPerVote) revert InsufficientStake(staked[msg.sender], tokensPerVote);
        daSigners.registerSigner(signer, popSignature);
    }

    function registerNextEpoch(BLS12381.G2Point calldata signature) external onlyOrigin {
        uint256 votes = staked[msg.sender] / tokensPerVote;
        if (votes == 0) revert InsufficientStake(staked[msg.sender], tokensPerVote);
        if (votes > maxVotes) votes = maxVotes;
        daSigners.registerNextEpoch(msg.sender, signature, votes);
    }
}
