"""The server half of Cognito's SRP-6a sign-in (USER_SRP_AUTH, then PASSWORD_VERIFIER).

Cognito's variant, as its clients (Amplify's AuthenticationHelper, amazon-cognito-identity-js)
compute it: the RFC 5054 3072-bit group with g = 2, k = H(N | g), x = H(salt | H(poolName |
userIdForSrp | ":" | password)), u = H(A | B), the session key an HKDF of S keyed by u
("Caldera Derived Key"), and the client proves it with HMAC(key, poolName | userIdForSrp |
secretBlock | timestamp). Every integer is hashed as its padded two's-complement hex.

The local pool keeps plain passwords (moto does), so the verifier v = g^x is derived when a
sign-in starts, with a fresh salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2
HKDF_INFO = b"Caldera Derived Key\x01"
# Private exponents: 256 random bits, RFC 5054's minimum, a quarter of the modular
# exponentiation work of 1,024 (what a sign-in costs the moto process, which serialises requests).
EXPONENT_BITS = 256


def pad_hex(value: int) -> str:
    """Even-length hex with a leading 00 when the top bit is set (a positive two's complement)."""
    text = format(value, "x")
    if len(text) % 2:
        text = "0" + text
    if text[0] in "89abcdef":
        text = "00" + text
    return text


def hash_hex(hex_text: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest()


K = int(hash_hex(pad_hex(N) + pad_hex(G)), 16)


def pool_name(user_pool_id: str) -> str:
    """What Cognito hashes as the pool: the id after the region's underscore."""
    return user_pool_id.split("_", 1)[1] if "_" in user_pool_id else user_pool_id


def private_x(user_pool_id: str, user_id: str, password: str, salt_hex: str) -> int:
    identity = hashlib.sha256(f"{pool_name(user_pool_id)}{user_id}:{password}".encode()).hexdigest()
    return int(hash_hex(pad_hex(int(salt_hex, 16)) + identity), 16)


def scrambler(a_value: int, b_value: int) -> int:
    return int(hash_hex(pad_hex(a_value) + pad_hex(b_value)), 16)


def session_key(shared: int, u_value: int) -> bytes:
    """HKDF-SHA256 (salt = u, ikm = S, one block), first 16 bytes."""
    prk = hmac.new(bytes.fromhex(pad_hex(u_value)), bytes.fromhex(pad_hex(shared)), hashlib.sha256).digest()
    return hmac.new(prk, HKDF_INFO, hashlib.sha256).digest()[:16]


def claim_signature(key: bytes, user_pool_id: str, user_id: str, secret_block: str, timestamp: str) -> str:
    message = pool_name(user_pool_id).encode() + user_id.encode() + base64.b64decode(secret_block)
    return base64.b64encode(hmac.new(key, message + timestamp.encode(), hashlib.sha256).digest()).decode()


@dataclass
class SrpChallenge:
    """One started sign-in: what PASSWORD_VERIFIER needs to check the client's claim."""

    user_pool_id: str
    user_id: str
    a_value: int
    b_private: int
    b_value: int
    verifier: int
    salt_hex: str
    secret_block: str

    @classmethod
    def start(cls, user_pool_id: str, user_id: str, password: str, srp_a_hex: str) -> SrpChallenge:
        a_value = int(srp_a_hex, 16)
        if a_value % N == 0:
            raise ValueError("SRP_A mod N is zero")
        salt_hex = secrets.token_hex(16)
        verifier = pow(G, private_x(user_pool_id, user_id, password, salt_hex), N)
        while True:
            b_private = secrets.randbits(EXPONENT_BITS)
            b_value = (K * verifier + pow(G, b_private, N)) % N
            if b_value and scrambler(a_value, b_value):
                break
        secret_block = base64.b64encode(secrets.token_bytes(64)).decode()
        return cls(user_pool_id, user_id, a_value, b_private, b_value, verifier, salt_hex, secret_block)

    def challenge_parameters(self, username: str) -> dict[str, str]:
        return {
            "SALT": self.salt_hex,
            "SRP_B": format(self.b_value, "x"),
            "SECRET_BLOCK": self.secret_block,
            "USERNAME": username,
            "USER_ID_FOR_SRP": self.user_id,
        }

    def expected_signature(self, timestamp: str) -> str:
        u_value = scrambler(self.a_value, self.b_value)
        shared = pow(self.a_value * pow(self.verifier, u_value, N), self.b_private, N)
        return claim_signature(session_key(shared, u_value), self.user_pool_id, self.user_id,
                               self.secret_block, timestamp)

    def verify(self, signature: str, timestamp: str) -> bool:
        return hmac.compare_digest(self.expected_signature(timestamp), signature or "")


class SrpClient:
    """The client half (what Amplify computes), for Python callers and tests: `a_hex` for
    InitiateAuth's SRP_A, then `answer(challenge_parameters)` for PASSWORD_VERIFIER."""

    def __init__(self, user_pool_id: str, password: str):
        self.user_pool_id = user_pool_id
        self.password = password
        self.a_private = secrets.randbits(EXPONENT_BITS)
        self.a_value = pow(G, self.a_private, N)

    @property
    def a_hex(self) -> str:
        return format(self.a_value, "x")

    def answer(self, parameters: dict[str, str], timestamp: str) -> dict[str, str]:
        b_value = int(parameters["SRP_B"], 16)
        user_id = parameters["USER_ID_FOR_SRP"]
        u_value = scrambler(self.a_value, b_value)
        x = private_x(self.user_pool_id, user_id, self.password, parameters["SALT"])
        shared = pow((b_value - K * pow(G, x, N)) % N, self.a_private + u_value * x, N)
        signature = claim_signature(session_key(shared, u_value), self.user_pool_id, user_id,
                                    parameters["SECRET_BLOCK"], timestamp)
        return {"USERNAME": user_id, "PASSWORD_CLAIM_SECRET_BLOCK": parameters["SECRET_BLOCK"],
                "TIMESTAMP": timestamp, "PASSWORD_CLAIM_SIGNATURE": signature}
