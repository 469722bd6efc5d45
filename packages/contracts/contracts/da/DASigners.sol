// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BLS12381} from "./BLS12381.sol";
import {IDASigners} from "./IDASigners.sol";

/// 0G's DASigners precompile (`0x…1000`) as a system contract, on BLS12-381 (reference §5.1): signers register a G1
/// public key with a proof of possession, register for each next epoch with a signature whose hash seeds their
/// ballots, and `makeEpoch` cuts the sorted ballots into quorums of 128 slots. `getAggPkG1` sums the keys of the signers
/// set in a quorum bitmap for `DAEntrance`'s aggregate-signature check. Registration goes through `DARegistry`, which
/// gates it on stake.
///
/// Messages (all signed with blst's `sign`, DST `BLS12381.DST_POP`):
/// - proof of possession: `abi.encodePacked(signer, uint256 chainid, "0G_BLS12381_Pubkey_Registration", pk.xHi,
///   pk.xLo, pk.yHi, pk.yLo)`: 20 + 32 + 31 + 128 = 211 bytes, the key in its 128-byte EIP-2537 encoding;
/// - epoch registration: `abi.encodePacked(signer, uint64 epoch, uint256 chainid)`: 60 bytes, for epoch = current + 1.
/// The ballot seed is `keccak256(abi.encode(signature))`, the hash of the 256-byte EIP-2537 G2 encoding.
///
/// Differences from 0G: if nobody registered for a new epoch, it keeps the previous epoch's quorums (0G would have
/// none), and `registeredEpoch` then answers for the epoch those quorums came from. A quorum slot is stored as a
/// 16-bit index into its epoch's registration list, 16 per word (8 words per quorum), not as an address. The ballots of
/// one epoch are bounded by `maxBallots = maxQuorums × 512` (4 quorums' worth), so `makeEpoch`'s in-memory sort has a
/// known worst case; a registration past the bound reverts. Genesis signers are trusted: no proof of possession.
contract DASigners is IDASigners {
    uint256 public constant QUORUM_SLOTS = 128;
    uint256 public constant MAX_SOCKET_LENGTH = 96;
    /// Ballots per epoch allowed per quorum: the sort works on at most maxQuorums × this.
    uint256 public constant BALLOTS_PER_QUORUM = 512;
    /// Keeps maxBallots ≤ 2^16, so a registration index fits the 16 bits of a slot.
    uint256 public constant MAX_QUORUMS = 128;
    bytes private constant POP_DOMAIN = "0G_BLS12381_Pubkey_Registration";
    uint256 private constant WORDS_PER_QUORUM = 8;

    struct Config {
        address registry;
        uint256 maxVotesPerSigner;
        uint256 maxQuorums;
        uint256 epochBlocks;
    }

    /// A signer registered for epoch 0 at construction; `seed` is its epoch-0 ballot seed (see above).
    struct GenesisSigner {
        address signer;
        string socket;
        BLS12381.G1Point pk;
        uint256 votes;
        bytes32 seed;
    }

    struct Signer {
        bool registered;
        string socket;
        BLS12381.G1Point pk;
    }

    struct Registration {
        address signer;
        uint32 votes;
        bytes32 seed;
    }

    /// `source` is the epoch whose registrations and quorums serve this one (itself unless carried over).
    struct Epoch {
        uint64 startBlock;
        uint64 source;
        uint32 quorumCount;
    }

    address public immutable registry;
    uint256 public immutable maxVotesPerSigner;
    uint256 public immutable maxQuorums;
    uint256 public immutable epochBlocks;
    uint256 public immutable maxBallots;

    uint256 public epochNumber;
    mapping(address => Signer) private signers;
    mapping(uint256 epoch => Registration[]) private registrations;
    mapping(uint256 epoch => mapping(address => bool)) private registered;
    mapping(uint256 epoch => uint256) private ballotCount;
    mapping(uint256 epoch => Epoch) private epochs;
    /// Quorum q of an epoch is words [8q, 8q + 8); slot s is bits [16(s % 16), 16(s % 16) + 16) of word s / 16.
    mapping(uint256 epoch => mapping(uint256 word => uint256)) private quorumWords;

    error InvalidParams();
    error OnlyRegistry(address caller);
    error NotSigner(address account);
    error SignerExists(address signer);
    error InvalidGenesisSigner(address signer);
    error SocketTooLong(uint256 length);
    error InvalidProofOfPossession(address signer);
    error InvalidEpochSignature(address signer, uint256 epoch);
    error AlreadyRegistered(address signer, uint256 epoch);
    error ZeroVotes(address signer);
    error BallotLimitReached(uint256 ballots, uint256 limit);
    error QuorumNotFound(uint256 epoch, uint256 quorumId);
    error SlotOutOfRange(uint256 slot);
    error InvalidBitmapLength(uint256 length);

    modifier onlyRegistry() {
        if (msg.sender != registry) revert OnlyRegistry(msg.sender);
        _;
    }

    /// The settings travel as one struct: solc (without via-IR) runs out of stack decoding four words and a
    /// `GenesisSigner[]` as separate constructor arguments.
    constructor(Config memory config, GenesisSigner[] memory genesis) {
        uint256 maxVotesPerSigner_ = config.maxVotesPerSigner;
        uint256 maxQuorums_ = config.maxQuorums;
        if (maxVotesPerSigner_ == 0 || maxQuorums_ == 0 || maxQuorums_ > MAX_QUORUMS || config.epochBlocks == 0) {
            revert InvalidParams();
        }
        registry = config.registry;
        maxVotesPerSigner = maxVotesPerSigner_;
        maxQuorums = maxQuorums_;
        epochBlocks = config.epochBlocks;
        uint256 limit = maxQuorums_ * BALLOTS_PER_QUORUM;
        maxBallots = limit;
        for (uint256 i = 0; i < genesis.length; ++i) {
            GenesisSigner memory g = genesis[i];
            if (signers[g.signer].registered) revert SignerExists(g.signer);
            if (BLS12381.isInfinity(g.pk) || bytes(g.socket).length > MAX_SOCKET_LENGTH) {
                revert InvalidGenesisSigner(g.signer);
            }
            storeSigner(g.signer, g.socket, g.pk);
            addRegistration(0, g.signer, g.votes < maxVotesPerSigner_ ? g.votes : maxVotesPerSigner_, g.seed, limit);
        }
        uint256 count = genesis.length == 0 ? 0 : formQuorums(0, maxQuorums_);
        epochs[0] = Epoch(uint64(block.number), 0, uint32(count));
        emit NewEpoch(0, count);
    }

    function params() external view returns (Params memory) {
        return Params(0, maxVotesPerSigner, maxQuorums, epochBlocks, QUORUM_SLOTS);
    }

    function quorumCount(uint256 epoch) external view returns (uint256) {
        return epoch > epochNumber ? 0 : epochs[epoch].quorumCount;
    }

    /// The block at which `epoch` began (0 for an epoch not reached yet, and for epoch 0 built in genesis).
    function epochStartBlock(uint256 epoch) external view returns (uint256) {
        return epoch > epochNumber ? 0 : epochs[epoch].startBlock;
    }

    function isSigner(address account) external view returns (bool) {
        return signers[account].registered;
    }

    function getSigner(address[] calldata accounts) external view returns (SignerDetail[] memory details) {
        details = new SignerDetail[](accounts.length);
        for (uint256 i = 0; i < accounts.length; ++i) {
            Signer storage s = signers[accounts[i]];
            if (!s.registered) revert NotSigner(accounts[i]);
            details[i] = SignerDetail(accounts[i], s.socket, s.pk);
        }
    }

    function getQuorum(uint256 epoch, uint256 quorumId) external view returns (address[] memory members) {
        uint256 source = quorumSource(epoch, quorumId);
        mapping(uint256 => uint256) storage words = quorumWords[source];
        Registration[] storage regs = registrations[source];
        members = new address[](QUORUM_SLOTS);
        for (uint256 w = 0; w < WORDS_PER_QUORUM; ++w) {
            uint256 word = words[quorumId * WORDS_PER_QUORUM + w];
            unchecked {
                for (uint256 k = 0; k < 16; ++k) {
                    members[w * 16 + k] = regs[(word >> (16 * k)) & 0xffff].signer;
                }
            }
        }
    }

    function getQuorumRow(uint256 epoch, uint256 quorumId, uint32 slot) external view returns (address) {
        uint256 source = quorumSource(epoch, quorumId);
        if (slot >= QUORUM_SLOTS) revert SlotOutOfRange(slot);
        uint256 word = quorumWords[source][quorumId * WORDS_PER_QUORUM + slot / 16];
        return registrations[source][(word >> (16 * (slot % 16))) & 0xffff].signer;
    }

    function registerSigner(SignerDetail calldata signer, BLS12381.G2Point calldata popSignature) external onlyRegistry {
        address account = signer.signer;
        if (signers[account].registered) revert SignerExists(account);
        if (bytes(signer.socket).length > MAX_SOCKET_LENGTH) revert SocketTooLong(bytes(signer.socket).length);
        BLS12381.G1Point memory pk = signer.pk;
        if (!BLS12381.verify(pk, registrationMessage(account, pk), popSignature, BLS12381.DST_POP)) {
            revert InvalidProofOfPossession(account);
        }
        storeSigner(account, signer.socket, pk);
    }

    function updateSocket(string calldata socket) external {
        Signer storage s = signers[msg.sender];
        if (!s.registered) revert NotSigner(msg.sender);
        if (bytes(socket).length > MAX_SOCKET_LENGTH) revert SocketTooLong(bytes(socket).length);
        s.socket = socket;
        emit SocketUpdated(msg.sender, socket);
    }

    function registeredEpoch(address account, uint256 epoch) external view returns (bool) {
        if (registered[epoch][account]) return true;
        if (epoch > epochNumber) return false;
        uint256 source = epochs[epoch].source;
        return source != epoch && registered[source][account];
    }

    function registerNextEpoch(address signer, BLS12381.G2Point calldata signature, uint256 votes)
        external
        onlyRegistry
    {
        Signer storage s = signers[signer];
        if (!s.registered) revert NotSigner(signer);
        uint256 next = epochNumber + 1;
        if (registered[next][signer]) revert AlreadyRegistered(signer, next);
        BLS12381.G1Point memory pk = s.pk;
        BLS12381.G2Point memory sig = signature;
        if (!BLS12381.verify(pk, epochRegistrationMessage(signer, next), sig, BLS12381.DST_POP)) {
            revert InvalidEpochSignature(signer, next);
        }
        uint256 capped = votes < maxVotesPerSigner ? votes : maxVotesPerSigner;
        addRegistration(next, signer, capped, keccak256(abi.encode(sig)), maxBallots);
    }

    /// Starts the next epoch once `epochBlocks` blocks have passed since the current one began; a no-op before.
    function makeEpoch() external {
        uint256 current = epochNumber;
        Epoch memory cur = epochs[current];
        if (block.number < cur.startBlock + epochBlocks) return;
        uint256 next = current + 1;
        epochNumber = next;
        Epoch memory e = registrations[next].length == 0
            ? Epoch(uint64(block.number), cur.source, cur.quorumCount)
            : Epoch(uint64(block.number), uint64(next), uint32(formQuorums(next, maxQuorums)));
        epochs[next] = e;
        emit NewEpoch(next, e.quorumCount);
    }

    /// The sum of the keys of the distinct signers set in `quorumBitmap` (16 bytes, slot i at bit i % 8 of byte i / 8)
    /// with 0G's count: a signer's key is added at its first set slot; `hit` counts that slot and every later slot of an
    /// added signer, set or not, but not the slots before its first set one.
    function getAggPkG1(uint256 epoch, uint256 quorumId, bytes calldata quorumBitmap)
        external
        view
        returns (BLS12381.G1Point memory aggPk, uint256 total, uint256 hit)
    {
        uint256 source = quorumSource(epoch, quorumId);
        if (quorumBitmap.length != QUORUM_SLOTS / 8) revert InvalidBitmapLength(quorumBitmap.length);
        Registration[] storage regs = registrations[source];
        (uint256[] memory chosen, uint256 hits) =
            selectSigners(quorumWords[source], quorumId * WORDS_PER_QUORUM, quorumBitmap, regs.length);
        BLS12381.G1Point[] memory pks = new BLS12381.G1Point[](chosen.length);
        for (uint256 i = 0; i < chosen.length; ++i) {
            pks[i] = signers[regs[chosen[i]].signer].pk;
        }
        aggPk = BLS12381.aggregateG1(pks);
        hit = hits;
        total = QUORUM_SLOTS;
    }

    /// The 211 bytes a signer's proof of possession signs.
    function registrationMessage(address signer, BLS12381.G1Point memory pk) public view returns (bytes memory) {
        return abi.encodePacked(signer, block.chainid, POP_DOMAIN, pk.xHi, pk.xLo, pk.yHi, pk.yLo);
    }

    /// The 60 bytes a signer signs to register for `epoch`; the signature's hash seeds its ballots.
    function epochRegistrationMessage(address signer, uint256 epoch) public view returns (bytes memory) {
        return abi.encodePacked(signer, uint64(epoch), block.chainid);
    }

    /// The registration indices whose keys `getAggPkG1` adds, in slot order, and its `hit` count.
    function selectSigners(
        mapping(uint256 => uint256) storage words,
        uint256 base,
        bytes calldata bitmap,
        uint256 registrationCount
    )
        private
        view
        returns (uint256[] memory chosen, uint256 hit)
    {
        uint256[] memory added = new uint256[]((registrationCount + 255) / 256);
        chosen = new uint256[](QUORUM_SLOTS);
        uint256 n = 0;
        for (uint256 w = 0; w < WORDS_PER_QUORUM; ++w) {
            uint256 word = words[base + w];
            // Slots 16w..16w+15 are bits 0..15 of bitmap bytes 2w (low) and 2w + 1.
            uint256 bits = uint8(bitmap[2 * w]) | (uint256(uint8(bitmap[2 * w + 1])) << 8);
            unchecked {
                for (uint256 k = 0; k < 16; ++k) {
                    uint256 index = (word >> (16 * k)) & 0xffff;
                    uint256 mask = 1 << (index & 255);
                    if (added[index >> 8] & mask != 0) {
                        ++hit;
                    } else if ((bits >> k) & 1 != 0) {
                        added[index >> 8] |= mask;
                        ++hit;
                        chosen[n++] = index;
                    }
                }
            }
        }
        assembly ("memory-safe") {
            mstore(chosen, n)
        }
    }

    function quorumSource(uint256 epoch, uint256 quorumId) private view returns (uint256) {
        if (epoch > epochNumber || quorumId >= epochs[epoch].quorumCount) revert QuorumNotFound(epoch, quorumId);
        return epochs[epoch].source;
    }

    function storeSigner(address account, string memory socket, BLS12381.G1Point memory pk) private {
        Signer storage s = signers[account];
        s.registered = true;
        s.socket = socket;
        s.pk = pk;
        emit NewSigner(account, pk);
        emit SocketUpdated(account, socket);
    }

    function addRegistration(uint256 epoch, address signer, uint256 votes, bytes32 seed, uint256 limit) private {
        if (votes == 0) revert ZeroVotes(signer);
        uint256 total = ballotCount[epoch] + votes;
        if (total > limit) revert BallotLimitReached(total, limit);
        ballotCount[epoch] = total;
        registered[epoch][signer] = true;
        registrations[epoch].push(Registration(signer, uint32(votes), seed));
    }

    /// 0G's quorum rule over the ballots of `epoch` sorted ascending: consecutive chunks of 128 up to `maxQuorums_`,
    /// then, if ballots remain and there is room, one more of the last 128; with 0 < n < 128 ballots, one quorum with
    /// slot i = ballot i mod n. Returns the quorum count.
    function formQuorums(uint256 epoch, uint256 maxQuorums_) private returns (uint256 count) {
        (uint256[] memory keys, uint256[] memory owners) = ballots(epoch);
        uint256 n = keys.length;
        sortBallots(keys, owners);
        mapping(uint256 => uint256) storage words = quorumWords[epoch];
        if (n < QUORUM_SLOTS) {
            storeQuorum(words, 0, owners, 0);
            return 1;
        }
        count = n / QUORUM_SLOTS;
        if (count > maxQuorums_) count = maxQuorums_;
        for (uint256 q = 0; q < count; ++q) {
            storeQuorum(words, q, owners, q * QUORUM_SLOTS);
        }
        if (n % QUORUM_SLOTS != 0 && count < maxQuorums_) {
            storeQuorum(words, count, owners, n - QUORUM_SLOTS);
            ++count;
        }
    }

    /// Every ballot of `epoch`: per registration, c0 = seed and c_{j+1} = keccak256(c_j), `votes` of them; `owners`
    /// holds each ballot's registration index.
    function ballots(uint256 epoch) private view returns (uint256[] memory keys, uint256[] memory owners) {
        Registration[] storage regs = registrations[epoch];
        uint256 n = ballotCount[epoch];
        keys = new uint256[](n);
        owners = new uint256[](n);
        uint256 offset = 0x20; // of the next ballot in both arrays; the votes sum to n, so it stays inside them
        for (uint256 i = 0; i < regs.length; ++i) {
            bytes32 c = regs[i].seed;
            uint256 votes = regs[i].votes;
            assembly ("memory-safe") {
                for { let end := add(offset, shl(5, votes)) } lt(offset, end) { offset := add(offset, 0x20) } {
                    mstore(add(keys, offset), c)
                    mstore(add(owners, offset), i)
                    mstore(0x00, c)
                    c := keccak256(0x00, 0x20)
                }
            }
        }
    }

    /// Quorum `q`'s slots 0..127 from `owners[(start + i) % n]`, packed 16 to a word.
    function storeQuorum(mapping(uint256 => uint256) storage words, uint256 q, uint256[] memory owners, uint256 start)
        private
    {
        uint256 n = owners.length;
        for (uint256 w = 0; w < WORDS_PER_QUORUM; ++w) {
            uint256 word = 0;
            unchecked {
                for (uint256 k = 0; k < 16; ++k) {
                    word |= owners[(start + w * 16 + k) % n] << (16 * k);
                }
            }
            words[q * WORDS_PER_QUORUM + w] = word;
        }
    }

    /// Quicksort of `keys` ascending, moving `owners` along (Hoare partition, middle pivot), in assembly: the
    /// Solidity version cost about 3,500 gas per ballot. Keys are keccak outputs nobody can choose, so the expected
    /// O(n log n) holds. Offsets are byte offsets from the array pointer (element i at 0x20 + 32i), so `j` stops at
    /// 0 instead of wrapping below the first element.
    function sortBallots(uint256[] memory keys, uint256[] memory owners) private pure {
        uint256 n = keys.length;
        if (n < 2) return;
        assembly ("memory-safe") {
            function qs(k, o, lo, hi) {
                let i := lo
                let j := hi
                let pivot := mload(add(k, add(lo, shl(5, shr(6, sub(hi, lo))))))
                for {} 1 {} {
                    for {} lt(mload(add(k, i)), pivot) {} { i := add(i, 0x20) }
                    for {} lt(pivot, mload(add(k, j))) {} { j := sub(j, 0x20) }
                    if gt(i, j) { break }
                    let a := add(k, i)
                    let b := add(k, j)
                    let t := mload(a)
                    mstore(a, mload(b))
                    mstore(b, t)
                    a := add(o, i)
                    b := add(o, j)
                    t := mload(a)
                    mstore(a, mload(b))
                    mstore(b, t)
                    i := add(i, 0x20)
                    j := sub(j, 0x20)
                    if gt(i, j) { break }
                }
                if lt(lo, j) { qs(k, o, lo, j) }
                if lt(i, hi) { qs(k, o, i, hi) }
            }
            qs(keys, owners, 0x20, shl(5, n))
        }
    }
}
