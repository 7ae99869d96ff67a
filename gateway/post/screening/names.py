"""How alike two names are: tokens aligned in any order, by spelling, sound and particles.

A token pair scores 1 when equal; else its edit similarity (rapidfuzz), at least a floor
when the consonant skeletons agree (``normalize.skeleton_keys``) and the names start alike,
0.95 when one source dropped a particle the other glued on (``Ali``/``Benali``). A name
score weighs the longer side's coverage most, so a dropped middle name costs little, while
a single shared token or a part on each side the other lacks costs a lot; names with a
different token count are also compared with spaces removed.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from gateway.post.screening.normalize import NameForm, bare, skeleton, skeleton_keys

__all__ = ["name_similarity"]

_MIN_TOKEN_SIM = 0.75
# Memo sizes: each query meets new token pairs (a traveller's name against its candidates'),
# so a full memo is what a long-running post holds for it: about 2.5 MB for the token pairs
# and 2.2 MB for the names (tests/unit/test_screening_memory.py). At 1<<18 token pairs it
# held up to about 200 MB, filled over hours of screening, and at 1<<15 and 1<<14 (with the
# token memos at 1<<16) some 47 MB in all, filled over the soak's half hour: the posts kept
# growing. The smaller memos screen as fast (docs/post.md, "Screening").
TOKEN_PAIR_MEMO = 1 << 13
NAME_PAIR_MEMO = 1 << 12
# A name matched several ways is reported by its least exact way.
_HOW_ORDER = ("transliteration", "phonetic", "fuzzy", "particle")
_VOWELS = frozenset("aeiouy")
_DIGRAPHS = frozenset({"kh", "dj", "ch", "sh", "th", "ph", "gh", "dh", "zh", "ts"})


def _syllables(token: str) -> int:
    """How many vowel groups a token has (Omar 2, Amr 1)."""
    count, in_vowel = 0, False
    for ch in token:
        vowel = ch in _VOWELS
        count += vowel and not in_vowel
        in_vowel = vowel
    return count


def _leads(token: str, skel: str) -> bool:
    """True when the token's first sound is its skeleton's first consonant (Hamid, not Ahmed)."""
    head = token[:2] if token[:2] in _DIGRAPHS or token[0] == "c" else token[0]
    return skel[:1] in skeleton_keys(head)


def _phonetic_floor(a: str, b: str, skel: str, abjad: bool) -> float:
    """The similarity two tokens sharing the consonant skeleton ``skel`` get at least."""
    if not abjad and _leads(a, skel) != _leads(b, skel):
        return 0.0  # Ahmed/Hamid, Karim/Akram, Youssef/Sofia: the same consonants, other names
    if len(skel) >= 3:
        return 0.92
    if len(skel) == 2:
        return 0.85 if abjad or _syllables(a) == _syllables(b) else 0.0
    if len(skel) == 1 and min(len(a), len(b)) >= 4:
        return 0.8
    return 0.0


def _spelling_sim(a: str, b: str) -> float:
    """Edit similarity; in short tokens a transposed pair is one slip (Jonh), a changed letter
    a different name (Said/Sami)."""
    sim = fuzz.ratio(a, b) / 100
    if max(len(a), len(b)) <= 4:
        sim = min(sim, OSA.normalized_similarity(a, b))
    return sim


def _plain_sim(a: str, b: str, abjad: bool, *, fuzzy: bool = True) -> tuple[float, str]:
    """Similarity of two particle-free tokens: spelling (fuzzy) or sound (skeletons)."""
    if a == b:
        return 1.0, "exact"
    best, how = (_spelling_sim(a, b), "fuzzy") if fuzzy else (0.0, "fuzzy")
    keys_a, keys_b = skeleton_keys(a), skeleton_keys(b)
    shared = [k for k in keys_a if k in keys_b]
    if shared:
        floor = max(_phonetic_floor(a, b, k, abjad) for k in shared)
        if floor > best:
            best, how = floor, "transliteration" if abjad else "phonetic"
    elif abjad and keys_a[0] and keys_b[0]:
        skel = fuzz.ratio(keys_a[0], keys_b[0]) / 100 * 0.9
        if skel > best:
            best, how = skel, "transliteration"
    return best, how


@lru_cache(maxsize=TOKEN_PAIR_MEMO)
def _token_sim(a: str, b: str, abjad: bool) -> tuple[float, str]:
    """Similarity of two tokens and how they matched, particles (``ben``, ``van``) aside."""
    if a == b:
        return 1.0, "exact"
    ba, bb = bare(a), bare(b)
    pa, pb = a[: len(a) - len(ba)], b[: len(b) - len(bb)]
    if pa and pb:
        # Both carry particles: what follows them decides (Benkhalifa is not Benali). Short
        # particles (de, da, el, la) may be a name's own first syllable (Diego, Leila), so the
        # whole tokens are compared too.
        sim, how = _plain_sim(ba, bb, abjad)
        whole = _plain_sim(a, b, abjad, fuzzy=max(len(pa), len(pb)) <= 2)
        if whole[0] > sim:
            sim, how = whole
        if skeleton(pa) != skeleton(pb):
            sim *= 0.85  # other particles: Ben Mansour is not El Mansouri
        return sim, how
    best = _plain_sim(a, b, abjad)
    if pa or pb:
        # One source glued a particle on, the other dropped it (Ben Ali / Ali).
        sim, how = _plain_sim(ba, bb, abjad)
        if sim * 0.95 > best[0]:
            best = (sim * 0.95, "particle" if how == "exact" else how)
    return best


def _joined_similarity(q: tuple[str, ...], e: tuple[str, ...], use_skel: bool) -> float:
    """Names compared with spaces removed, for merged or split spellings (Abd Allah / Abdullah)."""
    qs = tuple(skeleton(t) for t in q) if use_skel else q
    es = tuple(skeleton(t) for t in e) if use_skel else e
    q_text = "".join(qs)
    orders = {"".join(es), "".join((es[-1], *es[:-1])), "".join((*es[1:], es[0]))}
    best = max(fuzz.ratio(q_text, text) for text in orders) / 100
    return best * (0.9 if use_skel else 0.95)


def name_similarity(q: NameForm, e: NameForm) -> tuple[float, str, list[str]]:
    """Order-independent similarity of two names (0 to 1), how they matched, and notes."""
    if not q.tokens or not e.tokens:
        return 0.0, "none", []
    score, how, notes = _name_similarity(q.tokens, e.tokens, q.abjad or e.abjad)
    return score, how, list(notes)


@lru_cache(maxsize=NAME_PAIR_MEMO)
def _name_similarity(
    qt: tuple[str, ...], et: tuple[str, ...], abjad: bool
) -> tuple[float, str, tuple[str, ...]]:
    """name_similarity on token tuples, cached: namesakes repeat within and across queries."""
    pairs = []
    for i, a in enumerate(qt):
        for j, b in enumerate(et):
            sim, how = _token_sim(a, b, abjad)
            if sim >= _MIN_TOKEN_SIM:
                pairs.append((sim, how, i, j))
    pairs.sort(reverse=True)
    used_q: set[int] = set()
    used_e: set[int] = set()
    got_q = got_e = 0.0
    hows: set[str] = set()
    in_order = True
    for sim, how, i, j in pairs:
        if i in used_q or j in used_e:
            continue
        used_q.add(i)
        used_e.add(j)
        got_q += sim * len(qt[i])
        got_e += sim * len(et[j])
        hows.add(how)
        in_order = in_order and i == j
    cov_q = got_q / sum(map(len, qt))
    cov_e = got_e / sum(map(len, et))
    score = 0.85 * max(cov_q, cov_e) + 0.15 * min(cov_q, cov_e)
    if len(used_q) == 1 and max(len(qt), len(et)) > 1:
        score *= 0.8  # one shared token (a common family name) is not an identity
    if len(used_q) < len(qt) and len(used_e) < len(et):
        score *= 0.85  # each name has a part the other lacks: more likely two people
    how = next((h for h in _HOW_ORDER if h in hows), "exact")
    notes: list[str] = []
    if not in_order and len(used_q) > 1:
        notes.append("reordered")
    if len(used_q) < max(len(qt), len(et)):
        notes.append(f"{len(used_q)} of {max(len(qt), len(et))} tokens")
    if len(qt) != len(et) or abjad:
        joined = _joined_similarity(qt, et, abjad)
        if joined > score:
            return joined, "joined", ("spaces ignored", *(("transliteration",) if abjad else ()))
    return score, how, tuple(notes)
