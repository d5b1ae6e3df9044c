import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces, release, type } from 'node:os';
import { join } from 'node:path';
import { HostFacts } from './app-config';

/** What the process learns about its machine: the side effects behind AppConfig's defaults. */
export function readHostFacts(): HostFacts {
  return {
    hostname: hostname(),
    firstExternalIpv4: firstExternalIpv4(),
    version: readPackageVersion(),
    cwd: process.cwd(),
  };
}

/** "Linux 6.1.0-28-amd64 (Debian GNU/Linux 12 (bookworm))" */
export function describeOperatingSystem(): string {
  const base = `${type()} ${release()}`;
  try {
    const osRelease = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1];
    return pretty ? `${base} (${pretty})` : base;
  } catch {
    return base;
  }
}

function firstExternalIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (found) return found.address;
  }
  return undefined;
}

function readPackageVersion(): string {
  // dist/modules/configuration or src/modules/configuration: the package file is three folders up.
  const packageJson = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
  return String(packageJson.version);
}
