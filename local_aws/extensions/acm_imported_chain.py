"""ACM: GetCertificate returns the chain that was imported, not moto's root CA appended to it.

For an imported certificate, real ACM's GetCertificate returns ``CertificateChain`` as given to
ImportCertificate; when no chain was given, the certificate itself stands as its chain (what
community.aws.acm_certificate compares against: "When there is no chain with a cert it seems
Amazon returns the cert itself as the chain"). moto 5.2.5 appends its own AWS root CA to
every chain (and returns that root CA alone when none was imported), so
community.aws.acm_certificate sees a different chain on every run and re-imports the
certificate each time. Certificates ACM issues itself (RequestCertificate) keep moto's chain.
"""

from __future__ import annotations

from moto.acm.models import CertBundle


def apply() -> None:
    original_init = CertBundle.__init__

    def __init__(self, account_id, certificate, private_key, chain=None, *args, **kwargs):
        original_init(self, account_id, certificate, private_key, chain, *args, **kwargs)
        if self.type == "IMPORTED":
            imported = chain if chain else certificate
            self.chain = imported if imported.endswith(b"\n") else imported + b"\n"

    CertBundle.__init__ = __init__
