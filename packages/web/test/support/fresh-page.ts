import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach } from 'vitest';
import { startTodoServer, type TodoServer } from './todo-server.js';

/**
 * Gives every test of the file a fresh page and API: an empty sessionStorage, the location at
 * `/` and a new todo server before it; unmounted and closed after it. Returns a stand-in for the
 * current test's server (reading it outside a test throws).
 */
export function freshPageEachTest(): TodoServer {
  let current: TodoServer | undefined;
  beforeEach(async () => {
    window.sessionStorage.clear();
    window.history.replaceState(null, '', '/');
    current = await startTodoServer();
  });
  afterEach(async () => {
    cleanup();
    await current?.close();
    current = undefined;
  });
  const server = (): TodoServer => {
    if (!current) throw new Error('the todo server exists only while a test runs');
    return current;
  };
  return new Proxy({} as TodoServer, {
    get(_, key) {
      const value = Reflect.get(server(), key);
      return typeof value === 'function' ? value.bind(server()) : value;
    },
    set(_, key, value) {
      return Reflect.set(server(), key, value);
    },
  });
}
