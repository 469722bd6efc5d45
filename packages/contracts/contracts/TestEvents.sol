// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title TestEventsChild
/// @notice The contract `TestEvents.deployChild` creates with CREATE2, so call traces show an internal create.
contract TestEventsChild {
    address public immutable parent;
    bytes32 public immutable salt;

    event ChildCreated(address indexed parent, bytes32 salt);

    constructor(bytes32 salt_) payable {
        parent = msg.sender;
        salt = salt_;
        emit ChildCreated(msg.sender, salt_);
    }
}

/// @title TestEventsEphemeral
/// @notice Self-destructs in its constructor: with EIP-6780 the account is removed in that same transaction.
contract TestEventsEphemeral {
    constructor(address payable beneficiary) payable {
        selfdestruct(beneficiary);
    }
}

/// @title TestEvents
/// @notice Every behaviour JSON-RPC and tooling tests need in one contract: logs (indexed, many, anonymous),
/// each revert encoding (reason string, custom error, panics), gas burning, block context, value transfers,
/// internal creates and nested calls.
contract TestEvents {
    uint256 public value;
    uint256 public burned;
    mapping(uint256 slot => uint256) public sink;

    event ValueChanged(address indexed by, uint256 indexed oldValue, uint256 newValue);
    event Ping(uint256 indexed i, bytes32 tag);
    event AnonymousPing(address indexed sender, uint256 value) anonymous;
    event Deposited(address indexed from, uint256 amount);
    event ChildDeployed(address indexed child, bytes32 salt);

    error Custom(uint256 code, string why);

    function setValue(uint256 newValue) external {
        uint256 oldValue = value;
        value = newValue;
        emit ValueChanged(msg.sender, oldValue, newValue);
    }

    function emitMany(uint256 n) external {
        for (uint256 i = 0; i < n; ++i) {
            emit Ping(i, keccak256(abi.encode(i)));
        }
    }

    function emitAnonymous() external {
        emit AnonymousPing(msg.sender, value);
    }

    function revertWithReason(string calldata reason) external pure {
        revert(reason);
    }

    function requireWithReason(bool ok, string calldata reason) external pure {
        require(ok, reason);
    }

    function revertWithCustom(uint256 code) external pure {
        revert Custom(code, "custom error");
    }

    /// @notice Always panics with code 0x12 (division by zero).
    function panicDivByZero(uint256 numerator) external pure returns (uint256) {
        uint256 zero;
        return numerator / zero;
    }

    /// @notice Always panics with code 0x01 (assert).
    function assertFail() external pure {
        assert(false);
    }

    /// @notice Reverts when `x > value`, so eth_estimateGas fails or succeeds depending on state.
    function revertIfGreater(uint256 x) external view returns (uint256) {
        require(x <= value, "TestEvents: x exceeds value");
        return x;
    }

    /// @notice Writes `iterations` storage slots; every call changes each slot, so gas use is predictable.
    function burnGas(uint256 iterations) external returns (uint256) {
        uint256 base = burned;
        for (uint256 i = 0; i < iterations; ++i) {
            sink[i] = base + i + 1;
        }
        burned = base + iterations;
        return burned;
    }

    /// @notice Zeroes the first `n` slots `burnGas` wrote, earning storage refunds (EIP-3529).
    function clearSink(uint256 n) external {
        for (uint256 i = 0; i < n; ++i) {
            delete sink[i];
        }
    }

    /// @notice Creates a contract that self-destructs in its constructor, sending this call's value to `beneficiary`.
    function createAndDestroy(address payable beneficiary) external payable {
        new TestEventsEphemeral{value: msg.value}(beneficiary);
    }

    function getBlockInfo()
        external
        view
        returns (
            uint256 number,
            uint256 timestamp,
            uint256 basefee,
            uint256 chainid,
            address coinbase,
            uint256 gaslimit,
            bytes32 parentHash
        )
    {
        // At genesis there is no parent; blockhash(block.number - 1) would underflow.
        parentHash = block.number > 0 ? blockhash(block.number - 1) : bytes32(0);
        return (block.number, block.timestamp, block.basefee, block.chainid, block.coinbase, block.gaslimit, parentHash);
    }

    function deposit() external payable {
        emit Deposited(msg.sender, msg.value);
    }

    receive() external payable {
        emit Deposited(msg.sender, msg.value);
    }

    function selfBalance() external view returns (uint256) {
        return address(this).balance;
    }

    function deployChild(bytes32 salt) external payable returns (address child) {
        child = address(new TestEventsChild{salt: salt, value: msg.value}(salt));
        emit ChildDeployed(child, salt);
    }

    /// @notice Calls `target` with `data` and this call's value; bubbles the callee's revert data unchanged.
    function callOther(address target, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory result) = target.call{value: msg.value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
        return result;
    }
}
