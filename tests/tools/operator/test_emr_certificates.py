"""The EMR in-transit encryption certificates: made at run time, zipped as EMR expects, uploaded."""

from __future__ import annotations

import datetime
import io
import zipfile

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from moto import mock_aws

from tools.operator import emr_certificates
from tools.operator.emr_certificates import certificate_zip, internal_domain, upload

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)


def _open(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize(
    ("region", "domain"), [("us-east-1", "ec2.internal"), ("eu-west-1", "eu-west-1.compute.internal")]
)
def test_zip_holds_a_matching_key_and_certificate_for_the_internal_domain(region: str, domain: str):
    files = _open(certificate_zip(region, days=30, now=NOW))
    assert sorted(files) == ["certificateChain.pem", "privateKey.pem", "trustedCertificates.pem"]
    assert files["certificateChain.pem"] == files["trustedCertificates.pem"]
    certificate = x509.load_pem_x509_certificate(files["certificateChain.pem"])
    key = serialization.load_pem_private_key(files["privateKey.pem"], password=None)
    assert certificate.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == [f"*.{domain}"]
    assert internal_domain(region) == domain
    assert certificate.not_valid_after_utc == NOW + datetime.timedelta(days=30)


def test_every_call_makes_a_new_key():
    first, second = (_open(certificate_zip("us-east-1", days=1))["privateKey.pem"] for _ in range(2))
    assert first != second


def test_upload_puts_the_zip_where_the_security_configuration_reads_it():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="lake")
        assert upload(s3, "lake", b"zip-bytes") == "s3://lake/emr/tls/certificates.zip"
        assert s3.get_object(Bucket="lake", Key="emr/tls/certificates.zip")["Body"].read() == b"zip-bytes"


def test_bad_validity_is_refused(capsys):
    with pytest.raises(SystemExit) as exited:
        emr_certificates.main(["--bucket", "lake", "--days", "0"])
    assert exited.value.code == 2
    assert "--days must be between 1 and 3650, got 0" in capsys.readouterr().err
