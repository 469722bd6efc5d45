// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {
    inferenceDomainSeparator,
    typedDataDigest,
    recoverSigner,
    INFERENCE_RECEIPT_TYPEHASH
} from "./ComputeLib.sol";
import {IInferenceDisputes, IInferenceStakes, InferenceReceipt} from "./ComputeTypes.sol";

/// zerog's disputes over "OpML" answers (docs/compute-plan.md §3), apart from `InferenceServing` so both stay under
/// EIP-170's 24,576 bytes. Anyone holding a provider-signed `InferenceReceipt` and the exact request and response
/// bytes opens a dispute with a bond; staked verifiers re-execute the request off chain and vote. More than 2/3 of
/// the verifier stake counted at opening decides: provider wrong ⇒ `InferenceServing` slashes
/// min(slashAmount, stake), half to the receipt's user, half to the challenger, bond back; provider right ⇒ the bond
/// goes to the provider. No decision by the deadline ⇒ dismissed, bond back. Every payout is credited and pulled
/// with `withdraw()`, so a recipient that cannot take ETH cannot block a resolution. No owner.
contract InferenceDisputes is IInferenceDisputes {
    enum Outcome {
        Open,
        ProviderWrong,
        ProviderCorrect,
        Dismissed
    }

    struct Dispute {
        address provider;
        uint64 openedAt;
        Outcome outcome;
        address user;
        uint64 deadline;
        address challenger;
        /// `verifierEpoch` at opening: who may vote is fixed then.
        uint64 epoch;
        bytes32 receiptDigest;
        uint128 bond;
        uint128 slashed;
        /// Stake of the verifiers allowed to vote (parties excluded); the 2/3 threshold is of this.
        uint128 eligibleStake;
        uint128 stakeProviderCorrect;
        uint128 stakeProviderWrong;
    }

    struct Verifier {
        uint128 stake;
        /// `verifierEpoch` right after registration / after the exit request (0: not exiting).
        uint64 joinedEpoch;
        uint64 exitEpoch;
        uint64 registeredAt;
        uint64 exitRequestedAt;
    }

    IInferenceStakes public immutable serving;
    uint256 public immutable minVerifierStake;
    uint256 public immutable disputeBond;
    uint256 public immutable slashAmount;
    /// Voting time from opening; also how long an exiting verifier's stake waits.
    uint256 public immutable disputeWindow;
    /// `InferenceServing.challengeWindow()`, read once at construction.
    uint256 public immutable challengeWindow;

    bool private transient locked;

    /// Bumped by every registration and exit request, so "registered before the dispute opened" has no same-block tie.
    uint64 public verifierEpoch;
    /// Stake of registered verifiers that have not asked to exit.
    uint256 public totalVerifierStake;
    uint256 public disputeCount;
    mapping(uint256 => Dispute) private disputes;
    mapping(address => Verifier) private verifiers;
    mapping(uint256 => mapping(address => bool)) public hasVoted;
    /// Receipt digest => dispute id (ids start at 1): a receipt is disputed at most once.
    mapping(bytes32 => uint256) public disputeOfReceipt;
    mapping(address => uint256) public openDisputes;
    /// Credited payouts (bonds, slash shares), pulled with `withdraw()`.
    mapping(address => uint256) public withdrawable;

    event VerifierRegistered(address indexed verifier, uint256 stake);
    event VerifierExitRequested(address indexed verifier, uint256 withdrawableAt);
    event VerifierStakeWithdrawn(address indexed verifier, uint256 amount);
    event DisputeOpened(
        uint256 indexed id,
        address indexed provider,
        address indexed user,
        address challenger,
        bytes32 requestHash,
        bytes32 responseHash,
        bytes request,
        bytes response,
        uint256 deadline
    );
    event DisputeVoted(uint256 indexed id, address indexed verifier, bool providerCorrect, uint256 weight);
    event DisputeResolved(uint256 indexed id, Outcome outcome, uint256 slashed);
    event ProviderSlashed(address indexed provider, uint256 indexed id, uint256 amount);
    event PaymentCredited(address indexed to, uint256 amount);
    event Withdrawn(address indexed to, uint256 amount);

    error InvalidParams();
    error VerifierAlreadyRegistered(address verifier);
    error InsufficientVerifierStake(uint256 provided, uint256 required);
    error NotVerifier(address account);
    error VerifierExiting(address verifier);
    error VerifierNotExiting(address verifier);
    error VerifierStakeLocked(address verifier, uint256 withdrawableAt);
    error InsufficientBond(uint256 provided, uint256 required);
    error OutsideChallengeWindow(uint256 createdAt, uint256 now_);

    /// Seconds a receipt's `createdAt` may be ahead of the block that carries its dispute.
    uint256 public constant MAX_CLOCK_SKEW = 300;
    error RequestHashMismatch(bytes32 expected, bytes32 actual);
    error ResponseHashMismatch(bytes32 expected, bytes32 actual);
    error ReceiptAlreadyDisputed(bytes32 receiptDigest, uint256 id);
    error ServiceNotDisputable(address provider);
    error InvalidReceiptSignature(address recovered);
    error NoVerifiers();
    error UnknownDispute(uint256 id);
    error DisputeClosed(uint256 id);
    error VotingClosed(uint256 id, uint256 deadline);
    error DisputeStillOpen(uint256 id, uint256 deadline);
    error NotEligibleVerifier(uint256 id, address verifier);
    error PartyCannotVote(uint256 id, address verifier);
    error AlreadyVoted(uint256 id, address verifier);
    error NothingToWithdraw(address account);
    error TransferFailed(address to, uint256 amount);
    error DirectDepositsDisabled();
    error ReentrantCall();

    modifier nonReentrant() {
        if (locked) revert ReentrantCall();
        locked = true;
        _;
        locked = false;
    }

    constructor(
        IInferenceStakes serving_,
        uint256 minVerifierStake_,
        uint256 disputeBond_,
        uint256 slashAmount_,
        uint256 disputeWindow_
    ) {
        if (minVerifierStake_ == 0 || disputeWindow_ == 0 || minVerifierStake_ > type(uint128).max) revert InvalidParams();
        serving = serving_;
        minVerifierStake = minVerifierStake_;
        disputeBond = disputeBond_;
        slashAmount = slashAmount_;
        disputeWindow = disputeWindow_;
        challengeWindow = serving_.challengeWindow();
    }

    // ---- verifiers ----

    /// Stakes `msg.value` (at least `minVerifierStake`) as a verifier. The stake is fixed until exit: vote weights
    /// must add up to the total counted when a dispute opened.
    function registerVerifier() external payable {
        Verifier storage v = verifiers[msg.sender];
        if (v.stake != 0) revert VerifierAlreadyRegistered(msg.sender);
        if (msg.value < minVerifierStake || msg.value > type(uint128).max) {
            revert InsufficientVerifierStake(msg.value, minVerifierStake);
        }
        uint64 epoch = ++verifierEpoch;
        verifiers[msg.sender] = Verifier({
            stake: uint128(msg.value),
            joinedEpoch: epoch,
            exitEpoch: 0,
            registeredAt: uint64(block.timestamp),
            exitRequestedAt: 0
        });
        totalVerifierStake += msg.value;
        emit VerifierRegistered(msg.sender, msg.value);
    }

    /// Stops counting the caller for new disputes; it still votes on those opened before. Its stake can leave once
    /// every such dispute is past its deadline.
    function requestVerifierExit() external {
        Verifier storage v = verifiers[msg.sender];
        if (v.stake == 0) revert NotVerifier(msg.sender);
        if (v.exitEpoch != 0) revert VerifierExiting(msg.sender);
        v.exitEpoch = ++verifierEpoch;
        v.exitRequestedAt = uint64(block.timestamp);
        totalVerifierStake -= v.stake;
        emit VerifierExitRequested(msg.sender, block.timestamp + disputeWindow + 1);
    }

    function withdrawVerifierStake() external nonReentrant {
        Verifier storage v = verifiers[msg.sender];
        if (v.stake == 0) revert NotVerifier(msg.sender);
        if (v.exitEpoch == 0) revert VerifierNotExiting(msg.sender);
        uint256 withdrawableAt = uint256(v.exitRequestedAt) + disputeWindow + 1;
        if (block.timestamp < withdrawableAt) revert VerifierStakeLocked(msg.sender, withdrawableAt);
        uint256 stake = v.stake;
        delete verifiers[msg.sender];
        emit VerifierStakeWithdrawn(msg.sender, stake);
        _pay(msg.sender, stake);
    }

    function getVerifier(address verifier) external view returns (Verifier memory) {
        return verifiers[verifier];
    }

    // ---- disputes ----

    /// Opens a dispute over `receipt`: the provider's "OpML" service must be liable for the receipt's signer, the
    /// receipt younger than `challengeWindow`, `request`/`response` the bytes it hashes, and `msg.value` (all of it
    /// is the bond) at least `disputeBond`. The bytes travel in `DisputeOpened` for verifiers, not in storage.
    function dispute(
        InferenceReceipt calldata receipt,
        bytes calldata signature,
        bytes calldata request,
        bytes calldata response
    ) external payable nonReentrant returns (uint256 id) {
        if (msg.value < disputeBond) revert InsufficientBond(msg.value, disputeBond);
        _checkBytes(receipt, request, response);
        bytes32 digest = _checkReceipt(receipt, signature);
        id = _open(receipt, digest);
        emit DisputeOpened(
            id,
            receipt.provider,
            receipt.user,
            msg.sender,
            receipt.requestHash,
            receipt.responseHash,
            request,
            response,
            disputes[id].deadline
        );
    }

    /// A verifier registered before the dispute opened (and not a party to it) votes once, with its whole stake.
    /// The vote that takes one side past 2/3 of the eligible stake resolves the dispute.
    function voteDispute(uint256 id, bool providerCorrect) external nonReentrant {
        Dispute storage d = _openDispute(id);
        if (block.timestamp > d.deadline) revert VotingClosed(id, d.deadline);
        if (msg.sender == d.provider || msg.sender == d.user || msg.sender == d.challenger) {
            revert PartyCannotVote(id, msg.sender);
        }
        Verifier storage v = verifiers[msg.sender];
        if (!_eligible(v, d.epoch)) revert NotEligibleVerifier(id, msg.sender);
        if (hasVoted[id][msg.sender]) revert AlreadyVoted(id, msg.sender);
        hasVoted[id][msg.sender] = true;
        uint128 weight = v.stake;
        uint256 side;
        if (providerCorrect) side = d.stakeProviderCorrect += weight;
        else side = d.stakeProviderWrong += weight;
        emit DisputeVoted(id, msg.sender, providerCorrect, weight);
        if (side * 3 > uint256(d.eligibleStake) * 2) {
            _resolve(id, d, providerCorrect ? Outcome.ProviderCorrect : Outcome.ProviderWrong);
        }
    }

    /// After the deadline without a 2/3 decision anyone may close the dispute as dismissed (bond back).
    function resolveDispute(uint256 id) external nonReentrant {
        Dispute storage d = _openDispute(id);
        if (block.timestamp <= d.deadline) revert DisputeStillOpen(id, d.deadline);
        _resolve(id, d, Outcome.Dismissed);
    }

    function getDispute(uint256 id) external view returns (Dispute memory) {
        if (id == 0 || id > disputeCount) revert UnknownDispute(id);
        return disputes[id];
    }

    /// The EIP-712 digest a provider signs for `receipt` (domain of `InferenceServing`).
    function receiptDigest(InferenceReceipt calldata receipt) public view returns (bytes32) {
        return typedDataDigest(
            inferenceDomainSeparator(address(serving)), keccak256(abi.encode(INFERENCE_RECEIPT_TYPEHASH, receipt))
        );
    }

    function withdraw() external nonReentrant {
        uint256 amount = withdrawable[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        withdrawable[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        _pay(msg.sender, amount);
    }

    /// Only `InferenceServing` sends ETH here (slashed stake).
    receive() external payable {
        if (msg.sender != address(serving)) revert DirectDepositsDisabled();
    }

    // ---- internals ----

    function _checkBytes(InferenceReceipt calldata receipt, bytes calldata request, bytes calldata response)
        private
        view
    {
        uint256 createdAt = receipt.createdAt;
        // A provider's clock may run ahead of block timestamps (whole seconds, blocks up to seconds apart): a receipt
        // stamped a little in the future is still disputable. Stamping it further ahead only lengthens the window.
        if (createdAt > block.timestamp + MAX_CLOCK_SKEW || block.timestamp > createdAt + challengeWindow) {
            revert OutsideChallengeWindow(createdAt, block.timestamp);
        }
        bytes32 h = sha256(request);
        if (h != receipt.requestHash) revert RequestHashMismatch(receipt.requestHash, h);
        h = sha256(response);
        if (h != receipt.responseHash) revert ResponseHashMismatch(receipt.responseHash, h);
    }

    function _checkReceipt(InferenceReceipt calldata receipt, bytes calldata signature)
        private
        view
        returns (bytes32 digest)
    {
        digest = receiptDigest(receipt);
        uint256 existing = disputeOfReceipt[digest];
        if (existing != 0) revert ReceiptAlreadyDisputed(digest, existing);
        address signer = recoverSigner(digest, signature);
        (bool opml, bool liable) = serving.disputeStatus(receipt.provider, signer);
        if (!liable) {
            if (!opml) revert ServiceNotDisputable(receipt.provider);
            revert InvalidReceiptSignature(signer);
        }
    }

    function _open(InferenceReceipt calldata receipt, bytes32 digest) private returns (uint256 id) {
        address provider = receipt.provider;
        address user = receipt.user;
        uint256 eligible = totalVerifierStake - _activeStake(provider);
        if (user != provider) eligible -= _activeStake(user);
        if (msg.sender != provider && msg.sender != user) eligible -= _activeStake(msg.sender);
        if (eligible == 0) revert NoVerifiers();

        id = ++disputeCount;
        uint256 deadline = block.timestamp + disputeWindow;
        Dispute storage d = disputes[id];
        d.provider = provider;
        d.openedAt = uint64(block.timestamp);
        d.user = user;
        d.deadline = uint64(deadline);
        d.challenger = msg.sender;
        d.epoch = verifierEpoch;
        d.receiptDigest = digest;
        d.bond = uint128(msg.value);
        d.eligibleStake = uint128(eligible);
        disputeOfReceipt[digest] = id;
        openDisputes[provider] += 1;
    }

    function _resolve(uint256 id, Dispute storage d, Outcome outcome) private {
        d.outcome = outcome;
        address provider = d.provider;
        openDisputes[provider] -= 1;
        uint256 slashed;
        if (outcome == Outcome.ProviderWrong) {
            slashed = serving.slash(provider, slashAmount);
            d.slashed = uint128(slashed);
            uint256 userShare = slashed / 2;
            _credit(d.user, userShare);
            _credit(d.challenger, slashed - userShare + d.bond);
            emit ProviderSlashed(provider, id, slashed);
        } else if (outcome == Outcome.ProviderCorrect) {
            _credit(provider, d.bond);
        } else {
            _credit(d.challenger, d.bond);
        }
        emit DisputeResolved(id, outcome, slashed);
    }

    function _openDispute(uint256 id) private view returns (Dispute storage d) {
        if (id == 0 || id > disputeCount) revert UnknownDispute(id);
        d = disputes[id];
        if (d.outcome != Outcome.Open) revert DisputeClosed(id);
    }

    /// Registered at or before `epoch` and not asked to exit by then.
    function _eligible(Verifier storage v, uint64 epoch) private view returns (bool) {
        return v.stake != 0 && v.joinedEpoch <= epoch && (v.exitEpoch == 0 || v.exitEpoch > epoch);
    }

    /// Stake `account` counts with in `totalVerifierStake` now (0 unless registered and not exiting).
    function _activeStake(address account) private view returns (uint256) {
        Verifier storage v = verifiers[account];
        return v.exitEpoch == 0 ? v.stake : 0;
    }

    function _credit(address to, uint256 amount) private {
        if (amount == 0) return;
        withdrawable[to] += amount;
        emit PaymentCredited(to, amount);
    }

    function _pay(address to, uint256 amount) private {
        (bool ok,) = payable(to).call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
