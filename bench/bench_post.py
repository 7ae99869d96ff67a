"""Border post: feed bootstrap vs raw consume, screening latency and quality, objects, memory.

``python -m bench.bench_post [--smoke|--small] [--json PATH] [--sizes 10000,100000,1000000]``

* Bootstrap: N alerts (1,000,000; 5,000 with ``--smoke``) on a fresh 3-partition feed; a
  raw aiokafka read_committed consume of the topic, then a post client materializing it
  from an empty store (decode, normalize, index, SQLite), in the same run.
* Person screening: watchlists of 10k, 100k and 1M synthetic persons (names from several
  cultures and scripts); queries are planted variants of listed persons (transliteration
  and script, typos, swapped order, dropped middle names) with their birth date: p50/p99
  latency, and recall and precision at the default threshold. The reference is a full scan
  (rapidfuzz over every name, the index bypassed) on the same watchlist. Travellers on no
  list (drawn from the same name pool, so namesakes abound) give the latency most
  screenings have; the held-out evaluation (``bench/screening_eval.py``: particles joined or
  split, cross-language spellings, swapped names, near-miss decoys) is added to the
  watchlist and scored at every size.
* Objects: container lookups per second; memory: bytes per watchlist entry (tracemalloc).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bench._common import BenchResult, Figure, create_topics, run_id, write_result
from bench._consume import aiokafka_read
from bench.screening_eval import EvalSet, build_eval_set, evaluate, load_eval_set
from gateway.contract import AlertKind
from gateway.contract.codec import decode_dict, encode_dict
from gateway.kafka.headers import RouteHeaders
from gateway.post import PostService
from gateway.post.screening import (
    DEFAULT_THRESHOLD,
    ObjectQuery,
    PersonQuery,
    Watchlist,
    entry_from_record,
    normalize_name,
    screen_object,
    screen_person,
)
from gateway.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[1] / "schemas" / "examples" / "wanted_person.json"

# Latin/variants=original script, space-separated; synthetic, from several naming cultures.
_GIVEN = """
Mohammed/Muhammad/Mohamed/Mohammad=محمد Ahmed/Ahmad=أحمد Hassan/Hasan=حسن Omar/Umar=عمر
Youssef/Yusuf/Yousef=يوسف Khalid/Khaled=خالد Fatima/Fatimah=فاطمة
Abdullah/Abdallah=عبدالله Karim/Kareem=كريم Layla/Leila=ليلى Ibrahim/Ebrahim=إبراهيم
Sergei/Sergey=Сергей Alexei/Aleksey=Алексей Dmitri/Dmitry=Дмитрий Nikolai/Nikolay=Николай
Yuri/Iouri=Юрий Olga=Ольга Tatiana/Tatyana=Татьяна Vladimir/Wladimir=Владимир
Mikhail/Michail=Михаил Xiaoming Wei Jian Somchai/Somchay Anna Maria/Mariya John/Jon
Peter/Pieter Jose/José Luis/Luiz Carlos Ana Pedro Juan Sofia/Sophia Elena/Helena
Marco/Marko Thomas/Tomas Michael/Mikael David Amina/Aminah Chinedu Kwame Aisha/Ayesha
Ravi Priya Arjun Nguyen Hiroshi Kenji Mehmet/Mehmed Ali=علي Reza/Riza Farid/Fareed=فريد
Samir/Sameer=سمير Ivan=Иван Boris=Борис Pavel/Pawel=Павел Giulia Lucas/Lukas Mateo/Matteo
Emma Oliver Noah Ines/Inès
"""
_FAMILY = """
Hassan/Hasan=حسن Rahman/Rehman=رحمن Haddad/Hadad=حداد Khalil/Khaleel=خليل
Mansour/Mansur=منصور Nasser/Nasir=ناصر Saleh/Salih=صالح Qureshi/Kureishi=قريشي Aziz=عزيز
Hamdan=حمدان Ivanov/Ivanoff=Иванов Petrov/Petroff=Петров Smirnov/Smirnoff=Смирнов
Volkov/Wolkow=Волков Kuznetsov/Kouznetsov=Кузнецов Popov/Popow=Попов
Sokolov/Sokoloff=Соколов Morozov/Morosow=Морозов Wang=王 Li/Lee=李 Zhang/Chang=张 Liu=刘
Chen=陈 Yang=杨 Jaidee/Chaidee=ใจดี Srisuk=ศรีสุข Garcia/García Rodriguez/Rodrigues
Martinez/Martines Lopez/López Gonzalez/Gonzales Silva/Sylva Santos Eriksson/Ericsson
Johansson Muller/Mueller/Müller Schmidt/Schmitt Schneider Fischer/Fisher Smith/Smyth
Brown/Braun Kowalski/Kovalsky Nowak/Novak Rossi Bianchi Dubois Moreau Okafor Mensah
Diallo/Jalloh Traore/Traoré Kumar Sharma Patel Yilmaz/Yilmas Demir Tanaka Suzuki Tran
Pham Karimi=کریمی Hosseini/Husseini=حسینی Ahmadi=احمدی
"""


def _pool(table: str) -> list[tuple[str, tuple[str, ...], str | None]]:
    out = []
    for item in table.split():
        names, _, script = item.partition("=")
        latin, *variants = names.split("/")
        out.append((latin, tuple(variants), script or None))
    return out


GIVEN = _pool(_GIVEN)
FAMILY = _pool(_FAMILY)
# Suffixes widen the family pool the way real surnames vary (Ivanov, Ivanova, Ivanovic ...).
SUFFIXES = ("", "", "", "a", "i", "ic", "escu", "son", "ez", "ski", "er", "ov", "an", "ovic")
SCRIPT_OF = {lat: script for lat, _, script in GIVEN + FAMILY if script}
VARIANTS_OF = {lat: var for lat, var, _ in GIVEN + FAMILY if var}


def person(rng: random.Random, i: int) -> dict[str, Any]:
    """A synthetic wanted person (Avro-shaped subject fields that screening reads)."""
    given = [rng.choice(GIVEN)[0]]
    if rng.random() < 0.5:
        given.append(rng.choice(GIVEN)[0])
    family = rng.choice(FAMILY)[0] + rng.choice(SUFFIXES)
    dob = {"year": rng.randint(1940, 2005), "month": rng.randint(1, 12), "day": rng.randint(1, 28)}
    return {
        "given_names": " ".join(given),
        "family_name": family,
        "aliases": [],
        "date_of_birth": dob,
        "nationalities": [rng.choice(["FRA", "SYR", "RUS", "CHN", "THA"])],
        "travel_documents": [{"doc_type": "P", "number": f"X{i:09d}", "issuing_country": "FRA"}],
        "category": "LOCATE",
        "action": "DISCREET_CHECK",
    }


def record_of(i: int, subject: dict[str, Any]) -> dict[str, Any]:
    """A minimal record for the watchlist (no Avro round trip)."""
    return {
        "envelope": {"alert_id": f"B:{i}", "version": 1, "source_org": "INTERPOL"},
        "subject": subject,
    }


def _typo(token: str, rng: random.Random) -> str:
    if len(token) < 4:
        return token
    i = rng.randrange(1, len(token) - 1)
    op = rng.choice(("sub", "del", "swap", "ins"))
    letter = rng.choice("aeiourstnlmkd")
    if op == "sub":
        return token[:i] + letter + token[i + 1 :]
    if op == "del":
        return token[:i] + token[i + 1 :]
    if op == "swap":
        return token[:i] + token[i + 1] + token[i] + token[i + 2 :]
    return token[:i] + letter + token[i:]


def variant(subject: dict[str, Any], kind: str, rng: random.Random) -> str:
    """A planted variant of the subject's name: transliteration, typo, swapped, dropped."""
    given = subject["given_names"].split()
    family = subject["family_name"]
    tokens = [*given, family]
    if kind == "transliteration":
        out = []
        for token in tokens:
            if token in SCRIPT_OF and rng.random() < 0.6:
                out.append(SCRIPT_OF[token])
            elif token in VARIANTS_OF:
                out.append(rng.choice(VARIANTS_OF[token]))
            else:
                out.append(token)
        if out == tokens:  # nothing to transliterate: vary the spelling of one vowel
            out[-1] = out[-1].replace("o", "ou", 1) if "o" in out[-1] else out[-1] + "e"
        return " ".join(out)
    if kind == "typo":
        j = rng.randrange(len(tokens))
        tokens[j] = _typo(tokens[j], rng)
        return " ".join(tokens)
    if kind == "dropped" and len(given) > 1:
        return f"{given[0]} {family}"
    return " ".join([family, *given])  # swapped order (and dropped where nothing to drop)


