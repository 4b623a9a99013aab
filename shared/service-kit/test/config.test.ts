import { ConfigError, baseConfigSchema, parseConfig, z } from '../src';

function configError(env: NodeJS.ProcessEnv, schema: z.ZodObject = baseConfigSchema): ConfigError {
  try {
    parseConfig(schema, env);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a configuration error');
}

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(baseConfigSchema, {});
    expect(config).toMatchObject({ HOST: '127.0.0.1', DATA_DIR: './.data', LOG_LEVEL: 'info', CACHE_TTL_SECONDS: 60, TOOL_TIMEOUT_MS: 5000 });
    expect(config.PORT).toBeUndefined();
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
  });

  it('coerces numbers and treats empty strings as unset', () => {
    const config = parseConfig(baseConfigSchema, { PORT: '3009', DATABASE_URL: '', REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(config.PORT).toBe(3009);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT', '"abc"'],
    [{ PORT: '70000' }, 'PORT', '"70000"'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', '"mysql://x"'],
    [{ REDIS_URL: 'http://cache' }, 'REDIS_URL', '"http://cache"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', '"loud"'],
    [{ TOOL_TIMEOUT_MS: '5' }, 'TOOL_TIMEOUT_MS', '"5"'],
  ])('%j fails with one line naming %s and its value', (env, variable, shown) => {
    const error = configError(env as NodeJS.ProcessEnv);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect(error.message).not.toContain('\n');
    expect(error.message.startsWith(`Invalid configuration: ${variable}=${shown}: `)).toBe(true);
    // …followed by what is wrong, not empty.
    expect(error.message.length).toBeGreaterThan(`Invalid configuration: ${variable}=${shown}: `.length + 5);
  });

  it('says why a URL is wrong', () => {
    expect(configError({ DATABASE_URL: 'mysql://x' }).message).toMatch(/postgres:\/\//);
  });

  it('shows a missing required variable of a service as unset', () => {
    const schema = baseConfigSchema.extend({ PAYMENT_PROVIDER_KEY: z.string().min(1) });
    expect(configError({}, schema).message).toMatch(/^Invalid configuration: PAYMENT_PROVIDER_KEY=unset: /);
  });

  it('shortens very long values', () => {
    const message = configError({ DATABASE_URL: `mysql://${'x'.repeat(200)}` }).message;
    expect(message).toContain('…');
    expect(message.length).toBeLessThan(200);
  });
});
