"""What a local stack keeps under `.chatstack/`: its Cognito signing key and its admin
credential (per stack), and the TLS CA and server certificate (shared by the project's stacks).

Created once, then reused across starts. Every file is written to a temporary name and
linked into place, so two stacks starting at once agree on one value (the loser reads the
winner's); secrets are readable by the owner only.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import hashlib
import ipaddress
import json
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SIGNING_KEY_FILE = "cognito-signing-key.pem"
LOCAL_ADMIN_FILE = "local-admin.json"
LOCAL_ADMIN_KEY_PREFIX = "AKIALOCALADMIN"


def create_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes; if it does not exist yet, `make()` them and link them into place."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(make())
        with contextlib.suppress(FileExistsError):  # another start won: use its file
            os.link(temp, path)
    finally:
        os.unlink(temp)
    return path.read_bytes()


# ---- the Cognito signing key -------------------------------------------------------------

@dataclass(frozen=True)
class SigningKey:
    """An RS256 key generated for one stack; its public half is the only key in the JWKS."""

    private_pem: bytes

    # Parsed once: loading (and checking) an RSA key from PEM costs tens of milliseconds, and
    # every token a sign-in issues is signed here, under moto's request lock.
    @functools.cached_property
    def _private(self) -> rsa.RSAPrivateKey:
        return serialization.load_pem_private_key(self.private_pem, password=None)

    @functools.cached_property
    def kid(self) -> str:
        der = self._private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")[:43]

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self._private.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self.kid})


def new_rsa_pem() -> bytes:
    """A new 2048-bit RSA private key, PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def signing_key(stack_dir: Path) -> SigningKey:
    return SigningKey(create_once(stack_dir / SIGNING_KEY_FILE, new_rsa_pem))


# ---- the local admin credential -----------------------------------------------------------

def local_admin(stack_dir: Path) -> dict[str, str]:
    """`{"accessKeyId", "secretAccessKey"}`: the only credential local Cognito's admin actions
    and the DynamoDB endpoint accept (SigV4)."""

    def make() -> bytes:
        return json.dumps({
            "accessKeyId": LOCAL_ADMIN_KEY_PREFIX + secrets.token_hex(3).upper(),
            "secretAccessKey": secrets.token_urlsafe(30),
        }).encode()

    return json.loads(create_once(stack_dir / LOCAL_ADMIN_FILE, make))


# ---- TLS: a local CA and a server certificate for localhost / 127.0.0.1 ------------------

TLS_HOSTS = ("localhost",)
TLS_ADDRESSES = ("127.0.0.1", "::1")
CERTIFICATE_DAYS = 825  # what browsers accept for a server certificate


@dataclass(frozen=True)
class TlsFiles:
    ca_certificate: Path
    certificate: Path  # the server certificate, then the CA's (a chain)
    private_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "chatstack local"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _make_tls_bundle() -> bytes:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("chatstack local CA")).issuer_name(_name("chatstack local CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    names = [x509.DNSName(h) for h in TLS_HOSTS] + [x509.IPAddress(ipaddress.ip_address(a)) for a in TLS_ADDRESSES]
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost")).issuer_name(ca.subject)
        .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=CERTIFICATE_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return json.dumps({
        "ca": ca.public_bytes(pem).decode(),
        "certificate": server.public_bytes(pem).decode(),
        "key": server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode(),
    }).encode()


def tls_files(tls_dir: Path) -> TlsFiles:
    """The CA and server certificate under `tls_dir`, made on first use (and again once the
    server certificate is about to expire)."""
    bundle_path = tls_dir / "bundle.json"
    bundle = json.loads(create_once(bundle_path, _make_tls_bundle))
    expires = x509.load_pem_x509_certificate(bundle["certificate"].encode()).not_valid_after_utc
    if expires - dt.datetime.now(dt.UTC) < dt.timedelta(days=1):
        bundle_path.unlink(missing_ok=True)
        bundle = json.loads(create_once(bundle_path, _make_tls_bundle))
    files = TlsFiles(tls_dir / "ca.pem", tls_dir / "server-chain.pem", tls_dir / "server-key.pem")
    for path, text in ((files.ca_certificate, bundle["ca"]),
                       (files.certificate, bundle["certificate"] + bundle["ca"]),
                       (files.private_key, bundle["key"])):
        if not path.exists() or path.read_text() != text:
            _replace(path, text)
    return files


def _replace(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temp, path)
