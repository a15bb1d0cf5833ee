/**
 * A version 4 webhook payload for one group named `name` with `count` firing alerts on hosts
 * host-<first>…, like Alertmanager sends.
 */
export function groupPayload(name: string, count = 1, first = 0): Record<string, unknown> {
  return {
    version: '4',
    groupKey: `{}:{alertname="${name}"}`,
    status: 'firing',
    receiver: 'lifeline',
    groupLabels: { alertname: name },
    commonLabels: { alertname: name, severity: 'critical' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.test',
    truncatedAlerts: 0,
    alerts: Array.from({ length: count }, (_, k) => ({
      status: 'firing',
      labels: { alertname: name, severity: 'critical', instance: `host-${first + k}` },
      annotations: { summary: `${name} on host-${first + k}` },
      startsAt: '2026-11-23T00:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: `${name}-${first + k}`,
    })),
  };
}

/** POSTs a payload (object or raw text) to Lifeline's webhook; returns the status. */
export async function postWebhook(port: number, body: unknown, headers: Record<string, string> = {}, route = ''): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/alertmanager${route ? `/${route}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}
