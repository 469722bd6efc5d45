// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BLS12381} from "./BLS12381.sol";
import {IDASigners} from "./IDASigners.sol";

/// The user-facing DA contract, after 0G's DAEntrance (reference §3, §6.3, §7.11) without sampling and rewards.
/// `submitOriginalData` takes blob data roots and a fee, assigns them to a quorum of the current epoch (round robin,
/// one quorum per call) and emits 0G's `DataUpload`; the disperser then collects the quorum's signatures and
/// `submitVerifiedCommitRoots` checks their aggregate against `DASigners.getAggPkG1` and records the blob's
/// `commitmentsHash` (keccak256 of its row commitments) with 0G's `ErasureCommitmentVerified`.
///
/// Unlike 0G, a commitment is only accepted for a (dataRoot, epoch, quorumId) that `submitOriginalData` assigned, and
/// the signed message is `keccak256(abi.encodePacked(dataRoot, uint256 epoch, uint256 quorumId, commitmentsHash))`,
/// verified as 32 bytes under `BLS12381.DST_POP`. Fees stay in this contract (`totalFees` counts them, overpayment
/// included): there is no sampling reward to pay them into yet, and no owner to withdraw them.
contract DAEntrance {
    struct CommitRootSubmission {
        bytes32 dataRoot;
        uint256 epoch;
        uint256 quorumId;
        bytes32 commitmentsHash;
        bytes quorumBitmap;
        BLS12381.G2Point signature;
    }

    uint256 private constant UPLOADED = 1;
    uint256 private constant VERIFIED = 2;
    /// 0G's threshold: 2·total ≤ 3·hit slots.
    uint256 private constant THRESHOLD_NUMERATOR = 2;
    uint256 private constant THRESHOLD_DENOMINATOR = 3;

    IDASigners public immutable DA_SIGNERS;
    uint256 public immutable blobPrice;
    /// Every wei `submitOriginalData` received.
    uint256 public totalFees;
    /// The quorum the last `submitOriginalData` used; the next one takes (quorumIndex + 1) % quorumCount, as 0G.
    uint256 public quorumIndex;
    /// keccak256(abi.encodePacked(dataRoot, epoch, quorumId)) → UPLOADED or VERIFIED.
    mapping(bytes32 => uint256) private status;
    mapping(bytes32 => bytes32) private commitmentsHashes;

    event DataUpload(address sender, bytes32 dataRoot, uint256 epoch, uint256 quorumId, uint256 blobPrice);
    event ErasureCommitmentVerified(bytes32 dataRoot, uint256 epoch, uint256 quorumId);

    error NoDataRoots();
    error NotEnoughFee(uint256 required, uint256 paid);
    error NoQuorum(uint256 epoch);
    error WrongEpochOrQuorum(uint256 epoch, uint256 quorumId);
    error UnknownDataRoot(bytes32 dataRoot, uint256 epoch, uint256 quorumId);
    error NotEnoughSignatures(uint256 hit, uint256 total);
    error BadAggregateSignature(bytes32 dataRoot, uint256 epoch, uint256 quorumId);

    constructor(IDASigners daSigners, uint256 blobPrice_) {
        DA_SIGNERS = daSigners;
        blobPrice = blobPrice_;
    }

    /// Moves `DASigners` to the next epoch when it is due (0G's sync without sampling rounds).
    function sync() public {
        DA_SIGNERS.makeEpoch();
    }

    function currentEpoch() external view returns (uint256) {
        return DA_SIGNERS.epochNumber();
    }

    function submitOriginalData(bytes32[] calldata dataRoots) external payable {
        uint256 n = dataRoots.length;
        if (n == 0) revert NoDataRoots();
        uint256 price = blobPrice;
        if (msg.value < n * price) revert NotEnoughFee(n * price, msg.value);
        sync();
        uint256 epoch = DA_SIGNERS.epochNumber();
        uint256 count = DA_SIGNERS.quorumCount(epoch);
        if (count == 0) revert NoQuorum(epoch);
        uint256 quorumId = (quorumIndex + 1) % count;
        quorumIndex = quorumId;
        totalFees += msg.value;
        for (uint256 i = 0; i < n; ++i) {
            bytes32 key = blobKey(dataRoots[i], epoch, quorumId);
            if (status[key] == 0) status[key] = UPLOADED;
            emit DataUpload(msg.sender, dataRoots[i], epoch, quorumId, price);
        }
    }

    /// Verifies and records each submission; one already verified is skipped, any other failure reverts the call.
    function submitVerifiedCommitRoots(CommitRootSubmission[] calldata submissions) external {
        uint256 current = DA_SIGNERS.epochNumber();
        for (uint256 i = 0; i < submissions.length; ++i) {
            verifySubmission(submissions[i], current);
        }
    }

    /// Whether `submitOriginalData` assigned this data root to (epoch, quorumId): what a signer checks before signing.
    function dataUploaded(bytes32 dataRoot, uint256 epoch, uint256 quorumId) external view returns (bool) {
        return status[blobKey(dataRoot, epoch, quorumId)] != 0;
    }

    function commitmentExists(bytes32 dataRoot, uint256 epoch, uint256 quorumId) external view returns (bool) {
        return status[blobKey(dataRoot, epoch, quorumId)] == VERIFIED;
    }

    /// The verified `commitmentsHash` of a blob, zero if none.
    function verifiedCommitmentsHash(bytes32 dataRoot, uint256 epoch, uint256 quorumId) external view returns (bytes32) {
        return commitmentsHashes[blobKey(dataRoot, epoch, quorumId)];
    }

    function verifySubmission(CommitRootSubmission calldata s, uint256 current) private {
        bytes32 key = blobKey(s.dataRoot, s.epoch, s.quorumId);
        uint256 state = status[key];
        if (state == VERIFIED) return;
        if (s.epoch > current || s.quorumId >= DA_SIGNERS.quorumCount(s.epoch)) {
            revert WrongEpochOrQuorum(s.epoch, s.quorumId);
        }
        if (state != UPLOADED) revert UnknownDataRoot(s.dataRoot, s.epoch, s.quorumId);
        (BLS12381.G1Point memory aggPk, uint256 total, uint256 hit) =
            DA_SIGNERS.getAggPkG1(s.epoch, s.quorumId, s.quorumBitmap);
        if (THRESHOLD_DENOMINATOR * hit < THRESHOLD_NUMERATOR * total) revert NotEnoughSignatures(hit, total);
        bytes32 m = keccak256(abi.encodePacked(s.dataRoot, s.epoch, s.quorumId, s.commitmentsHash));
        BLS12381.G2Point memory sig = s.signature;
        if (!BLS12381.verify(aggPk, abi.encodePacked(m), sig, BLS12381.DST_POP)) {
            revert BadAggregateSignature(s.dataRoot, s.epoch, s.quorumId);
        }
        status[key] = VERIFIED;
        commitmentsHashes[key] = s.commitmentsHash;
        emit ErasureCommitmentVerified(s.dataRoot, s.epoch, s.quorumId);
    }

    function blobKey(bytes32 dataRoot, uint256 epoch, uint256 quorumId) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(dataRoot, epoch, quorumId));
    }
}
