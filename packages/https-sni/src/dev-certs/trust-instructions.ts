/**
 * `x-dev-certs https --trust`: trusting is not automated, so this says how
 * to do it by hand on the current platform.
 *
 * @module
 */

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** Manual steps to trust the certificate at `certificatePath` on `platform`, as printable text. */
export function trustInstructions(certificatePath: string, platform: NodeJS.Platform = process.platform): string {
  const path = shellQuote(certificatePath);
  const lines = ["Trusting the certificate is not automated on this platform. To trust it manually:"];
  if (platform === "darwin") {
    lines.push("  macOS (login keychain):", `    security add-trusted-cert -r trustRoot -k ~/Library/Keychains/login.keychain-db ${path}`);
  } else if (platform === "win32") {
    lines.push("  Windows (current user):", `    certutil -user -addstore Root ${path}`);
  } else {
    lines.push(
      "  Debian / Ubuntu (system store, used by curl, wget, OpenSSL):",
      `    sudo cp ${path} /usr/local/share/ca-certificates/x-localhost.crt`,
      "    sudo update-ca-certificates",
      "  Fedora / RHEL:",
      `    sudo cp ${path} /etc/pki/ca-trust/source/anchors/x-localhost.crt`,
      "    sudo update-ca-trust",
      "  Chrome and Firefox on Linux (NSS database; needs libnss3-tools):",
      `    certutil -d sql:$HOME/.pki/nssdb -A -t "P,," -n x-localhost -i ${path}`,
    );
  }
  lines.push("  Node.js clients (they do not read the system store):", `    export NODE_EXTRA_CA_CERTS=${path}`);
  return `${lines.join("\n")}\n`;
}
