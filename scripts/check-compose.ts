/**
 * No Docker engine runs on our machines, so `docker compose config` cannot check
 * docker-compose.yml. This checks what the README promises of it: valid YAML; only the proxy
 * publishes a port, and only 443; the API and the workers sit on internal networks only; the
 * proxy forwards to the API; OSR_TRUST_PROXY names exactly the proxy's fixed address, inside its
 * network's subnet; every referenced service, network and volume is declared. Exits 1 on a finding.
 *   npm run check:compose      (or: npx tsx scripts/check-compose.ts other-compose.yml)
 */
import { readFileSync } from 'node:fs';
import { BlockList, isIPv4 } from 'node:net';
import { parseDocument } from 'yaml';
import { parseTrustProxy } from '../src/config.js';

type Service = {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  ports?: string[];
  environment?: Record<string, string>;
  networks?: string[] | Record<string, { ipv4_address?: string } | null>;
  depends_on?: Record<string, unknown>;
  volumes?: string[];
};
type Network = { internal?: boolean; ipam?: { config?: { subnet?: string }[] } } | null;
type Compose = {
  services?: Record<string, Service>;
  networks?: Record<string, Network>;
  volumes?: Record<string, unknown>;
};

const file = process.argv[2] ?? new URL('../docker-compose.yml', import.meta.url);
const document = parseDocument(readFileSync(file, 'utf8'));
const findings: string[] = [...document.errors, ...document.warnings].map((problem) => problem.message);
const compose = (document.toJS() ?? {}) as Compose;
const check = (ok: boolean, finding: string) => {
  if (!ok) findings.push(finding);
};

const services = compose.services ?? {};
const networks = compose.networks ?? {};
const networksOf = (service: Service): Record<string, { ipv4_address?: string } | null> =>
  Array.isArray(service.networks)
    ? Object.fromEntries(service.networks.map((name) => [name, null]))
    : (service.networks ?? {});

for (const name of ['db', 'api', 'worker', 'proxy']) check(name in services, `service "${name}" is missing`);

for (const [name, service] of Object.entries(services)) {
  check(Object.keys(networksOf(service)).length > 0, `${name}: no network named (the default one is not internal)`);
  for (const network of Object.keys(networksOf(service))) {
    check(network in networks, `${name}: network "${network}" is not declared`);
  }
  for (const dependency of Object.keys(service.depends_on ?? {})) {
    check(dependency in services, `${name}: depends on the unknown service "${dependency}"`);
  }
  for (const volume of service.volumes ?? []) {
    const source = volume.split(':')[0] ?? '';
    if (!source.startsWith('.') && !source.startsWith('/')) {
      check(source in (compose.volumes ?? {}), `${name}: volume "${source}" is not declared`);
    }
  }
  if (name === 'proxy') continue;
  check(service.ports === undefined, `${name}: publishes ports; only the proxy may be reachable from outside`);
  for (const network of Object.keys(networksOf(service))) {
    check(networks[network]?.internal === true, `${name}: network "${network}" is not internal`);
  }
}

const proxy = services.proxy ?? {};
const api = services.api ?? {};
check(/^(caddy|nginx):/.test(proxy.image ?? ''), 'proxy: not an official caddy or nginx image');
const ports = proxy.ports ?? [];
check(ports.length > 0, 'proxy: publishes no port');
for (const port of ports) check(/^([\d.]+:)?443:443$/.test(port), `proxy: publishes "${port}"; only 443 (TLS)`);
const command = Array.isArray(proxy.command) ? proxy.command.join(' ') : (proxy.command ?? '');
check(/--from https:\/\//.test(command), 'proxy: does not serve HTTPS (--from https://…)');
check(/--to http:\/\/api:8080\b/.test(command), 'proxy: does not forward to http://api:8080');

const trusted = (() => {
  try {
    return parseTrustProxy(api.environment?.OSR_TRUST_PROXY);
  } catch (error) {
    findings.push(`api: ${(error as Error).message}`);
    return false;
  }
})();
const shared = Object.entries(networksOf(proxy)).filter(([network]) => network in networksOf(api));
const proxyAddresses = shared.map(([, settings]) => settings?.ipv4_address).filter((a) => a !== undefined);
check(
  Array.isArray(trusted) && trusted.length > 0 && trusted.every((entry) => proxyAddresses.includes(entry)),
  `api: OSR_TRUST_PROXY (${String(api.environment?.OSR_TRUST_PROXY)}) is not the proxy's fixed address on a network ` +
    `it shares with the api (${proxyAddresses.join(', ') || 'none'})`,
);
for (const [network, settings] of shared) {
  const address = settings?.ipv4_address;
  if (address === undefined) continue;
  const subnets = networks[network]?.ipam?.config?.map((entry) => entry.subnet ?? '') ?? [];
  const inside = subnets.some((subnet) => {
    const [base = '', prefix = ''] = subnet.split('/');
    if (!isIPv4(base) || !/^\d+$/.test(prefix)) return false;
    const range = new BlockList();
    range.addSubnet(base, Number(prefix), 'ipv4');
    return isIPv4(address) && range.check(address, 'ipv4');
  });
  check(inside, `proxy: ${address} is not inside a subnet of network "${network}" (${subnets.join(', ')})`);
}

if (findings.length > 0) {
  console.error(`${String(file)}: ${findings.length} finding(s):`);
  for (const finding of findings) console.error(`  ${finding}`);
  process.exit(1);
}
console.log(
  `docker-compose.yml: ok — services ${Object.keys(services).join(', ')}; only the proxy publishes a port ` +
    `(${ports.join(', ')}); it forwards to api:8080 and is the one OSR_TRUST_PROXY trusts (${proxyAddresses.join(', ')})`,
);
