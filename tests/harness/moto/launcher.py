"""Start moto's server on 127.0.0.1:<port> with EKS clusters that point at the test harness.

Usage: launcher.py <port>

moto gives every cluster a random endpoint, random CA data and one issuer shared by all clusters
(moto/eks/models.py builds them in Cluster.__init__ from module-level templates). The broker reads
all three from DescribeCluster, so tests need them to be real harness values, and need one issuer
per cluster to prove that trust policies name the right one. When set, these variables win:

  MOTO_EKS_ENDPOINT         API server URL, e.g. https://127.0.0.1:6443
  MOTO_EKS_CA_DATA          base64 PEM, as EKS returns certificateAuthority.data
  MOTO_EKS_ISSUER_TEMPLATE  OIDC issuer URL; {name} and {region} are replaced per cluster
  MOTO_EKS_ISSUERS          JSON object, cluster name -> issuer URL; wins over the template for
                            the clusters it names (npm start: the issuers config/broker.yaml names)

The endpoint may use the same placeholders.

moto does not enforce S3's `ExpectedBucketOwner` (the x-amz-expected-bucket-owner header); the
broker's bucket pre-flight proves a bucket's owner with it, so the launcher enforces it as S3 does:
403 AccessDenied when the bucket exists and another account owns it.
"""

import json
import os
import sys
import threading

import moto.eks.models as eks_models
import moto.s3.models as s3_models
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.responses import S3Response
from moto.server import main as moto_main


def _fill(template: str, cluster: "eks_models.Cluster") -> str:
    # str.replace, not str.format: a URL may legitimately contain other braces.
    region = cluster.arn.split(":")[3]
    return template.replace("{name}", cluster.name).replace("{region}", region)


def _patch_eks_clusters() -> None:
    endpoint = os.environ.get("MOTO_EKS_ENDPOINT")
    ca_data = os.environ.get("MOTO_EKS_CA_DATA")
    issuer = os.environ.get("MOTO_EKS_ISSUER_TEMPLATE")
    issuers = json.loads(os.environ.get("MOTO_EKS_ISSUERS") or "{}")
    original_init = eks_models.Cluster.__init__

    # Wrapping __init__ (rather than rewriting ISSUER_TEMPLATE) is what gives each cluster its own
    # issuer: the module templates only know the region, and are formatted once per cluster here.
    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original_init(self, *args, **kwargs)
        if endpoint:
            self.endpoint = _fill(endpoint, self)
        if ca_data:
            self.certificate_authority = {"data": ca_data}
        if self.name in issuers:
            self.identity = {"oidc": {"issuer": issuers[self.name]}}
        elif issuer:
            self.identity = {"oidc": {"issuer": _fill(issuer, self)}}

    eks_models.Cluster.__init__ = init  # type: ignore[method-assign]


def _enforce_expected_bucket_owner() -> None:
    def guarded(original):  # type: ignore[no-untyped-def]
        def respond(self, request, full_url):  # type: ignore[no-untyped-def]
            expected = request.headers.get("x-amz-expected-bucket-owner")
            bucket = self.parse_bucket_name_from_url(request, full_url)
            owner = s3_models.s3_backends.bucket_accounts.get(bucket) if bucket else None
            # bucket_accounts holds (partition, account id) for every bucket in every account.
            if expected and owner is not None and owner[1] != expected:
                raise S3AccessDeniedError()
            return original(self, request, full_url)

        return respond

    # The underscored methods run inside moto's try/except that serializes S3 errors.
    S3Response._bucket_response = guarded(S3Response._bucket_response)  # type: ignore[method-assign]
    S3Response._key_response = guarded(S3Response._key_response)  # type: ignore[method-assign]


def _exit_when_parent_goes() -> None:
    # The Node harness keeps our stdin open; EOF means it died without calling stop(), and an
    # orphaned moto would hold its port and memory until the machine is recycled.
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: launcher.py <port>")
    _patch_eks_clusters()
    _enforce_expected_bucket_owner()
    if os.environ.get("MOTO_EXIT_ON_STDIN_EOF") == "1":
        threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
    moto_main(["-H", "127.0.0.1", "-p", sys.argv[1]])
