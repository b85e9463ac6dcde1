import { expect, test } from 'vitest';

test('jsdom environment is available to component tests', () => {
  document.body.innerHTML = '<main>todo-sso</main>';
  expect(document.querySelector('main')?.textContent).toBe('todo-sso');
});
