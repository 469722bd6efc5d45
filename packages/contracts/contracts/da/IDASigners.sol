// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BLS12381} from "./BLS12381.sol";

/// 0G's DASigners interface (`0g-da-contract/contracts/interface/IDASigners.sol`) with BLS12-381 keys: one public key
/// in G1 instead of BN254's pair (the proof of possession replaces the G1/G2 consistency check) and signatures in G2.
/// Function names and selectors of the calls whose argument types did not change match 0G's.
interface IDASigners {
    struct SignerDetail {
        address signer;
        string socket;
        BLS12381.G1Point pk;
    }

    /// 0G's layout: `tokensPerVote` is deprecated (0; DARegistry holds it), `encodedSlices` is the slots per quorum.
    struct Params {
        uint256 tokensPerVote;
        uint256 maxVotesPerSigner;
        uint256 maxQuorums;
        uint256 epochBlocks;
        uint256 encodedSlices;
    }

    event NewSigner(address indexed signer, BLS12381.G1Point pk);
    event SocketUpdated(address indexed signer, string socket);
    event NewEpoch(uint256 epoch, uint256 quorumCount);

    function params() external view returns (Params memory);
    function epochNumber() external view returns (uint256);
    function quorumCount(uint256 epoch) external view returns (uint256);
    function isSigner(address account) external view returns (bool);
    function getSigner(address[] calldata accounts) external view returns (SignerDetail[] memory);
    function getQuorum(uint256 epoch, uint256 quorumId) external view returns (address[] memory);
    function getQuorumRow(uint256 epoch, uint256 quorumId, uint32 slot) external view returns (address);
    function registerSigner(SignerDetail calldata signer, BLS12381.G2Point calldata popSignature) external;
    function updateSocket(string calldata socket) external;
    function registeredEpoch(address account, uint256 epoch) external view returns (bool);
    function registerNextEpoch(address signer, BLS12381.G2Point calldata signature, uint256 votes) external;
    function makeEpoch() external;
    function getAggPkG1(uint256 epoch, uint256 quorumId, bytes calldata quorumBitmap)
        external
        view
        returns (BLS12381.G1Point memory aggPk, uint256 total, uint256 hit);
}
