import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { StartupError } from '../src/StartupError.js';

afterEach(cleanup);

test('an unusable configuration is explained with a way to try again, and no sign-in is offered', () => {
  render(<StartupError message="/config.json answered HTTP 503" />);
  const alert = screen.getByRole('alert');
  expect(alert.textContent).toContain('todo-sso cannot start');
  expect(alert.textContent).toContain('/config.json answered HTTP 503');
  expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  expect(screen.queryByRole('button', { name: /sign in/i })).toBeNull();
});
