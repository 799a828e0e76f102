/**
 * The layering rule (docs/architecture.md, "Layers"), checked by `npm run lint`:
 *
 *   handlers → composition → adapters, api → jobs, services → ports → domain
 *
 * Each layer may import the layers below it, never one above; jobs and services are siblings
 * that meet only in the composition root. Type-only imports count: a cycle of types is a cycle.
 */
const LAYERS_ABOVE = {
  domain: ['ports', 'jobs', 'services', 'api', 'adapters', 'composition', 'handlers'],
  ports: ['jobs', 'services', 'api', 'adapters', 'composition', 'handlers'],
  jobs: ['services', 'api', 'adapters', 'composition', 'handlers'],
  services: ['jobs', 'api', 'adapters', 'composition', 'handlers'],
  api: ['jobs', 'adapters', 'composition', 'handlers'],
  adapters: ['api', 'composition', 'handlers'],
  composition: ['handlers'],
};

const layerRules = Object.entries(LAYERS_ABOVE).map(([layer, above]) => ({
  name: `${layer}-imports-only-below`,
  comment: `lambdas/${layer} may not import ${above.join(', ')}: layers point one way (docs/architecture.md, "Layers").`,
  severity: 'error',
  from: { path: `^lambdas/${layer}/` },
  to: { path: `^lambdas/(${above.join('|')})/` },
}));

export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: neither can be understood, tested or moved alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'pure-layers-without-aws',
      comment: 'domain, ports and jobs reach AWS only through ports that adapters implement.',
      severity: 'error',
      from: { path: '^lambdas/(domain|ports|jobs)/' },
      to: { path: '(^|/)node_modules/(@aws-sdk|@smithy|@aws-lambda-powertools|@types/aws-lambda|aws-cdk-lib)/' },
    },
    {
      name: 'aws-adapters-without-local',
      comment: 'The deployed code must not carry the local runtime.',
      severity: 'error',
      from: { path: '^lambdas/adapters/aws/' },
      to: { path: '^lambdas/adapters/local/' },
    },
    {
      name: 'runtime-without-entry-points',
      comment: 'bin/ (CDK app, npm start) and lib/ (CDK constructs) sit above the runtime code; the runtime never imports them.',
      severity: 'error',
      from: { path: '^lambdas/' },
      to: { path: '^(bin|lib)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
