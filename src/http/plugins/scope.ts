import type { FastifyPluginAsync, FastifyPluginOptions } from 'fastify';

/**
 * What the fastify-plugin package does (it is not a dependency of ours): the plugin's hooks,
 * handlers and routes land in the scope that registers it, not in a child scope of their own,
 * so they apply to everything registered there afterwards.
 */
export function inRegisteringScope<Options extends FastifyPluginOptions>(
  name: string,
  plugin: FastifyPluginAsync<Options>,
): FastifyPluginAsync<Options> {
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: name });
}
