// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ComputeOwnable} from "./ComputeOwnable.sol";
import {
    AddressSet,
    Bytes32Set,
    setAdd,
    setRemove,
    setContains,
    pageBounds,
    inferenceDomainSeparator,
    typedDataDigest,
    recoverSigner,
    TEE_SETTLEMENT_TYPEHASH
} from "./ComputeLib.sol";
import {
    Account,
    IInferenceDisputes,
    IInferenceStakes,
    ILedger,
    IServing,
    Refund,
    Service,
    ServiceParams,
    SettlementStatus,
    TEESettlementData
} from "./ComputeTypes.sol";

/// 0G Compute's inference service contract (reference compute.md §2.5, §2.6, §3.5, §5) with 0G's ABI, and zerog's
/// changes (docs/compute-plan.md §1, §3): a provider's TEE signer is acknowledged when it registers (zerog has no
/// TEE; the stake and disputes bind the key), `settleFeesWithTEE` is all-or-nothing and reverts with the reason, and a
/// removed service's stake stays here, slashable by `InferenceDisputes`, until `challengeWindow` has passed
/// (`withdrawProviderStake`). Genesis contract, no proxy: the constructor takes 0G's `initialize` arguments first.
contract InferenceServing is ComputeOwnable, IServing, IInferenceStakes {
    uint256 public immutable MIN_LOCKTIME;
    uint256 public immutable MAX_LOCKTIME;
    uint256 public immutable MIN_PROVIDER_STAKE;
    /// How long after a receipt's `createdAt` it can be disputed, and how long a removed service's stake stays.
    uint256 public immutable challengeWindow;
    address public immutable ledgerAddress;
    /// `InferenceDisputes`, the only caller allowed to `slash`.
    address public immutable disputes;

    uint256 public lockTime;

    uint256 private constant MAX_REFUNDS_PER_ACCOUNT = 5;
    uint256 private constant MAX_PAGE = 50;
    uint256 private constant MAX_SETTLEMENTS = 50;
    uint256 private constant MAX_BATCH_USERS = 500;
    uint256 private constant MAX_ADDITIONAL_INFO_LENGTH = 4096;
    bytes32 private constant OPML = keccak256("OpML");
    bool private transient locked;

    mapping(bytes32 => Account) private accountOf;
    Bytes32Set private accountKeys;
    mapping(address => Bytes32Set) private accountKeysByProvider;
    mapping(address => Bytes32Set) private accountKeysByUser;
    mapping(address => Service) private serviceOf;
    AddressSet private serviceProviders;
    mapping(address => uint256) private providerStake;
    /// 0 while the provider's service is active; after `removeService`, when its stake may leave.
    mapping(address => uint256) private stakeUnlockAt;
    /// provider => signer => until when receipts it signed stay disputable after it stopped being an "OpML" signer
    /// (signer or verifiability changed, service removed), so changing keys does not escape a dispute.
    mapping(address => mapping(address => uint256)) private signerLiableUntil;

    event BalanceUpdated(address indexed user, address indexed provider, uint256 amount, uint256 pendingRefund);
    event RefundRequested(address indexed user, address indexed provider, uint256 indexed index, uint256 timestamp);
    event ServiceUpdated(
        address indexed service,
        string serviceType,
        string url,
        uint256 inputPrice,
        uint256 outputPrice,
        uint256 updatedAt,
        string model,
        string verifiability
    );
    event ServiceRemoved(address indexed service);
    event TEESettlementResult(address indexed user, SettlementStatus status, uint256 unsettledAmount);
    /// Declared for 0G's ABI; never emitted (0G does not emit it either).
    event BatchBalanceUpdated(address[] users, uint256[] balances, uint256[] pendingRefunds);
    event ProviderTEESignerAcknowledged(address indexed provider, address indexed teeSignerAddress, bool acknowledged);
    event ProviderStaked(address indexed provider, uint256 amount);
    event ProviderStakeReturned(address indexed provider, uint256 amount);
    event ProviderStakeLocked(address indexed provider, uint256 amount, uint256 unlockAt);
    event ProviderStakeSlashed(address indexed provider, uint256 amount, uint256 remaining);
    event TokenRevoked(address indexed user, address indexed provider, uint8 tokenId);
    event TokensRevoked(address indexed user, address indexed provider, uint8[] tokenIds);
    event AllTokensRevoked(address indexed user, address indexed provider, uint256 newGeneration);
    event LockTimeUpdated(uint256 oldLockTime, uint256 newLockTime);
    event ContractInitialized(address indexed owner, uint256 lockTime, address ledgerAddress);
    event AccountDeleted(address indexed user, address indexed provider, uint256 refundedAmount);

    error InvalidTEESignature(string reason);
    error LockTimeOutOfRange(uint256 lockTime, uint256 min, uint256 max);
    error CallerNotLedger(address caller);
    error LimitTooLarge(uint256 limit, uint256 max);
    error InvalidAddress(address addr);
    error TransferFailed();
    error CannotAddStakeWhenUpdating();
    error InsufficientStake(uint256 provided, uint256 required);
    error NoSettlementsProvided();
    error TooManySettlements(uint256 count, uint256 max);
    error ProviderCannotBeUser();
    error DirectDepositsDisabled();
    error AccountNotExists(address user, address provider);
    error AccountExists(address user, address provider);
    error TooManyRefunds(address user, address provider);
    error BatchSizeTooLarge(uint256 size, uint256 max);
    error CannotRevokeWithNonZeroBalance(address user, address provider, uint256 balance);
    error ServiceNotExist(address provider);
    error AdditionalInfoTooLong();
    /// 0G's initializer error, declared for ABI compatibility: a genesis contract is never initialized.
    error AlreadyInitialized();
    // zerog: settlement refusals (0G reports these as statuses and settles nothing for the item).
    error ProviderMismatch(address provider, address caller);
    error TEESignerNotAcknowledged(address user, address provider);
    error InvalidNonce(address user, uint256 nonce, uint256 current);
    error InsufficientBalance(address user, address provider, uint256 balance, uint256 fee);
    // zerog: stake.
    error ServiceStillActive(address provider);
    error NoStake(address provider);
    error StakeLocked(address provider, uint256 unlockAt);
    error DisputesPending(address provider, uint256 count);
    error CallerNotDisputes(address caller);
    error ReentrantCall();

    modifier onlyLedgerManager() {
        if (msg.sender != ledgerAddress) revert CallerNotLedger(msg.sender);
        _;
    }

    modifier nonReentrant() {
        if (locked) revert ReentrantCall();
        locked = true;
        _;
        locked = false;
    }

    constructor(
        uint256 locktime_,
        address ledgerAddress_,
        address owner_,
        uint256 minLockTime_,
        uint256 maxLockTime_,
        uint256 minProviderStake_,
        uint256 challengeWindow_,
        address disputes_
    ) ComputeOwnable(owner_) {
        if (minLockTime_ > maxLockTime_ || locktime_ < minLockTime_ || locktime_ > maxLockTime_) {
            revert LockTimeOutOfRange(locktime_, minLockTime_, maxLockTime_);
        }
        MIN_LOCKTIME = minLockTime_;
        MAX_LOCKTIME = maxLockTime_;
        MIN_PROVIDER_STAKE = minProviderStake_;
        challengeWindow = challengeWindow_;
        ledgerAddress = ledgerAddress_;
        disputes = disputes_;
        lockTime = locktime_;
        emit ContractInitialized(owner_, locktime_, ledgerAddress_);
    }

    function updateLockTime(uint256 _locktime) external onlyOwner {
        if (_locktime < MIN_LOCKTIME || _locktime > MAX_LOCKTIME) {
            revert LockTimeOutOfRange(_locktime, MIN_LOCKTIME, MAX_LOCKTIME);
        }
        emit LockTimeUpdated(lockTime, _locktime);
        lockTime = _locktime;
    }

    // ---- sub-accounts (IServing, called by the ledger) ----

    function addAccount(address user, address provider, string memory additionalInfo)
        external
        payable
        onlyLedgerManager
    {
        _checkParties(user, provider);
        bytes32 key = _key(user, provider);
        if (setContains(accountKeys, key)) revert AccountExists(user, provider);
        Account storage account = accountOf[key];
        // A re-created account keeps its nonce and generation, so old settlements and tokens stay dead.
        account.user = user;
        account.provider = provider;
        account.balance = msg.value;
        account.additionalInfo = additionalInfo;
        account.acknowledged = true;
        setAdd(accountKeys, key);
        setAdd(accountKeysByProvider[provider], key);
        setAdd(accountKeysByUser[user], key);
        emit BalanceUpdated(user, provider, msg.value, 0);
    }

    /// Adds `msg.value` and cancels up to `cancelRetrievingAmount` of pending refunds, newest first.
    function depositFund(address user, address provider, uint256 cancelRetrievingAmount)
        external
        payable
        onlyLedgerManager
    {
        _checkParties(user, provider);
        Account storage account = _account(user, provider);
        uint256 cancelled = _consumeRefunds(account, cancelRetrievingAmount);
        account.pendingRefund -= cancelled;
        account.balance += msg.value;
        account.acknowledged = true;
        emit BalanceUpdated(user, provider, account.balance, account.pendingRefund);
    }

    /// Starts a refund of everything not already pending (at most `MAX_REFUNDS_PER_ACCOUNT` active refunds).
    function requestRefundAll(address user, address provider) external onlyLedgerManager {
        Account storage account = _account(user, provider);
        uint256 amount = account.balance - account.pendingRefund;
        if (amount == 0) return;
        uint256 index = account.validRefundsLength;
        if (index >= MAX_REFUNDS_PER_ACCOUNT) revert TooManyRefunds(user, provider);
        Refund memory r = Refund({index: index, amount: amount, createdAt: block.timestamp, processed: false});
        if (account.refunds.length <= index) account.refunds.push(r);
        else account.refunds[index] = r;
        account.validRefundsLength = index + 1;
        account.pendingRefund += amount;
        emit RefundRequested(user, provider, index, block.timestamp);
    }

    /// Pays the ledger every refund at least `lockTime` old and keeps the younger ones, in order.
    function processRefund(address user, address provider)
        external
        onlyLedgerManager
        returns (uint256 totalAmount, uint256 balance, uint256 pendingRefund)
    {
        Account storage account = _account(user, provider);
        uint256 n = account.validRefundsLength;
        if (n == 0) return (0, account.balance, account.pendingRefund);
        uint256 kept;
        uint256 unlockBefore = block.timestamp;
        for (uint256 i = 0; i < n; i++) {
            Refund storage r = account.refunds[i];
            if (unlockBefore >= r.createdAt + lockTime) {
                totalAmount += r.amount;
            } else {
                pendingRefund += r.amount;
                if (i != kept) {
                    Refund storage dst = account.refunds[kept];
                    dst.index = kept;
                    dst.amount = r.amount;
                    dst.createdAt = r.createdAt;
                    dst.processed = r.processed;
                }
                kept++;
            }
        }
        account.validRefundsLength = kept;
        account.balance -= totalAmount;
        account.pendingRefund = pendingRefund;
        balance = account.balance;
        if (totalAmount > 0) {
            emit BalanceUpdated(user, provider, balance, pendingRefund);
            (bool ok,) = payable(msg.sender).call{value: totalAmount}("");
            if (!ok) revert TransferFailed();
        }
    }

    /// Drops the account from every index but keeps its nonce and generation (replay protection on re-creation).
    function deleteAccount(address user, address provider) external onlyLedgerManager {
        bytes32 key = _key(user, provider);
        if (!setRemove(accountKeys, key)) {
            emit AccountDeleted(user, provider, 0);
            return;
        }
        setRemove(accountKeysByProvider[provider], key);
        setRemove(accountKeysByUser[user], key);
        Account storage account = accountOf[key];
        uint256 deleted = account.balance;
        account.balance = 0;
        account.pendingRefund = 0;
        account.acknowledged = false;
        account.validRefundsLength = 0;
        account.revokedBitmap = 0;
        delete account.refunds;
        delete account.additionalInfo;
        emit AccountDeleted(user, provider, deleted);
    }

    function accountExists(address user, address provider) public view returns (bool) {
        return setContains(accountKeys, _key(user, provider));
    }

    function getPendingRefund(address user, address provider) external view returns (uint256) {
        return _account(user, provider).pendingRefund;
    }

    function getAccount(address user, address provider) external view returns (Account memory) {
        return _account(user, provider);
    }

    function getAllAccounts(uint256 offset, uint256 limit) external view returns (Account[] memory accounts, uint256 total) {
        return _page(accountKeys.items, offset, limit);
    }

    function getAccountsByProvider(address provider, uint256 offset, uint256 limit)
        external
        view
        returns (Account[] memory accounts, uint256 total)
    {
        return _page(accountKeysByProvider[provider].items, offset, limit);
    }

    function getAccountsByUser(address user, uint256 offset, uint256 limit)
        external
        view
        returns (Account[] memory accounts, uint256 total)
    {
        return _page(accountKeysByUser[user].items, offset, limit);
    }

    /// The caller's (a provider's) accounts with `users`; an empty record where there is none.
    function getBatchAccountsByUsers(address[] calldata users) external view returns (Account[] memory accounts) {
        if (users.length > MAX_BATCH_USERS) revert BatchSizeTooLarge(users.length, MAX_BATCH_USERS);
        accounts = new Account[](users.length);
        for (uint256 i = 0; i < users.length; i++) {
            bytes32 key = _key(users[i], msg.sender);
            if (setContains(accountKeys, key)) accounts[i] = accountOf[key];
        }
    }

    // ---- user actions ----

    /// A user may withdraw its acknowledgement of `provider`'s signer only once the account is empty.
    function acknowledgeTEESigner(address provider, bool acknowledged) external {
        Account storage account = _account(msg.sender, provider);
        if (account.acknowledged && !acknowledged && account.balance != 0) {
            revert CannotRevokeWithNonZeroBalance(msg.sender, provider, account.balance);
        }
        account.acknowledged = acknowledged;
    }

    function revokeToken(address provider, uint8 tokenId) external {
        _account(msg.sender, provider).revokedBitmap |= uint256(1) << tokenId;
        emit TokenRevoked(msg.sender, provider, tokenId);
    }

    function revokeTokens(address provider, uint8[] calldata tokenIds) external {
        Account storage account = _account(msg.sender, provider);
        uint256 bitmap = account.revokedBitmap;
        for (uint256 i = 0; i < tokenIds.length; i++) {
            bitmap |= uint256(1) << tokenIds[i];
        }
        account.revokedBitmap = bitmap;
        emit TokensRevoked(msg.sender, provider, tokenIds);
    }

    /// Revokes every session token and API key issued so far: a token must carry the current generation.
    function revokeAllTokens(address provider) external {
        Account storage account = _account(msg.sender, provider);
        uint256 generation = account.generation + 1;
        account.generation = generation;
        account.revokedBitmap = 0;
        emit AllTokensRevoked(msg.sender, provider, generation);
    }

    function isTokenRevoked(address user, address provider, uint8 tokenId) external view returns (bool) {
        return (_account(user, provider).revokedBitmap >> tokenId) & 1 == 1;
    }

    // ---- services and stake ----

    /// Registers or updates the caller's service. The first registration stakes at least `MIN_PROVIDER_STAKE`; an
    /// update sends nothing, unless slashing left the stake below the minimum, when it must top it up. A removed
    /// service whose stake is still here takes it back. The signer is acknowledged on registration (zerog).
    function addOrUpdateService(ServiceParams calldata params) external payable {
        if (bytes(params.additionalInfo).length > MAX_ADDITIONAL_INFO_LENGTH) revert AdditionalInfoTooLong();
        _stakeFor(msg.sender);
        Service storage s = serviceOf[msg.sender];
        if (setAdd(serviceProviders, msg.sender)) {
            s.provider = msg.sender;
            s.teeSignerAcknowledged = true;
            emit ProviderTEESignerAcknowledged(msg.sender, params.teeSignerAddress, true);
        } else if (_isOpml(s) && (s.teeSignerAddress != params.teeSignerAddress || keccak256(bytes(params.verifiability)) != OPML)) {
            _keepLiable(msg.sender, s.teeSignerAddress);
        }
        s.serviceType = params.serviceType;
        s.url = params.url;
        s.inputPrice = params.inputPrice;
        s.outputPrice = params.outputPrice;
        s.updatedAt = block.timestamp;
        s.model = params.model;
        s.verifiability = params.verifiability;
        s.additionalInfo = params.additionalInfo;
        s.teeSignerAddress = params.teeSignerAddress;
        emit ServiceUpdated(
            msg.sender,
            params.serviceType,
            params.url,
            params.inputPrice,
            params.outputPrice,
            block.timestamp,
            params.model,
            params.verifiability
        );
    }

    /// Removes the service. Its stake stays, still slashable, until `challengeWindow` has passed.
    function removeService() external {
        if (!setRemove(serviceProviders, msg.sender)) revert ServiceNotExist(msg.sender);
        Service storage s = serviceOf[msg.sender];
        if (_isOpml(s)) _keepLiable(msg.sender, s.teeSignerAddress);
        delete serviceOf[msg.sender];
        uint256 unlockAt = block.timestamp + challengeWindow;
        stakeUnlockAt[msg.sender] = unlockAt;
        emit ServiceRemoved(msg.sender);
        emit ProviderStakeLocked(msg.sender, providerStake[msg.sender], unlockAt);
    }

    /// Pays a removed service's stake once `challengeWindow` has passed and no dispute against it is open.
    function withdrawProviderStake() external nonReentrant {
        if (setContains(serviceProviders, msg.sender)) revert ServiceStillActive(msg.sender);
        uint256 stake = providerStake[msg.sender];
        if (stake == 0) revert NoStake(msg.sender);
        uint256 unlockAt = stakeUnlockAt[msg.sender];
        if (block.timestamp < unlockAt) revert StakeLocked(msg.sender, unlockAt);
        uint256 open = IInferenceDisputes(disputes).openDisputes(msg.sender);
        if (open != 0) revert DisputesPending(msg.sender, open);
        providerStake[msg.sender] = 0;
        stakeUnlockAt[msg.sender] = 0;
        emit ProviderStakeReturned(msg.sender, stake);
        (bool ok,) = payable(msg.sender).call{value: stake}("");
        if (!ok) revert TransferFailed();
    }

    /// `unlockAt` is 0 while the service is active.
    function getProviderStake(address provider) external view returns (uint256 amount, uint256 unlockAt) {
        return (providerStake[provider], stakeUnlockAt[provider]);
    }

    /// For `InferenceDisputes`: whether `provider` runs an active "OpML" service, and whether receipts signed by
    /// `signer` are disputable against it now (its current OpML signer, or a former one within `challengeWindow`).
    function disputeStatus(address provider, address signer) external view returns (bool opml, bool liable) {
        Service storage s = serviceOf[provider];
        opml = setContains(serviceProviders, provider) && _isOpml(s);
        if (signer == address(0)) return (opml, false);
        liable = (opml && s.teeSignerAddress == signer) || signerLiableUntil[provider][signer] > block.timestamp;
    }

    /// Takes up to `amount` of `provider`'s stake and sends it to `InferenceDisputes`, which pays it out.
    function slash(address provider, uint256 amount) external returns (uint256 slashed) {
        if (msg.sender != disputes) revert CallerNotDisputes(msg.sender);
        uint256 stake = providerStake[provider];
        slashed = amount < stake ? amount : stake;
        providerStake[provider] = stake - slashed;
        emit ProviderStakeSlashed(provider, slashed, stake - slashed);
        if (slashed > 0) {
            (bool ok,) = payable(msg.sender).call{value: slashed}("");
            if (!ok) revert TransferFailed();
        }
    }

    function serviceExists(address provider) external view returns (bool) {
        return setContains(serviceProviders, provider);
    }

    function getService(address provider) external view returns (Service memory service) {
        if (!setContains(serviceProviders, provider)) revert ServiceNotExist(provider);
        return serviceOf[provider];
    }

    function getAllServices(uint256 offset, uint256 limit)
        external
        view
        returns (Service[] memory services, uint256 total)
    {
        if (limit > MAX_PAGE) revert LimitTooLarge(limit, MAX_PAGE);
        address[] storage providers = serviceProviders.items;
        total = providers.length;
        (uint256 start, uint256 count) = pageBounds(offset, limit == 0 ? MAX_PAGE : limit, total);
        services = new Service[](count);
        for (uint256 i = 0; i < count; i++) {
            services[i] = serviceOf[providers[start + i]];
        }
    }

    function acknowledgeTEESignerByOwner(address provider) external onlyOwner {
        _setSignerAcknowledged(provider, true);
    }

    function revokeTEESignerAcknowledgement(address provider) external onlyOwner {
        _setSignerAcknowledged(provider, false);
    }

    // ---- settlement ----

    /// Settles each user's signed aggregate fee, all or nothing: any item that 0G would report with a status other
    /// than SUCCESS reverts the batch with the reason. Fees come from the free balance first, then from pending
    /// refunds newest first; the ledger is charged (`spendFund`) and the caller paid once at the end.
    function settleFeesWithTEE(TEESettlementData[] calldata settlements)
        external
        nonReentrant
        returns (uint8[] memory statuses)
    {
        uint256 n = _checkBatch(settlements.length);
        statuses = new uint8[](n);
        if (!setContains(serviceProviders, msg.sender)) revert ServiceNotExist(msg.sender);
        Service storage service = serviceOf[msg.sender];
        address signer = service.teeSignerAddress;
        bool serviceAcknowledged = service.teeSignerAcknowledged && signer != address(0);
        bytes32 domain = inferenceDomainSeparator(address(this));
        uint256 total;
        for (uint256 i = 0; i < n; i++) {
            TEESettlementData calldata item = settlements[i];
            address user = item.user;
            if (item.provider != msg.sender) revert ProviderMismatch(item.provider, msg.sender);
            bytes32 key = _key(user, msg.sender);
            if (!setContains(accountKeys, key)) revert AccountNotExists(user, msg.sender);
            Account storage account = accountOf[key];
            if (!serviceAcknowledged || !account.acknowledged) revert TEESignerNotAcknowledged(user, msg.sender);
            if (item.nonce <= account.nonce) revert InvalidNonce(user, item.nonce, account.nonce);
            address recovered = recoverSigner(typedDataDigest(domain, _settlementHash(item)), item.signature);
            if (recovered == address(0)) revert InvalidTEESignature("malformed signature");
            if (recovered != signer) revert InvalidTEESignature("not signed by the service's TEE signer");
            uint256 fee = item.totalFee;
            uint256 balance = account.balance;
            if (fee > balance) revert InsufficientBalance(user, msg.sender, balance, fee);
            account.nonce = item.nonce;
            if (fee > 0) {
                _settleFee(account, user, fee);
                total += fee;
            }
            emit TEESettlementResult(user, SettlementStatus.SUCCESS, 0);
        }
        if (total > 0) {
            (bool ok,) = payable(msg.sender).call{value: total}("");
            if (!ok) revert TransferFailed();
        }
    }

    /// What `settleFeesWithTEE` would refuse, with 0G's status codes and without reverting. Each item is checked
    /// against the current state: a user appearing twice is previewed as if alone.
    function previewSettlementResults(TEESettlementData[] calldata settlements)
        external
        view
        returns (
            address[] memory failedUsers,
            SettlementStatus[] memory failureReasons,
            address[] memory partialUsers,
            uint256[] memory partialAmounts
        )
    {
        uint256 n = _checkBatch(settlements.length);
        failedUsers = new address[](n);
        failureReasons = new SettlementStatus[](n);
        partialUsers = new address[](n);
        partialAmounts = new uint256[](n);
        uint256 failed;
        uint256 partials;
        for (uint256 i = 0; i < n; i++) {
            (SettlementStatus status, uint256 unsettled) = _preview(settlements[i]);
            if (status == SettlementStatus.SUCCESS) continue;
            if (status == SettlementStatus.PARTIAL) {
                partialUsers[partials] = settlements[i].user;
                partialAmounts[partials++] = unsettled;
            } else {
                failedUsers[failed] = settlements[i].user;
                failureReasons[failed++] = status;
            }
        }
        assembly {
            mstore(failedUsers, failed)
            mstore(failureReasons, failed)
            mstore(partialUsers, partials)
            mstore(partialAmounts, partials)
        }
    }

    // ---- ERC-165 ----

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x01ffc9a7 || interfaceId == type(IServing).interfaceId;
    }

    receive() external payable {
        revert DirectDepositsDisabled();
    }

    // ---- internals ----

    function _preview(TEESettlementData calldata item) private view returns (SettlementStatus, uint256) {
        if (item.provider != msg.sender) return (SettlementStatus.PROVIDER_MISMATCH, item.totalFee);
        bytes32 key = _key(item.user, msg.sender);
        if (!setContains(accountKeys, key)) return (SettlementStatus.INVALID_SIGNATURE, item.totalFee);
        if (!setContains(serviceProviders, msg.sender)) return (SettlementStatus.PROVIDER_MISMATCH, item.totalFee);
        Account storage account = accountOf[key];
        Service storage service = serviceOf[msg.sender];
        if (!account.acknowledged || !service.teeSignerAcknowledged || service.teeSignerAddress == address(0)) {
            return (SettlementStatus.NO_TEE_SIGNER, item.totalFee);
        }
        if (item.nonce <= account.nonce) return (SettlementStatus.INVALID_NONCE, item.totalFee);
        bytes32 digest = typedDataDigest(inferenceDomainSeparator(address(this)), _settlementHash(item));
        address recovered = recoverSigner(digest, item.signature);
        if (recovered == address(0) || recovered != service.teeSignerAddress) {
            return (SettlementStatus.INVALID_SIGNATURE, item.totalFee);
        }
        if (item.totalFee > account.balance) return (SettlementStatus.PARTIAL, item.totalFee - account.balance);
        return (SettlementStatus.SUCCESS, 0);
    }

    function _checkBatch(uint256 n) private pure returns (uint256) {
        if (n == 0) revert NoSettlementsProvided();
        if (n > MAX_SETTLEMENTS) revert TooManySettlements(n, MAX_SETTLEMENTS);
        return n;
    }

    function _settlementHash(TEESettlementData calldata item) private pure returns (bytes32) {
        return keccak256(
            abi.encode(TEE_SETTLEMENT_TYPEHASH, item.requestsHash, item.nonce, item.provider, item.user, item.totalFee)
        );
    }

    /// 0G's `_settleFees`: the part of `fee` above the free balance (balance - pendingRefund) is taken from pending
    /// refunds, newest first, which is what the refund lock exists for.
    function _settleFee(Account storage account, address user, uint256 fee) private {
        uint256 balance = account.balance;
        uint256 pending = account.pendingRefund;
        uint256 free = balance - pending;
        if (fee > free) {
            uint256 fromRefunds = fee - free;
            _consumeRefunds(account, fromRefunds);
            account.pendingRefund = pending - fromRefunds;
        }
        account.balance = balance - fee;
        ILedger(ledgerAddress).spendFund(user, fee);
        emit BalanceUpdated(user, msg.sender, balance - fee, account.pendingRefund);
    }

    /// Cancels up to `amount` of active refunds, newest first (whole refunds drop off the end, the last one touched
    /// may shrink); returns how much was cancelled. The caller adjusts `pendingRefund`.
    function _consumeRefunds(Account storage account, uint256 amount) private returns (uint256 cancelled) {
        uint256 valid = account.validRefundsLength;
        while (valid > 0 && cancelled < amount) {
            Refund storage r = account.refunds[valid - 1];
            uint256 want = amount - cancelled;
            uint256 refundAmount = r.amount;
            if (refundAmount <= want) {
                cancelled += refundAmount;
                r.amount = 0;
                valid--;
            } else {
                cancelled += want;
                r.amount = refundAmount - want;
            }
        }
        account.validRefundsLength = valid;
    }

    function _stakeFor(address provider) private {
        uint256 stake = providerStake[provider];
        if (stake >= MIN_PROVIDER_STAKE && stake != 0) {
            if (msg.value != 0) revert CannotAddStakeWhenUpdating();
        } else {
            uint256 staked = stake + msg.value;
            if (staked < MIN_PROVIDER_STAKE || staked == 0) revert InsufficientStake(staked, MIN_PROVIDER_STAKE);
            providerStake[provider] = staked;
            emit ProviderStaked(provider, msg.value);
        }
        stakeUnlockAt[provider] = 0;
    }

    function _keepLiable(address provider, address signer) private {
        if (signer != address(0)) signerLiableUntil[provider][signer] = block.timestamp + challengeWindow;
    }

    function _isOpml(Service storage s) private view returns (bool) {
        return keccak256(bytes(s.verifiability)) == OPML;
    }

    function _setSignerAcknowledged(address provider, bool acknowledged) private {
        if (!setContains(serviceProviders, provider)) revert ServiceNotExist(provider);
        Service storage s = serviceOf[provider];
        s.teeSignerAcknowledged = acknowledged;
        emit ProviderTEESignerAcknowledged(provider, s.teeSignerAddress, acknowledged);
    }

    function _page(bytes32[] storage keys, uint256 offset, uint256 limit)
        private
        view
        returns (Account[] memory page, uint256 total)
    {
        if (limit > MAX_PAGE) revert LimitTooLarge(limit, MAX_PAGE);
        total = keys.length;
        (uint256 start, uint256 count) = pageBounds(offset, limit == 0 ? MAX_PAGE : limit, total);
        page = new Account[](count);
        for (uint256 i = 0; i < count; i++) {
            page[i] = accountOf[keys[start + i]];
        }
    }

    function _account(address user, address provider) private view returns (Account storage) {
        bytes32 key = _key(user, provider);
        if (!setContains(accountKeys, key)) revert AccountNotExists(user, provider);
        return accountOf[key];
    }

    function _checkParties(address user, address provider) private pure {
        if (user == address(0)) revert InvalidAddress(user);
        if (provider == address(0)) revert InvalidAddress(provider);
        if (user == provider) revert ProviderCannotBeUser();
    }

    function _key(address user, address provider) private pure returns (bytes32) {
        return keccak256(abi.encode(user, provider));
    }
}
