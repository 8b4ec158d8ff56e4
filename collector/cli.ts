import type { Command } from 'commander';
import { loadConfigFile } from '../common/config.js';
import { createLogger } from '../common/log.js';
import { collectorConfig } from './config.js';
import { startCollector } from './runtime.js';

export function registerCollectorCommands(program: Command): Command {
  const collector = program.command('collector').description('ingest sensor batches over mutual TLS, queue them in Redis streams, index them in Elasticsearch');

  collector
    .command('run')
    .description('run a collector instance until SIGINT/SIGTERM (any number may share one Redis and Elasticsearch)')
    .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
    .action(async (flags: { config: string }) => {
      const cfg = loadConfigFile(flags.config, collectorConfig);
      const log = createLogger('collector');
      const running = await startCollector(cfg, log, flags.config);
      log.info({ ingestPort: running.ingestPort, metrics: running.metricsUrl }, 'collector running');
      process.stdout.write(`collector listening on ${cfg.listen.host}:${running.ingestPort}${running.metricsUrl ? `, metrics ${running.metricsUrl}` : ''}\n`);
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string): void => {
          log.info({ signal }, 'collector stopping');
          void running.stop().then(resolve);
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });

  collector
    .command('check-config')
    .description('validate a config file and exit: 0 valid, 2 invalid (names the file, key and what was expected)')
    .argument('<file>', 'config file (YAML or JSON)')
    .action((file: string) => {
      loadConfigFile(file, collectorConfig);
      process.stdout.write(`${file}: valid collector config\n`);
    });
  return collector;
}
