// Debian's nginx as a TLS-terminating reverse proxy in front of one hubcast, on loopback, as
// docs/configuration.md ("Behind a proxy") shows it: a test CA and a certificate for `localhost`
// made here with openssl for each test (no key is checked in), nginx in the foreground in a fresh
// temporary folder, stopped and removed when the test ends.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import tls from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchNginx } from "./cluster.mjs";

/** A CA, and a certificate for `localhost` (and 127.0.0.1) it signed, in `folder`. */
function makeCertificates(folder) {
    const openssl = (...args) => execFileSync("openssl", args, { cwd: folder, stdio: ["ignore", "ignore", "pipe"] });
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
        "-subj", "/CN=hubcast test CA", "-keyout", "ca.key", "-out", "ca.pem");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost",
        "-keyout", "server.key", "-out", "server.csr");
    writeFileSync(join(folder, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
        "-extfile", "san.ext", "-out", "server.pem");
    return readFileSync(join(folder, "ca.pem"), "utf8");
}

function nginxConfig(dir, port, upstreamPort) {
    return `daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
worker_processes 1;
events { worker_connections 1024; }
http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    server {
        listen 127.0.0.1:${port} ssl;
        server_name localhost;
        ssl_certificate ${dir}/server.pem;
        ssl_certificate_key ${dir}/server.key;
        location / {
            proxy_pass http://127.0.0.1:${upstreamPort};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 1h;
        }
    }
}
`;
}

/**
 * Trusts `caPem` for every TLS connection this process makes from now on, besides the system's
 * roots: the official clients open their sockets themselves (`ws`, and the service client's
 * HTTPS agent) and take no CA option, and both connect through tls.connect.
 */
function trustInThisProcess(caPem) {
    if (tls.connect.hubcastTestCa) return;
    const connect = tls.connect;
    const ca = [...tls.rootCertificates, caPem];
    const patched = (...args) => {
        const options = args.find((a) => a !== null && typeof a === "object");
        if (options && options.ca === undefined) options.ca = ca;
        return connect.apply(tls, args);
    };
    patched.hubcastTestCa = true;
    tls.connect = patched;
}

/**
 * Starts nginx terminating TLS on a free loopback port and proxying to hubcast on `upstreamPort`;
 * resolves with `{port}` once it listens. The test context `t` stops it when the test ends.
 */
export async function startTlsProxy(t, upstreamPort) {
    const dir = mkdtempSync(join(tmpdir(), "hubcast-tls-proxy-"));
    trustInThisProcess(makeCertificates(dir));
    let nginx;
    t.after(async () => {
        await nginx?.terminate();
        rmSync(dir, { recursive: true, force: true });
    });
    let port;
    ({ nginx, port } = await launchNginx(dir, (free) => nginxConfig(dir, free, upstreamPort)));
    return { port };
}
