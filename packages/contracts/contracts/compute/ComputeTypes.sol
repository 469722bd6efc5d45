// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// The structs, enum and interfaces of 0G Compute's contracts (reference compute.md §2.3–§2.6, §3.5), with 0G's field
// names and order: ABI-encoded results and event data must decode with 0G's own ABI.

/// A user's main account in `LedgerManager`. `totalBalance - availableBalance` sits in service sub-accounts.
struct Ledger {
    address user;
    uint256 availableBalance;
    uint256 totalBalance;
    string additionalInfo;
}

/// A service contract registered in `LedgerManager` (`fullName` = `serviceType-version`).
struct ServiceInfo {
    address serviceAddress;
    IServing serviceContract;
    string serviceType;
    string version;
    string fullName;
    string description;
    bool isRecommended;
    uint256 registeredAt;
}

/// A pending refund of a sub-account. `processed` is never set: 0G keeps it for its storage layout and so do we for
/// its ABI.
struct Refund {
    uint256 index;
    uint256 amount;
    uint256 createdAt;
    bool processed;
}

/// A (user, provider) sub-account in `InferenceServing`. Active refunds are `refunds[0 .. validRefundsLength)`; the
/// slots behind them are reused, never popped, as in 0G.
struct Account {
    address user;
    address provider;
    uint256 nonce;
    uint256 balance;
    uint256 pendingRefund;
    Refund[] refunds;
    string additionalInfo;
    bool acknowledged;
    uint256 validRefundsLength;
    uint256 generation;
    uint256 revokedBitmap;
}

struct ServiceParams {
    string serviceType;
    string url;
    string model;
    string verifiability;
    uint256 inputPrice;
    uint256 outputPrice;
    string additionalInfo;
    address teeSignerAddress;
}

struct Service {
    address provider;
    string serviceType;
    string url;
    uint256 inputPrice;
    uint256 outputPrice;
    uint256 updatedAt;
    string model;
    string verifiability;
    string additionalInfo;
    address teeSignerAddress;
    bool teeSignerAcknowledged;
}

/// One user's aggregate charge, signed with EIP-712 `TEESettlement` by the service's signer.
struct TEESettlementData {
    address user;
    address provider;
    uint256 totalFee;
    bytes32 requestsHash;
    uint256 nonce;
    bytes signature;
}

/// 0G's per-settlement status codes; zerog's `settleFeesWithTEE` reverts on anything but SUCCESS, and
/// `previewSettlementResults` still reports them.
enum SettlementStatus {
    SUCCESS,
    PARTIAL,
    PROVIDER_MISMATCH,
    NO_TEE_SIGNER,
    INVALID_NONCE,
    INVALID_SIGNATURE
}

/// What a provider signs (EIP-712 `InferenceReceipt`, domain of `InferenceServing`) for each answer: the evidence a
/// dispute is opened with. `requestHash`/`responseHash` are sha256 of the exact body bytes; `createdAt` unix seconds.
struct InferenceReceipt {
    address user;
    address provider;
    bytes32 requestHash;
    bytes32 responseHash;
    uint256 inputTokens;
    uint256 outputTokens;
    uint256 fee;
    uint256 createdAt;
}

/// What `LedgerManager` calls on a service contract (0G's `IServing`; its ERC-165 id is checked at registration).
interface IServing {
    function accountExists(address user, address provider) external view returns (bool);

    function getPendingRefund(address user, address provider) external view returns (uint256);

    function addAccount(address user, address provider, string memory additionalInfo) external payable;

    function depositFund(address user, address provider, uint256 cancelRetrievingAmount) external payable;

    function requestRefundAll(address user, address provider) external;

    function processRefund(address user, address provider)
        external
        returns (uint256 totalAmount, uint256 balance, uint256 pendingRefund);

    function deleteAccount(address user, address provider) external;
}

interface ILedger {
    function spendFund(address user, uint256 amount) external;

    function depositFundFor(address recipient) external payable;
}

/// What `InferenceDisputes` needs from `InferenceServing`, which holds the provider stakes.
interface IInferenceStakes {
    function challengeWindow() external view returns (uint256);

    function disputeStatus(address provider, address signer) external view returns (bool opml, bool liable);

    function slash(address provider, uint256 amount) external returns (uint256 slashed);
}

/// What `InferenceServing` asks `InferenceDisputes` before releasing a stake.
interface IInferenceDisputes {
    function openDisputes(address provider) external view returns (uint256);
}
