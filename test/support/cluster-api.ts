import type { ClusterReport, ComponentReport, ServerReport } from '../../src/modules/overview/cluster-report';
import type { ClusterNode } from './node-process';

/** The server of that name in a report; fails the test when it is missing. */
export function serverIn(report: ClusterReport, name: string): ServerReport {
  const server = report.servers.find((candidate) => candidate.name === name);
  if (!server)
    throw new Error(`no server "${name}" in the report: ${report.servers.map((s) => s.name).join(', ')}`);
  return server;
}

export function componentIn(report: ClusterReport, name: string, type: 'web' | 'service'): ComponentReport {
  const component = serverIn(report, name).components.find((candidate) => candidate.type === type);
  if (!component) throw new Error(`server "${name}" has no ${type} component`);
  return component;
}

/** Signs in through the real login form of a node process and fetches a page; answers status and text. */
export async function signedInPage(
  node: ClusterNode,
  path: string,
  password: string,
): Promise<{ status: number; text: string }> {
  const cookie = await signIn(node, password);
  const page = await fetch(`${node.url}${path}`, { headers: { Cookie: cookie }, redirect: 'manual' });
  return { status: page.status, text: await page.text() };
}

/** The session cookie of the first administrator, signed in through the login form. */
export async function signIn(node: ClusterNode, password: string): Promise<string> {
  const jar = new Map<string, string>();
  const remember = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair.split('=');
      jar.set(name, value.join('='));
    }
  };
  const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const login = await fetch(`${node.url}/login`);
  remember(login);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1];
  const answer = await fetch(`${node.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookieHeader() },
    body: new URLSearchParams({ _csrf: csrf, username: 'Admin', password }).toString(),
  });
  if (answer.status !== 303) throw new Error(`sign-in on ${node.name} answered ${answer.status}`);
  remember(answer);
  return cookieHeader();
}

/** Times one request; answers the status, the body and how long it took. */
export async function timed(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, init);
  const body = await response.text();
  return { status: response.status, body, ms: performance.now() - started };
}

/** What the node itself says on /metrics: it holds the primary role right now. */
export async function saysPrimary(node: ClusterNode): Promise<boolean> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return /^cluster_node_is_primary 1$/m.test(text);
}
