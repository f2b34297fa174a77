"""TEST DOUBLE of Cognito's user pool endpoint (``cognito-idp.<region>.amazonaws.com``), for the browser test only.

The sign-in page's library (amazon-cognito-identity-js) calls Cognito's JSON API from the browser:
``POST /`` with ``X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>``, after a CORS preflight.
This double answers those calls on the local edge (Chromium resolves the endpoint's name to it):

* **Users, groups, tokens: moto's Cognito**, the pool and app client the Api stack deployed into moto.
  Sign-up, confirmation, password reset, refresh and global sign-out are moto's operations; the tokens
  are moto's JWTs (RS256, with ``cognito:groups``).
* **SRP, done for real.** moto answers ``USER_SRP_AUTH`` with random numbers and accepts any proof, so
  a wrong password would sign in. Here the server side of Cognito's SRP-6a variant is computed (3072-bit
  group, ``k = H(N | g)``, ``x = H(salt | H(poolName | userId | ":" | password))``, the HKDF with
  "Caldera Derived Key", and the HMAC over pool name, user, secret block and timestamp), from the
  password moto keeps; a proof that does not match is ``NotAuthorizedException``. The library's
  arithmetic is thus checked against an independent implementation.
* **A mailbox.** moto confirms any code; here sign-up, resend and forgot-password put a fresh 6-digit
  code in ``mailbox`` (what Cognito would email), and a wrong code is ``CodeMismatchException``.

Not modelled: MFA, device tracking, threat protection's risk decisions, email delivery, rate limits.
See docs/testing.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError, ParamValidationError

Response = tuple[int, dict[str, str | list[str]], bytes]

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
TARGET_PREFIX = "AWSCognitoIdentityProviderService."


def pad_hex(value: int) -> str:
    """Cognito's padHex: even length, and a leading 00 when the top bit is set (a positive two's complement)."""
    text = format(value, "x")
    text = "0" + text if len(text) % 2 else text
    return "00" + text if text[0] in "89abcdef" else text


def hex_hash(hex_text: str) -> str:
    return hashlib.sha256(bytes.fromhex(hex_text)).hexdigest().rjust(64, "0")


K = int(hex_hash(pad_hex(N) + pad_hex(G)), 16)


def hkdf(ikm: bytes, salt: bytes) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    return hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]


@dataclass
class _Challenge:
    pool_id: str
    client_id: str
    user_id: str  # USER_ID_FOR_SRP: the user's internal name (its sub, in a pool signed into by email)
    sign_in_name: str  # what the viewer typed (the email): moto puts it in the ID token's email claim
    verifier: int
    b: int
    big_b: int
    big_a: int
    secret_block: str


class CognitoError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class CognitoStandIn:
    region: str
    mailbox: dict[str, str] = field(default_factory=dict)  # email -> the last code "sent"
    calls: list[str] = field(default_factory=list)  # operations called, in order
    _challenges: dict[str, _Challenge] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def host(self) -> str:
        return f"cognito-idp.{self.region}.amazonaws.com"

    # --- HTTP ----------------------------------------------------------------------------------------------
    def serve(self, method: str, headers: Mapping[str, str], body: bytes) -> Response:
        origin = headers.get("origin", "")
        cors: dict[str, str | list[str]] = {
            "Access-Control-Allow-Origin": origin or "*",
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "content-type, x-amz-target, x-amz-user-agent, cache-control",
            "Access-Control-Max-Age": "600",
        }
        if method == "OPTIONS":
            return 200, cors, b""
        target = headers.get("x-amz-target", "")
        if method != "POST" or not target.startswith(TARGET_PREFIX):
            return 400, cors, b'{"__type":"UnknownOperationException"}'
        operation = target.removeprefix(TARGET_PREFIX)
        with self._lock:
            self.calls.append(operation)
            try:
                result = self.call(operation, json.loads(body or b"{}"))
            except CognitoError as error:
                payload = json.dumps({"__type": error.code, "message": str(error)}).encode()
                return 400, {**cors, "Content-Type": "application/x-amz-json-1.1"}, payload
        return 200, {**cors, "Content-Type": "application/x-amz-json-1.1"}, json.dumps(result).encode()

    # --- operations ------------------------------------------------------------------------------------------
    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation == "InitiateAuth" and request.get("AuthFlow") == "USER_SRP_AUTH":
            return self._srp_start(request)
        if operation == "RespondToAuthChallenge" and request.get("ChallengeName") == "PASSWORD_VERIFIER":
            return self._srp_verify(request)
        if operation == "InitiateAuth" and request.get("AuthFlow") not in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            raise CognitoError("InvalidParameterException", "only SRP and refresh are enabled for this client")
        handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "SignUp": self._sign_up,
            "ConfirmSignUp": self._confirm_sign_up,
            "ResendConfirmationCode": self._resend,
            "ForgotPassword": self._forgot,
            "ConfirmForgotPassword": self._confirm_forgot,
        }
        if operation in handlers:
            return handlers[operation](request)
        if operation in ("InitiateAuth", "GlobalSignOut", "GetUser", "RevokeToken"):
            return self._moto(operation, request)
        raise CognitoError("InvalidParameterException", f"{operation} is not modelled by the test double")

    def _moto(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        client = boto3.client("cognito-idp", region_name=self.region)
        method = getattr(client, re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower())
        try:  # the library sends null for what it does not set (ValidationData, ClientMetadata)
            response: dict[str, Any] = method(**{key: value for key, value in request.items() if value is not None})
        except ParamValidationError as exc:
            raise CognitoError("InvalidParameterException", str(exc).splitlines()[-1]) from None
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise CognitoError(
                str(error.get("Code", "InternalErrorException")), str(error.get("Message", ""))
            ) from None
        response.pop("ResponseMetadata", None)
        return response

    def _send_code(self, email: str) -> None:
        self.mailbox[email] = f"{secrets.randbelow(10**6):06d}"

    def _check_code(self, email: str, code: str) -> None:
        if not code or self.mailbox.get(email) != code:
            raise CognitoError("CodeMismatchException", "Invalid verification code provided, please try again.")
        del self.mailbox[email]

    def _sign_up(self, request: dict[str, Any]) -> dict[str, Any]:
        response = self._moto("SignUp", request)
        self._send_code(request["Username"])
        return response

    def _confirm_sign_up(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_code(request["Username"], str(request.get("ConfirmationCode", "")))
        return self._moto("ConfirmSignUp", {k: v for k, v in request.items() if k != "ForceAliasCreation"})

    def _resend(self, request: dict[str, Any]) -> dict[str, Any]:
        self._send_code(request["Username"])
        return {"CodeDeliveryDetails": {"DeliveryMedium": "EMAIL", "AttributeName": "email"}}

    def _forgot(self, request: dict[str, Any]) -> dict[str, Any]:
        response = self._moto("ForgotPassword", request)
        self._send_code(request["Username"])
        return response

    def _confirm_forgot(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check_code(request["Username"], str(request.get("ConfirmationCode", "")))
        return self._moto("ConfirmForgotPassword", request)

    # --- SRP --------------------------------------------------------------------------------------------------
    @staticmethod
    def _pool_and_user(client_id: str, username: str) -> tuple[Any, Any, Any]:
        from moto.cognitoidp.models import cognitoidp_backends

        for backend in (b for regions in cognitoidp_backends.values() for b in regions.values()):
            for pool in backend.user_pools.values():
                if client_id in pool.clients:
                    user = pool._get_user(username)
                    if user is None:
                        raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
                    return backend, pool, user
        raise CognitoError("ResourceNotFoundException", "no such client")

    def _srp_start(self, request: dict[str, Any]) -> dict[str, Any]:
        parameters = request.get("AuthParameters", {})
        _, pool, user = self._pool_and_user(request["ClientId"], parameters.get("USERNAME", ""))
        if str(user.status.value if hasattr(user.status, "value") else user.status) == "UNCONFIRMED":
            raise CognitoError("UserNotConfirmedException", "User is not confirmed.")
        big_a = int(parameters["SRP_A"], 16)
        if big_a % N == 0:
            raise CognitoError("InvalidParameterException", "SRP_A is zero")
        salt = secrets.token_hex(16)
        pool_name = pool.id.split("_", 1)[1]
        inner = hashlib.sha256(f"{pool_name}{user.username}:{user.password}".encode()).hexdigest()
        x = int(hex_hash(pad_hex(int(salt, 16)) + inner), 16)
        verifier = pow(G, x, N)
        b = secrets.randbits(1024)
        big_b = (K * verifier + pow(G, b, N)) % N
        secret_block = base64.b64encode(secrets.token_bytes(64)).decode()
        self._challenges[secret_block] = _Challenge(
            pool.id, request["ClientId"], user.username, parameters["USERNAME"], verifier, b, big_b, big_a, secret_block
        )
        return {
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": secret_block,
            "ChallengeParameters": {
                "SALT": salt,
                "SRP_B": format(big_b, "x"),
                "SECRET_BLOCK": secret_block,
                "USER_ID_FOR_SRP": user.username,
                "USERNAME": user.username,
            },
        }

    def _srp_verify(self, request: dict[str, Any]) -> dict[str, Any]:
        responses = request.get("ChallengeResponses", {})
        challenge = self._challenges.pop(responses.get("PASSWORD_CLAIM_SECRET_BLOCK", ""), None)
        if challenge is None or challenge.client_id != request.get("ClientId"):
            raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
        timestamp = str(responses.get("TIMESTAMP", ""))
        sent = datetime.strptime(re.sub(r"\s+", " ", timestamp), "%a %b %d %H:%M:%S UTC %Y").replace(tzinfo=UTC)
        if abs((datetime.now(UTC) - sent).total_seconds()) > 300:
            raise CognitoError("NotAuthorizedException", "The timestamp is too far from now.")
        u = int(hex_hash(pad_hex(challenge.big_a) + pad_hex(challenge.big_b)), 16)
        s = pow(challenge.big_a * pow(challenge.verifier, u, N), challenge.b, N)
        key = hkdf(bytes.fromhex(pad_hex(s)), bytes.fromhex(pad_hex(u)))
        message = (
            challenge.pool_id.split("_", 1)[1].encode()
            + challenge.user_id.encode()
            + base64.b64decode(challenge.secret_block)
            + timestamp.encode()
        )
        expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, str(responses.get("PASSWORD_CLAIM_SIGNATURE", ""))):
            raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
        backend, pool, _ = self._pool_and_user(challenge.client_id, challenge.user_id)
        client = pool.clients[challenge.client_id]
        result: dict[str, Any] = backend._log_user_in(pool, client, challenge.sign_in_name)
        return result