KINDS = ("transliteration", "typo", "swapped", "dropped")


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _correct(hit_ids: set[str], target: str) -> bool:
    return target in hit_ids


def _dob_text(subject: dict[str, Any]) -> str:
    dob = subject["date_of_birth"]
    return f"{dob['year']:04d}-{dob['month']:02d}-{dob['day']:02d}"


def _planted(
    rng: random.Random, subjects: list[dict[str, Any]], queries: int
) -> list[tuple[int, str, str, str]]:
    """Planted queries: (listed index, variant kind, name as written, birth date)."""
    planted = []
    for q in range(queries):
        target = rng.randrange(len(subjects))
        kind = KINDS[q % len(KINDS)]
        planted.append(
            (target, kind, variant(subjects[target], kind, rng), _dob_text(subjects[target]))
        )
    return planted


def screening(result: BenchResult, sizes: list[int], queries: int, scan_queries: int) -> None:
    """Latency and quality of person screening at growing watchlist sizes."""
    rng = random.Random(17)
    watchlist = Watchlist()
    eval_set = build_eval_set(split="held_out")
    load_eval_set(watchlist, eval_set)
    unlisted_rng = random.Random(99)
    subjects: list[dict[str, Any]] = []
    built = 0
    for size in sizes:
        started = time.perf_counter()
        while built < size:
            subject = person(rng, built)
            subjects.append(subject)
            watchlist.upsert(entry_from_record("WANTED_PERSON", record_of(built, subject)))
            built += 1
        print(f"  built {size:,} persons ({time.perf_counter() - started:.0f} s)", flush=True)
        gc.freeze()  # as the post client does once its watchlist is loaded
        latencies: list[float] = []
        cpu: list[float] = []
        found = returned = correct = 0
        by_kind = dict.fromkeys(KINDS, 0)
        planted = _planted(rng, subjects[:size], queries)
        for target, kind, name, dob in planted:
            t0, c0 = time.perf_counter(), time.thread_time()
            hits = screen_person(watchlist, PersonQuery(name=name, date_of_birth=dob))
            cpu.append(time.thread_time() - c0)
            latencies.append(time.perf_counter() - t0)
            ids = {a.alert_id for h in hits for a in h.alerts}
            returned += len(hits)
            if _correct(ids, f"B:{target}"):
                found += 1
                correct += 1
                by_kind[kind] += 1
        recall = found / queries
        precision = correct / returned if returned else 1.0
        tag = f"{size:,}"
        at_scale = size >= 1_000_000
        result.add(
            Figure(
                f"person screening p50 at {tag}",
                _quantile(latencies, 0.5) * 1000,
                "ms",
                aim="<= 1.5 ms at 1,000,000",
                met=(_quantile(latencies, 0.5) * 1000 <= 1.5) if at_scale else None,
                higher_is_better=False,
            )
        )
        p99 = _quantile(latencies, 0.99) * 1000
        scan = _full_scan(watchlist, planted[:scan_queries])
        result.add(
            Figure(
                f"person screening p99 at {tag}",
                p99,
                "ms",
                reference=scan * 1000,
                reference_name="full scan p50",
                aim="< 10 ms at 1,000,000",
                met=(p99 < 10) if at_scale else None,
                higher_is_better=False,
            )
        )
        result.add(
            Figure(
                f"person screening p50 CPU time at {tag}",
                _quantile(cpu, 0.5) * 1000,
                "ms",
                higher_is_better=False,
            )
        )
        cpu99 = _quantile(cpu, 0.99) * 1000
        result.add(
            Figure(
                f"person screening p99 CPU time at {tag}",
                cpu99,
                "ms",
                aim="< 10 ms at 1,000,000",
                higher_is_better=False,
                met=(cpu99 < 10) if at_scale else None,
            )
        )
        _unlisted(result, watchlist, unlisted_rng, queries=queries, tag=tag)
        result.add(
            Figure(f"recall at {tag}", recall, "fraction", aim=">= 0.95", met=recall >= 0.95)
        )
        result.add(
            Figure(f"precision at {tag}", precision, "fraction", aim=">= 0.9", met=precision >= 0.9)
        )
        per_kind = {k: round(v / (queries / len(KINDS)), 3) for k, v in by_kind.items()}
        result.params[f"recall_by_variant_{size}"] = per_kind
        print(f"  recall by variant at {tag}: {per_kind}", flush=True)
        _held_out(result, watchlist, eval_set, size)


