import http from 'node:http';
import https from 'node:https';

/**
 * Agents for the HTTP probes: no keep-alive. Every run opens its own connection, so it measures
 * DNS and connect and sees the server as it is now; a pooled socket from the last run would hide
 * the connect phase and turn "nothing listening" into "connection reset".
 */
export const PROBE_AGENTS = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };
