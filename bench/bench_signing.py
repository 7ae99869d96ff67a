"""Signing benchmark: Ed25519 sign at the connector and verify at the hub and the post, per
alert, against the codec's own encode and decode of the same alerts, in the same run.

Run: ``.venv/bin/python -m bench.bench_signing [--rounds N] [--batch N]``. Not a timed test:
it prints a markdown table to record in ``docs/benchmarks.md``. Like ``bench_codec`` the
paths run interleaved in many short batches and each keeps its fastest batch.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import cryptography
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.bench_codec import best_per_op, load_examples
from gateway.contract.codec import decode, decode_dict, encode, encode_dict
from gateway.contract.trust import Signer, TrustStore, generate_demo_keys
from gateway.contract.trust.keys import demo_key_path

ORG = "INTERPOL"


def main() -> None:
    """Time every path and print the table with each cost relative to the codec."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--batch", type=int, default=100, help="calls per alert per batch")
    args = parser.parse_args()

    alerts = load_examples()
    records = [(a.kind, a.to_avro_dict()) for a in alerts]
    framed = [encode(a) for a in alerts]
    with tempfile.TemporaryDirectory() as tmp:
        trust = generate_demo_keys(Path(tmp), [ORG])
        signer = Signer.from_file(demo_key_path(Path(tmp), ORG), ORG)
        store = TrustStore.from_file(trust)
    now = datetime.now(UTC)
    signed = [(data, signer.sign(data, now)) for data in framed]
    assert all(store.verify_headers(ORG, data, headers).ok for data, headers in signed)
    raw_key = Ed25519PrivateKey.generate()
    raw_public = raw_key.public_key()
    raw_sigs = [(data, raw_key.sign(data)) for data in framed]
    n = len(alerts)

    def codec_encode_dict() -> None:
        for kind, record in records:
            encode_dict(kind, record)

    def codec_decode_dict() -> None:
        for data in framed:
            decode_dict(data)

    def codec_encode_model() -> None:
        for alert in alerts:
            encode(alert)

    def codec_decode_model() -> None:
        for data in framed:
            decode(data)

    def sign() -> None:
        for data in framed:
            signer.sign(data)

    def verify() -> None:
        for data, headers in signed:
            store.verify_headers(ORG, data, headers)

    def raw_sign() -> None:
        for data in framed:
            raw_key.sign(data)

    def raw_verify() -> None:
        for data, signature in raw_sigs:
            raw_public.verify(signature, data)

    paths: dict[str, Callable[[], None]] = {
        "codec encode_dict": codec_encode_dict,
        "codec encode(model)": codec_encode_model,
        "sign (Signer.sign, headers)": sign,
        "raw Ed25519 sign": raw_sign,
        "codec decode_dict": codec_decode_dict,
        "codec decode -> model": codec_decode_model,
        "verify (TrustStore.verify_headers)": verify,
        "raw Ed25519 verify": raw_verify,
    }
    best = dict.fromkeys(paths, float("inf"))
    for func in paths.values():
        best_per_op(func, max(1, args.batch // 10))  # warm-up
    for _ in range(args.rounds):
        for name, func in paths.items():
            best[name] = min(best[name], best_per_op(func, args.batch) / n)

    print(
        f"Python {platform.python_version()}, cryptography {cryptography.__version__}"
        f" ({_openssl()}), {platform.machine()}; {n} example alerts"
        f" (mean {sum(map(len, framed)) / n:.0f} bytes), fastest of {args.rounds}"
        f" interleaved batches of {args.batch * n} operations per path"
    )
    print()
    print("| path | µs per alert | alerts/s | vs codec encode_dict | vs codec decode_dict |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds in best.items():
        enc = seconds / best["codec encode_dict"]
        dec = seconds / best["codec decode_dict"]
        print(f"| {name} | {seconds * 1e6:.2f} | {1 / seconds:,.0f} | {enc:.2f}x | {dec:.2f}x |")


def _openssl() -> str:
    """The OpenSSL the cryptography wheel is built against."""
    from cryptography.hazmat.backends.openssl.backend import backend  # noqa: PLC0415  # why: report only

    return str(backend.openssl_version_text())


if __name__ == "__main__":
    main()
