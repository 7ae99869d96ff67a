"""A local certificate authority and broker certificates in PEM, for ``broker up --secure``.

Kafka reads PEM key and trust stores directly (KIP-651: ``ssl.keystore.type=PEM``), so no
Java ``keytool`` is needed. The CA key never leaves the data folder; clients get ``ca.pem``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway.broker.procs import write_private

__all__ = ["CertPaths", "make_broker_cert", "make_ca"]

VALID_DAYS = 825  # the longest validity browsers and most TLS stacks still accept for leaves
CA_DAYS = 3650
_USAGES = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
    "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
)  # fmt: skip


@dataclass(frozen=True)
class CertPaths:
    """Where the CA lives in a security folder."""

    folder: Path

    @property
    def ca_cert(self) -> Path:
        """The CA certificate, exported for clients (``ssl.ca.location``)."""
        return self.folder / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca.key"

    def broker_store(self, node: int) -> Path:
        """PEM key store of node ``node`` (1-based): its private key, then its certificate chain."""
        return self.folder / f"broker-{node}.pem"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Frontline local cluster"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pkcs8(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,  # the only key format Kafka's PEM store reads
        serialization.NoEncryption(),
    ).decode("ascii")


def make_ca(paths: CertPaths) -> None:
    """Create the CA key and self-signed certificate (both 0600)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = _name("Frontline local CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(**{name: name in ("key_cert_sign", "crl_sign") for name in _USAGES}),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(paths.ca_key, _pkcs8(key))
    write_private(paths.ca_cert, cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))


def make_broker_cert(paths: CertPaths, node: int, host: str = "127.0.0.1") -> Path:
    """Sign a certificate for broker ``node`` valid for ``host`` and localhost; return its store."""
    ca_key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"frontline-broker-{node}"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    store = paths.broker_store(node)
    chain = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    write_private(store, _pkcs8(key) + chain)
    return store
