"""Test PKI and nginx for certificate sign-in: a CA, a CRL and client certificates made with openssl,
and a real nginx (non-daemon, config in a temporary folder) verifying them in front of the app.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
PROXY_ADDRESS = "127.0.0.2"  # nginx connects to the app from here; tests call the app directly from 127.0.0.1

CA_CONFIG = """
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = {dir}
database = $dir/index.txt
serial = $dir/serial
crlnumber = $dir/crlnumber
new_certs_dir = $dir/issued
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
default_days = 365
default_crl_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none
utf8 = yes
string_mask = utf8only
[ policy_any ]
commonName = supplied
organizationName = optional
countryName = optional
[ client ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
"""


def openssl(*args: str, cwd: Path) -> str:
    result = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@dataclass(frozen=True)
class ClientCertificate:
    """A client certificate and its key, with the serial nginx will report."""

    cert: Path
    key: Path
    serial: str

    @property
    def pair(self) -> tuple[str, str]:
        return str(self.cert), str(self.key)


class CertificateAuthority:
    """A CA run with ``openssl ca``: issues, revokes, publishes a CRL."""

    def __init__(self, folder: Path, name: str) -> None:
        self.dir = folder
        folder.mkdir(parents=True)
        (folder / "issued").mkdir()
        (folder / "index.txt").write_text("")
        (folder / "serial").write_text("1000\n")
        (folder / "crlnumber").write_text("01\n")
        (folder / "ca.cnf").write_text(CA_CONFIG.format(dir=folder))
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
                "-days", "3650", "-utf8", "-subj", f"/C=KR/O=Test PKI/CN={name}", cwd=folder)
        self.cert = folder / "ca.crt"
        self.crl = folder / "ca.crl"

    def issue(self, name: str, common_name: str, *, start: str | None = None,
              end: str | None = None) -> ClientCertificate:
        """A client certificate; ``start``/``end`` (YYYYMMDDHHMMSSZ) fix its validity, else a year from now."""
        openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-utf8", "-subj", f"/C=KR/O=Test Agency/CN={common_name}", cwd=self.dir)
        dates = ["-startdate", start, "-enddate", end] if start and end else ["-days", "365"]
        openssl("ca", "-batch", "-config", "ca.cnf", "-extensions", "client", "-in", f"{name}.csr",
                "-out", f"{name}.crt", *dates, cwd=self.dir)
        serial = openssl("x509", "-in", f"{name}.crt", "-noout", "-serial", cwd=self.dir).strip().split("=")[1]
        return ClientCertificate(self.dir / f"{name}.crt", self.dir / f"{name}.key", serial)

    def revoke(self, certificate: ClientCertificate) -> None:
        openssl("ca", "-config", "ca.cnf", "-revoke", str(certificate.cert), cwd=self.dir)

    def publish_crl(self) -> Path:
        openssl("ca", "-config", "ca.cnf", "-gencrl", "-out", str(self.crl), cwd=self.dir)
        return self.crl


def server_certificate(folder: Path) -> tuple[Path, Path]:
    """nginx's own TLS certificate for 127.0.0.1 (self-signed; clients trust it explicitly)."""
    folder.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.crt",
            "-days", "365", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", cwd=folder)
    return folder / "server.crt", folder / "server.key"


NGINX_CONFIG = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
{user}
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
{server}
}}
"""


def nginx_server_block(*, listen: str, server_cert: Path, server_key: Path, ca: Path, crl: Path,
                       upstream: str, proxy_bind: str | None = None) -> str:
    """The server block the README documents, with this test's paths and addresses."""
    bind = f"        proxy_bind {proxy_bind};\n" if proxy_bind else ""
    return f"""    server {{
        listen {listen} ssl;
        ssl_certificate {server_cert};
        ssl_certificate_key {server_key};
        # Ask for a client certificate, verify it against the CA and its CRL.
        ssl_client_certificate {ca};
        ssl_crl {crl};
        ssl_verify_client optional;
        ssl_verify_depth 2;
        # A certificate that fails verification (other CA, revoked, expired) gets the app's refusal page.
        error_page 495 = /auth/certificate/refused;

        location / {{
            proxy_pass {upstream};
{bind}            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Always set (never passed through from the client): what nginx verified.
            proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
            proxy_set_header X-SSL-Client-S-DN $ssl_client_s_dn;
            proxy_set_header X-SSL-Client-I-DN $ssl_client_i_dn;
            proxy_set_header X-SSL-Client-Serial $ssl_client_serial;
        }}
    }}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("nginx exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port}")


def start_nginx(folder: Path, server_block_for_port) -> tuple[subprocess.Popen, int]:
    """Start nginx in the foreground on a free port (retried if another process takes the port first)."""
    folder.mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""  # as root, workers would otherwise drop to nobody
    for _attempt in range(3):
        port = free_port()
        config = folder / "nginx.conf"
        config.write_text(NGINX_CONFIG.format(dir=folder, user=user, server=server_block_for_port(port)))
        log = (folder / "error.log").open("ab")
        process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log")],
                                   stdout=log, stderr=log)
        log.close()
        try:
            wait_for_port(port, process)
            return process, port
        except RuntimeError:
            stop(process)
    raise RuntimeError("nginx did not start: " + (folder / "error.log").read_text()[-2000:])


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
