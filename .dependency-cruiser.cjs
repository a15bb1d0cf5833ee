/**
 * The import graph of src/, checked by `npm run lint:deps` (scripts/test.sh runs it before the unit
 * tests, so CI fails on a circle or an import that runs upward).
 *
 * Two rules:
 *   - no circular imports, between any two modules (type-only imports count: they couple files too);
 *   - data flows one way (../shared/STYLE.md): a folder imports only from folders LOWER in LAYERS
 *     (or from itself), never from a higher one.
 *
 * `npm run lint:deps` passes --ignore-known: .dependency-cruiser-known-violations.json (written by
 * `npx depcruise-baseline src`) lists violations being fixed elsewhere, each one by name; a new
 * violation still fails. Regenerate it (it should become `[]`) when one is fixed.
 *
 * LAYERS was read off the imports src/ had when the rule came in (issue 20), lowest first. A folder
 * may sit beside another in one layer when neither imports the other.
 */

/** src/ folders (and root files), lowest first. Each may import only from its own layer's folder or below. */
const LAYERS = [
  ['types', 'util'], // no Lifeline imports at all
  ['errors.ts'], // the error catalogue
  ['config'], // schema, loading, secrets
  ['alerts'], // the source-neutral Alert types, severity, messages
  ['people'], // people and on-call shifts (from config)
  ['observability'], // logger, metrics, version, heartbeat out, contact names
  ['policy'], // routes, matchers, maintenance windows (pure)
  ['store'], // SQLite, one module per table family
  ['notifiers'], // irc, email, sms, voice, console: one Notifier interface
  ['probes'], // probe kinds and the scheduler
  ['relay', 'sources'], // the outbox dispatcher; webhooks and Twilio callbacks
  ['escalation'], // incidents, steps, the monitoring-path rule
  ['pipeline'], // ingest and mutes, which drive escalation
  ['commands', 'http'], // !ack & co.; the HTTP server and status page
  ['cli'], // test-notify and other one-shot commands
  ['app.ts', 'main.ts'], // the composition root and the entry point
];

/** A path pattern for a layer entry: a folder or a file directly under src/. */
const pathOf = (name) => (name.endsWith('.ts') ? `^src/${name.replace('.', '\\.')}$` : `^src/${name}/`);

const upward = LAYERS.slice(0, -1).flatMap((layer, i) =>
  layer.map((name) => ({
    name: `no-upward-${name.replace('.ts', '')}`,
    comment: `${name} sits in layer ${i} (.dependency-cruiser.cjs LAYERS): it may import only from layers 0..${i}. Move the shared piece down, or pass it in from app.ts.`,
    severity: 'error',
    from: { path: pathOf(name) },
    to: { path: LAYERS.slice(i + 1).flat().map(pathOf) },
  })),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A circle of imports: break it by moving the shared piece into a lower module.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
  ],
  options: {
    includeOnly: '^src/',
    // Type-only imports count: `import type` from a higher folder is still the wrong direction.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6'],
  },
};