def _held_out(result: BenchResult, watchlist: Watchlist, eval_set: EvalSet, size: int) -> None:
    """Recall and precision of the held-out evaluation on the watchlist as it now is."""
    held_out = evaluate(watchlist, eval_set.travellers)
    tag = f"{size:,}"
    for label, value in (("recall", held_out.recall), ("precision", held_out.precision)):
        aim = 0.95 if label == "recall" else 0.9
        result.add(
            Figure(
                f"held-out {label} at {tag}", value, "fraction", aim=f">= {aim}", met=value >= aim
            )
        )
    result.params[f"held_out_recall_by_kind_{size}"] = held_out.recall_by_kind()
    print(f"  held-out recall by kind at {tag}: {held_out.recall_by_kind()}", flush=True)


def _unlisted(
    result: BenchResult, watchlist: Watchlist, rng: random.Random, *, queries: int, tag: str
) -> None:
    """Latency of travellers on no list (most of a border's travellers), with birth dates."""
    travellers = []
    for _ in range(queries):
        subject = person(rng, 0)
        name = f"{subject['given_names']} {subject['family_name']}"
        travellers.append(PersonQuery(name=name, date_of_birth=_dob_text(subject)))
    latencies = []
    cpu = []
    for query in travellers:
        t0, c0 = time.perf_counter(), time.thread_time()
        screen_person(watchlist, query)
        cpu.append(time.thread_time() - c0)
        latencies.append(time.perf_counter() - t0)
    p50, p99 = _quantile(latencies, 0.5) * 1000, _quantile(latencies, 0.99) * 1000
    at_scale = tag == "1,000,000"
    result.add(
        Figure(
            f"unlisted traveller p50 at {tag}",
            p50,
            "ms",
            aim="<= 1.5 ms at 1,000,000",
            met=(p50 <= 1.5) if at_scale else None,
            higher_is_better=False,
        )
    )
    result.add(
        Figure(
            f"unlisted traveller p99 at {tag}",
            p99,
            "ms",
            aim="< 10 ms at 1,000,000",
            met=(p99 < 10) if at_scale else None,
            higher_is_better=False,
        )
    )
    for q in (0.5, 0.99):
        result.add(
            Figure(
                f"unlisted traveller p{int(q * 100)} CPU time at {tag}",
                _quantile(cpu, q) * 1000,
                "ms",
                higher_is_better=False,
            )
        )


