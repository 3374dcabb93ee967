import { join } from 'node:path';
import { readServiceDefinition } from '../../../scripts/serviceDefinition.mjs';
import {
  CLIENT_BUDGETS,
  clientOptions,
  FUNCTION_KIND_VARIABLE,
  FunctionKind,
  functionKind,
  worstCaseCallMs,
} from '../../../src/adapters/clientBudgets';

interface FunctionDefinition {
  timeout?: number;
  environment?: Record<string, string>;
}
const service = readServiceDefinition(join(__dirname, '../../..')) as {
  provider: { timeout: number };
  functions: Record<string, FunctionDefinition>;
};
const functions = Object.entries(service.functions);

describe('client budgets', () => {
  it.each(functions)('give %s clients that give up before the function times out', (_name, definition) => {
    // Arrange
    const kind = functionKind({ [FUNCTION_KIND_VARIABLE]: definition.environment?.[FUNCTION_KIND_VARIABLE] });
    const timeoutSeconds = definition.timeout ?? service.provider.timeout;

    // Act
    const budget = CLIENT_BUDGETS[kind];

    // Assert: the budget is written for this very timeout, and one hanging call (every attempt timing
    // out, every backoff at its maximum) leaves at least a fifth of the function's time to answer.
    expect(budget.functionTimeoutSeconds).toBe(timeoutSeconds);
    expect(worstCaseCallMs(budget)).toBeLessThanOrEqual(timeoutSeconds * 1000 * 0.8);
  });

  it('names only kinds it knows in serverless.yml', () => {
    const named = functions.map(([, definition]) => definition.environment?.[FUNCTION_KIND_VARIABLE]).filter(Boolean);
    expect(named.every((kind) => (Object.values(FunctionKind) as string[]).includes(kind!))).toBe(true);
  });

  it('makes the HTTP routes’ budget the default', () => {
    expect(functionKind({})).toBe(FunctionKind.Api);
    expect(functionKind({ [FUNCTION_KIND_VARIABLE]: 'something-else' })).toBe(FunctionKind.Api);
  });

  it('asks the SDK to throw when a request outlives its timeout (it only warns otherwise)', () => {
    expect(clientOptions(FunctionKind.Api)).toEqual({
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true },
    });
  });
});
