"""The TLS certificates the nightly EMR cluster encrypts traffic between its nodes with.

EMR's in-transit encryption (the security configuration of ``NightlySpark``)
reads a zip of PEM files from ``s3://<data lake>/emr/tls/certificates.zip``:
``privateKey.pem``, ``certificateChain.pem`` and ``trustedCertificates.pem``.
Run once per environment after the first deploy, and again to rotate::

    python -m tools.operator.emr_certificates --bucket <DataLakeBucket name> [--region us-east-1] [--days 397]

The key is made here, in memory, and goes only to that object, which the data
lake encrypts with its KMS key and only the cluster's instance role may read.
"""

from __future__ import annotations

import argparse
import datetime
import io
import zipfile
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from stacks.names import TLS_CERTIFICATES_KEY

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client


def internal_domain(region: str) -> str:
    """The private DNS domain of EC2 instances in ``region``."""
    return "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"


def certificate_zip(region: str, days: int, now: datetime.datetime | None = None) -> bytes:
    """A self-signed certificate for ``*.<internal domain>`` and its key, zipped as EMR expects."""
    now = now or datetime.datetime.now(datetime.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    domain = internal_domain(region)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"*.{domain}")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"*.{domain}")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("privateKey.pem", key_pem)
        archive.writestr("certificateChain.pem", certificate_pem)
        archive.writestr("trustedCertificates.pem", certificate_pem)
    return buffer.getvalue()


def upload(s3: S3Client, bucket: str, data: bytes) -> str:
    """Put the zip where the security configuration points; the bucket's default SSE-KMS key encrypts it."""
    s3.put_object(Bucket=bucket, Key=TLS_CERTIFICATES_KEY, Body=data, ContentType="application/zip")
    return f"s3://{bucket}/{TLS_CERTIFICATES_KEY}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Make and upload the nightly EMR cluster's TLS certificates.")
    parser.add_argument("--bucket", required=True, help="the environment's data-lake bucket name")
    parser.add_argument("--region", default="us-east-1", help="the environment's region (default us-east-1)")
    parser.add_argument("--days", type=int, default=397, help="validity in days (default 397)")
    args = parser.parse_args(argv)
    if not 1 <= args.days <= 3650:
        parser.error(f"--days must be between 1 and 3650, got {args.days}")
    import boto3  # local import: only the upload needs AWS

    print(upload(boto3.client("s3", region_name=args.region), args.bucket, certificate_zip(args.region, args.days)))


if __name__ == "__main__":
    main()