def _full_scan(watchlist: Watchlist, planted: list[tuple[int, str, str, str]]) -> float:
    """Median time of a rapidfuzz scan over every name (the index bypassed), for reference."""
    texts = [v.form.sorted_text for e in watchlist.entries() if e.person for v in e.person.names]
    times = []
    for _, _, name, _ in planted:
        t0 = time.perf_counter()
        process.extract(
            normalize_name(name).sorted_text,
            texts,
            scorer=fuzz.token_set_ratio,
            limit=10,
            score_cutoff=80,
        )
        times.append(time.perf_counter() - t0)
    return statistics.median(times) if times else 0.0


def objects_and_memory(result: BenchResult, count: int) -> None:
    """Object lookups per second, and bytes per watchlist entry."""
    rng = random.Random(5)
    watchlist = Watchlist()
    containers = [f"MSCU{rng.randrange(10**7):07d}" for _ in range(count)]
    for i, container in enumerate(containers):
        record = {
            "envelope": {"alert_id": f"C:{i}", "version": 1, "source_org": "EUROPOL"},
            "subject": {
                "category": "DRUGS",
                "action": "SEIZE",
                "conveyances": [{"kind": "CONTAINER", "identifier": container}],
            },
        }
        watchlist.upsert(entry_from_record("COMMODITY", record))
    asks = [rng.choice(containers) if rng.random() < 0.5 else "ZZZU0000000" for _ in range(20_000)]
    t0 = time.perf_counter()
    for ask in asks:
        screen_object(watchlist, ObjectQuery(container=ask))
    rate = len(asks) / (time.perf_counter() - t0)
    result.add(Figure("object lookups", rate, "lookups/s"))
    n = min(count, 20_000)
    rng = random.Random(9)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    persons = Watchlist()
    for i in range(n):
        persons.upsert(entry_from_record("WANTED_PERSON", record_of(i, person(rng, i))))
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    result.add(Figure("memory per person entry", used / n, "bytes", higher_is_better=False))


