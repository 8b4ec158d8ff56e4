// The import arrows of ARCHITECTURE.md, checked in CI so each module can be read,
// tested and replaced alone.
const modules = ['certs', 'sensor', 'rules', 'collector', 'console', 'appliance'];
const forbid = (name, from, to, comment) => ({ name, severity: 'error', comment, from: { path: `^${from}/` }, to: { path: `^(${to.join('|')})/` } });

module.exports = {
  forbidden: [
    forbid('common-imports-no-module', 'common', [...modules, 'cli', 'stack', 'lab'], 'common is the shared base: it imports none of the modules'),
    forbid('certs-imports-no-module', 'certs', ['sensor', 'rules', 'collector', 'console', 'appliance', 'cli', 'stack', 'lab'], 'certs holds identity helpers every module uses'),
    forbid('sensor-stays-upstream', 'sensor', ['rules', 'collector', 'console', 'appliance', 'cli', 'stack', 'lab'], 'others import the sensor record types, never the reverse'),
    forbid('rules-stays-upstream', 'rules', ['collector', 'console', 'appliance', 'cli', 'stack', 'lab'], 'the collector and console load the rules engine, not the reverse'),
    forbid('collector-stays-upstream', 'collector', ['console', 'appliance', 'cli', 'stack', 'lab'], 'the console reads the collector; nothing else may'),
    forbid('console-is-a-leaf', 'console', ['appliance', 'cli', 'stack', 'lab'], 'nothing imports the console'),
    forbid('appliance-reaches-only-certs-and-sensor', 'appliance', ['rules', 'collector', 'console', 'cli', 'stack', 'lab'], 'appliance uses certs and sensor config types only'),
    forbid('stack-is-tooling', 'stack', [...modules, 'cli', 'lab'], 'the local stack depends on no product module'),
    {
      name: 'nothing-imports-appliance-or-console',
      severity: 'error',
      from: { path: '^(common|certs|sensor|rules|collector|stack|lab)/' },
      to: { path: '^(appliance|console)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
