// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ComputeOwnable} from "./ComputeOwnable.sol";
import {AddressSet, setAdd, setRemove, setContains, pageBounds} from "./ComputeLib.sol";
import {IServing, Ledger, ServiceInfo} from "./ComputeTypes.sol";

/// 0G Compute's main ledger (reference compute.md §2.2, §2.4, §5), written from the reference with 0G's ABI. Users fund
/// a ledger, move money into per-provider sub-accounts of a registered service contract (`transferFund`) and get it
/// back through that contract's refund lock (`retrieveFund`). Service contracts charge a ledger with `spendFund` when
/// they settle. Genesis contract, no proxy: the constructor takes 0G's `initialize(owner)` argument and registers
/// `InferenceServing` as `inference-v1.0`, recommended.
contract LedgerManager is ComputeOwnable {
    uint256 public constant MAX_PROVIDERS_PER_BATCH = 20;
    uint256 public constant MAX_SERVICES = 500;
    // Bounds the external calls `refund`/`deleteLedger` make per service when they delete a user's sub-accounts.
    uint256 public constant MAX_PROVIDERS_PER_USER_PER_SERVICE = 50;
    uint256 public constant MAX_ADDITIONAL_INFO_LENGTH = 4096;
    uint256 public constant MIN_ACCOUNT_BALANCE = 3 ether;
    uint256 public constant MIN_TRANSFER_AMOUNT = 1 ether;

    uint256 private constant DEFAULT_PAGE = 50;
    bool private transient locked;

    mapping(address => Ledger) private ledgerOf;
    AddressSet private ledgerUsers;
    mapping(address => ServiceInfo) private registeredServices;
    mapping(bytes32 => address) private serviceByName;
    AddressSet private serviceAddresses;
    mapping(bytes32 => address) private recommendedByType;
    /// user => service contract => providers the user has a sub-account with there.
    mapping(address => mapping(address => AddressSet)) private providersOf;

    event ServiceRegistered(address indexed serviceAddress, string serviceName);
    event RecommendedServiceUpdated(string serviceType, string version, address serviceAddress);
    event LedgerInfoUpdated(address indexed user, string additionalInfo);
    event FundSpent(address indexed user, address indexed service, uint256 amount);

    error LedgerNotExists(address user);
    error LedgerExists(address user);
    error InsufficientBalance(address user);
    error TooManyProviders(uint256 requested, uint256 maximum);
    error TooManyProvidersForService(uint256 current, uint256 maximum);
    error InvalidServiceType(string serviceType);
    error ServiceNotRegistered(address serviceAddress);
    error ServiceNameExists(string serviceName);
    error InvalidServiceAddress(address serviceAddress);
    error LedgerLocked();
    error CallerNotRegisteredService(address caller);
    error ServiceNotFound(address serviceAddress);
    error MinimumDepositRequired(uint256 provided, uint256 required);
    error AdditionalInfoTooLong(uint256 length, uint256 max);
    error ZeroAmountNotAllowed();
    error ZeroAddressNotAllowed();
    error InsufficientAvailableBalance(uint256 available, uint256 required);
    error TransferFailed();
    error CallFailed();
    error MustWithdrawAllFundsFirst(uint256 remainingBalance);
    error ServiceTypeRequired();
    error VersionRequired();
    error ServiceAlreadyRegistered(address serviceAddress);
    error ServiceMustImplementIServing(address serviceAddress);
    error ServiceRegistryLimitReached(uint256 limit);
    error NoRecommendedService(string serviceType);
    error DirectDepositsDisabled();
    /// 0G's initializer error, declared for ABI compatibility: a genesis contract is never initialized.
    error AlreadyInitialized();

    /// 0G's `withLedgerLock`: a service contract called back during a ledger operation cannot start another. One
    /// transient lock for all users where 0G keeps a storage flag per user: transient variables cannot be mappings,
    /// and no legitimate call path nests two ledger operations.
    modifier withLedgerLock() {
        if (locked) revert LedgerLocked();
        locked = true;
        _;
        locked = false;
    }

    modifier onlyServing() {
        if (registeredServices[msg.sender].serviceAddress == address(0)) revert CallerNotRegisteredService(msg.sender);
        _;
    }

    /// `inferenceServing` may be address(0) to start with no service registered.
    constructor(address initialOwner, address inferenceServing) ComputeOwnable(initialOwner) {
        if (inferenceServing != address(0)) {
            _registerService("inference", "v1.0", inferenceServing, "zerog inference serving (genesis)");
            _setRecommendedService("inference", "v1.0");
        }
    }

    // ---- ledgers ----

    function addLedger(string memory additionalInfo) external payable withLedgerLock returns (uint256, uint256) {
        if (msg.value < MIN_ACCOUNT_BALANCE) revert MinimumDepositRequired(msg.value, MIN_ACCOUNT_BALANCE);
        _checkInfo(additionalInfo);
        if (setContains(ledgerUsers, msg.sender)) revert LedgerExists(msg.sender);
        _createLedger(msg.sender, msg.value, additionalInfo);
        return (msg.value, 0);
    }

    function updateAdditionalInfo(string memory additionalInfo) external withLedgerLock {
        _checkInfo(additionalInfo);
        _ledger(msg.sender).additionalInfo = additionalInfo;
        emit LedgerInfoUpdated(msg.sender, additionalInfo);
    }

    /// Creates the ledger (with at least `MIN_ACCOUNT_BALANCE`) if there is none.
    function depositFund() external payable withLedgerLock {
        _deposit(msg.sender, msg.value);
    }

    function depositFundFor(address recipient) external payable withLedgerLock {
        if (recipient == address(0)) revert ZeroAddressNotAllowed();
        _deposit(recipient, msg.value);
    }

    /// Pays out `amount` of the available balance. What stays must be 0 or at least `MIN_ACCOUNT_BALANCE`; a ledger
    /// whose total reaches 0 is deleted with its sub-accounts.
    function refund(uint256 amount) external withLedgerLock {
        Ledger storage ledger = _ledger(msg.sender);
        if (ledger.availableBalance < amount) revert InsufficientBalance(msg.sender);
        uint256 remaining = ledger.availableBalance - amount;
        if (remaining != 0 && remaining < MIN_ACCOUNT_BALANCE) revert MinimumDepositRequired(remaining, MIN_ACCOUNT_BALANCE);
        ledger.availableBalance = remaining;
        ledger.totalBalance -= amount;
        if (ledger.totalBalance == 0) {
            _deleteLedgerRecord(msg.sender);
            _deleteAllServiceAccounts(msg.sender);
        }
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// Moves `amount` into the sub-account with `provider` of service `serviceName`. An existing sub-account first
    /// takes back its pending refunds (newest first) up to `amount`, so only the rest is new money; a new one needs at
    /// least `MIN_TRANSFER_AMOUNT`.
    function transferFund(address provider, string memory serviceName, uint256 amount) external withLedgerLock {
        Ledger storage ledger = _ledger(msg.sender);
        address serviceAddress = _serviceByName(serviceName);
        IServing serving = IServing(serviceAddress);

        uint256 transferAmount = amount;
        bytes memory payload;
        if (serving.accountExists(msg.sender, provider)) {
            uint256 pending = serving.getPendingRefund(msg.sender, provider);
            uint256 cancelled = amount < pending ? amount : pending;
            transferAmount -= cancelled;
            payload = abi.encodeCall(IServing.depositFund, (msg.sender, provider, cancelled));
        } else {
            if (amount < MIN_TRANSFER_AMOUNT) revert MinimumDepositRequired(amount, MIN_TRANSFER_AMOUNT);
            payload = abi.encodeCall(IServing.addAccount, (msg.sender, provider, ledger.additionalInfo));
            AddressSet storage providers = providersOf[msg.sender][serviceAddress];
            if (!setContains(providers, provider)) {
                if (providers.items.length >= MAX_PROVIDERS_PER_USER_PER_SERVICE) {
                    revert TooManyProvidersForService(providers.items.length, MAX_PROVIDERS_PER_USER_PER_SERVICE);
                }
                setAdd(providers, provider);
            }
        }
        if (ledger.availableBalance < transferAmount) {
            revert InsufficientAvailableBalance(ledger.availableBalance, transferAmount);
        }
        ledger.availableBalance -= transferAmount;
        (bool ok,) = serviceAddress.call{value: transferAmount}(payload);
        if (!ok) revert CallFailed();
    }

    /// For each provider: collect the refunds that have passed the service's lock time (the service sends them back
    /// here), then start a new refund of everything not yet pending. Call once, wait `lockTime`, call again.
    function retrieveFund(address[] memory providers, string memory serviceName) external withLedgerLock {
        if (providers.length > MAX_PROVIDERS_PER_BATCH) revert TooManyProviders(providers.length, MAX_PROVIDERS_PER_BATCH);
        IServing serving = IServing(_serviceByName(serviceName));
        Ledger storage ledger = _ledger(msg.sender);
        uint256 total;
        for (uint256 i = 0; i < providers.length; i++) {
            if (serving.accountExists(msg.sender, providers[i])) {
                (uint256 amount,,) = serving.processRefund(msg.sender, providers[i]);
                total += amount;
                serving.requestRefundAll(msg.sender, providers[i]);
            }
        }
        ledger.availableBalance += total;
    }

    function deleteLedger() external withLedgerLock {
        Ledger storage ledger = _ledger(msg.sender);
        if (ledger.totalBalance != 0) revert MustWithdrawAllFundsFirst(ledger.totalBalance);
        _deleteAllServiceAccounts(msg.sender);
        _deleteLedgerRecord(msg.sender);
    }

    /// Charges `amount` of what `user` holds in sub-accounts; called by a service contract when it settles fees.
    function spendFund(address user, uint256 amount) external onlyServing withLedgerLock {
        Ledger storage ledger = _ledger(user);
        uint256 inSubAccounts = ledger.totalBalance - ledger.availableBalance;
        if (inSubAccounts < amount) revert InsufficientAvailableBalance(inSubAccounts, amount);
        ledger.totalBalance -= amount;
        emit FundSpent(user, msg.sender, amount);
    }

    function getLedger(address user) external view returns (Ledger memory) {
        return _ledger(user);
    }

    /// `limit` 0 means 50; unlike the service getters 0G sets no maximum here.
    function getAllLedgers(uint256 offset, uint256 limit) external view returns (Ledger[] memory ledgers, uint256 total) {
        total = ledgerUsers.items.length;
        (uint256 start, uint256 count) = pageBounds(offset, limit == 0 ? DEFAULT_PAGE : limit, total);
        ledgers = new Ledger[](count);
        for (uint256 i = 0; i < count; i++) {
            ledgers[i] = ledgerOf[ledgerUsers.items[start + i]];
        }
    }

    function getLedgerProviders(address user, string memory serviceName) external view returns (address[] memory) {
        return providersOf[user][_serviceByName(serviceName)].items;
    }

    // ---- service registry ----

    function registerService(
        string memory serviceType,
        string memory version,
        address serviceAddress,
        string memory description
    ) external onlyOwner {
        _registerService(serviceType, version, serviceAddress, description);
    }

    function setRecommendedService(string memory serviceType, string memory version) external onlyOwner {
        _setRecommendedService(serviceType, version);
    }

    function getServiceInfo(address serviceAddress) external view returns (ServiceInfo memory) {
        return registeredServices[serviceAddress];
    }

    function getServiceAddressByName(string memory serviceName) external view returns (address) {
        return serviceByName[keccak256(bytes(serviceName))];
    }

    function getAllActiveServices() external view returns (ServiceInfo[] memory) {
        address[] storage addrs = serviceAddresses.items;
        ServiceInfo[] memory infos = new ServiceInfo[](addrs.length);
        for (uint256 i = 0; i < addrs.length; i++) {
            infos[i] = registeredServices[addrs[i]];
        }
        return infos;
    }

    function getRecommendedService(string memory serviceType)
        external
        view
        returns (string memory version, address serviceAddress)
    {
        serviceAddress = recommendedByType[keccak256(bytes(serviceType))];
        if (serviceAddress == address(0)) revert NoRecommendedService(serviceType);
        version = registeredServices[serviceAddress].version;
    }

    function getAllVersions(string memory serviceType)
        external
        view
        returns (string[] memory versions, address[] memory addresses, bool[] memory isRecommendedFlags)
    {
        bytes32 typeHash = keccak256(bytes(serviceType));
        address[] storage addrs = serviceAddresses.items;
        uint256 matches;
        for (uint256 i = 0; i < addrs.length; i++) {
            if (keccak256(bytes(registeredServices[addrs[i]].serviceType)) == typeHash) matches++;
        }
        versions = new string[](matches);
        addresses = new address[](matches);
        isRecommendedFlags = new bool[](matches);
        uint256 j;
        for (uint256 i = 0; i < addrs.length; i++) {
            ServiceInfo storage info = registeredServices[addrs[i]];
            if (keccak256(bytes(info.serviceType)) != typeHash) continue;
            versions[j] = info.version;
            addresses[j] = addrs[i];
            isRecommendedFlags[j] = info.isRecommended;
            j++;
        }
    }

    function isRecommendedVersion(string memory serviceType, string memory version) external view returns (bool) {
        address serviceAddress = serviceByName[keccak256(abi.encodePacked(serviceType, "-", version))];
        return serviceAddress != address(0) && registeredServices[serviceAddress].isRecommended;
    }

    /// Only registered service contracts send money back (refunds); anyone else must use `depositFund`.
    receive() external payable {
        if (registeredServices[msg.sender].serviceAddress == address(0)) revert DirectDepositsDisabled();
    }

    // ---- internals ----

    function _registerService(
        string memory serviceType,
        string memory version,
        address serviceAddress,
        string memory description
    ) private {
        if (serviceAddress == address(0)) revert InvalidServiceAddress(serviceAddress);
        if (bytes(serviceType).length == 0) revert ServiceTypeRequired();
        if (bytes(version).length == 0) revert VersionRequired();
        if (registeredServices[serviceAddress].serviceAddress != address(0)) revert ServiceAlreadyRegistered(serviceAddress);
        string memory fullName = string(abi.encodePacked(serviceType, "-", version));
        bytes32 nameHash = keccak256(bytes(fullName));
        if (serviceByName[nameHash] != address(0)) revert ServiceNameExists(fullName);
        if (!_supportsServing(serviceAddress)) revert ServiceMustImplementIServing(serviceAddress);
        if (serviceAddresses.items.length >= MAX_SERVICES) revert ServiceRegistryLimitReached(MAX_SERVICES);

        registeredServices[serviceAddress] = ServiceInfo({
            serviceAddress: serviceAddress,
            serviceContract: IServing(serviceAddress),
            serviceType: serviceType,
            version: version,
            fullName: fullName,
            description: description,
            isRecommended: false,
            registeredAt: block.timestamp
        });
        serviceByName[nameHash] = serviceAddress;
        setAdd(serviceAddresses, serviceAddress);
        emit ServiceRegistered(serviceAddress, fullName);
    }

    function _setRecommendedService(string memory serviceType, string memory version) private {
        address serviceAddress = serviceByName[keccak256(abi.encodePacked(serviceType, "-", version))];
        if (serviceAddress == address(0)) revert ServiceNotFound(serviceAddress);
        bytes32 typeHash = keccak256(bytes(serviceType));
        address previous = recommendedByType[typeHash];
        if (previous != address(0) && previous != serviceAddress) registeredServices[previous].isRecommended = false;
        recommendedByType[typeHash] = serviceAddress;
        registeredServices[serviceAddress].isRecommended = true;
        emit RecommendedServiceUpdated(serviceType, version, serviceAddress);
    }

    /// ERC-165 detection as OpenZeppelin's `ERC165Checker`: supports IERC165, not 0xffffffff, and `IServing`.
    function _supportsServing(address target) private view returns (bool) {
        return _supports(target, 0x01ffc9a7) && !_supports(target, 0xffffffff)
            && _supports(target, type(IServing).interfaceId);
    }

    function _supports(address target, bytes4 interfaceId) private view returns (bool) {
        (bool ok, bytes memory ret) =
            target.staticcall{gas: 30_000}(abi.encodeWithSelector(0x01ffc9a7, interfaceId));
        return ok && ret.length >= 32 && abi.decode(ret, (uint256)) == 1;
    }

    function _serviceByName(string memory serviceName) private view returns (address serviceAddress) {
        serviceAddress = serviceByName[keccak256(bytes(serviceName))];
        if (serviceAddress == address(0)) revert ServiceNotFound(serviceAddress);
    }

    function _deposit(address user, uint256 amount) private {
        if (amount == 0) revert ZeroAmountNotAllowed();
        if (!setContains(ledgerUsers, user)) {
            if (amount < MIN_ACCOUNT_BALANCE) revert MinimumDepositRequired(amount, MIN_ACCOUNT_BALANCE);
            _createLedger(user, amount, "");
        } else {
            Ledger storage ledger = ledgerOf[user];
            ledger.availableBalance += amount;
            ledger.totalBalance += amount;
        }
    }

    function _createLedger(address user, uint256 amount, string memory additionalInfo) private {
        ledgerOf[user] = Ledger({user: user, availableBalance: amount, totalBalance: amount, additionalInfo: additionalInfo});
        setAdd(ledgerUsers, user);
    }

    function _deleteLedgerRecord(address user) private {
        setRemove(ledgerUsers, user);
        delete ledgerOf[user];
    }

    /// Deletes the user's sub-accounts in every service; a service that reverts is skipped (its record is dropped
    /// here anyway), so a broken service contract cannot trap a ledger.
    function _deleteAllServiceAccounts(address user) private {
        address[] storage services = serviceAddresses.items;
        for (uint256 i = 0; i < services.length; i++) {
            IServing serving = IServing(services[i]);
            AddressSet storage providers = providersOf[user][services[i]];
            for (uint256 j = providers.items.length; j > 0; j--) {
                address provider = providers.items[j - 1];
                try serving.deleteAccount(user, provider) {} catch {}
                setRemove(providers, provider);
            }
        }
    }

    function _ledger(address user) private view returns (Ledger storage) {
        if (!setContains(ledgerUsers, user)) revert LedgerNotExists(user);
        return ledgerOf[user];
    }

    function _checkInfo(string memory additionalInfo) private pure {
        if (bytes(additionalInfo).length > MAX_ADDITIONAL_INFO_LENGTH) {
            revert AdditionalInfoTooLong(bytes(additionalInfo).length, MAX_ADDITIONAL_INFO_LENGTH);
        }
    }
}