def _encoded_alerts(n: int) -> list[tuple[bytes, bytes]]:
    """``n`` distinct encoded wanted-person alerts (the shipped example, names varied)."""
    import json  # noqa: PLC0415  # why: only here

    template = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    _, base = decode_dict(encode_dict(AlertKind.WANTED_PERSON, _as_avro(template)))
    rng = random.Random(3)
    out = []
    for i in range(n):
        base["envelope"]["alert_id"] = f"INTERPOL:B-{i}"
        subject = person(rng, i)
        base["subject"].update(
            given_names=subject["given_names"], family_name=subject["family_name"]
        )
        out.append((f"INTERPOL:B-{i}".encode(), encode_dict(AlertKind.WANTED_PERSON, base)))
    return out


def _as_avro(data: dict[str, Any]) -> dict[str, Any]:
    from gateway.contract import WantedPersonAlert  # noqa: PLC0415  # why: only here

    return WantedPersonAlert.model_validate(data).to_avro_dict()


async def bootstrap(result: BenchResult, bootstrap_servers: str, n: int) -> None:
    """Post materialization rate against a raw aiokafka consume of the same feed topic."""
    from aiokafka import AIOKafkaProducer  # noqa: PLC0415  # why: only here

    prefix = f"bp{run_id()}."
    settings = Settings(bootstrap_servers=bootstrap_servers, topic_prefix=prefix)
    with tempfile.TemporaryDirectory(prefix="flb-post-") as tmp:
        settings = settings.model_copy(update={"data_dir": Path(tmp)})
        service = PostService(settings, "FRA", "CDG")
        await create_topics(bootstrap_servers, [service.topic], 3)
        print(f"  encoding {n:,} alerts", flush=True)
        alerts = _encoded_alerts(n)
        headers = RouteHeaders(
            kind="WANTED_PERSON",
            org="INTERPOL",
            tlp="GREEN",
            status="ACTUAL",
            msg_type="ALERT",
            version=1,
        ).to_kafka()
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, linger_ms=20, max_batch_size=1_048_576, acks=1
        )
        await producer.start()
        try:
            for key, value in alerts:
                await producer.send(service.topic, value, key=key, headers=headers)
            await producer.flush()
        finally:
            await producer.stop()
        del alerts
        raw = await aiokafka_read(bootstrap_servers, service.topic, n)
        t0 = time.perf_counter()
        task = asyncio.create_task(service.run())
        await asyncio.wait_for(service.feed.caught_up.wait(), 3600)
        took = time.perf_counter() - t0
        service.stop()
        await task
        rate = len(service.watchlist) / took
        t0 = time.perf_counter()
        again = PostService(settings, "FRA", "CDG")  # a restart: the store loads before Kafka
        restore = (again.restored or 0) / (time.perf_counter() - t0)
        again.store.close()
        result.add(
            Figure(
                "restart from the local store",
                restore,
                "alerts/s",
                reference=rate,
                reference_name="bootstrap from Kafka",
            )
        )
        result.add(
            Figure(
                "bootstrap",
                rate,
                "alerts/s",
                reference=raw,
                reference_name="raw consume",
                aim=">= 100,000 alerts/s",
                met=rate >= 100_000,
            )
        )


def main() -> None:
    """Command line: run every part; the bootstrap part needs FRONTLINE_BOOTSTRAP_SERVERS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", "--small", action="store_true", help="a quick CI-sized run")
    parser.add_argument("--json", type=Path, default=None, help="write the result here")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--alerts", type=int, default=1_000_000, help="bootstrap feed size")
    parser.add_argument("--skip-bootstrap", action="store_true")
    parser.add_argument("--skip-screening", action="store_true")
    args = parser.parse_args()
    sizes = [2_000, 10_000] if args.smoke else [int(s) for s in args.sizes.split(",")]
    queries = 200 if args.smoke else args.queries
    result = BenchResult("post", "Post: bootstrap vs raw consume, screening vs full scan")
    result.params = {"sizes": sizes, "queries": queries, "threshold": DEFAULT_THRESHOLD}
    started = time.perf_counter()
    if not args.skip_screening:
        screening(result, sizes, queries, scan_queries=20)
        objects_and_memory(result, 10_000 if args.smoke else 100_000)
    servers = os.environ.get("FRONTLINE_BOOTSTRAP_SERVERS")
    if servers and not args.skip_bootstrap:
        n = 5_000 if args.smoke else args.alerts
        result.params["bootstrap_alerts"] = n
        asyncio.run(bootstrap(result, servers, n))
    result.seconds = time.perf_counter() - started
    write_result(result, args.json)


if __name__ == "__main__":
    main()
