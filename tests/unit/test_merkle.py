"""ledger.log.merkle against a deliberately naive RFC 9162 reference written here from the RFC text.

The reference works on a plain list of leaf inputs and recurses exactly as §2.1.1 (MTH), §2.1.3.1 (PATH)
and §2.1.4.1 (PROOF/SUBPROOF) are written; it knows nothing about stored nodes. The module under test only
ever sees the nodes it declares it needs, so a proof that reads an undeclared node fails with KeyError.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.log import merkle

# --- the naive reference (RFC 9162 §2.1) --------------------------------------------------------------------


def ref_leaf(d: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + d).digest()


def ref_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def ref_k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return ref_leaf(d[0])
    k = ref_k(n)
    return ref_node(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = ref_k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = ref_k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_sides(m: int, n: int) -> list[str]:
    """Bottom-up: is each PATH(m, D[n]) sibling to the left or right of the path? (The proof's shape.)"""
    if n == 1:
        return []
    k = ref_k(n)
    return [*ref_sides(m, k), "R"] if m < k else [*ref_sides(m - k, n - k), "L"]


# --- fixtures: one data set, all its stored nodes -----------------------------------------------------------

MAX = 3000
EXHAUSTIVE = 70
DATA = [b"entry %d" % i for i in range(MAX)]
LEAVES = [merkle.leaf_hash(d) for d in DATA]
ALL_NODES = merkle.extend(0, LEAVES, {})  # every complete subtree of the 3000-leaf tree; a prefix tree's too


@cache
def ref_root(n: int) -> bytes:
    return ref_mth(DATA[:n])


@cache
def ref_inclusion(m: int, n: int) -> tuple[bytes, ...]:
    return tuple(ref_path(m, DATA[:n]))


@cache
def ref_consistency(m: int, n: int) -> tuple[bytes, ...]:
    # RFC 9162 defines PROOF(m, D[n]) for 0 < m <= n; an empty old tree needs no proof.
    return () if m == 0 else tuple(ref_proof(m, DATA[:n]))


def fetch(ids: set[merkle.NodeId], size: int) -> dict[merkle.NodeId, bytes]:
    """What one database query would return: only the asked-for nodes, all complete within `size`."""
    for level, index in ids:
        assert level >= 0 and (index + 1) << level <= size, ((level, index), size)
    return {node: ALL_NODES[node] for node in ids}


def flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[(bit // 8) % len(b)] ^= 1 << (bit % 8)
    return bytes(b)


OTHER = hashlib.sha256(b"not in the tree").digest()


# --- primitives and decomposition ---------------------------------------------------------------------------


def test_hash_primitives_follow_rfc() -> None:
    assert merkle.EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert merkle.node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()


def test_known_roots_of_the_rfc6962_test_inputs() -> None:
    # The test inputs and roots published with the RFC 6962 reference code (certificate-transparency).
    data = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43", bytes(range(0x50, 0x58))]
    data.append(bytes(range(0x60, 0x70)))
    expected = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    nodes = merkle.extend(0, [merkle.leaf_hash(d) for d in data], {})
    for size, root in enumerate(expected, start=1):
        assert merkle.root_hash(size, nodes).hex() == root
        assert ref_mth(data[:size]).hex() == root


def test_every_stored_node_is_the_mth_of_its_leaves() -> None:
    for (level, index), h in ALL_NODES.items():
        if (index + 1) << level <= 256:
            assert h == ref_mth(DATA[index << level : (index + 1) << level])


@pytest.mark.parametrize("size", range(300))
def test_frontier_is_the_binary_decomposition_of_size(size: int) -> None:
    nodes = merkle.frontier(size)
    levels = [level for level, _ in nodes]
    assert levels == sorted(levels, reverse=True) and len(set(levels)) == len(levels)
    assert sum(1 << level for level in levels) == size
    assert nodes == merkle.range_nodes(0, size)


def test_range_nodes_cover_exactly_and_minimally() -> None:
    for start in range(EXHAUSTIVE):
        for end in range(start, EXHAUSTIVE + 1):
            nodes = merkle.range_nodes(start, end)
            position = start
            for level, index in nodes:
                assert index << level == position  # contiguous and aligned
                position += 1 << level
            assert position == end
            for (l1, i1), (l2, i2) in itertools.pairwise(nodes):
                assert not (l1 == l2 and i1 % 2 == 0 and i2 == i1 + 1), "two siblings left unmerged"


def test_roots_match_reference() -> None:
    for size in range(EXHAUSTIVE + 1):
        nodes = fetch(set(merkle.frontier(size)), size)
        assert merkle.root_hash(size, nodes) == ref_root(size)


def test_range_hash_is_mth_of_rfc_subtrees_and_refuses_other_ranges() -> None:
    for start in range(EXHAUSTIVE):
        for end in range(start + 1, EXHAUSTIVE + 1):
            # A range occurs in the RFC recursion iff it starts an aligned block of its rounded-up size.
            block = 1
            while block < end - start:
                block *= 2
            if start % block == 0:
                nodes = fetch(set(merkle.range_nodes(start, end)), end)
                assert merkle.range_hash(start, end, nodes) == ref_mth(DATA[start:end])
            else:
                with pytest.raises(ValueError):
                    merkle.range_hash(start, end, ALL_NODES)


# --- appending ----------------------------------------------------------------------------------------------


def test_nodes_completed_by_append_lists_children_before_parents() -> None:
    for first in range(40):
        for count in range(40):
            completed = merkle.nodes_completed_by_append(first, count)
            before = {(level, i) for level in range(8) for i in range(first >> level)}
            after = {(level, i) for level in range(8) for i in range((first + count) >> level)}
            assert set(completed) == after - before and len(completed) == len(set(completed))
            seen = set(before)
            for level, index in completed:
                if level:
                    assert {(level - 1, 2 * index), (level - 1, 2 * index + 1)} <= seen
                seen.add((level, index))


@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(0, MAX), st.randoms(use_true_random=False))
def test_extend_in_random_batches_equals_building_at_once(total: int, rnd: random.Random) -> None:
    built: dict[merkle.NodeId, bytes] = {}
    size = 0
    while size < total:
        count = min(total - size, rnd.choice([1, 2, 3, rnd.randint(1, 50), rnd.randint(1, 1000)]))
        known = {node: built[node] for node in merkle.frontier(size)}  # only the frontier is handed over
        new = merkle.extend(size, LEAVES[size : size + count], known)
        assert list(new) == merkle.nodes_completed_by_append(size, count)
        assert not new.keys() & built.keys()
        built.update(new)
        size += count
        assert merkle.root_hash(size, built) == merkle.root_hash(size, ALL_NODES)
    assert built == {(level, i): h for (level, i), h in ALL_NODES.items() if (i + 1) << level <= total}
    assert merkle.root_hash(total, built) == ref_root(total)


def test_extend_from_empty_and_with_nothing() -> None:
    with pytest.raises(KeyError):
        merkle.extend(5, LEAVES[5:7], {})  # needs the frontier of size 5: (2, 0) and (0, 4)
    assert merkle.extend(0, [], {}) == {}
    assert merkle.extend(5, [], {}) == {}
    assert merkle.extend(0, [LEAVES[0]], {}) == {(0, 0): LEAVES[0]}


def test_bad_sizes_are_refused() -> None:
    for call in (
        lambda: merkle.frontier(-1),
        lambda: merkle.range_nodes(3, 2),
        lambda: merkle.inclusion_nodes(5, 5),
        lambda: merkle.inclusion_nodes(-1, 5),
        lambda: merkle.inclusion_proof(0, 0, {}),
        lambda: merkle.consistency_nodes(6, 5),
        lambda: merkle.consistency_proof(-1, 5, {}),
        lambda: merkle.nodes_completed_by_append(0, -1),
        lambda: merkle.range_hash(4, 4, {}),
    ):
        with pytest.raises(ValueError):
            call()


def test_a_missing_node_is_a_key_error() -> None:
    nodes = fetch(merkle.inclusion_nodes(3, 11), 11)
    nodes.popitem()
    with pytest.raises(KeyError):
        merkle.inclusion_proof(3, 11, nodes)


# --- inclusion ----------------------------------------------------------------------------------------------


def check_inclusion(index: int, size: int, *, wrong_sizes: Sequence[int]) -> None:
    needed = merkle.inclusion_nodes(index, size)
    assert len(needed) <= 2 * size.bit_length()
    proof = merkle.inclusion_proof(index, size, fetch(needed, size))
    assert proof == list(ref_inclusion(index, size))
    leaf, root = LEAVES[index], ref_root(size)
    assert merkle.verify_inclusion(leaf, index, size, proof, root)

    for i, p in enumerate(proof):
        bad = [*proof]
        bad[i] = flip(p, index * 31 + size + i)
        assert not merkle.verify_inclusion(leaf, index, size, bad, root)
    assert not merkle.verify_inclusion(flip(leaf, size), index, size, proof, root)
    assert not merkle.verify_inclusion(leaf, index, size, proof, flip(root, index))
    assert not merkle.verify_inclusion(OTHER, index, size, proof, root)
    for other in {index - 1, index + 1, 0, size - 1, size, -1, 2 * size} - {index}:
        assert not merkle.verify_inclusion(leaf, other, size, proof, root)
    variants = [
        proof[:-1],
        proof[1:],
        [*proof, OTHER],
        [OTHER, *proof],
        [*proof, proof[-1]] if proof else [OTHER],
    ]
    for bad in variants:
        if bad != proof:
            assert not merkle.verify_inclusion(leaf, index, size, bad, root)
    if proof:
        assert not merkle.verify_inclusion(leaf, index, size, [p[:31] for p in proof], root)
    if size > 1 and index >= ref_k(size):
        # Re-based onto the right subtree (the proof's last hash is the left one): the RFC's "sn is 0" checks
        # stop the extra hash from being folded in after the subtree's root is reached.
        k = ref_k(size)
        assert not merkle.verify_inclusion(leaf, index - k, size - k, proof, root)
    for other in wrong_sizes:
        if other == size:
            continue
        # Claiming another size, with that size's real root: never a valid proof.
        assert merkle.verify_inclusion(leaf, index, other, proof, ref_root(other)) == (
            index < other and list(ref_inclusion(index, other)) == proof
        )
        # The size is bound only through the root: with the same root, a proof passes for another size exactly
        # when RFC 9162 gives the leaf the same position pattern there. This is inherent to the format.
        assert merkle.verify_inclusion(leaf, index, other, proof, root) == (
            0 <= index < other and ref_sides(index, other) == ref_sides(index, size)
        )


@pytest.mark.slow
def test_inclusion_proofs_exhaustively() -> None:
    for size in range(1, EXHAUSTIVE + 1):
        for index in range(size):
            check_inclusion(index, size, wrong_sizes=[size - 1, size + 1, size + 2, 2 * size, max(1, size // 2)])


@pytest.mark.slow
@settings(max_examples=250, deadline=None, database=None)
@given(st.integers(1, MAX).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_inclusion_proofs_sampled(case: tuple[int, int]) -> None:
    index, size = case
    check_inclusion(index, size, wrong_sizes=[size - 1] if size - 1 > index else [])


# --- consistency --------------------------------------------------------------------------------------------


def check_consistency(first: int, second: int, *, wrong_sizes: Sequence[tuple[int, int]]) -> None:
    needed = merkle.consistency_nodes(first, second)
    assert len(needed) <= 2 * second.bit_length() + 1
    proof = merkle.consistency_proof(first, second, fetch(needed, second))
    assert proof == list(ref_consistency(first, second))
    r1, r2 = ref_root(first), ref_root(second)
    assert merkle.verify_consistency(first, second, r1, r2, proof)

    for i, p in enumerate(proof):
        bad = [*proof]
        bad[i] = flip(p, first * 29 + second + i)
        assert not merkle.verify_consistency(first, second, r1, r2, bad)
    assert not merkle.verify_consistency(first, second, flip(r1, second), r2, proof)
    if first:  # (an empty tree is extended by any tree, so then there is nothing to bind r2 to)
        assert not merkle.verify_consistency(first, second, r1, flip(r2, first), proof)
    else:
        assert merkle.verify_consistency(0, second, r1, OTHER, proof) == (second > 0)
    if r1 != r2:
        assert not merkle.verify_consistency(first, second, r2, r1, proof)
    variants = [
        proof[:-1],
        proof[1:],
        [*proof, OTHER],
        [OTHER, *proof],
        [*proof, proof[-1]] if proof else [OTHER],
    ]
    for bad in variants:
        if bad != proof:
            assert not merkle.verify_consistency(first, second, r1, r2, bad)
    assert not merkle.verify_consistency(second, first, r2, r1, proof) or first == second
    if first:
        # Sizes are bound only through the roots, so the same roots may pass for a larger claimed `second` of
        # the same height (e.g. 3 -> 4); the RFC's final "sn is 0" check refuses any taller claim.
        for taller in (2 * second, 2 * second + 1):
            assert not merkle.verify_consistency(first, taller, r1, r2, proof)
    if second > 1 and ref_k(second) < first < second:
        k = ref_k(second)  # re-based onto the right subtree, as for inclusion
        assert not merkle.verify_consistency(first - k, second - k, r1, r2, proof)
    for f, s in wrong_sizes:
        if (f, s) == (first, second) or not 0 <= f <= s <= MAX:
            continue
        # The same proof offered for other sizes (with those sizes' real roots) passes only if it is theirs.
        expected = list(ref_consistency(f, s)) == proof
        assert merkle.verify_consistency(f, s, ref_root(f), ref_root(s), proof) == expected


@pytest.mark.slow
def test_consistency_proofs_exhaustively() -> None:
    for second in range(EXHAUSTIVE + 1):
        for first in range(second + 1):
            near = [(first - 1, second), (first + 1, second), (first, second + 1), (first, second - 1)]
            check_consistency(first, second, wrong_sizes=[*near, (first + 1, second + 1), (first, 2 * second)])


@pytest.mark.slow
@settings(max_examples=250, deadline=None, database=None)
@given(st.integers(0, MAX).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_consistency_proofs_sampled(case: tuple[int, int]) -> None:
    first, second = case
    check_consistency(first, second, wrong_sizes=[(first + 1, second)])


def test_hash_lengths_are_checked() -> None:
    # Without length checks, 0x01 || b"" || (h0 || h1) hashes to the 2-leaf root.
    h0, h1, root = LEAVES[0], LEAVES[1], ref_root(2)
    assert merkle.node_hash(b"", h0 + h1) == root
    assert not merkle.verify_inclusion(h0 + h1, 1, 2, [b""], root)
    assert not merkle.verify_consistency(1, 2, b"", root, [h0 + h1])
    assert not merkle.verify_inclusion(h1, 1, 2, [h0], root + b"\x00")


def test_consistency_edge_cases() -> None:
    root = ref_root(5)
    assert merkle.consistency_proof(5, 5, {}) == [] and merkle.consistency_nodes(5, 5) == set()
    assert merkle.verify_consistency(5, 5, root, root, [])
    assert not merkle.verify_consistency(5, 5, root, ref_root(4), [])
    assert not merkle.verify_consistency(5, 5, root, root, [root])
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, root, [])
    assert not merkle.verify_consistency(0, 5, OTHER, root, [])
    assert not merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, root, [root])
    assert merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])


# --- verifiers never raise ----------------------------------------------------------------------------------

hashes = st.one_of(st.binary(min_size=32, max_size=32), st.binary(max_size=40))
sizes = st.one_of(st.integers(-3, 70), st.integers(-(2**70), 2**70))


@settings(max_examples=300, deadline=None, database=None)
@given(hashes, sizes, sizes, st.lists(hashes, max_size=80), hashes)
def test_verify_inclusion_rejects_garbage_without_raising(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> None:
    result = merkle.verify_inclusion(leaf, index, size, proof, root)
    # The only acceptable garbage is a genuinely valid proof: a one-leaf tree whose root is the leaf.
    assert result is False or ((index, size, proof) == (0, 1, []) and leaf == root and len(root) == 32)


@settings(max_examples=300, deadline=None, database=None)
@given(sizes, sizes, hashes, hashes, st.lists(hashes, max_size=80))
def test_verify_consistency_rejects_garbage_without_raising(
    first: int, second: int, r1: bytes, r2: bytes, proof: list[bytes]
) -> None:
    result = merkle.verify_consistency(first, second, r1, r2, proof)
    assert result is False or (first == second and r1 == r2 and not proof and len(r1) == 32 and first >= 0)


def test_proof_functions_accept_any_mapping() -> None:
    class Lookups(Mapping[merkle.NodeId, bytes]):
        def __init__(self, data: dict[merkle.NodeId, bytes]) -> None:
            self.data, self.reads = data, 0

        def __getitem__(self, key: merkle.NodeId) -> bytes:
            self.reads += 1
            return self.data[key]

        def __iter__(self) -> Iterator[merkle.NodeId]:
            return iter(self.data)

        def __len__(self) -> int:
            return len(self.data)

    nodes = Lookups(fetch(merkle.inclusion_nodes(1234, 2999), 2999))
    assert merkle.inclusion_proof(1234, 2999, nodes) == list(ref_inclusion(1234, 2999))
    assert nodes.reads <= 2 * (2999).bit_length()
