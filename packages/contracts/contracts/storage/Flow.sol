// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {FlowTree, appendNode, computeRoot, padTo, submissionStart, treeHeight} from "./FlowTree.sol";
import {
    EpochRange,
    EpochRangeWithContextDigest,
    IFixedPrice,
    InvalidSubmitter,
    MineContext,
    Submission,
    SubmissionData,
    checkSubmission,
    submissionDigest
} from "./StorageTypes.sol";

/// The 0G Storage log contract: takes file submissions (both of 0G's `submit` ABIs), charges the fixed fee into the
/// market, places the file's nodes in the flow tree, records the flow root per submission and advances mining epochs.
/// No owner, no pause: a genesis system contract at a fixed address.
contract Flow {
    bytes32 private constant EMPTY_HASH = keccak256("");
    /// How far back BLOCKHASH answers; an epoch whose start block is older gets no mining context.
    uint256 private constant BLOCKHASH_WINDOW = 256;

    address payable public immutable market;
    uint256 public immutable blocksPerEpoch;
    uint256 public immutable firstBlock;

    FlowTree private flow;
    uint256 public submissionIndex;
    uint256 public epoch;
    uint256 public epochStartPosition;
    mapping(uint256 => bytes32) public rootByTxSeq;

    MineContext private context;
    mapping(bytes32 => EpochRange) private epochRanges;
    EpochRangeWithContextDigest[] private epochRangeHistory;

    event Submit(
        address indexed sender,
        bytes32 indexed identity,
        uint256 submissionIndex,
        uint256 startPos,
        uint256 length,
        SubmissionData submission
    );

    event NewEpoch(
        address indexed sender,
        uint256 indexed index,
        bytes32 startMerkleRoot,
        uint256 submissionIndex,
        uint256 flowLength,
        bytes32 context
    );

    error NotLaunched(uint256 firstBlock);
    error NotEnoughFee(uint256 price, uint256 sectors, uint256 paid);
    error PositionOutOfRange(uint256 position, uint256 flowLength);
    error NoContextAtPosition(uint256 position);

    constructor(address payable market_, uint256 blocksPerEpoch_, uint256 firstBlock_) {
        market = market_;
        blocksPerEpoch = blocksPerEpoch_;
        firstBlock = firstBlock_;
        // Entry 0 is the dummy leaf 0x00…00: left[0] already holds it.
        flow.length = 1;
        context = MineContext({
            epoch: 0,
            mineStart: firstBlock_,
            flowRoot: bytes32(0),
            flowLength: 1,
            blockDigest: EMPTY_HASH,
            digest: EMPTY_HASH
        });
    }

    modifier launched() {
        if (block.number < firstBlock) revert NotLaunched(firstBlock);
        _;
    }

    /// Old ABI (0glabs/0g-ts-sdk ≤ 0.3.3): the sender of the event is `msg.sender`.
    function submit(SubmissionData calldata submission)
        external
        payable
        launched
        returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)
    {
        (index, digest, startIndex, length,) = _submit(submission, msg.sender, msg.value);
    }

    /// New ABI: the event names `submission.submitter` (which must be set) as the sender.
    function submit(Submission calldata submission)
        external
        payable
        launched
        returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length)
    {
        if (submission.submitter == address(0)) revert InvalidSubmitter();
        (index, digest, startIndex, length,) = _submit(submission.data, submission.submitter, msg.value);
    }

    function batchSubmit(SubmissionData[] calldata submissions)
        external
        payable
        launched
        returns (uint256[] memory indexes, bytes32[] memory digests, uint256[] memory startIndexes, uint256[] memory lengths)
    {
        uint256 n = submissions.length;
        (indexes, digests, startIndexes, lengths) = _allocate(n);
        uint256 funds = msg.value;
        for (uint256 i = 0; i < n; ++i) {
            (indexes[i], digests[i], startIndexes[i], lengths[i], funds) = _submit(submissions[i], msg.sender, funds);
        }
    }

    function batchSubmit(Submission[] calldata submissions)
        external
        payable
        launched
        returns (uint256[] memory indexes, bytes32[] memory digests, uint256[] memory startIndexes, uint256[] memory lengths)
    {
        uint256 n = submissions.length;
        (indexes, digests, startIndexes, lengths) = _allocate(n);
        uint256 funds = msg.value;
        for (uint256 i = 0; i < n; ++i) {
            address submitter = submissions[i].submitter;
            if (submitter == address(0)) revert InvalidSubmitter();
            (indexes[i], digests[i], startIndexes[i], lengths[i], funds) = _submit(submissions[i].data, submitter, funds);
        }
    }

    /// Validates, charges `size × pricePerSector` out of `funds` (what is left is returned, and stays here when the
    /// call ends), advances epochs, places the nodes, records the root and emits `Submit`.
    function _submit(SubmissionData calldata s, address sender, uint256 funds)
        private
        returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 size, uint256 left)
    {
        size = checkSubmission(s);
        uint256 fee;
        (fee, left) = _fee(size, funds);
        makeContext();
        startIndex = _place(s, size, fee);
        (index, digest) = _record(s, sender, startIndex, size);
    }

    function _fee(uint256 size, uint256 funds) private view returns (uint256 fee, uint256 left) {
        uint256 price = IFixedPrice(market).pricePerSector();
        fee = size * price;
        if (fee > funds) revert NotEnoughFee(price, size, funds);
        left = funds - fee;
    }

    /// Inserts the nodes and pays `fee` into the market, split over the zero gap in front and the file.
    function _place(SubmissionData calldata s, uint256 size, uint256 fee) private returns (uint256 startIndex) {
        uint256 before = flow.length;
        startIndex = _insertNodes(s, size);
        IFixedPrice(market).chargeFee{value: fee}(before, size, startIndex - before);
    }

    function _record(SubmissionData calldata s, address sender, uint256 startIndex, uint256 size)
        private
        returns (uint256 index, bytes32 digest)
    {
        digest = submissionDigest(s);
        index = submissionIndex++;
        rootByTxSeq[index] = computeRoot(flow);
        emit Submit(sender, digest, index, startIndex, size, s);
    }

    function _insertNodes(SubmissionData calldata s, uint256 size) private returns (uint256 startIndex) {
        startIndex = submissionStart(flow.length, s.nodes[0].height, size);
        // Zero gap in front: alignment of the first node, or the move to the next segment (§1.5).
        if (startIndex > flow.length) padTo(flow, startIndex);
        uint256 n = s.nodes.length;
        for (uint256 i = 0; i < n; ++i) appendNode(flow, s.nodes[i].root, s.nodes[i].height);
    }

    function _allocate(uint256 n)
        private
        pure
        returns (uint256[] memory a, bytes32[] memory b, uint256[] memory c, uint256[] memory d)
    {
        a = new uint256[](n);
        b = new bytes32[](n);
        c = new uint256[](n);
        d = new uint256[](n);
    }

    // ---- Epochs and mining contexts (reference §5.1) ----

    function makeContext() public launched {
        while (_nextEpoch()) {}
    }

    function makeContextWithResult() external launched returns (MineContext memory) {
        makeContext();
        return context;
    }

    function getContext() external view returns (MineContext memory) {
        return context;
    }

    function getEpochRange(bytes32 digest) external view returns (EpochRange memory) {
        return epochRanges[digest];
    }

    /// The epoch range in which `position` was first appended, with that epoch's context digest.
    function queryContextAtPosition(uint128 position) external returns (EpochRangeWithContextDigest memory range) {
        makeContext();
        if (position >= flow.length) revert PositionOutOfRange(position, flow.length);
        uint256 lo = 0;
        uint256 hi = epochRangeHistory.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            range = epochRangeHistory[mid];
            if (position >= range.end) lo = mid + 1;
            else if (position >= range.start) return range;
            else hi = mid;
        }
        revert NoContextAtPosition(position);
    }

    function _nextEpoch() private returns (bool) {
        uint256 nextEpochStart = firstBlock + (epoch + 1) * blocksPerEpoch;
        if (nextEpochStart >= block.number) return false;
        bytes32 root = computeRoot(flow);
        uint256 length = flow.length;
        bytes32 blockDigest = EMPTY_HASH;
        bytes32 digest = EMPTY_HASH;
        if (nextEpochStart + BLOCKHASH_WINDOW >= block.number) {
            blockDigest = blockhash(nextEpochStart);
            digest = keccak256(abi.encode(blockDigest, root, length));
            EpochRange memory r = EpochRange(uint128(epochStartPosition), uint128(length));
            epochRanges[digest] = r;
            epochRangeHistory.push(EpochRangeWithContextDigest(r.start, r.end, digest));
            epochStartPosition = length;
        }
        uint256 e = ++epoch;
        context = MineContext(e, nextEpochStart, root, length, blockDigest, digest);
        emit NewEpoch(msg.sender, e, root, submissionIndex, length, digest);
        return true;
    }

    // ---- Views ----

    /// `(currentLength, unstagedHeight)` as 0G's `tree()`; this tree is always committed, so the second value is the
    /// number of levels (height + 1).
    function tree() external view returns (uint256 currentLength, uint256 unstagedHeight) {
        currentLength = flow.length;
        unstagedHeight = treeHeight(currentLength) + 1;
    }

    function numSubmissions() external view returns (uint256) {
        return submissionIndex;
    }

    function getFlowRootByTxSeq(uint256 txSeq) external view returns (bytes32) {
        return rootByTxSeq[txSeq];
    }

    /// The current flow root.
    function flowRoot() external view returns (bytes32) {
        return computeRoot(flow);
    }
}
