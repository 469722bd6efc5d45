// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Free functions shared by the compute contracts: enumerable sets, pagination, EIP-712 digests with ECDSA recovery. Free functions rather than libraries so the build emits no extra artifacts, and no
// OpenZeppelin: nothing outside contracts/ can be imported.

/// An insertion-ordered set with O(1) add, remove (swap with the last item) and membership; `position` is index + 1.
struct AddressSet {
    address[] items;
    mapping(address => uint256) position;
}

struct Bytes32Set {
    bytes32[] items;
    mapping(bytes32 => uint256) position;
}

function setAdd(AddressSet storage s, address a) returns (bool) {
    if (s.position[a] != 0) return false;
    s.items.push(a);
    s.position[a] = s.items.length;
    return true;
}

function setRemove(AddressSet storage s, address a) returns (bool) {
    uint256 pos = s.position[a];
    if (pos == 0) return false;
    uint256 last = s.items.length;
    if (pos != last) {
        address moved = s.items[last - 1];
        s.items[pos - 1] = moved;
        s.position[moved] = pos;
    }
    s.items.pop();
    delete s.position[a];
    return true;
}

function setContains(AddressSet storage s, address a) view returns (bool) {
    return s.position[a] != 0;
}

function setAdd(Bytes32Set storage s, bytes32 k) returns (bool) {
    if (s.position[k] != 0) return false;
    s.items.push(k);
    s.position[k] = s.items.length;
    return true;
}

function setRemove(Bytes32Set storage s, bytes32 k) returns (bool) {
    uint256 pos = s.position[k];
    if (pos == 0) return false;
    uint256 last = s.items.length;
    if (pos != last) {
        bytes32 moved = s.items[last - 1];
        s.items[pos - 1] = moved;
        s.position[moved] = pos;
    }
    s.items.pop();
    delete s.position[k];
    return true;
}

function setContains(Bytes32Set storage s, bytes32 k) view returns (bool) {
    return s.position[k] != 0;
}

/// `[offset, offset + limit)` clipped to `total`, as 0G's paginated getters.
function pageBounds(uint256 offset, uint256 limit, uint256 total) pure returns (uint256 start, uint256 count) {
    if (offset >= total) return (total, 0);
    uint256 end = total - offset < limit ? total : offset + limit;
    return (offset, end - offset);
}

bytes32 constant EIP712_DOMAIN_TYPEHASH =
    keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
bytes32 constant INFERENCE_DOMAIN_NAME_HASH = keccak256("0G Inference Serving");
bytes32 constant INFERENCE_DOMAIN_VERSION_HASH = keccak256("1");
bytes32 constant TEE_SETTLEMENT_TYPEHASH =
    keccak256("TEESettlement(bytes32 requestsHash,uint256 nonce,address provider,address user,uint256 totalFee)");
bytes32 constant INFERENCE_RECEIPT_TYPEHASH = keccak256(
    "InferenceReceipt(address user,address provider,bytes32 requestHash,bytes32 responseHash,uint256 inputTokens,uint256 outputTokens,uint256 fee,uint256 createdAt)"
);

/// The domain both typed messages are signed under. Computed per call, as 0G does, so a chain-id fork cannot replay.
function inferenceDomainSeparator(address inferenceServing) view returns (bytes32) {
    return keccak256(
        abi.encode(
            EIP712_DOMAIN_TYPEHASH,
            INFERENCE_DOMAIN_NAME_HASH,
            INFERENCE_DOMAIN_VERSION_HASH,
            block.chainid,
            inferenceServing
        )
    );
}

function typedDataDigest(bytes32 domainSeparator, bytes32 structHash) pure returns (bytes32 digest) {
    assembly ("memory-safe") {
        let p := mload(0x40)
        mstore(p, hex"1901")
        mstore(add(p, 0x02), domainSeparator)
        mstore(add(p, 0x22), structHash)
        digest := keccak256(p, 0x42)
    }
}

// secp256k1 n / 2: a signature with a larger `s` has a twin (n - s, v ^ 1) and is refused, as OpenZeppelin's ECDSA.
uint256 constant SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

/// The signer of a 65-byte `r ‖ s ‖ v` signature over `digest`, or address(0) for any malformed or non-canonical
/// signature (wrong length, high `s`, `v` not 27/28) or one ecrecover rejects.
function recoverSigner(bytes32 digest, bytes calldata signature) pure returns (address signer) {
    if (signature.length != 65) return address(0);
    bytes32 r;
    uint256 s;
    uint8 v;
    assembly {
        r := calldataload(signature.offset)
        s := calldataload(add(signature.offset, 0x20))
        v := byte(0, calldataload(add(signature.offset, 0x40)))
    }
    if (s > SECP256K1_HALF_N || (v != 27 && v != 28)) return address(0);
    return ecrecover(digest, v, r, bytes32(s));
}
