"""RFC 9162 Merkle tree arithmetic over stored complete subtrees.

The log keeps the hash of every *complete aligned subtree*: node ``(level, index)`` covers leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes. Such a node never changes once
complete, so a tree of any size is described by the nodes it contains, and every hash RFC 9162 needs (roots,
``PATH``, ``PROOF``) is a right fold over O(log n) of them.

Usage: ask ``inclusion_nodes`` / ``consistency_nodes`` which nodes are needed, fetch exactly those in one
query, then call ``inclusion_proof`` / ``consistency_proof`` with the fetched mapping. A missing node raises
``KeyError``. Everything here is pure: no I/O, no state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "NodeId",
    "consistency_nodes",
    "consistency_proof",
    "extend",
    "frontier",
    "inclusion_nodes",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "nodes_completed_by_append",
    "range_hash",
    "range_nodes",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

NodeId = tuple[int, int]
"""``(level, index)`` of a complete aligned subtree."""

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}): the root of the empty tree."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def _check_size(size: int) -> None:
    if size < 0:
        raise ValueError(f"tree size must be >= 0, got {size}")


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2): RFC 9162's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def frontier(size: int) -> list[NodeId]:
    """The complete subtrees making up a tree of ``size`` leaves, left to right (largest first)."""
    _check_size(size)
    return range_nodes(0, size)


def range_nodes(start: int, end: int) -> list[NodeId]:
    """Decompose leaves ``[start, end)`` into the fewest aligned complete subtrees, left to right."""
    if start < 0 or end < start:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    nodes: list[NodeId] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _fold(node_ids: Iterable[NodeId], nodes: Mapping[NodeId, bytes]) -> bytes:
    """Right fold: H(n1, H(n2, ... H(n_{k-1}, n_k))) over nodes given left to right."""
    acc: bytes | None = None
    for node in reversed(list(node_ids)):
        h = nodes[node]
        acc = h if acc is None else node_hash(h, acc)
    if acc is None:
        raise ValueError("empty range has no subtree hash")
    return acc


def range_hash(start: int, end: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """RFC 9162 MTH(D[start:end]) for a non-empty range that occurs in the RFC recursion.

    Those are exactly the ranges whose ``start`` is a multiple of the smallest power of two >= ``end - start``
    (the subtrees in a tree's RFC decomposition); its hash is the right fold of ``range_nodes(start, end)``.
    """
    if start < 0 or end <= start:
        raise ValueError(f"invalid leaf range [{start}, {end})")
    if start % (1 << (end - start - 1).bit_length()):
        raise ValueError(f"[{start}, {end}) is not a subtree of the RFC 9162 decomposition")
    return _fold(range_nodes(start, end), nodes)


def root_hash(size: int, nodes: Mapping[NodeId, bytes]) -> bytes:
    """MTH of the first ``size`` leaves, from the frontier nodes of that size only."""
    _check_size(size)
    return EMPTY_ROOT if size == 0 else _fold(frontier(size), nodes)


def nodes_completed_by_append(first: int, count: int) -> list[NodeId]:
    """Every node that becomes complete when leaves ``first .. first+count-1`` are appended.

    Includes level 0 (the new leaves themselves). Ordered level by level, ascending index within a level,
    so children always precede their parents.
    """
    _check_size(first)
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    end = first + count
    out: list[NodeId] = []
    level = 0
    while (end >> level) > (first >> level):
        out.extend((level, i) for i in range(first >> level, end >> level))
        level += 1
    return out


def extend(first: int, leaf_hashes: Sequence[bytes], known: Mapping[NodeId, bytes]) -> dict[NodeId, bytes]:
    """All node hashes (levels >= 0) created by appending ``leaf_hashes`` to a tree of ``first`` leaves.

    ``known`` must contain the frontier nodes of the tree of size ``first`` (only those are read). The result
    has exactly the keys of ``nodes_completed_by_append(first, len(leaf_hashes))``.
    """
    _check_size(first)
    sha = _sha256
    out: dict[NodeId, bytes] = {}
    row = list(leaf_hashes)
    start = first  # index of row[0] at the current level
    level = 0
    while row:
        out.update(zip(((level, start + i) for i in range(len(row))), row, strict=True))
        if start & 1:  # the left sibling of row[0] is an old, already complete frontier node
            row.insert(0, known[(level, start - 1)])
            start -= 1
        pairs = iter(row)  # zip(pairs, pairs) walks it two at a time and drops an odd last element
        row = [sha(b"\x01" + left + right).digest() for left, right in zip(pairs, pairs, strict=False)]
        start >>= 1
        level += 1
    return out


# --- proofs -------------------------------------------------------------------------------------------------


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PATH(index, D[size]), bottom-up (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form PROOF(first, D[second]), in proof order (RFC 9162 §2.1.4.1).

    PROOF(m, D[m]) is empty, and so (outside the RFC's 0 < m) is PROOF(0, D[n]).
    """
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    ranges: list[tuple[int, int]] = []
    if first == 0:
        return ranges
    lo, hi = 0, second
    whole = True  # SUBPROOF's b: still on the path of the whole old tree
    while first != hi:
        k = _split(hi - lo)
        if first - lo <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
            whole = False
    if not whole:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def _nodes_for(ranges: Iterable[tuple[int, int]]) -> set[NodeId]:
    return {node for lo, hi in ranges for node in range_nodes(lo, hi)}


def inclusion_nodes(index: int, size: int) -> set[NodeId]:
    """The stored nodes ``inclusion_proof(index, size, ...)`` reads: O(log size) of them."""
    return _nodes_for(_inclusion_ranges(index, size))


def inclusion_proof(index: int, size: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[size]), leaf sibling first."""
    return [_fold(range_nodes(lo, hi), nodes) for lo, hi in _inclusion_ranges(index, size)]


def consistency_nodes(first: int, second: int) -> set[NodeId]:
    """The stored nodes ``consistency_proof(first, second, ...)`` reads: O(log second) of them."""
    return _nodes_for(_consistency_ranges(first, second))


def consistency_proof(first: int, second: int, nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(first, D[second]); empty when ``first == second`` or ``first == 0``."""
    return [_fold(range_nodes(lo, hi), nodes) for lo, hi in _consistency_ranges(first, second)]


# --- verification (what an independent client runs) ---------------------------------------------------------


def _all_hashes(*values: object) -> bool:
    return all(isinstance(v, bytes) and len(v) == HASH_SIZE for v in values)


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` put ``leaf_hash`` at ``index`` in the tree of ``size`` with ``root``?

    Never raises for arguments of the annotated types; any malformed input is simply ``False``.
    """
    if not _all_hashes(leaf_hash, root, *proof) or not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does tree (``second``, ``second_root``) extend tree (``first``, ``first_root``)?

    Beyond the RFC's 0 < first < second: equal sizes need an empty proof and equal roots; ``first == 0`` needs
    an empty proof and ``first_root == EMPTY_ROOT`` (``second_root`` is then unconstrained). Never raises for
    arguments of the annotated types.
    """
    if not _all_hashes(first_root, second_root, *proof) or not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root and (first > 0 or first_root == EMPTY_ROOT)
    if first == 0:  # every tree extends the empty one; second_root cannot be checked against anything
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
